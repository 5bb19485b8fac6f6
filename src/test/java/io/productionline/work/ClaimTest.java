package io.productionline.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Api;
import io.productionline.support.Await;
import io.productionline.support.TestNode;
import io.productionline.work.WorkKit.RawExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Claims: one executor per task, long-poll, matching, leases as fencing tokens")
class ClaimTest {

  private TestNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  @DisplayName("Two reference executors on one queue of 100 station tasks: each task runs once and completes once")
  void twoExecutorsOneQueue() {
    node = TestNode.start();
    node.createProject("w2", "wide");
    node.executor("e1", "sim");
    node.executor("e2", "sim");
    long began = System.nanoTime();
    assertEquals(200, node.api.post("/production/start?project=w2", new JsonObject()).status());

    node.awaitProduction("w2", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(90));
    System.out.printf("[measure] 100 station tasks, 2 reference executors (sim steps of 2 ms): %d ms%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));

    WorkKit.assertEachTaskRanOnce(node, "w2", 100);
    // Each track moved assembling → auditing → stabilized, once each.
    List<Row> moves = node.sql("SELECT track_id, string_agg(payload->>'state', ',' ORDER BY seq) AS states FROM track_events "
        + "WHERE project_id = 'w2' AND type = 'station_transition' GROUP BY track_id");
    assertEquals(50, moves.size());
    moves.forEach(r -> assertEquals("assembling,auditing,stabilized", r.getString("states")));
    JsonArray executors = node.api.get("/api/v1/executors").json().getJsonArray("executors");
    long counted = executors.stream().map(JsonObject.class::cast).mapToLong(e -> e.getLong("stations_completed")).sum();
    assertEquals(100, counted, "the executors' live figures count every station once");
  }

  @Test
  @DisplayName("Ten executors, a hundred station tasks: each claimed by exactly one executor, completed once, none lost")
  void tenExecutorsHundredTasks() throws Exception {
    node = TestNode.start();
    node.createProject("w10", "wide");
    List<RawExecutor> executors = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      executors.add(new RawExecutor(node, "x" + i, "server", "sim"));
    }
    record Claim(String executor, String taskId, String token, int status, boolean repeated) {
    }
    ConcurrentLinkedQueue<Claim> claims = new ConcurrentLinkedQueue<>();
    AtomicBoolean done = new AtomicBoolean();
    List<CompletableFuture<Void>> loops = new ArrayList<>();
    for (RawExecutor x : executors) {
      loops.add(CompletableFuture.runAsync(() -> {
        while (!done.get()) {
          Optional<JsonObject> task = x.claim(1);
          task.ifPresent(t -> {
            Api.Reply r = x.complete(t, "stabilized");
            claims.add(new Claim(x.id, t.getString("task_id"), t.getString("lease_token"), r.status(),
                r.json().getBoolean("repeated", false)));
          });
        }
      }));
    }
    long began = System.nanoTime();
    node.api.post("/production/start?project=w10", new JsonObject());
    node.awaitProduction("w10", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(90));
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
    done.set(true);
    CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    System.out.printf("[measure] 100 station tasks, 10 raw HTTP executors: %d ms (%s)%n", tookMs,
        claims.stream().collect(Collectors.groupingBy(Claim::executor, java.util.TreeMap::new, Collectors.counting())));

    assertEquals(100, claims.size(), "a hundred claims");
    assertEquals(100, claims.stream().map(Claim::taskId).distinct().count(), "no task was handed to two executors");
    assertTrue(claims.stream().allMatch(c -> c.status() == 200 && !c.repeated()), "every completion was the first: " + claims);
    Row tasks = node.sql("SELECT count(*) AS n, count(*) FILTER (WHERE status = 'completed') AS done, max(attempt) AS attempts, "
        + "count(DISTINCT executor_id) AS executors FROM station_tasks WHERE project_id = 'w10'").get(0);
    assertEquals(100L, tasks.getLong("n"));
    assertEquals(100L, tasks.getLong("done"));
    assertEquals(1, tasks.getInteger("attempts"));
    assertTrue(tasks.getLong("executors") > 1, "the work was spread over the executors");
    Set<String> byDb = new HashSet<>();
    node.sql("SELECT id, executor_id FROM station_tasks WHERE project_id = 'w10'").forEach(r -> byDb.add(r.getString(0) + "/" + r.getString(1)));
    assertEquals(byDb, claims.stream().map(c -> c.taskId() + "/" + c.executor()).collect(Collectors.toSet()),
        "each task completed by the executor that claimed it");
    assertEquals(150L, node.sql("SELECT count(*) FROM track_events WHERE project_id = 'w10' AND type = 'station_transition'")
        .get(0).getLong(0), "two stations and the stabilized move per track, once each");
  }

