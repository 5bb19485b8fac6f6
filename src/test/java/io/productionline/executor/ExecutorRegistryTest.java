package io.productionline.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.events.Addresses;
import io.productionline.support.Api;
import io.productionline.support.MutableClock;
import io.productionline.support.TestNode;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The executor registry in Redis: registration, heartbeats, live status and figures, staleness on a settable clock. */
@DisplayName("Executor registry: idle, busy, offline; heartbeats with a stale time; live figures; executor_status events")
class ExecutorRegistryTest {

  private final MutableClock clock = new MutableClock();
  private final LinkedBlockingQueue<JsonObject> events = new LinkedBlockingQueue<>();
  private TestNode node;
  private Api api;
  private MessageConsumer<JsonObject> consumer;

  @BeforeEach
  void start() {
    JsonObject config = TestNode.config();
    config.put("executors", new JsonObject().put("heartbeat_seconds", 15).put("stale_seconds", 60));
    node = TestNode.start(config, clock);
    api = node.api;
    consumer = node.vertx.eventBus().consumer(Addresses.EXECUTORS, m -> events.offer(m.body()));
    consumer.completion().await();
  }

  @AfterEach
  void stop() {
    consumer.unregister();
    node.close();
  }

  /** The next executor_status event of {@code id}, as it arrives. */
  private JsonObject nextEvent(String id) throws InterruptedException {
    while (true) {
      JsonObject e = events.poll(10, TimeUnit.SECONDS);
      if (e == null) {
        throw new AssertionError("no executor_status event for " + id + " within 10 s");
      }
      if (id.equals(e.getString("executor_id"))) {
        assertEquals("executor_status", e.getString("type"));
        return e;
      }
    }
  }

  /** Registers {@code id} with its own executor token. */
  private Api.Reply register(String id, JsonObject extra) {
    return node.executorApi(id).post("/api/v1/executors", new JsonObject().put("executor_id", id).put("type", "claude_code").put("environment", "local")
        .put("capabilities", new JsonArray().add("sim")).mergeIn(extra));
  }

  @Test
  @DisplayName("Register, heartbeat busy, go stale (offline, announced once), come back with a heartbeat, leave")
  void lifecycle() throws Exception {
    Api.Reply r = register("e1", new JsonObject());
    assertEquals(201, r.status(), r.text());
    assertEquals("idle", r.json().getString("status"));
    assertEquals(15, r.json().getInteger("heartbeat_seconds"));
    assertEquals(60, r.json().getInteger("stale_seconds"));
    assertEquals("idle", nextEvent("e1").getString("status"));

    Api e1 = node.executorApi("e1");
    JsonObject hb = e1.post("/api/v1/executors/e1/heartbeat", new JsonObject().put("status", "busy").put("current_task", "task_x")).json();
    assertEquals("busy", hb.getJsonObject("executor").getString("status"));
    assertEquals(new JsonArray(), hb.getJsonArray("cancel_tasks"));
    JsonObject busy = nextEvent("e1");
    assertEquals("busy", busy.getString("status"));
    assertEquals("task_x", busy.getString("current_task"));

    clock.advance(Duration.ofSeconds(59));
    assertEquals("busy", api.get("/api/v1/executors/e1").json().getString("status"), "within the stale time");
    clock.advance(Duration.ofSeconds(2));
    JsonObject stale = api.get("/api/v1/executors/e1").json();
    assertEquals("offline", stale.getString("status"), "no heartbeat for longer than stale_seconds");
    assertNull(stale.getString("current_task"));
    assertEquals(List.of("e1"), node.node.sweeper().runOnce().await().wentOffline());
    assertEquals("offline", nextEvent("e1").getString("status"));
    assertEquals(List.of(), node.node.sweeper().runOnce().await().wentOffline(), "announced once");

    e1.post("/api/v1/executors/e1/heartbeat", new JsonObject());
    assertEquals("idle", nextEvent("e1").getString("status"), "a heartbeat brings it back");
    assertEquals("idle", api.get("/api/v1/executors/e1").json().getString("status"));
    clock.advance(Duration.ofSeconds(61));
    assertEquals("offline", api.get("/api/v1/executors/e1").json().getString("status"));
    assertEquals(200, e1.get("/api/v1/work/next?executor_id=e1").status());
    assertEquals("idle", api.get("/api/v1/executors/e1").json().getString("status"), "so does a claim");

    assertEquals(200, e1.send(e1.builder("/api/v1/executors/e1").DELETE()).status());
    assertEquals("offline", nextEvent("e1").getString("status"), "leaving is offline at once");
    assertEquals("offline", api.get("/api/v1/executors/e1").json().getString("status"));
    clock.advance(Duration.ofDays(1).plusSeconds(1));
    node.node.sweeper().runOnce().await();
    assertEquals(404, api.get("/api/v1/executors/e1").status(), "forgotten a day after it went offline");
    assertEquals(new JsonArray(), api.get("/api/v1/executors").json().getJsonArray("executors"));
  }

