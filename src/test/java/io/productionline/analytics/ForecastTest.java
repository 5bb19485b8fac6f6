package io.productionline.analytics;

import io.productionline.store.TaskStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.line.DocumentType;
import io.productionline.line.StationDef;
import io.productionline.line.StepDef;
import io.productionline.line.TrackState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The forecast replay on small hand-made lines, where the answer can be worked out on paper. */
@DisplayName("The forecast: a replay of the queue with recent station times and the executors online")
class ForecastTest {

  private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");

  /** Station times by station id; audits reject the given share. */
  private record Times(Map<String, Long> ms, Map<String, Double> reject) implements Forecast.Durations {
    @Override
    public long serviceMs(String line, String documentType, StationDef station) {
      return ms.getOrDefault(station.id(), 1000L);
    }

    @Override
    public double rejectShare(String line, String documentType, StationDef audit) {
      return reject.getOrDefault(audit.id(), 0.0);
    }
  }

  private static StationDef station(String id, String kind, String capability, String automation) {
    return new StationDef(id, kind, capability, null, 300, automation, new StepDef("sim", "vetted", null, Map.of()), null, null);
  }

  private static DocumentType type(String name, List<String> deps, StationDef... stations) {
    return new DocumentType(name, name, deps, List.of(stations), 2, 3, null, 5);
  }

  private static final DocumentType ABC = type("doc", List.of(), station("a", "bind", "x", null), station("b", "assemble", "y", null),
      station("c", "audit", "x", null));

  private static Forecast.Track track(String id, DocumentType type, TrackState state, int station, List<String> waitsFor) {
    return new Forecast.Track(id, "p", "line", type, state, station, 1, waitsFor, null, 5, null);
  }

  private static Forecast.Task queued(String id, String track, int station, String capability, long createdMsAgo) {
    return new Forecast.Task(id, track, 1, station, capability, "either", 5, NOW.minusMillis(createdMsAgo), NOW.minusMillis(createdMsAgo),
        TaskStatus.QUEUED, null, null, 1, 3);
  }

  private static Forecast.Executor executor(String id, String... caps) {
    return new Forecast.Executor(id, Set.of(caps), "either");
  }

  private static Forecast.Result run(List<Forecast.Executor> executors, List<Forecast.Task> tasks, List<Forecast.Track> tracks,
                                     Map<String, Long> ms) {
    return Forecast.run(new Forecast.Input(NOW, executors, tasks, tracks, new Times(ms, Map.of()), 0));
  }

  private static long finishMs(Forecast.Result r, String track) {
    return r.track(track).finish().toEpochMilli() - NOW.toEpochMilli();
  }