  @Test
  @DisplayName("An executor that takes its next task with each completion (?next=) runs a line with one call per station")
  void nextTaskRidesOnTheCompletion() {
    node = TestNode.start();
    node.createProject("chain", "wide");
    RawExecutor x = new RawExecutor(node, "chainer", "server", "sim");
    node.api.post("/production/start?project=chain", new JsonObject());
    JsonObject task = x.claim(5).orElseThrow();
    for (String bad : List.of("soon", "-1", "9999")) {
      Api.Reply refused = x.api.post("/api/v1/work/" + task.getString("task_id") + "/complete?next=" + bad,
          new JsonObject().put("lease_token", task.getString("lease_token")).put("outcome", "stabilized"));
      assertEquals(400, refused.status(), refused.text());
      assertTrue(refused.json().getString("detail").contains("next"), refused.text());
    }
    assertEquals("claimed", node.sql("SELECT status FROM station_tasks WHERE id = '" + task.getString("task_id") + "'")
        .get(0).getString(0), "a refused call completes nothing");
    Set<String> done = new HashSet<>();
    int calls = 1;
    while (task != null) {
      Api.Reply r = x.api.post("/api/v1/work/" + task.getString("task_id") + "/complete?next=1",
          new JsonObject().put("lease_token", task.getString("lease_token")).put("outcome", "stabilized"));
      calls++;
      assertEquals(200, r.status(), r.text());
      assertTrue(done.add(task.getString("task_id")), "each task completed once");
      JsonObject next = r.json().getJsonObject("next");
      assertTrue(next != null, "the reply carries the next claim: " + r.text());
      task = next.getBoolean("assigned") ? next.getJsonObject("task") : null;
    }
    assertEquals(100, done.size(), "every station task of the line, one after another");
    assertEquals(101, calls, "one claim to begin, then one call per station");
    assertEquals(100L, node.sql("SELECT count(*) FROM station_tasks WHERE project_id = 'chain' AND status = 'completed' "
        + "AND executor_id = 'chainer'").get(0).getLong(0));
    TestNode.allTracks(node.production("chain"), "stabilized");

    Api.Reply refused = x.api.post("/api/v1/work/" + done.iterator().next() + "/complete?next=1",
        new JsonObject().put("lease_token", "not-the-lease").put("outcome", "stabilized"));
    assertEquals(409, refused.status(), refused.text());
    assertEquals(0L, node.sql("SELECT count(*) FROM station_tasks WHERE status = 'claimed'").get(0).getLong(0),
        "a refused completion claims nothing");
  }

  @Test
  @DisplayName("A parked long-poll claim gets work the moment it is queued (pl.work.available), not on a timer")
  void longPollWakesOnQueuedWork() throws Exception {
    JsonObject config = TestNode.config();
    config.getJsonObject("work").put("claim_tick_ms", 3_600_000L);
    node = TestNode.start(config, Clock.systemUTC());
    node.createProject("lp", "single");
    RawExecutor x = new RawExecutor(node, "poller", "server", "sim");
    assertEquals(Optional.empty(), x.claim(0), "nothing queued yet");
    CompletableFuture<Optional<JsonObject>> parked = CompletableFuture.supplyAsync(() -> x.claim(25));
    Await.until(() -> node.api.get("/api/v1/executors").json().getInteger("parked_claims"), n -> n == 1,
        Duration.ofSeconds(10), "the claim to park");

    node.api.post("/production/start?project=lp&doc=doc", new JsonObject());

    Optional<JsonObject> task = parked.get(20, TimeUnit.SECONDS);
    assertTrue(task.isPresent(), "the parked claim was handed the queued task");
    assertEquals("bind", task.get().getString("station"));
    assertEquals(0, node.api.get("/api/v1/executors").json().getInteger("parked_claims"));
  }

