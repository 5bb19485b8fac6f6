package io.productionline.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Api;
import io.productionline.support.TestNode;
import io.productionline.work.WorkKit.RawExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Batches at the edge: several tasks claimed in one call, several completions reported in one call")
class BatchTest {

  private TestNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  /** Claims up to {@code max} tasks at once (no wait); the tasks handed out. */
  private static List<JsonObject> claim(RawExecutor x, int max) {
    Api.Reply r = x.api.get("/api/v1/work/next?executor_id=" + x.id + "&wait=0&max=" + max);
    assertEquals(200, r.status(), r.text());
    JsonArray tasks = r.json().getJsonArray("tasks");
    assertEquals(!tasks.isEmpty(), r.json().getBoolean("assigned"), r.text());
    return tasks.stream().map(JsonObject.class::cast).toList();
  }

  private static JsonObject item(JsonObject task, String outcome) {
    return new JsonObject().put("task_id", task.getString("task_id")).put("lease_token", task.getString("lease_token"))
        .put("outcome", outcome);
  }

  private static Api.Reply completeAll(RawExecutor x, String query, Object... items) {
    return x.api.post("/api/v1/work/complete" + query, new JsonObject().put("completions", new JsonArray(List.of(items))));
  }

  private long claimedCount() {
    return node.sql("SELECT count(*) FROM station_tasks WHERE status = 'claimed'").get(0).getLong(0);
  }

  @Test
  @DisplayName("Four executors claiming eight at a time at once: every queued task handed out once, each with its own lease")
  void concurrentBatchClaims() throws Exception {
    node = TestNode.start();
    node.createProject("b", "wide");
    assertEquals(200, node.api.post("/production/start?project=b", new JsonObject()).status());
    List<RawExecutor> executors = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      executors.add(new RawExecutor(node, "bx" + i, "server", "sim"));
    }
    RawExecutor first = executors.get(0);
    for (String bad : List.of("0", "65", "-1", "lots", "8.5")) {
      Api.Reply r = first.api.get("/api/v1/work/next?executor_id=" + first.id + "&wait=0&max=" + bad);
      assertEquals(400, r.status(), "max=" + bad + ": " + r.text());
      assertTrue(r.json().getString("detail").contains("max"), "the refusal names max: " + r.text());
    }
    assertEquals(0, claimedCount(), "a refused claim claims nothing");

    record Claimed(String executor, int batch, JsonObject task) {
    }
    ConcurrentLinkedQueue<Claimed> claimed = new ConcurrentLinkedQueue<>();
    List<CompletableFuture<Void>> loops = new ArrayList<>();
    for (RawExecutor x : executors) {
      loops.add(CompletableFuture.runAsync(() -> {
        for (List<JsonObject> tasks = claim(x, 8); !tasks.isEmpty(); tasks = claim(x, 8)) {
          for (JsonObject t : tasks) {
            claimed.add(new Claimed(x.id, tasks.size(), t));
          }
        }
      }));
    }
    CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

