package io.productionline.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.MutableClock;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * "Why is it waiting?" on the {@code flow_why} line, where each document type is built to wait for
 * one reason. Time is a settable clock: heartbeats every second, stale after 5 s, so an executor
 * stops beating when the test moves the clock past that without it.
 */
@DisplayName("Why is it waiting: five constructed waits, each explained with its exact cause")
class WhyTest {

  private final MutableClock clock = new MutableClock();
  private TestNode node;

  @BeforeEach
  void start() {
    clock.advance(Duration.ofNanos(-(clock.instant().getNano() % 1000)));
    JsonObject config = TestNode.config();
    config.put("executors", new JsonObject().put("heartbeat_seconds", 1).put("stale_seconds", 5));
    config.getJsonObject("work").put("lease_seconds", 600);
    node = TestNode.start(config, clock);
  }

  @AfterEach
  void stop() {
    node.close();
  }

  private JsonObject why(String trackId) {
    var r = node.api.get("/production/track/" + trackId + "/why");
    assertEquals(200, r.status(), r.text());
    return r.json();
  }

  private Row task(String documentType) {
    return node.sql("SELECT * FROM station_tasks WHERE project_id = 'why' AND document_type = '" + documentType + "'").get(0);
  }

  @Test
  @DisplayName("an open dependency, no capable executor, a silent executor's lease, a backoff and an open interrupt")
  void fiveWaits() {
    node.createProject("why", "flow_why");
    assertEquals(200, node.api.post("/production/start?project=why", new JsonObject()).status());
    JsonObject started = node.awaitProduction("why", v -> "awaiting_operator".equals(TestNode.track(v, "asks").getString("state"))
        && "blocked".equals(TestNode.track(v, "downstream").getString("state")), Duration.ofSeconds(10));
    Instant approvalOpened = clock.instant();

    FlowKit.Raw holder = new FlowKit.Raw(node.executorApi("holder"), "holder", "flow_up");
    assertEquals(TestNode.track(started, "upstream").getString("track_id"), holder.claim().orElseThrow().getString("track_id"));
    FlowKit.Raw flaky = new FlowKit.Raw(node.executorApi("flaky-x"), "flaky-x", "flow_back");
    assertTrue(flaky.claim().isPresent());

    // flaky-x stops beating: the rescue queues its task again, after a 60 s backoff.
    clock.advance(Duration.ofSeconds(6));
    holder.heartbeat();
    var sweep = node.node.sweeper().runOnce().await();
    assertEquals(1, sweep.requeued().size());

    // ghost claims held, then stops beating too; this time no sweep runs.
    FlowKit.Raw ghost = new FlowKit.Raw(node.executorApi("ghost"), "ghost", "flow_held");
    assertTrue(ghost.claim().isPresent());
    Instant ghostBeat = clock.instant();
    clock.advance(Duration.ofSeconds(6));
    holder.heartbeat();

    JsonObject view = node.production("why");
    String downstream = TestNode.track(view, "downstream").getString("track_id");
    String orphan = TestNode.track(view, "orphan").getString("track_id");
    String held = TestNode.track(view, "held").getString("track_id");
    String backoff = TestNode.track(view, "flaky").getString("track_id");
    String asks = TestNode.track(view, "asks").getString("track_id");

    // 1. An open dependency, by name, with where it stands.
    JsonObject dep = why(downstream);
    assertEquals("open_dependencies", dep.getString("cause"), dep.encodePrettily());
    assertFalse(dep.getBoolean("moving"));
    JsonObject upstreamDep = dep.getJsonObject("detail").getJsonArray("dependencies").getJsonObject(0);
    assertEquals("upstream", upstreamDep.getString("document_type"));
    assertEquals("binding", upstreamDep.getString("state"));
    assertTrue(dep.getString("text").contains("upstream"), dep.getString("text"));

    // 2. No executor online with the capability.
    JsonObject none = why(orphan);
    assertEquals("no_capable_executor", none.getString("cause"), none.encodePrettily());
    assertEquals("flow_nobody", none.getJsonObject("detail").getString("capability"));
    assertEquals(0, none.getJsonObject("detail").getInteger("executors_online"));
    assertTrue(none.getString("text").contains("no executor online with capability flow_nobody"), none.getString("text"));

    // 3. A lease held by an executor that stopped beating, and when that lease runs out.
    JsonObject silent = why(held);
    assertEquals("silent_executor", silent.getString("cause"), silent.encodePrettily());
    JsonObject s = silent.getJsonObject("detail");
    assertEquals("ghost", s.getString("executor_id"));
    Row heldTask = task("held");
    assertEquals(heldTask.getOffsetDateTime("lease_expires_at").toInstant(), Instant.parse(s.getString("lease_expires_at")));
    assertEquals(ghostBeat.plusSeconds(300), Instant.parse(s.getString("lease_expires_at")), "the lease ends at the station's timeout");
    assertEquals(ghostBeat, Instant.parse(s.getString("last_heartbeat")));
    assertEquals(6L, s.getLong("silent_seconds"));
    assertTrue(silent.getString("text").contains("ghost, which stopped beating"), silent.getString("text"));
    assertTrue(silent.getString("text").contains("lease runs out at " + ghostBeat.plusSeconds(300)), silent.getString("text"));
    assertTrue(silent.getString("text").contains("attempt 2 of 3"), silent.getString("text"));

    // 4. A backoff until a time.
    JsonObject wait = why(backoff);
    assertEquals("backoff", wait.getString("cause"), wait.encodePrettily());
    Row backingOff = task("flaky");
    Instant available = backingOff.getOffsetDateTime("available_at").toInstant();
    assertEquals(available, Instant.parse(wait.getJsonObject("detail").getString("available_at")));
    assertTrue(available.isAfter(clock.instant()), "still backing off");
    assertEquals(2, wait.getJsonObject("detail").getInteger("attempt"));
    assertTrue(wait.getString("text").contains("available at " + available), wait.getString("text"));

    // 5. An open interrupt and its age.
    JsonObject stopped = why(asks);
    assertEquals("open_interrupt", stopped.getString("cause"), stopped.encodePrettily());
    JsonObject i = stopped.getJsonObject("detail");
    assertEquals("approval", i.getString("interrupt_type"));
    assertEquals(Duration.between(approvalOpened, clock.instant()).toSeconds(), i.getLong("age_seconds"));
    assertEquals(900, i.getInteger("sla_seconds"));
    assertNotNull(i.getString("interrupt_id"));
    assertTrue(stopped.getString("text").startsWith("Approval open for 12 s"), stopped.getString("text"));

    // And the one that is moving says so.
    JsonObject moving = why(TestNode.track(view, "upstream").getString("track_id"));
    assertEquals("at_work", moving.getString("cause"), moving.encodePrettily());
    assertTrue(moving.getBoolean("moving"));

    // GET /production carries the same causes, so the dashboard needs no request per track.
    for (String[] expect : new String[][] {{"downstream", "open_dependencies"}, {"orphan", "no_capable_executor"},
        {"held", "silent_executor"}, {"flaky", "backoff"}, {"asks", "open_interrupt"}, {"upstream", "at_work"}}) {
      JsonObject summary = TestNode.track(view, expect[0]).getJsonObject("why");
      assertNotNull(summary, expect[0] + " has a why in GET /production");
      assertEquals(expect[1], summary.getString("cause"), expect[0] + ": " + summary.encode());
      assertFalse(summary.getString("text").isBlank());
    }
    assertEquals(404, node.api.get("/production/track/trk_nope/why").status());
  }