  @Test
  @DisplayName("Matching: capability, then environment, then priority, then oldest first")
  void matching() {
    node = TestNode.start();
    createWithParams("low", new JsonObject().put("priority", 2));
    createWithParams("high1", new JsonObject().put("priority", 9));
    createWithParams("high2", new JsonObject().put("priority", 9));
    createWithParams("local", new JsonObject().put("priority", 10).put("environment", "local"));
    for (String p : List.of("low", "high1", "high2", "local")) {
      assertEquals(200, node.api.post("/production/start?project=" + p + "&doc=doc", new JsonObject()).status());
    }
    RawExecutor other = new RawExecutor(node, "other", "server", "shell");
    RawExecutor server = new RawExecutor(node, "srv", "server", "sim");
    RawExecutor local = new RawExecutor(node, "loc", "local", "sim");

    assertEquals(Optional.empty(), other.claim(0), "no task needs the capability shell");
    List<String> order = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      JsonObject t = server.claim(0).orElseThrow();
      order.add(t.getString("project_id") + ":" + t.getInteger("priority") + ":" + t.getString("environment"));
    }
    assertEquals(List.of("high1:9:either", "high2:9:either", "low:2:either"), order);
    assertEquals(Optional.empty(), server.claim(0), "the task that must run locally is not handed to a server executor");
    JsonObject l = local.claim(0).orElseThrow();
    assertEquals("local", l.getString("project_id"));
    assertEquals("local", l.getString("environment"));
    assertEquals(10, l.getInteger("priority"));
  }

  @Test
  @DisplayName("The lease token fences: a stale token is refused with 409 and changes nothing; repeats are harmless")
  void leaseTokenFences() {
    node = TestNode.start();
    node.createProject("f", "single");
    node.api.post("/production/start?project=f&doc=doc", new JsonObject());
    RawExecutor x = new RawExecutor(node, "fx", "server", "sim");
    JsonObject bind = x.claim(0).orElseThrow();
    String taskId = bind.getString("task_id");
    String token = bind.getString("lease_token");
    assertTrue(token.startsWith(taskId + ".1."), "the token names the task and its attempt: " + token);

    Api.Reply stale = x.complete(taskId, taskId + ".1.0000", new JsonObject().put("outcome", "stabilized"), Map.of());
    assertEquals(409, stale.status());
    assertEquals("claimed", stale.json().getString("task_status"));
    assertEquals(409, x.progress(taskId, "not-the-token", 0.5, "x").status());
    assertEquals("claimed", node.sql("SELECT status FROM station_tasks WHERE id = '" + taskId + "'").get(0).getString(0));

    Map<String, String> key1 = Map.of("Idempotency-Key", "p-1");
    Api.Reply p1 = x.api.post("/api/v1/work/" + taskId + "/progress",
        new JsonObject().put("lease_token", token).put("progress", 0.5).put("message", "half").encode(), key1);
    assertEquals(200, p1.status());
    assertEquals(false, p1.json().getBoolean("repeated", false));
    Api.Reply p2 = x.api.post("/api/v1/work/" + taskId + "/progress",
        new JsonObject().put("lease_token", token).put("progress", 0.9).put("message", "again").encode(), key1);
    assertEquals(true, p2.json().getBoolean("repeated"), "the same Idempotency-Key is answered from the first call");
    assertEquals(0.5, node.sql("SELECT progress FROM station_tasks WHERE id = '" + taskId + "'").get(0).getDouble(0));

    Map<String, String> key2 = Map.of("Idempotency-Key", "c-1");
    Api.Reply c1 = x.complete(taskId, token, new JsonObject().put("outcome", "stabilized"), key2);
    assertEquals(200, c1.status());
    assertEquals(false, c1.json().getBoolean("repeated"));
    assertEquals("assembling", c1.json().getString("state"));
    Api.Reply c2 = x.complete(taskId, token, new JsonObject().put("outcome", "stabilized"), key2);
    assertEquals(200, c2.status());
    assertEquals(true, c2.json().getBoolean("repeated"));
    Api.Reply c3 = x.complete(taskId, token, new JsonObject().put("outcome", "stabilized"), Map.of());
    assertEquals(200, c3.status());
    assertEquals(true, c3.json().getBoolean("repeated"), "a repeat with the same lease token changes nothing");
    assertEquals(List.of("binding", "assembling"), node.sql("SELECT payload->>'state' FROM track_events WHERE project_id = 'f' "
        + "AND type = 'station_transition' ORDER BY seq").stream().map(r -> r.getString(0)).toList(), "the track moved once");

    JsonObject asm = x.claim(0).orElseThrow();
    assertNotEquals(token, asm.getString("lease_token"));
    Api.Reply wrongTask = x.complete(asm.getString("task_id"), token, new JsonObject().put("outcome", "stabilized"), Map.of());
    assertEquals(409, wrongTask.status(), "a token holds only its own task");
  }

  @Test
  @DisplayName("Artifacts and bodies over the size limits are refused with 413 and a JSON body; nothing is stored")
  void sizeLimits() {
    node = TestNode.start();
    node.createProject("a", "single");
    node.api.post("/production/start?project=a&doc=doc", new JsonObject());
    RawExecutor x = new RawExecutor(node, "ax", "server", "sim");
    JsonObject t = x.claim(0).orElseThrow();
    String path = "/api/v1/work/" + t.getString("task_id") + "/artifacts";
    JsonObject big = new JsonObject().put("lease_token", t.getString("lease_token")).put("artifacts", new JsonArray()
        .add(new JsonObject().put("name", "big.txt").put("kind", "text").put("content", "x".repeat(70_000))));
    Api.Reply tooBig = x.api.post(path, big);
    assertEquals(413, tooBig.status());
    assertEquals(65_536, tooBig.json().getInteger("max_artifact_bytes"));
    assertTrue(tooBig.json().getString("detail").contains("big.txt"));

    Api.Reply badKind = x.api.post(path, new JsonObject().put("lease_token", t.getString("lease_token")).put("artifacts",
        new JsonArray().add(new JsonObject().put("name", "a").put("kind", "video").put("content", "x"))));
    assertEquals(400, badKind.status());
    assertTrue(badKind.json().getString("detail").contains("kind"));

    Api.Reply hugeBody = x.api.post(path, "{\"lease_token\":\"" + t.getString("lease_token") + "\",\"pad\":\""
        + "y".repeat(1_100_000) + "\"}", Map.of());
    assertEquals(413, hugeBody.status());
    assertEquals(413, hugeBody.json().getInteger("status"));
    assertEquals(0L, node.sql("SELECT count(*) FROM artifacts").get(0).getLong(0));

    Api.Reply ok = x.api.post(path, new JsonObject().put("lease_token", t.getString("lease_token")).put("artifacts", new JsonArray()
        .add(new JsonObject().put("name", "notes.md").put("kind", "text").put("content", "# Notes"))
        .add(new JsonObject().put("name", "site").put("kind", "url").put("url", "https://example.org/build/1"))));
    assertEquals(200, ok.status());
    JsonArray stored = node.api.get("/api/v1/runs/" + t.getString("task_id") + "/artifacts").json().getJsonArray("artifacts");
    assertEquals(List.of("notes.md", "site"), stored.stream().map(a -> ((JsonObject) a).getString("name")).toList());
    assertEquals("# Notes", stored.getJsonObject(0).getString("content"));
    assertFalse(x.claim(0).isPresent(), "the claimed task is not handed out again");
  }

  private void createWithParams(String id, JsonObject params) {
    Api.Reply r = node.api.post("/api/v1/projects", new JsonObject().put("project_id", id).put("line", "single").put("params", params));
    assertEquals(201, r.status(), r.text());
  }
}
