package io.productionline.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Api;
import io.productionline.support.MutableClock;
import io.productionline.support.TestNode;
import io.productionline.work.WorkKit.RawExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Assignment: an operator reserves a queued task for one executor, releases it, and sees who holds what")
class AssignmentTest {

  private final MutableClock clock = new MutableClock();
  private TestNode node;
  private RawExecutor alice;
  private RawExecutor bob;
  private String taskId;

  @BeforeEach
  void start() {
    clock.advance(Duration.ofNanos(-(clock.instant().getNano() % 1000)));
    node = TestNode.start(TestNode.config(), clock);
    node.createProject("as", "single");
    alice = new RawExecutor(node, "alice", "server", "sim");
    bob = new RawExecutor(node, "bob", "server", "sim");
    assertEquals(200, node.api.post("/production/start?project=as", new JsonObject()).status());
    taskId = node.sql("SELECT id FROM station_tasks WHERE project_id = 'as' AND status = 'queued'").get(0).getString(0);
  }

  @AfterEach
  void stop() {
    node.close();
  }

  private Api.Reply reserve(String task, JsonObject body) {
    return node.api.post("/api/v1/runs/" + task + "/reserve", body);
  }

  private Row task() {
    return node.sql("SELECT status, executor_id, reserved_for, reserved_until, reserved_by FROM station_tasks WHERE id = '" + taskId + "'").get(0);
  }

  private List<Row> audit(String action) {
    return node.sql("SELECT actor, target, detail FROM audit_log WHERE action = '" + action + "' ORDER BY id");
  }

  @Test
  @DisplayName("Reserved for bob: alice's claim passes it over, bob's takes it; the reservation is in the audit log and the assignments")
  void onlyTheNamedExecutorClaims() {
    Api.Reply r = reserve(taskId, new JsonObject().put("executor_id", "bob").put("ttl_seconds", 600));
    assertEquals(200, r.status(), r.text());
    assertEquals("bob", r.json().getString("reserved_for"));
    assertEquals(clock.instant().plusSeconds(600).toString(), r.json().getString("reserved_until"));
    assertEquals("bob", task().getString("reserved_for"));

    JsonObject assignments = node.api.get("/api/v1/assignments").json();
    assertEquals(1, assignments.getJsonArray("reserved").size(), assignments.encode());
    assertEquals(new JsonArray().add(taskId), assignments.getJsonObject("by_executor").getJsonObject("bob").getJsonArray("reserved"));

    assertTrue(alice.claim(0).isEmpty(), "alice may not take bob's task");
    assertEquals("queued", task().getString("status"));
    JsonObject claimed = bob.claim(0).orElseThrow(() -> new AssertionError("bob's claim takes the task reserved for him"));
    assertEquals(taskId, claimed.getString("task_id"));
    Row after = task();
    assertEquals("claimed", after.getString("status"));
    assertEquals("bob", after.getString("executor_id"));
    assertNull(after.getString("reserved_for"), "the claim clears the reservation");

    assignments = node.api.get("/api/v1/assignments").json();
    assertEquals(0, assignments.getJsonArray("reserved").size());
    assertEquals(taskId, assignments.getJsonArray("held").getJsonObject(0).getString("task_id"));
    assertEquals(new JsonArray().add(taskId), assignments.getJsonObject("by_executor").getJsonObject("bob").getJsonArray("holds"));

    List<Row> entries = audit("reserve_task");
    assertEquals(1, entries.size());
    assertEquals(taskId, entries.get(0).getString("target"));
    assertEquals("bob", entries.get(0).getJsonObject("detail").getString("executor_id"));
  }

  @Test
  @DisplayName("A reservation that ran out lets anyone claim")
  void expiredReservation() {
    assertEquals(200, reserve(taskId, new JsonObject().put("executor_id", "bob").put("ttl_seconds", 60)).status());
    assertTrue(alice.claim(0).isEmpty());
    clock.advance(Duration.ofSeconds(61));
    assertEquals(taskId, alice.claim(0).orElseThrow().getString("task_id"));
    assertTrue(node.api.get("/api/v1/assignments").json().getJsonArray("reserved").isEmpty());
  }

  @Test
  @DisplayName("Release: a reservation ends (anyone may claim), and a claimed task goes back to the queue, its lease void")
  void release() {
    assertEquals(200, reserve(taskId, new JsonObject().put("executor_id", "bob")).status());
    Api.Reply r = node.api.post("/api/v1/runs/" + taskId + "/release", new JsonObject().put("reason", "bob is away"));
    assertEquals(200, r.status(), r.text());
    assertEquals("queued", r.json().getString("was"));
    assertEquals("bob", r.json().getString("was_reserved_for"));
    assertNull(task().getString("reserved_for"));

    JsonObject claimed = alice.claim(0).orElseThrow(() -> new AssertionError("released: alice may claim"));
    r = node.api.post("/api/v1/runs/" + taskId + "/release", new JsonObject());
    assertEquals(200, r.status(), r.text());
    assertEquals("claimed", r.json().getString("was"));
    assertEquals("alice", r.json().getString("held_by"));
    Row after = task();
    assertEquals("queued", after.getString("status"));
    assertNull(after.getString("executor_id"));
    assertEquals(409, alice.complete(claimed, "stabilized").status(), "the lease alice held is void");
    assertEquals("queued", task().getString("status"), "her completion changed nothing");
    assertEquals(taskId, bob.claim(0).orElseThrow().getString("task_id"), "back on the queue for anyone");

    List<Row> entries = audit("release_task");
    assertEquals(2, entries.size());
    assertEquals("bob is away", entries.get(0).getJsonObject("detail").getString("reason"));
    assertEquals("alice", entries.get(1).getJsonObject("detail").getString("held_by"));
  }