    assertEquals(50, claimed.size(), "the fifty queued first stations, all handed out");
    assertEquals(50, claimed.stream().map(c -> c.task().getString("task_id")).distinct().count(), "no task handed out twice");
    assertEquals(50, claimed.stream().map(c -> c.task().getString("lease_token")).distinct().count(), "a lease of its own each");
    assertTrue(claimed.stream().allMatch(c -> c.batch() <= 8), "at most eight a call");
    assertTrue(claimed.stream().anyMatch(c -> c.batch() > 1), "several tasks came in one call");
    Map<String, Row> byId = new HashMap<>();
    node.sql("SELECT id, status, executor_id, lease_token, lease_expires_at FROM station_tasks WHERE project_id = 'b'")
        .forEach(r -> byId.put(r.getString("id"), r));
    for (Claimed c : claimed) {
      String id = c.task().getString("task_id");
      Row row = byId.get(id);
      assertEquals("claimed", row.getString("status"), id);
      assertEquals(c.executor(), row.getString("executor_id"), "held by the executor it was handed to: " + id);
      assertEquals(c.task().getString("lease_token"), row.getString("lease_token"), id);
      assertTrue(c.task().getString("lease_token").startsWith(id + ".1."), "the token names its task and attempt");
      assertTrue(row.getValue("lease_expires_at") != null, "each with a lease that runs out: " + id);
    }
  }

  @Test
  @DisplayName("A batch of completions: a stale lease is 409 for that item only, bad items 400/404, the others complete once")
  void batchCompletion() {
    node = TestNode.start();
    node.createProject("c", "wide");
    node.api.post("/production/start?project=c", new JsonObject());
    RawExecutor x = new RawExecutor(node, "cx", "server", "sim");
    List<JsonObject> t = claim(x, 4);
    assertEquals(4, t.size());
    // The third goes back to the queue: its lease token is stale from now on.
    Api.Reply released = x.api.post("/api/v1/work/" + t.get(2).getString("task_id") + "/release",
        new JsonObject().put("lease_token", t.get(2).getString("lease_token")));
    assertEquals(200, released.status(), released.text());

    Api.Reply r = completeAll(x, "", item(t.get(0), "stabilized"), item(t.get(1), "stabilized"), item(t.get(2), "stabilized"),
        item(t.get(3), "done"), new JsonObject().put("task_id", "task_nope").put("lease_token", "x").put("outcome", "halted"),
        42, item(t.get(0), "halted"));
    assertEquals(200, r.status(), r.text());
    JsonArray results = r.json().getJsonArray("results");
    List<Integer> statuses = results.stream().map(o -> ((JsonObject) o).getInteger("status")).toList();
    assertEquals(List.of(200, 200, 409, 400, 404, 400, 400), statuses, r.text());
    for (int i = 0; i < 4; i++) {
      assertEquals(t.get(i).getString("task_id"), results.getJsonObject(i).getString("task_id"), "answered in the order given");
    }
    JsonObject done = results.getJsonObject(0).getJsonObject("body");
    assertEquals(true, done.getBoolean("completed"), done.encode());
    assertEquals("auditing", done.getString("state"), "the track moved on to its audit");
    assertTrue(results.getJsonObject(2).getJsonObject("body").getString("detail").contains("stale lease"), r.text());
    assertEquals(409, results.getJsonObject(2).getJsonObject("body").getInteger("status"), "each body as its own call would say it");
    assertTrue(results.getJsonObject(3).getJsonObject("body").getString("detail").contains("outcome"), r.text());
    assertTrue(results.getJsonObject(6).getJsonObject("body").getString("detail").contains("twice"), r.text());

    Map<String, String> status = new HashMap<>();
    node.sql("SELECT id, status FROM station_tasks WHERE project_id = 'c'").forEach(row -> status.put(row.getString(0), row.getString(1)));
    assertEquals(List.of("completed", "completed", "queued", "claimed"),
        t.stream().map(task -> status.get(task.getString("task_id"))).toList(), "only the items that held their leases completed");
    long moves = node.sql("SELECT count(*) FROM track_events WHERE project_id = 'c' AND type = 'station_transition'").get(0).getLong(0);

    Api.Reply again = completeAll(x, "", item(t.get(0), "stabilized"), item(t.get(1), "stabilized"));
    assertEquals(List.of(200, 200), again.json().getJsonArray("results").stream().map(o -> ((JsonObject) o).getInteger("status")).toList());
    assertTrue(again.json().getJsonArray("results").stream().allMatch(o -> ((JsonObject) o).getJsonObject("body").getBoolean("repeated")),
        "a batch sent again is answered as a repeat: " + again.text());
    assertEquals(moves, node.sql("SELECT count(*) FROM track_events WHERE project_id = 'c' AND type = 'station_transition'")
        .get(0).getLong(0), "and moves nothing");

    // A body that is not a list of completions is refused whole, and completes nothing.
    JsonArray tooMany = new JsonArray();
    for (int i = 0; i < 65; i++) {
      tooMany.add(item(t.get(3), "stabilized"));
    }
    for (String bad : List.of("{\"completions\": []}", "{\"completions\": {}}", "{\"completions\": \"all\"}", "{}",
        new JsonObject().put("completions", tooMany).encode())) {
      Api.Reply refused = x.api.post("/api/v1/work/complete", bad, Map.of("Content-Type", "application/json"));
      assertEquals(400, refused.status(), bad + ": " + refused.text());
      assertTrue(refused.json().getString("detail").contains("completions"), refused.text());
    }
    Api.Reply maxAlone = completeAll(x, "?max=3", item(t.get(3), "stabilized"));
    assertEquals(400, maxAlone.status(), maxAlone.text());
    assertTrue(maxAlone.json().getString("detail").contains("max"), maxAlone.text());
    assertEquals("claimed", node.sql("SELECT status FROM station_tasks WHERE id = '" + t.get(3).getString("task_id") + "'")
        .get(0).getString(0), "a refused batch completes nothing");

    // With ?next= the executor's next tasks come with the answer.
    Api.Reply chained = completeAll(x, "?next=1&max=3", item(t.get(3), "stabilized"));
    assertEquals(200, chained.status(), chained.text());
    assertEquals(200, chained.json().getJsonArray("results").getJsonObject(0).getInteger("status"));
    JsonObject next = chained.json().getJsonObject("next");
    assertEquals(true, next.getBoolean("assigned"), chained.text());
    assertEquals(3, next.getJsonArray("tasks").size(), "three queued tasks claimed with the completion");
    assertEquals(3L, node.sql("SELECT count(*) FROM station_tasks WHERE project_id = 'c' AND status = 'claimed' AND executor_id = 'cx'")
        .get(0).getLong(0));
  }

  @Test
  @DisplayName("The reference executor running four tasks at once runs a line to the end, claiming and completing in batches")
  void agentWithConcurrency() {
    node = TestNode.start();
    node.createProject("a", "wide");
    node.executor(4, "conc", "sim");
    assertEquals(200, node.api.post("/production/start?project=a", new JsonObject()).status());
    node.awaitProduction("a", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(90));

    WorkKit.assertEachTaskRanOnce(node, "a", 100);
    // One claim statement stamps every task it hands out with the same claimed_at.
    long batched = node.sql("SELECT count(*) FROM (SELECT claimed_at FROM station_tasks WHERE project_id = 'a' "
        + "GROUP BY claimed_at HAVING count(*) > 1) b").get(0).getLong(0);
    assertTrue(batched > 0, "several tasks were claimed in one call");
    // Held at once: the tasks claimed before a task's claim and completed after it, itself included.
    long mostHeld = node.sql("""
        SELECT max(n) FROM (SELECT (SELECT count(*) FROM station_tasks b WHERE b.project_id = 'a'
                                     AND b.claimed_at <= a.claimed_at AND b.completed_at > a.claimed_at) AS n
                              FROM station_tasks a WHERE a.project_id = 'a') held""").get(0).getLong(0);
    assertTrue(mostHeld > 1 && mostHeld <= 4, "it ran tasks side by side, never more than four: " + mostHeld);
    JsonObject figures = node.api.get("/api/v1/executors/conc").json();
    assertEquals(100L, figures.getLong("stations_completed"), "every completion counted once: " + figures.encode());
  }
}