  @Test
  @DisplayName("Bad registrations are refused with 400 naming the field; unknown executors get 404")
  void refusals() {
    Map<JsonObject, String> bad = Map.of(
        new JsonObject().put("capabilities", new JsonArray()), "capabilities",
        new JsonObject().put("environment", "mars"), "environment",
        new JsonObject().put("executor_id", "bad id!"), "executor_id",
        new JsonObject().put("colour", "red"), "colour");
    bad.forEach((extra, field) -> {
      Api.Reply r = register("e2", extra);
      assertEquals(400, r.status(), extra.encode());
      assertTrue(r.json().getString("detail").contains(field), r.text());
    });
    assertEquals(404, api.get("/api/v1/executors/e2").status(), "nothing was registered");
    Api ghost = node.executorApi("ghost");
    Api.Reply hb = ghost.post("/api/v1/executors/ghost/heartbeat", new JsonObject());
    assertEquals(404, hb.status());
    assertTrue(hb.json().getString("detail").contains("register first"));
    assertEquals(400, node.executorApi("e2").post("/api/v1/executors/e2/heartbeat", new JsonObject().put("status", "sleeping")).status());
    assertEquals(404, ghost.get("/api/v1/work/next?executor_id=ghost").status());
  }

  @Test
  @DisplayName("Live figures: stations completed, average station time, stabilized share")
  void figures() {
    register("fig", new JsonObject());
    node.createProject("fg", "single");
    api.post("/production/start?project=fg&doc=doc", new JsonObject());
    Api fig = node.executorApi("fig");
    JsonObject bind = fig.get("/api/v1/work/next?executor_id=fig").json().getJsonObject("task");
    clock.advance(Duration.ofSeconds(2));
    assertEquals(200, fig.post("/api/v1/work/" + bind.getString("task_id") + "/complete",
        new JsonObject().put("lease_token", bind.getString("lease_token")).put("outcome", "stabilized")).status());
    JsonObject asm = fig.get("/api/v1/work/next?executor_id=fig").json().getJsonObject("task");
    clock.advance(Duration.ofSeconds(1));
    assertEquals(200, fig.post("/api/v1/work/" + asm.getString("task_id") + "/complete",
        new JsonObject().put("lease_token", asm.getString("lease_token")).put("outcome", "halted").put("reason", "no inputs")).status());

    JsonObject figures = api.get("/api/v1/executors/fig").json();
    assertEquals(2, figures.getInteger("stations_completed"));
    assertEquals(1500, figures.getInteger("average_station_ms"));
    assertEquals(0.5, figures.getDouble("stabilized_share"));
    assertEquals("idle", figures.getString("status"));
    assertNull(figures.getString("current_task"));
  }

  @Test
  @DisplayName("A heartbeat that comes in between the sweep's read of a lapsed executor and its write keeps the executor live")
  void heartbeatBetweenSweepReadAndWriteWins() throws Exception {
    register("back", new JsonObject());
    assertEquals("idle", nextEvent("back").getString("status"));
    ExecutorRegistry registry = node.node.work().executors();
    // What the sweep read before the heartbeat: idle, its liveness a beat long past. Since then a
    // heartbeat (the registration's) wrote a new liveness.
    ExecutorRegistry.SweepRead stale = new ExecutorRegistry.SweepRead("idle", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z");
    assertTrue(registry.lapse("back", stale).await().isEmpty(), "not announced offline");
    assertEquals("idle", api.get("/api/v1/executors/back").json().getString("status"));

    // Read again as it is, and stale by the clock: now it lapses, once.
    clock.advance(Duration.ofSeconds(61));
    List<JsonObject> lapsed = registry.markLapsed().await();
    assertEquals(List.of("back"), lapsed.stream().map(v -> v.getString("executor_id")).toList());
    assertEquals("offline", api.get("/api/v1/executors/back").json().getString("status"));
    assertTrue(registry.markLapsed().await().isEmpty(), "announced by one sweep only");
  }

  @Test
  @DisplayName("A claim's busy that reaches Redis after the executor's completion, heartbeat or leave does not undo them")
  void lateBusyUndoesNothing() {
    register("late", new JsonObject());
    ExecutorRegistry registry = node.node.work().executors();
    java.time.Instant claimedAt = clock.instant();
    clock.advance(Duration.ofMillis(5));
    registry.finishStation("late", 5, true).await();
    JsonObject view = registry.claimed("late", "task_done", claimedAt).await().orElseThrow();
    assertEquals("idle", view.getString("status"), "the completion came after the claim");
    assertNull(view.getString("current_task"));
    assertEquals("idle", api.get("/api/v1/executors/late").json().getString("status"));

    assertEquals("busy", registry.claimed("late", "task_next", clock.instant()).await().orElseThrow().getString("status"),
        "a claim newer than every status is written");
    clock.advance(Duration.ofMillis(5));
    java.time.Instant before = clock.instant().minusMillis(1);
    assertEquals(200, node.executorApi("late").post("/api/v1/executors/late/heartbeat", new JsonObject().put("status", "idle")).status());
    assertEquals("idle", registry.claimed("late", "task_old", before).await().orElseThrow().getString("status"),
        "the heartbeat came after the claim");

    node.node.work().leave("late").await();
    assertEquals("offline", registry.claimed("late", "task_new", clock.instant().plusSeconds(1)).await().orElseThrow().getString("status"),
        "an executor that left is not made busy again by a claim it made before");
    assertTrue(registry.claimed("never-registered", "task_x", clock.instant()).await().isEmpty(),
        "a claim's status does not register an executor");
    assertEquals(404, api.get("/api/v1/executors/never-registered").status());
  }
}
