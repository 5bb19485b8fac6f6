package io.productionline.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Api;
import io.productionline.support.TestNode;
import io.productionline.work.WorkKit.RawExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * An executor's token names the one executor it may act as: it reaches only its own registration
 * and the work it holds. Another executor — even one that has learnt the holder's lease token —
 * cannot progress, log to, hand in artifacts for, complete, release or read that work, nor speak
 * for the holder on the build-intent API.
 */
@DisplayName("Executors reach only their own registration and the work they hold")
class ExecutorIsolationTest {

  private TestNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  @DisplayName("another executor cannot progress, complete, release or read a task, even with its lease token; the holder still can")
  void anotherExecutorsTask() {
    node = TestNode.start();
    node.createProject("iso", "single");
    node.api.post("/production/start?project=iso&doc=doc", new JsonObject());
    RawExecutor holder = new RawExecutor(node, "holder", "server", "sim");
    RawExecutor intruder = new RawExecutor(node, "intruder", "server", "sim");
    JsonObject task = holder.claim(0).orElseThrow();
    String id = task.getString("task_id");
    String lease = task.getString("lease_token");
    Api.Reply logged = holder.api.post("/api/v1/work/" + id + "/events", new JsonObject().put("lease_token", lease)
        .put("events", new JsonArray().add(new JsonObject().put("message", "binding"))));
    assertEquals(200, logged.status(), logged.text());

    String rowBefore = row(id);
    Map<String, JsonObject> calls = Map.of(
        "progress", new JsonObject().put("progress", 0.9).put("message", "not mine"),
        "events", new JsonObject().put("events", new JsonArray().add(new JsonObject().put("message", "not mine"))),
        "artifacts", new JsonObject().put("artifacts", new JsonArray().add(new JsonObject().put("name", "x.md").put("kind", "text")
            .put("content", "not mine"))),
        "complete", new JsonObject().put("outcome", "halted").put("reason", "not mine"),
        "release", new JsonObject().put("reason", "not mine"));
    calls.forEach((call, body) -> {
      Api.Reply withLease = intruder.api.post("/api/v1/work/" + id + "/" + call, body.copy().put("lease_token", lease));
      assertEquals(403, withLease.status(), call + " with the holder's lease: " + withLease.text());
      Api.Reply withHeader = intruder.api.post("/api/v1/work/" + id + "/" + call, body.encode(), Map.of("X-Lease-Token", lease));
      assertEquals(403, withHeader.status(), call + " with the lease in X-Lease-Token: " + withHeader.text());
      Api.Reply guessed = intruder.api.post("/api/v1/work/" + id + "/" + call, body.copy().put("lease_token", id + ".1.guess"));
      assertEquals(409, guessed.status(), call + " with a guessed lease: " + guessed.text());
      assertNull(guessed.json().getString("task_status"), "a stale lease tells another executor nothing of the task: " + guessed.text());
    });
    for (String read : List.of("", "/logs", "/artifacts", "/logs?stream=true")) {
      Api.Reply r = intruder.api.get("/api/v1/runs/" + id + read);
      assertEquals(403, r.status(), "GET /api/v1/runs/{task}" + read + ": " + r.text());
    }

    assertEquals(rowBefore, row(id), "the task is as it was");
    Row row = node.sql("SELECT status, executor_id, lease_token FROM station_tasks WHERE id = '" + id + "'").get(0);
    assertEquals("claimed", row.getString("status"));
    assertEquals("holder", row.getString("executor_id"));
    assertEquals(lease, row.getString("lease_token"));
    assertEquals(0L, node.sql("SELECT count(*) FROM artifacts").get(0).getLong(0));
    assertEquals(1L, node.sql("SELECT count(*) FROM task_logs WHERE task_id = '" + id + "'").get(0).getLong(0), "only the holder's line");

    String track = task.getString("track_id");
    assertEquals(403, intruder.api.get("/api/v1/tracks/" + track + "/artifacts").status(), "nor the artifacts of the track");
    assertEquals(200, holder.api.get("/api/v1/tracks/" + track + "/artifacts").status(), "the holder reads its track's artifacts");
    assertEquals(200, holder.api.get("/api/v1/runs/" + id).status(), "the holder reads its task");
    assertEquals(200, holder.api.get("/api/v1/runs/" + id + "/logs").status());
    assertEquals(200, holder.progress(id, lease, 0.5, "half").status(), "and reports on it");
    assertEquals(200, holder.complete(task, "stabilized").status());
    assertEquals(200, node.api.get("/api/v1/runs/" + id).status(), "an operator reads any task");
  }