  private static JsonObject rawStation(String capability) {
    return new JsonObject().put("id", "asm").put("kind", "assemble").put("capability", capability).put("timeout_seconds", 300)
        .put("step", new JsonObject().put("type", "sim").put("trust", "vetted").put("params", new JsonObject().put("duration_ms", 100)));
  }

  private static List<JsonObject> ofType(JsonObject view, String type) {
    return view.getJsonArray("tracks").stream().map(JsonObject.class::cast).filter(t -> type.equals(t.getString("document_type"))).toList();
  }

  @Test
  @DisplayName("a join whose fan-out track is stabilized waits on its children: the why says so, and its ETA follows the last child's")
  void joinWaitsOnTheChildren() {
    JsonObject line = new JsonObject().put("name", "fanjoin").put("document_types", new JsonArray()
        .add(new JsonObject().put("name", "plan").put("stations", new JsonArray().add(rawStation("flow_plan")))
            .put("fan_out", new JsonObject().put("station", "asm").put("items", "epics").put("child_type", "epic").put("max_items", 40)))
        .add(new JsonObject().put("name", "epic").put("stations", new JsonArray().add(rawStation("flow_epic"))))
        .add(new JsonObject().put("name", "release").put("depends_on", new JsonArray().add("plan"))
            .put("stations", new JsonArray().add(rawStation("flow_rel")))));
    assertEquals(201, node.apiAs("admin").post("/api/v1/lines", new JsonObject().put("definition", line).put("note", "join")).status());
    node.createProject("join", "fanjoin");
    assertEquals(200, node.api.post("/production/start?project=join", new JsonObject()).status());
    node.awaitProduction("join", v -> "assembling".equals(TestNode.track(v, "plan").getString("state")), Duration.ofSeconds(10));

    FlowKit.Raw planner = new FlowKit.Raw(node.executorApi("planner"), "planner", "flow_plan");
    FlowKit.Raw worker = new FlowKit.Raw(node.executorApi("worker"), "worker", "flow_epic");
    FlowKit.Raw releaser = new FlowKit.Raw(node.executorApi("releaser"), "releaser", "flow_rel");
    JsonArray epics = new JsonArray(IntStream.range(0, 30).mapToObj(i -> (Object) ("epic " + i)).toList());
    assertEquals(200, planner.complete(planner.claim().orElseThrow(),
        new JsonObject().put("outcome", "stabilized").put("output", new JsonObject().put("epics", epics))).status());
    node.awaitProduction("join", v -> ofType(v, "epic").size() == 30
        && ofType(v, "epic").stream().allMatch(t -> "assembling".equals(t.getString("state"))), Duration.ofSeconds(20));
    // 12 children stabilized, each after a second at work (heartbeats every second keep the executors online).
    for (int i = 0; i < 12; i++) {
      JsonObject task = worker.claim().orElseThrow();
      clock.advance(Duration.ofSeconds(1));
      worker.heartbeat();
      releaser.heartbeat();
      planner.heartbeat();
      assertEquals(200, worker.complete(task, new JsonObject().put("outcome", "stabilized")).status());
    }
    JsonObject view = node.awaitProduction("join", v -> ofType(v, "epic").stream().filter(t -> "stabilized".equals(t.getString("state"))).count() == 12
        && TestNode.track(v, "release").getString("eta_at") != null, Duration.ofSeconds(20));
    JsonObject plan = TestNode.track(view, "plan");
    assertEquals("stabilized", plan.getString("state"));
    assertEquals("12 of 30 stabilized", plan.getJsonObject("fan_out").getString("progress"));
    JsonObject release = TestNode.track(view, "release");
    assertEquals("blocked", release.getString("state"));

    // The why names the children it waits on, not the stabilized parent, with the server's one count of them.
    JsonObject why = why(release.getString("track_id"));
    assertEquals("open_dependencies", why.getString("cause"), why.encodePrettily());
    assertTrue(why.getString("text").startsWith("Awaiting 18 of 30 children of plan (12 of 30 stabilized"), why.getString("text"));
    JsonObject dep = why.getJsonObject("detail").getJsonArray("dependencies").getJsonObject(0);
    assertEquals("plan", dep.getString("document_type"));
    assertEquals("stabilized", dep.getString("state"));
    assertEquals(18, dep.getJsonObject("children").getInteger("awaited"));
    assertEquals(plan.getJsonObject("fan_out").getString("progress"), dep.getJsonObject("children").getString("progress"));
    assertTrue(release.getJsonObject("why").getString("text").startsWith("Awaiting 18 of 30 children of plan"),
        "GET /production says the same: " + release.getJsonObject("why").encode());

    // The forecast: the join finishes after the last of its children, and its why gives that child's finish.
    Instant releaseEta = Instant.parse(release.getString("eta_at"));
    Instant lastChild = ofType(view, "epic").stream().filter(t -> !"stabilized".equals(t.getString("state")))
        .map(t -> Instant.parse(t.getString("eta_at"))).max(Instant::compareTo).orElseThrow();
    assertTrue(releaseEta.isAfter(lastChild), "the join (ETA " + releaseEta + ") after its last child (ETA " + lastChild + ")");
    assertTrue(dep.containsKey("eta_at"), dep.encode());
  }
}
