package io.productionline.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.events.Addresses;
import io.productionline.support.Api;
import io.productionline.support.MutableClock;
import io.productionline.support.TestNode;
import io.productionline.work.WorkKit.BusRecorder;
import io.productionline.work.WorkKit.RawExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Cancel: the executor learns it from its next heartbeat or progress reply, stops, and does not complete")
class CancelTest {

  private TestNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  private static JsonObject fastHeartbeats() {
    JsonObject config = TestNode.config();
    config.put("executors", new JsonObject().put("heartbeat_seconds", 1).put("stale_seconds", 60));
    return config;
  }

  /** Waits for the executor to hold a task; returns its id. */
  private static String awaitBusy(BusRecorder executors, String executorId) {
    return executors.await(e -> executorId.equals(e.getString("executor_id")) && "busy".equals(e.getString("status"))
        && e.getString("current_task") != null, Duration.ofSeconds(30), executorId + " busy").getString("current_task");
  }

  /** The first log line of a task that matches, stored already or still to come. */
  private JsonObject awaitLog(BusRecorder live, String taskId, Predicate<JsonObject> match, String what) {
    Optional<JsonObject> stored = node.api.get("/api/v1/runs/" + taskId + "/logs").json().getJsonArray("logs").stream()
        .map(JsonObject.class::cast).filter(match).findFirst();
    return stored.orElseGet(() -> live.await(l -> taskId.equals(l.getString("task_id")) && match.test(l), Duration.ofSeconds(30), what));
  }

  private Api.Reply cancel(String trackId) {
    return node.api.post("/production/track/" + trackId + "/cancel", new JsonObject().put("kind", "permanent").put("reason", "no longer needed"));
  }

  @Test
  @DisplayName("A sim step: the heartbeat reply carries the cancel, the timer stops, the task is never completed")
  void simExecutorStops() {
    node = TestNode.start(fastHeartbeats(), Clock.systemUTC());
    node.createProject("cs", "slowjob");
    try (BusRecorder executors = new BusRecorder(node.vertx, Addresses.EXECUTORS)) {
      node.executor("sim-x", "slow");
      node.api.post("/production/start?project=cs&doc=job", new JsonObject());
      String taskId = awaitBusy(executors, "sim-x");
      String trackId = node.sql("SELECT track_id FROM station_tasks WHERE id = '" + taskId + "'").get(0).getString(0);
      try (BusRecorder logs = new BusRecorder(node.vertx, Addresses.TASK_LOGS)) {
        executors.clear();
        assertEquals(200, cancel(trackId).status());

        JsonObject stopped = awaitLog(logs, taskId, l -> l.getString("message").contains("stopped: the task was cancelled"), "the stop");
        assertEquals("stopped", stopped.getJsonObject("fields").getString("event"));
        executors.await(e -> "sim-x".equals(e.getString("executor_id")) && "idle".equals(e.getString("status")),
            Duration.ofSeconds(10), "sim-x idle again");
      }
      Row task = node.sql("SELECT status, outcome, result FROM station_tasks WHERE id = '" + taskId + "'").get(0);
      assertEquals("cancelled", task.getString("status"));
      assertNull(task.getString("outcome"), "the executor did not complete");
      assertNull(task.getValue("result"));
      assertEquals("cancelled", TestNode.track(node.production("cs"), "job").getString("state"));
      assertEquals(0L, node.api.get("/api/v1/executors/sim-x").json().getLong("stations_completed"));
    }
  }

  @Test
  @DisplayName("An operator's release: the reference executor hears it on its next heartbeat, stops the step, hands in nothing; the task waits on the queue for anyone")
  void simExecutorStopsOnRelease() {
    node = TestNode.start(fastHeartbeats(), Clock.systemUTC());
    node.createProject("cr", "slowjob");
    try (BusRecorder executors = new BusRecorder(node.vertx, Addresses.EXECUTORS)) {
      node.executor("sim-r", "slow");
      node.api.post("/production/start?project=cr&doc=job", new JsonObject());
      String taskId = awaitBusy(executors, "sim-r");
      executors.clear();
      Api.Reply released = node.api.post("/api/v1/runs/" + taskId + "/release", new JsonObject().put("reason", "give it to someone else"));
      assertEquals(200, released.status(), released.text());
      assertEquals("sim-r", released.json().getString("held_by"));
      String voidLease = node.sql("SELECT lease_token FROM task_releases WHERE task_id = '" + taskId + "'").get(0).getString(0);
      // sim-r (one task at a time, a step of ten minutes) stops the step at its next heartbeat: only then does it claim
      // again, and the task is on the queue, so it takes it back with a new lease.
      Row again = io.productionline.support.Await.until(() -> node.sql("SELECT status, executor_id, lease_token, outcome FROM station_tasks"
          + " WHERE id = '" + taskId + "'").get(0), r -> "claimed".equals(r.getString("status")), Duration.ofSeconds(20),
          "sim-r claims the task again once it stopped the released step");
      assertEquals("sim-r", again.getString("executor_id"));
      assertNotEquals(voidLease, again.getString("lease_token"), "a new lease");
      assertNull(again.getString("outcome"), "the released run was not handed in");
      assertEquals(0L, node.api.get("/api/v1/executors/sim-r").json().getLong("stations_completed"));
      assertEquals(1L, node.sql("SELECT count(*) FROM task_releases WHERE task_id = '" + taskId + "' AND executor_id = 'sim-r'").get(0).getLong(0));
    }
  }