  @Test
  @DisplayName("The holder of a released task learns it: its heartbeat lists it to stop, and its progress and completion with the old lease are refused naming the operator's release")
  void holderLearnsOfTheRelease() {
    JsonObject claimed = alice.claim(0).orElseThrow();
    JsonObject beat = alice.heartbeat("busy", taskId).json();
    assertTrue(beat.getJsonArray("released_tasks").isEmpty() && beat.getJsonArray("cancel_tasks").isEmpty(), beat.encode());

    Api.Reply r = node.api.post("/api/v1/runs/" + taskId + "/release", new JsonObject().put("reason", "alice is stuck"));
    assertEquals(200, r.status(), r.text());
    beat = alice.heartbeat("busy", taskId).json();
    assertEquals(new JsonArray().add(taskId), beat.getJsonArray("cancel_tasks"), "stop its work: " + beat.encode());
    assertEquals(new JsonArray().add(taskId), beat.getJsonArray("released_tasks"), "because an operator released it: " + beat.encode());
    assertFalse(beat.getJsonArray("held_tasks").contains(taskId));

    Api.Reply progress = alice.progress(taskId, claimed.getString("lease_token"), 0.5, "halfway");
    assertEquals(409, progress.status(), progress.text());
    assertTrue(progress.json().getBoolean("released"), progress.text());
    Api.Reply done = alice.complete(claimed, "stabilized");
    assertEquals(409, done.status(), done.text());
    JsonObject refusal = done.json();
    assertTrue(refusal.getBoolean("released"), refusal.encode());
    assertEquals(audit("release_task").get(0).getString("actor"), refusal.getString("released_by"), "who released it, as audited");
    assertEquals("alice is stuck", refusal.getString("reason"));
    assertTrue(refusal.getString("detail").contains("released task " + taskId + " back to the queue"), refusal.getString("detail"));
    assertEquals("queued", task().getString("status"), "the old lease changed nothing");

    // A batch completion with the old lease is refused the same way, item by item.
    Api.Reply batch = alice.api.post("/api/v1/work/complete", new JsonObject().put("completions", new JsonArray()
        .add(new JsonObject().put("task_id", taskId).put("lease_token", claimed.getString("lease_token")).put("outcome", "stabilized"))));
    assertEquals(200, batch.status(), batch.text());
    JsonObject item = batch.json().getJsonArray("results").getJsonObject(0);
    assertEquals(409, item.getInteger("status"), item.encode());
    assertTrue(item.getJsonObject("body").getBoolean("released"), item.encode());

    // Someone else's lease token learns nothing of it; and once alice claims the task again, it is no longer a stop notice.
    Api.Reply guess = bob.complete(taskId, "not-a-lease", new JsonObject().put("outcome", "stabilized"), java.util.Map.of());
    assertEquals(409, guess.status());
    assertNull(guess.json().getValue("released"), guess.text());
    JsonObject again = alice.claim(0).orElseThrow();
    assertEquals(taskId, again.getString("task_id"));
    beat = alice.heartbeat("busy", taskId).json();
    assertTrue(beat.getJsonArray("cancel_tasks").isEmpty() && beat.getJsonArray("released_tasks").isEmpty(), beat.encode());
    assertEquals(200, alice.complete(again, "stabilized").status(), "the new lease holds it");
  }

  @Test
  @DisplayName("Refusals change nothing: unknown task or executor, bad fields, a claimed task, nothing to release, a viewer")
  void refusals() {
    assertEquals(404, reserve("no-such-task", new JsonObject().put("executor_id", "bob")).status());
    Api.Reply unknown = reserve(taskId, new JsonObject().put("executor_id", "carol"));
    assertEquals(404, unknown.status(), unknown.text());
    assertTrue(unknown.json().getString("detail").contains("carol"));
    assertEquals(400, reserve(taskId, new JsonObject()).status());
    assertEquals(400, reserve(taskId, new JsonObject().put("executor_id", "bob").put("ttl_seconds", 5)).status());
    assertEquals(400, reserve(taskId, new JsonObject().put("executor_id", "bob").put("ttl_seconds", "soon")).status());
    assertEquals(400, reserve(taskId, new JsonObject().put("executor_id", "bob").put("extra", 1)).status());
    assertEquals(400, reserve(taskId, new JsonObject().put("executor_id", "bob b")).status());
    new RawExecutor(node, "painter", "server", "paint");
    Api.Reply cannot = reserve(taskId, new JsonObject().put("executor_id", "painter"));
    assertEquals(409, cannot.status(), cannot.text());
    Api.Reply nothing = node.api.post("/api/v1/runs/" + taskId + "/release", new JsonObject());
    assertEquals(409, nothing.status(), nothing.text());
    assertEquals(403, node.apiAs("viewer").post("/api/v1/runs/" + taskId + "/reserve", new JsonObject().put("executor_id", "bob")).status());
    assertEquals(403, node.apiAs("viewer").post("/api/v1/runs/" + taskId + "/release", new JsonObject()).status());
    Row t = task();
    assertEquals("queued", t.getString("status"));
    assertNull(t.getString("reserved_for"));
    assertTrue(audit("reserve_task").isEmpty() && audit("release_task").isEmpty());

    Optional<JsonObject> claimed = alice.claim(0);
    assertTrue(claimed.isPresent());
    Api.Reply busy = reserve(taskId, new JsonObject().put("executor_id", "bob"));
    assertEquals(409, busy.status(), busy.text());
    assertEquals("claimed", busy.json().getString("current_state"));
    assertEquals("alice", task().getString("executor_id"));
    assertFalse(task().getString("status").equals("queued"));
  }
}
