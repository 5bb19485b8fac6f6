package io.productionline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.ChildServers;
import io.productionline.support.EventStream;
import io.productionline.support.ServerProcess;
import io.productionline.support.TestServers;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real server, started as a child JVM on the test PostgreSQL and Redis, killed with -9 while
 * stations are running, and started again on the same database.
 */
@DisplayName("Crash and resume of a server process")
class CrashResumeTest {

  private static final String PROJECT = "demo";
  private static final Set<String> LEAVES = Set.of("leaf_a", "leaf_b");

  private final List<ServerProcess> children = new ArrayList<>();
  private final List<EventStream> streams = new ArrayList<>();

  @TempDir
  Path dir;

  @AfterEach
  void killChildren() {
    streams.forEach(EventStream::close);
    children.forEach(c -> c.stop(Duration.ofSeconds(15)));
  }

  @Test
  @DisplayName("A kill -9 in mid-line followed by a restart finishes the line with exactly one completed task per station run")
  void killMidLineThenRestart() throws Exception {
    String pg = TestServers.freshDatabase();
    Path config = ChildServers.writeConfig(dir, ChildServers.crashLine(600, 2500), PROJECT, 4);
    Map<String, String> env = new java.util.LinkedHashMap<>(ChildServers.env(config, Files.createDirectories(dir.resolve("data"))));
    env.put("PL_PG_URL", pg);
    env.put("PL_REDIS_URL", TestServers.redisUrl());
    Path logs = ServerProcess.baseDir().resolve("target/crash-resume/" + dir.getFileName());

    ServerProcess first = child("first", env, logs).awaitReady(Duration.ofSeconds(60));
    String firstNode = first.api().get("/health").json().getString("node");
    EventStream events = stream(first, 0);
    // Kill while both leaves are being assembled: their station tasks are claimed and in flight.
    events.awaitUntil(seen -> seen.stream().anyMatch(e -> "task_progress".equals(e.getString("type"))
        && "asm".equals(e.getString("station")) && LEAVES.contains(documentTypeOf(seen, e))),
        Duration.ofSeconds(30), "a leaf's assembly in progress");
    int exit = first.kill9();
    assertEquals(137, exit, "destroyForcibly() is SIGKILL (exit status 128 + 9): no shutdown hook ran");

    List<Map<String, Object>> tracksAtKill = ChildServers.sql(pg, "SELECT id, document_type, state, owner_node FROM tracks ORDER BY id");
    List<Map<String, Object>> tasksAtKill = ChildServers.sql(pg,
        "SELECT id, track_id, run_no, station_index, status, attempt, completed_at, lease_token, executor_id FROM station_tasks ORDER BY id");
    List<Map<String, Object>> unfinishedAtKill = tracksAtKill.stream()
        .filter(t -> !Set.of("stabilized", "escalated", "cancelled").contains(t.get("state"))).toList();
    assertTrue(tracksAtKill.stream().anyMatch(t -> "stabilized".equals(t.get("state"))), "some tracks stabilized before the kill: " + tracksAtKill);
    assertFalse(unfinishedAtKill.isEmpty(), "not every track stabilized before the kill: " + tracksAtKill);
    List<Map<String, Object>> inFlight = tasksAtKill.stream().filter(t -> "claimed".equals(t.get("status"))).toList();
    assertFalse(inFlight.isEmpty(), "some station tasks were in flight at the kill: " + tasksAtKill);
    unfinishedAtKill.forEach(t -> assertEquals(firstNode, t.get("owner_node"), "the first node supervised " + t.get("document_type")));

    ServerProcess second = child("second", env, logs).awaitReady(Duration.ofSeconds(60));
    String secondNode = second.api().get("/health").json().getString("node");
    assertNotEquals(firstNode, secondNode, "the restarted server is a new node");
    int tracks = tracksAtKill.size();
    EventStream afterRestart = stream(second, 0);
    JsonObject view = afterRestart.awaitState(() -> second.api().get("/production?project=" + PROJECT).json(),
        v -> "complete".equals(v.getString("line_state")), Duration.ofSeconds(45), "the line to complete after the restart");
    assertTrue(view.getJsonArray("tracks").stream().allMatch(t -> "stabilized".equals(((JsonObject) t).getString("state"))),
        "every track stabilized after the restart: " + view.encode());
    // A dashboard that connected to the restarted node saw each track's production_complete exactly once.
    List<JsonObject> streamed = afterRestart.awaitUntil(seen -> seen.stream().filter(e -> "production_complete".equals(e.getString("type")))
        .map(e -> e.getString("track_id")).distinct().count() == tracks, Duration.ofSeconds(10), "every track's production_complete on SSE");
    assertEquals(tracks, streamed.stream().filter(e -> "production_complete".equals(e.getString("type"))).count(),
        "no production_complete twice on SSE");

    // Exactly one station task per (track, run), and it completed; no station index ran twice (no audit rejects on this line).
    List<Map<String, Object>> runs = ChildServers.sql(pg, """
        SELECT track_id, run_no, count(*) AS n, bool_and(status = 'completed') AS completed
          FROM station_tasks GROUP BY track_id, run_no ORDER BY track_id, run_no""");
    runs.forEach(r -> {
      assertEquals(1L, ((Number) r.get("n")).longValue(), "one task for run " + r);
      assertEquals(Boolean.TRUE, r.get("completed"), "the run's task completed: " + r);
    });
    assertEquals(tracks * 3, runs.size(), "bind, assemble and audit ran once on every track");
    List<Map<String, Object>> twice = ChildServers.sql(pg, """
        SELECT track_id, station_index, count(*) AS n FROM station_tasks GROUP BY track_id, station_index HAVING count(*) > 1""");
    assertEquals(List.of(), twice, "no station ran twice");

    List<Map<String, Object>> complete = ChildServers.sql(pg, """
        SELECT t.id, count(e.*) AS n FROM tracks t
          LEFT JOIN track_events e ON e.track_id = t.id AND e.type = 'production_complete'
         GROUP BY t.id""");
    assertEquals(tracks, complete.size());
    complete.forEach(r -> assertEquals(1L, ((Number) r.get("n")).longValue(), "one production_complete for track " + r.get("id")));

    // What had completed before the kill is untouched: same rows, same completion time, same holder.
    Map<Object, Map<String, Object>> tasksAfter = ChildServers.sql(pg,
            "SELECT id, track_id, run_no, station_index, status, attempt, completed_at, lease_token, executor_id FROM station_tasks")
        .stream().collect(Collectors.toMap(r -> r.get("id"), Function.identity()));
    for (Map<String, Object> before : tasksAtKill) {
      Map<String, Object> after = tasksAfter.get(before.get("id"));
      assertTrue(after != null, "task " + before.get("id") + " still exists");
      if ("completed".equals(before.get("status"))) {
        assertEquals(before, after, "a task completed before the kill did not run again");
      }
    }
    // Tasks in flight at the kill came back on their own row with the next attempt, and completed once.
    for (Map<String, Object> before : inFlight) {
      Map<String, Object> after = tasksAfter.get(before.get("id"));
      assertEquals("completed", after.get("status"));
      assertEquals(((Number) before.get("attempt")).intValue() + 1, ((Number) after.get("attempt")).intValue(),
          "task " + before.get("id") + " was rescued after its lease ran out, as attempt + 1");
      assertNotEquals(before.get("lease_token"), after.get("lease_token"), "the dead node's lease does not hold the task any more");
    }

    // The restarted node adopted every track that was unfinished at the kill.
    Map<Object, Object> ownerAfter = ChildServers.sql(pg, "SELECT id, owner_node FROM tracks").stream()
        .collect(Collectors.toMap(r -> r.get("id"), r -> String.valueOf(r.get("owner_node"))));
    unfinishedAtKill.forEach(t -> assertEquals(secondNode, ownerAfter.get(t.get("id")),
        "the restarted node adopted " + t.get("document_type")));
  }

  private ServerProcess child(String name, Map<String, String> env, Path logs) {
    ServerProcess p = ServerProcess.start(name, env, logs);
    children.add(p);
    return p;
  }

  /** The server's event stream, opened with the operator token of the dashboard URL it printed. */
  private EventStream stream(ServerProcess server, long after) {
    EventStream s = EventStream.open(server.port(), PROJECT, after, server.operatorToken());
    streams.add(s);
    return s;
  }

  /** Progress events name the track, not the document type: look it up from the track's transitions. */
  private static String documentTypeOf(List<JsonObject> seen, JsonObject e) {
    if (e.getString("document_type") != null) {
      return e.getString("document_type");
    }
    String track = e.getString("track_id");
    return seen.stream().filter(x -> track != null && track.equals(x.getString("track_id")) && x.getString("document_type") != null)
        .map(x -> x.getString("document_type")).findFirst().orElse(null);
  }
}