  @Test
  @DisplayName("one executor per capability: tracks flow through the stations in claim order (priority, then age)")
  void pipeline() {
    List<Forecast.Track> tracks = new ArrayList<>();
    List<Forecast.Task> tasks = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      tracks.add(track("t" + i, ABC, TrackState.BINDING, 0, List.of()));
      tasks.add(queued("task" + i, "t" + i, 0, "x", 100 - i));
    }
    Forecast.Result r = run(List.of(executor("ex", "x"), executor("ey", "y")), tasks, tracks, Map.of("a", 100L, "b", 1000L, "c", 100L));
    // x: a1 0-100, a2 100-200, a3 200-300; y: b1 100-1100, b2 1100-2100, b3 2100-3100; x: c1 1100-1200, c2 2100-2200, c3 3100-3200
    assertEquals(1200, finishMs(r, "t1"));
    assertEquals(2200, finishMs(r, "t2"));
    assertEquals(3200, finishMs(r, "t3"));
    assertEquals(NOW.plusMillis(200), r.taskStarts().get("task3"));
    assertEquals(3000L, r.workMs().get("y"));
  }

  @Test
  @DisplayName("a claimed task has only the rest of its time left; its executor takes nothing else meanwhile")
  void claimedTaskRest() {
    Forecast.Track t = track("t", ABC, TrackState.ASSEMBLING, 1, List.of());
    Forecast.Task held = new Forecast.Task("h", "t", 1, 1, "y", "either", 5, NOW.minusMillis(700), NOW.minusMillis(700), TaskStatus.CLAIMED, "ey",
        NOW.minusMillis(600), 1, 3);
    Forecast.Result r = run(List.of(executor("ex", "x"), executor("ey", "y")), List.of(held), List.of(t), Map.of("b", 1000L, "c", 100L));
    assertEquals(500, finishMs(r, "t"), "400 ms of assembly left, then 100 ms of audit");
  }

  @Test
  @DisplayName("a dependent enters its first station when its dependency finishes")
  void dependency() {
    DocumentType second = type("second", List.of("doc"), station("a", "bind", "x", null));
    Forecast.Result r = run(List.of(executor("ex", "x"), executor("ey", "y")),
        List.of(queued("q", "t1", 0, "x", 10)),
        List.of(track("t1", ABC, TrackState.BINDING, 0, List.of()), track("t2", second, TrackState.BLOCKED, 0, List.of("t1"))),
        Map.of("a", 100L, "b", 200L, "c", 100L));
    assertEquals(400, finishMs(r, "t1"));
    assertEquals(500, finishMs(r, "t2"));
    assertEquals(NOW.plusMillis(400), r.track("t2").nextStart());
  }

  @Test
  @DisplayName("no finish time, with the reason: no capable executor, an operator ahead, a stopped dependency")
  void stops() {
    DocumentType approve = type("approve", List.of(), station("a", "bind", "x", null), station("b", "assemble", "y", "human_approval"));
    DocumentType after = type("after", List.of("approve"), station("a", "bind", "x", null));
    Forecast.Result r = run(List.of(executor("ex", "x")),
        List.of(queued("q1", "t1", 0, "x", 10), queued("q2", "t2", 1, "y", 10)),
        List.of(track("t1", approve, TrackState.BINDING, 0, List.of()), track("t2", ABC, TrackState.ASSEMBLING, 1, List.of()),
            track("t3", after, TrackState.BLOCKED, 0, List.of("t1")), track("t4", ABC, TrackState.AWAITING_OPERATOR, 0, List.of())),
        Map.of());
    assertNull(r.track("t1").finish());
    assertEquals("approval required before b", r.track("t1").stop());
    assertEquals("no executor online with capability y", r.track("t2").stop());
    assertEquals("waits for approve, which approval required before b", r.track("t3").stop());
    assertEquals("waits for an operator's answer", r.track("t4").stop());
  }

  @Test
  @DisplayName("work held by an executor that is not online is queued again after its backoff")
  void lostWork() {
    Forecast.Track t = track("t", type("one", List.of(), station("a", "bind", "x", null)), TrackState.BINDING, 0, List.of());
    Forecast.Task held = new Forecast.Task("h", "t", 1, 0, "x", "either", 5, NOW.minusMillis(50), NOW.minusMillis(50), TaskStatus.CLAIMED, "gone",
        NOW.minusMillis(40), 1, 3);
    Forecast.Result r = run(List.of(executor("ex", "x")), List.of(held), List.of(t), Map.of("a", 100L));
    assertEquals(1100, finishMs(r, "t"), "the default backoff (1 s) before attempt 2, then 100 ms");
  }

  @Test
  @DisplayName("an audit that rejects half its runs costs its expected remediation loops; one more executor finishes sooner")
  void remediationAndWhatIf() {
    List<Forecast.Track> tracks = new ArrayList<>();
    List<Forecast.Task> tasks = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      tracks.add(track("t" + i, ABC, TrackState.BINDING, 0, List.of()));
      tasks.add(queued("q" + i, "t" + i, 0, "x", 10 - i));
    }
    Forecast.Input in = new Forecast.Input(NOW, List.of(executor("ex", "x"), executor("ey", "y")), tasks, tracks,
        new Times(Map.of("a", 100L, "b", 1000L, "c", 100L), Map.of("c", 0.5)), 0);
    Forecast.Result base = Forecast.run(in);
    // c: 100 + (0.5 + 0.25) × (b 1000 + c 100) = 925 ms
    assertEquals(100 + 1000 + 925, finishMs(base, "t1"));
    Forecast.Result more = Forecast.run(in.plusExecutor("y"));
    long last = tracks.stream().mapToLong(t -> finishMs(base, t.id())).max().orElseThrow();
    long lastMore = tracks.stream().mapToLong(t -> finishMs(more, t.id())).max().orElseThrow();
    assertTrue(lastMore < last, "a second y executor: " + lastMore + " < " + last);
  }

  private static Forecast.Task claimed(String id, String track, int station, String capability, String executor, long claimedMsAgo) {
    return new Forecast.Task(id, track, 1, station, capability, "either", 5, NOW.minusMillis(claimedMsAgo), NOW.minusMillis(claimedMsAgo),
        TaskStatus.CLAIMED, executor, NOW.minusMillis(claimedMsAgo), 1, 3);
  }

  @Test
  @DisplayName("two stations queued at the same moment with the same priority go in track order, whatever order they were queued in")
  void tiesGoInTrackOrder() {
    // t2 and t1 finish binding together at 1000 and queue assembly (y) together, t2's first; ey is busy with t0 until
    // 1500 and then takes the best of the two.
    List<Forecast.Track> tracks = List.of(track("t2", ABC, TrackState.BINDING, 0, List.of()), track("t1", ABC, TrackState.BINDING, 0, List.of()),
        track("t0", ABC, TrackState.ASSEMBLING, 1, List.of()));
    List<Forecast.Task> tasks = List.of(claimed("a2", "t2", 0, "x", "ex2", 0), claimed("a1", "t1", 0, "x", "ex1", 0),
        claimed("b0", "t0", 1, "y", "ey", 500));
    Forecast.Result r = run(List.of(executor("ex1", "x"), executor("ex2", "x"), executor("ey", "y")), tasks, tracks,
        Map.of("a", 1000L, "b", 2000L, "c", 100L));
    // t0: assembly's last 1500 ms, audit 1500-1600. ey: t1's assembly 1500-3500, t2's 3500-5500; each audit 100 ms more.
    assertEquals(1600, finishMs(r, "t0"));
    assertEquals(3600, finishMs(r, "t1"));
    assertEquals(5600, finishMs(r, "t2"));
  }
}
