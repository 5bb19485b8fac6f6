package io.productionline.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.events.Addresses;
import io.productionline.store.TaskRepository.Requeued;
import io.productionline.support.Api;
import io.productionline.support.MutableClock;
import io.productionline.support.TestNode;
import io.productionline.work.RescueSweeper.Sweep;
import io.productionline.work.WorkKit.BusRecorder;
import io.productionline.work.WorkKit.RawExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Rescue of lost work, driven by a settable clock and {@code sweeper.runOnce()}: heartbeats every
 * second, stale after 5 s, leases long enough that only a dead executor or a station timeout loses
 * a task.
 */
@DisplayName("Rescue: lost work is queued again with backoff, and the track halts past max_attempts")
class RescueTest {

  private final MutableClock clock = new MutableClock();
  private TestNode node;
  private Process child;

  @BeforeEach
  void start() {
    // PostgreSQL keeps microseconds: a clock on whole microseconds reads back exactly.
    clock.advance(Duration.ofNanos(-(clock.instant().getNano() % 1000)));
    JsonObject config = TestNode.config();
    config.put("executors", new JsonObject().put("heartbeat_seconds", 1).put("stale_seconds", 5));
    config.getJsonObject("work").put("lease_seconds", 600);
    node = TestNode.start(config, clock);
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (child != null && child.isAlive()) {
      child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    node.close();
  }

  private Sweep sweep() {
    return node.node.sweeper().runOnce().await();
  }

  private Row task(String project) {
    return node.sql("SELECT * FROM station_tasks WHERE project_id = '" + project + "' ORDER BY run_no DESC LIMIT 1").get(0);
  }

  @Test
  @DisplayName("An executor process killed with -9 mid-task: its task is queued again once its heartbeat expires, "
      + "another executor completes it, and the dead one's token is refused")
  void killedExecutorIsRescued() throws Exception {
    node.createProject("k9", "slowjob");
    List<JsonObject> events = node.record("k9");
    try (BusRecorder executors = new BusRecorder(node.vertx, Addresses.EXECUTORS)) {
      child = WorkKit.childExecutor(node, "doomed", "slow");
      node.api.post("/production/start?project=k9&doc=job", new JsonObject());
      executors.await(e -> "doomed".equals(e.getString("executor_id")) && "busy".equals(e.getString("status")),
          Duration.ofSeconds(60), "the child executor to claim the job");
      Row held = task("k9");
      String taskId = held.getString("id");
      String deadToken = held.getString("lease_token");
      assertEquals("doomed", held.getString("executor_id"));

      child.destroyForcibly();
      assertTrue(child.waitFor(10, TimeUnit.SECONDS));
      Sweep early = sweep();
      assertEquals(List.of(), early.requeued(), "within the stale time nothing is rescued");

      clock.advance(Duration.ofSeconds(6));
      Sweep sweep = sweep();
      assertTrue(sweep.ran());
      assertEquals(List.of("doomed"), sweep.deadExecutors());
      assertEquals(List.of("doomed"), sweep.wentOffline());
      assertEquals(1, sweep.requeued().size());
      Requeued r = sweep.requeued().get(0);
      assertEquals(taskId, r.taskId());
      assertEquals(2, r.attempt());
      assertEquals(clock.instant().plusSeconds(1), r.availableAt(), "first backoff: initial_ms");
      executors.await(e -> "doomed".equals(e.getString("executor_id")) && "offline".equals(e.getString("status")),
          Duration.ofSeconds(5), "doomed announced offline");
      TestNode.awaitEvent(events, e -> "task_requeued".equals(e.getString("type")) && e.getInteger("attempt") == 2
          && e.getString("reason").contains("doomed stopped answering"), Duration.ofSeconds(5));
      assertEquals(0, sweep().wentOffline().size(), "offline is announced once");
      assertEquals(1, executors.all().stream().filter(e -> "doomed".equals(e.getString("executor_id"))
          && "offline".equals(e.getString("status"))).count());

      RawExecutor rescuer = new RawExecutor(node, "rescuer", "server", "slow");
      assertFalse(rescuer.claim(0).isPresent(), "not before the backoff ran out");
      clock.advance(Duration.ofSeconds(1));
      JsonObject again = rescuer.claim(0).orElseThrow();
      assertEquals(taskId, again.getString("task_id"));
      assertEquals(2, again.getInteger("attempt"));
      assertTrue(again.getString("lease_token").startsWith(taskId + ".2."));

      Api.Reply replay = rescuer.complete(taskId, deadToken, new JsonObject().put("outcome", "stabilized"), Map.of());
      assertEquals(409, replay.status(), "the dead executor's token is stale");
      assertTrue(replay.json().getString("detail").contains("stale lease"), replay.text());
      assertEquals(409, rescuer.progress(taskId, deadToken, 0.5, "late").status());
      assertEquals(409, rescuer.api.post("/api/v1/work/" + taskId + "/events", new JsonObject().put("lease_token", deadToken)
          .put("events", new JsonArray().add(new JsonObject().put("message", "late")))).status());
      assertEquals("claimed", task("k9").getString("status"), "the stale calls changed nothing");
      assertEquals("rescuer", task("k9").getString("executor_id"));

      assertEquals(200, rescuer.complete(again, "stabilized").status());
      JsonObject done = node.awaitProduction("k9", p -> "stabilized".equals(TestNode.track(p, "job").getString("state")),
          Duration.ofSeconds(10));
      assertEquals("stabilized", TestNode.track(done, "job").getString("state"));
      assertEquals(409, rescuer.complete(taskId, deadToken, new JsonObject().put("outcome", "stabilized"), Map.of()).status());
      Row finished = task("k9");
      assertEquals("completed", finished.getString("status"));
      assertEquals("rescuer", finished.getString("executor_id"));
      assertEquals(1L, node.sql("SELECT count(*) FROM station_tasks WHERE project_id = 'k9'").get(0).getLong(0),
          "the same station run was rescued, not duplicated");
    }
  }

  @Test
  @DisplayName("Past max_attempts the task is dropped and the track halts with the reason and an interrupt")
  void maxAttemptsHaltsTheTrack() {
    node.createProject("ma", "slowjob");
    List<JsonObject> events = node.record("ma");
    node.api.post("/production/start?project=ma&doc=job", new JsonObject());
    RawExecutor first = new RawExecutor(node, "first", "server", "slow");
    JsonObject t1 = first.claim(0).orElseThrow();
    clock.advance(Duration.ofSeconds(6));
    assertEquals(1, sweep().requeued().size());
    clock.advance(Duration.ofSeconds(1));
    RawExecutor second = new RawExecutor(node, "second", "server", "slow");
    JsonObject t2 = second.claim(0).orElseThrow();
    assertEquals(2, t2.getInteger("attempt"));

    clock.advance(Duration.ofSeconds(6));
    Sweep last = sweep();
    assertEquals(List.of(), last.requeued());
    assertEquals(1, last.exhausted().size());

    JsonObject view = node.awaitProduction("ma", p -> "halted".equals(TestNode.track(p, "job").getString("state")), Duration.ofSeconds(10));
    JsonObject track = TestNode.track(view, "job");
    assertTrue(track.getString("reason").contains("lost 2 times"), track.getString("reason"));
    assertTrue(track.getString("reason").contains("second stopped answering"), track.getString("reason"));
    JsonArray interrupts = view.getJsonArray("interrupts");
    assertEquals(1, interrupts.size());
    assertEquals("audit_review", interrupts.getJsonObject(0).getString("type"));
    assertTrue(interrupts.getJsonObject(0).getString("reason").contains("lost 2 times"));
    TestNode.awaitEvent(events, e -> "line_stopped".equals(e.getString("type")) && e.getString("reason").contains("lost 2 times"),
        Duration.ofSeconds(5));
    assertEquals("dropped", task("ma").getString("status"));
    assertEquals(409, second.complete(t2, "stabilized").status(), "the last holder's token is void too");
    assertEquals(409, first.complete(t1, "stabilized").status());
  }

  @Test
  @DisplayName("A live executor whose task runs past the station timeout loses the lease; backoff doubles per attempt")
  void leaseRunsOutWithExponentialBackoff() {
    node.createProject("lease", "slowjob");
    node.api.post("/production/start?project=lease&doc=short", new JsonObject());
    RawExecutor x = new RawExecutor(node, "slowpoke", "server", "slow");
    List<Long> delays = new java.util.ArrayList<>();
    for (int attempt = 1; attempt <= 2; attempt++) {
      JsonObject t = x.claim(0).orElseThrow();
      assertEquals(attempt, t.getInteger("attempt"));
      clock.advance(Duration.ofSeconds(11));
      assertEquals(200, x.heartbeat("busy", t.getString("task_id")).status(), "the executor itself is alive");
      Sweep s = sweep();
      assertEquals(List.of(), s.deadExecutors());
      assertEquals(1, s.requeued().size());
      Instant available = s.requeued().get(0).availableAt();
      delays.add(Duration.between(clock.instant(), available).toMillis());
      clock.advance(Duration.between(clock.instant(), available));
    }
    assertEquals(List.of(1000L, 2000L), delays, "initial_ms, then initial_ms × multiplier");
    assertTrue(node.sql("SELECT 1 FROM track_events WHERE project_id = 'lease'").size() > 0);
    JsonObject t3 = x.claim(0).orElseThrow();
    assertEquals(3, t3.getInteger("attempt"));
    clock.advance(Duration.ofSeconds(11));
    x.heartbeat("busy", t3.getString("task_id"));
    assertEquals(1, sweep().exhausted().size());
    JsonObject view = node.awaitProduction("lease", p -> "halted".equals(TestNode.track(p, "short").getString("state")),
        Duration.ofSeconds(10));
    assertTrue(TestNode.track(view, "short").getString("reason").contains("its lease ran out"));
  }

  @Test
  @DisplayName("A task whose claim's reply never reached its executor (the node died as it answered) goes back to the queue, "
      + "same attempt, once the executor's heartbeat says it does not have it; a task it lists is renewed")
  void heartbeatHandsBackWhatTheExecutorDoesNotHave() {
    node.createProject("lost-reply", "slowjob");
    node.createProject("in-hand", "slowjob");
    node.api.post("/production/start?project=lost-reply&doc=job", new JsonObject());
    RawExecutor x = new RawExecutor(node, "survivor", "server", "slow");
    JsonObject neverReceived = x.claim(10).orElseThrow();
    node.api.post("/production/start?project=in-hand&doc=job", new JsonObject());
    JsonObject held = x.claim(10).orElseThrow();
    String path = "/api/v1/executors/survivor/heartbeat";
    JsonObject beat = new JsonObject().put("status", "busy").put("tasks", new JsonArray().add(held.getString("task_id")));

    assertEquals(400, x.api.post(path, new JsonObject().put("tasks", "all")).status(), "tasks is a list of ids");
    assertEquals(200, x.api.post(path, beat).status());
    assertEquals("claimed", task("lost-reply").getString("status"), "within the reply's grace a claim may still be on its way");

    clock.advance(Duration.ofSeconds(WorkService.CLAIM_REPLY_GRACE_SECONDS + 1));
    assertEquals(200, x.api.post(path, beat).status());
    Row back = task("lost-reply");
    assertEquals("queued", back.getString("status"), "handed back, not kept claimed by a live executor's heartbeats");
    assertEquals(1, back.getInteger("attempt"), "the executor never had it: not a lost attempt");
    assertEquals("claimed", task("in-hand").getString("status"), "the task it has stays its own");
    assertTrue(task("in-hand").getOffsetDateTime("lease_expires_at").toInstant().isAfter(clock.instant().plusSeconds(590)),
        "its lease renewed from now");
    JsonObject again = new RawExecutor(node, "next", "server", "slow").claim(0).orElseThrow();
    assertEquals(neverReceived.getString("task_id"), again.getString("task_id"));
  }

  @Test
  @DisplayName("A heartbeat that arrives late, after a newer one named the task (it waited out a stalled node in its socket), "
      + "does not hand back the task the executor has")
  void lateHeartbeatHandsNothingBack() {
    node.createProject("late-beat", "slowjob");
    node.api.post("/production/start?project=late-beat&doc=job", new JsonObject());
    RawExecutor x = new RawExecutor(node, "late", "server", "slow");
    JsonObject held = x.claim(10).orElseThrow();
    String path = "/api/v1/executors/late/heartbeat";
    clock.advance(Duration.ofSeconds(1));
    assertEquals(200, x.api.post(path, new JsonObject().put("tasks", new JsonArray().add(held.getString("task_id")))).status());

    // Sent before the claim's reply came, answered only now.
    clock.advance(Duration.ofSeconds(WorkService.CLAIM_REPLY_GRACE_SECONDS + 1));
    assertEquals(200, x.api.post(path, new JsonObject().put("tasks", new JsonArray())).status());
    Row t = task("late-beat");
    assertEquals("claimed", t.getString("status"), "a heartbeat named it since its claim: the executor has it");
    assertEquals("late", t.getString("executor_id"));
    assertEquals(200, x.complete(held, "stabilized").status(), "its lease still holds");
  }

  @Test
  @DisplayName("Redis restarted without its data while an executor runs a task: it is not taken for dead, registers again "
      + "with the task in hand, and completes it on the same attempt")
  void redisLossKeepsTheWorkInHand() {
    node.createProject("redis-loss", "slowjob");
    node.api.post("/production/start?project=redis-loss&doc=job", new JsonObject());
    RawExecutor x = new RawExecutor(node, "keeper", "server", "slow");
    JsonObject held = x.claim(10).orElseThrow();
    forgetEverythingInRedis();

    clock.advance(Duration.ofSeconds(6));
    Sweep sweep = sweep();
    assertEquals(List.of(), sweep.deadExecutors(), "an executor Redis does not know is not known to be dead");
    assertEquals(List.of(), sweep.requeued(), "its lease in PostgreSQL decides, and it holds");
    assertEquals(404, x.heartbeat("busy", held.getString("task_id")).status(), "Redis forgot it: register again");
    assertEquals(201, x.api.post("/api/v1/executors", new JsonObject().put("executor_id", "keeper").put("type", "test")
        .put("environment", "server").put("capabilities", new JsonArray().add("slow"))
        .put("tasks", new JsonArray().add(held.getString("task_id")))).status());
    clock.advance(Duration.ofSeconds(1));
    assertEquals(List.of(), sweep().requeued(), "the task it has in hand stays its own");
    Row t = task("redis-loss");
    assertEquals("claimed", t.getString("status"));
    assertEquals(1, t.getInteger("attempt"), "not a lost attempt");
    assertEquals(200, x.complete(held, "stabilized").status());
    node.awaitProduction("redis-loss", p -> "stabilized".equals(TestNode.track(p, "job").getString("state")), Duration.ofSeconds(10));

    // A new run of an executor (it says it has nothing in hand) still gives up what its earlier run held.
    node.createProject("new-run", "slowjob");
    node.api.post("/production/start?project=new-run&doc=job", new JsonObject());
    RawExecutor first = new RawExecutor(node, "reborn", "server", "slow");
    first.claim(10).orElseThrow();
    new RawExecutor(node, "reborn", "server", "slow");
    clock.advance(Duration.ofSeconds(1));
    Sweep after = sweep();
    assertEquals(1, after.requeued().size(), "the earlier run's task is queued again");
    assertEquals(2, after.requeued().get(0).attempt());
  }

  @Test
  @DisplayName("While a sweep asks Redis about the executors, it holds no transaction open (an open one kept PostgreSQL from "
      + "cleaning the rows the line ended meanwhile, and a task's cost doubled)")
  void noTransactionWhileRedisAnswers() {
    // Executors nobody registered: the sweep forgets each (a Redis call each), so its look at the executors takes a while.
    var redis = node.node.services().redis;
    String set = node.config.getJsonObject("redis").getString("prefix") + "executors";
    int ghosts = 3_000;
    List<String> add = new java.util.ArrayList<>(List.of(set));
    for (int i = 1; i <= ghosts; i++) {
      add.add("ghost-" + i);
    }
    redis.sadd(add).await();

    var sweeping = node.node.sweeper().runOnce();
    int looked = 0;
    List<String> open = new java.util.ArrayList<>();
    while (!sweeping.isComplete()) {
      long left = redis.scard(set).await().toLong();
      // The sweep's session, while it is forgetting the ghosts: idle, or idle in its transaction after the lost work's read.
      List<Row> tx = node.sql("SELECT query FROM pg_stat_activity WHERE datname = current_database() "
          + "AND state = 'idle in transaction' AND query LIKE '%lease_ran_out%'");
      if (left > 0 && left < ghosts) {
        looked++;
        tx.forEach(r -> open.add(r.getString("query")));
      }
    }
    assertTrue(sweeping.await().ran(), "the sweep ran");
    assertTrue(looked >= 3, "the sessions were looked at while Redis answered (" + looked + " times)");
    assertEquals(List.of(), open, "no transaction of the sweep open while Redis answered");
    assertEquals(0L, redis.scard(set).await().toLong(), "the ghosts are forgotten");
  }

  /** What a restart of a Redis that keeps no data leaves: none of this node's keys. */
  private void forgetEverythingInRedis() {
    var redis = node.node.services().redis;
    String prefix = node.config.getJsonObject("redis").getString("prefix");
    List<String> keys = new java.util.ArrayList<>();
    redis.keys(prefix + "*").await().forEach(k -> keys.add(k.toString()));
    if (!keys.isEmpty()) {
      redis.del(keys).await();
    }
  }

  @Test
  @DisplayName("An executor that leaves while it still holds a task (its claim's reply never reached it): the task is "
      + "queued again at once, same attempt, and its old lease is refused")
  void leavingHandsBackWhatItHolds() {
    node.createProject("gone", "slowjob");
    node.api.post("/production/start?project=gone&doc=job", new JsonObject());
    RawExecutor leaver = new RawExecutor(node, "leaver", "server", "slow");
    JsonObject held = leaver.claim(10).orElseThrow();

    assertEquals(200, leaver.api.send(leaver.api.builder("/api/v1/executors/leaver").DELETE()).status());

    Row back = task("gone");
    assertEquals("queued", back.getString("status"), "handed back at once, not left for the lease to run out");
    assertEquals(1, back.getInteger("attempt"), "leaving is not a lost attempt");
    assertEquals(409, leaver.complete(held, "stabilized").status(), "the lease it held is gone");
    JsonObject again = new RawExecutor(node, "next", "server", "slow").claim(0).orElseThrow();
    assertEquals(held.getString("task_id"), again.getString("task_id"));
  }

  @Test
  @DisplayName("On SIGTERM a real executor process hands its task back (same attempt) and goes offline at once")
  void sigtermHandsBack() throws Exception {
    node.createProject("term", "slowjob");
    try (BusRecorder executors = new BusRecorder(node.vertx, Addresses.EXECUTORS)) {
      child = WorkKit.childExecutor(node, "leaver", "slow", "--grace", "1");
      node.api.post("/production/start?project=term&doc=job", new JsonObject());
      executors.await(e -> "leaver".equals(e.getString("executor_id")) && "busy".equals(e.getString("status")),
          Duration.ofSeconds(60), "the child executor to claim the job");
      String taskId = task("term").getString("id");

      child.destroy();
      assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the executor exits after its grace period");
      executors.await(e -> "leaver".equals(e.getString("executor_id")) && "offline".equals(e.getString("status")),
          Duration.ofSeconds(5), "leaver offline");
      Row back = task("term");
      assertEquals("queued", back.getString("status"), "handed back, not left to expire");
      assertEquals(1, back.getInteger("attempt"), "a hand-back is not a lost attempt");
      JsonObject again = new RawExecutor(node, "next", "server", "slow").claim(0).orElseThrow();
      assertEquals(taskId, again.getString("task_id"));
      List<String> logs = node.api.get("/api/v1/runs/" + taskId + "/logs").json().getJsonArray("logs").stream()
          .map(l -> ((JsonObject) l).getString("message")).toList();
      assertTrue(logs.get(0).startsWith("leaver started assemble station asm"), logs.toString());
    }
  }
}