  @Test
  @DisplayName("A shell step: the command and the processes it started are killed, and nothing is handed in")
  void shellProcessTreeIsKilled() throws Exception {
    node = TestNode.start(fastHeartbeats(), Clock.systemUTC());
    node.createProject("csh", "shell");
    try (BusRecorder executors = new BusRecorder(node.vertx, Addresses.EXECUTORS)) {
      node.executor("sh-x", "shell");
      node.api.post("/production/start?project=csh&doc=sleeper", new JsonObject());
      String taskId = awaitBusy(executors, "sh-x");
      String trackId = node.sql("SELECT track_id FROM station_tasks WHERE id = '" + taskId + "'").get(0).getString(0);
      try (BusRecorder logs = new BusRecorder(node.vertx, Addresses.TASK_LOGS)) {
        JsonObject pids = awaitLog(logs, taskId, l -> l.getString("message").startsWith("pids "), "the command's pids");
        Matcher m = Pattern.compile("pids (\\d+) (\\d+)").matcher(pids.getString("message"));
        assertTrue(m.matches(), pids.encode());
        List<ProcessHandle> running = List.of(ProcessHandle.of(Long.parseLong(m.group(1))).orElseThrow(),
            ProcessHandle.of(Long.parseLong(m.group(2))).orElseThrow());
        assertTrue(running.stream().allMatch(ProcessHandle::isAlive));

        assertEquals(200, cancel(trackId).status());

        for (ProcessHandle p : running) {
          p.onExit().get(15, TimeUnit.SECONDS);
        }
        awaitLog(logs, taskId, l -> l.getString("message").contains("stopped: the task was cancelled"), "the stop");
      }
      assertEquals("cancelled", node.sql("SELECT status FROM station_tasks WHERE id = '" + taskId + "'").get(0).getString(0));
      assertNull(node.sql("SELECT outcome FROM station_tasks WHERE id = '" + taskId + "'").get(0).getString(0));
      assertEquals(new JsonArray(), node.api.get("/api/v1/runs/" + taskId + "/artifacts").json().getJsonArray("artifacts"));
    }
  }

  @Test
  @DisplayName("The protocol: progress says cancel, the heartbeat lists the task during the grace period, completion is refused")
  void cancelProtocol() {
    MutableClock clock = new MutableClock();
    node = TestNode.start(TestNode.config(), clock);
    node.createProject("cp", "slowjob");
    node.api.post("/production/start?project=cp&doc=job", new JsonObject());
    RawExecutor x = new RawExecutor(node, "proto", "server", "slow");
    JsonObject t = x.claim(0).orElseThrow();
    String taskId = t.getString("task_id");
    String token = t.getString("lease_token");
    Api.Reply before = x.progress(taskId, token, 0.2, "working");
    assertEquals(false, before.json().getBoolean("cancel"));

    assertEquals(200, cancel(t.getString("track_id")).status());

    Api.Reply p = x.progress(taskId, token, 0.4, "still working");
    assertEquals(200, p.status());
    assertEquals(true, p.json().getBoolean("cancel"));
    assertEquals("cancelled", p.json().getString("task_status"));
    Api.Reply hb = x.heartbeat("busy", taskId);
    assertEquals(new JsonArray().add(taskId), hb.json().getJsonArray("cancel_tasks"));
    Api.Reply events = x.api.post("/api/v1/work/" + taskId + "/events", new JsonObject().put("lease_token", token)
        .put("events", new JsonArray().add(new JsonObject().put("message", "stopping"))));
    assertEquals(true, events.json().getBoolean("cancel"), "log replies carry the cancel too");
    Api.Reply complete = x.complete(t, "stabilized");
    assertEquals(409, complete.status());
    assertTrue(complete.json().getString("detail").contains("cancelled"), complete.text());
    assertEquals(409, x.api.post("/api/v1/work/" + taskId + "/artifacts", new JsonObject().put("lease_token", token)
        .put("artifacts", new JsonArray().add(new JsonObject().put("name", "late.txt").put("kind", "text").put("content", "x")))).status());

    clock.advance(Duration.ofSeconds(31));
    assertEquals(new JsonArray(), x.heartbeat("idle", null).json().getJsonArray("cancel_tasks"),
        "after the grace period the task is dropped from the notices");
    assertEquals("cancelled", node.sql("SELECT status FROM station_tasks WHERE id = '" + taskId + "'").get(0).getString(0));
  }
}