  private String row(String taskId) {
    return node.sql("SELECT t::text FROM station_tasks t WHERE id = '" + taskId + "'").get(0).getString(0);
  }

  @Test
  @DisplayName("an executor cannot register, heartbeat, claim, read or leave as another executor")
  void anotherExecutorsRegistration() {
    node = TestNode.start();
    RawExecutor a = new RawExecutor(node, "a", "server", "sim");
    Api b = node.executorApi("b");
    JsonObject asA = new JsonObject().put("executor_id", "a").put("capabilities", new JsonArray().add("shell"));
    assertEquals(403, b.post("/api/v1/executors", asA).status(), "register as a");
    assertEquals(403, b.post("/api/v1/executors/a/heartbeat", new JsonObject().put("status", "busy")).status());
    assertEquals(403, b.get("/api/v1/work/next?executor_id=a").status());
    assertEquals(403, b.get("/api/v1/executors/a").status());
    assertEquals(403, b.send(b.builder("/api/v1/executors/a").DELETE()).status());
    assertEquals(403, b.get("/api/v1/executors").status(), "the floor is for readers");
    JsonObject view = node.api.get("/api/v1/executors/a").json();
    assertEquals(new JsonArray().add("sim"), view.getJsonArray("capabilities"), "a's registration is as it was");
    assertEquals("idle", view.getString("status"));
    assertEquals(200, a.api.get("/api/v1/executors/a").status(), "a reads its own registration");
    Api admin = node.apiAs("admin");
    assertEquals(200, admin.send(admin.builder("/api/v1/executors/a").DELETE()).status(), "an admin may take an executor off the line");
    JsonObject removed = admin.get("/api/v1/audit?action=remove_executor").json().getJsonArray("entries").getJsonObject(0);
    assertEquals("admin", removed.getString("actor"), "and that is audited");
    assertEquals("a", removed.getString("target"));
  }

  @Test
  @DisplayName("on the build-intent API an executor pulls, reports and completes only as itself")
  void intentWork() {
    node = TestNode.start(TestNode.config().put("lines_dir", "conf/lines"), Clock.systemUTC());
    Api.Reply submitted = node.api.post("/assembly-line/intent", new JsonObject().put("title", "iso").put("spec_path", "specs/iso.md"));
    assertEquals(201, submitted.status(), submitted.text());
    String intent = submitted.json().getString("intent_id");
    Api claude = node.executorApi("claude-1");
    Api other = node.executorApi("claude-2");
    assertTrue(claude.get("/assembly-line/work/next?executor_id=claude-1").json().getBoolean("assigned"));

    assertEquals(403, other.get("/assembly-line/work/next?executor_id=claude-1").status());
    JsonObject asClaude = new JsonObject().put("intent_id", intent).put("executor_id", "claude-1");
    assertEquals(403, other.post("/assembly-line/work/progress", asClaude.copy().put("progress", 0.5)).status());
    assertEquals(403, other.post("/assembly-line/work/complete", asClaude.copy().put("status", "completed")).status());
    Api.Reply own = other.post("/assembly-line/work/complete", new JsonObject().put("intent_id", intent).put("executor_id", "claude-2")
        .put("status", "completed"));
    assertEquals(409, own.status(), "claude-2 holds no task of the intent: " + own.text());
    assertEquals("spec", node.api.get("/assembly-line/intent/" + intent).json().getString("station"), "nothing moved");

    assertEquals(200, claude.post("/assembly-line/work/complete", asClaude.copy().put("status", "completed")).status());
    assertEquals(403, claude.post("/assembly-line/intent", new JsonObject().put("title", "x").put("spec_path", "y")).status(),
        "executors do not submit intents");
  }
}
