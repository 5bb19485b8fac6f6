package io.productionline.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Api;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Workbench: archive a finished project; cancel or acknowledge several tracks at once, with a dry run that says what will happen")
class WorkbenchApiTest {

  private TestNode node;
  private Api worker;

  @BeforeEach
  void start() {
    node = TestNode.start();
    worker = node.executorApi("worker");
    assertEquals(201, worker.post("/api/v1/executors", new JsonObject().put("executor_id", "worker")
        .put("capabilities", new JsonArray().add("sim"))).status());
  }

  @AfterEach
  void stop() {
    node.close();
  }

  /** Claims the next task (waiting up to 5 s) and completes it with {@code outcome}. */
  private void work(String outcome, String reason) {
    JsonObject r = worker.get("/api/v1/work/next?executor_id=worker&wait=5").json();
    assertTrue(r.getBoolean("assigned"), r.encode());
    JsonObject t = r.getJsonObject("task");
    JsonObject body = new JsonObject().put("lease_token", t.getString("lease_token")).put("outcome", outcome);
    if (reason != null) {
      body.put("reason", reason);
    }
    Api.Reply done = worker.post("/api/v1/work/" + t.getString("task_id") + "/complete", body);
    assertEquals(200, done.status(), done.text());
  }

  /** A project on the single line run to its end by the worker. */
  private String finished(String id) {
    node.createProject(id, "single");
    assertEquals(200, node.api.post("/production/start?project=" + id, new JsonObject()).status());
    while (!TestNode.allTracks(node.production(id), "stabilized")) {
      work("stabilized", null);
    }
    return trackOf(id);
  }

  private String trackOf(String project) {
    return node.production(project).getJsonArray("tracks").getJsonObject(0).getString("track_id");
  }

  private String state(String track) {
    return node.api.get("/production/track/" + track).json().getString("state");
  }

  private long audits(String action) {
    return node.sql("SELECT count(*) FROM audit_log WHERE action = '" + action + "'").get(0).getLong(0);
  }

  private List<String> listed(String query) {
    return node.api.get("/api/v1/projects" + query).json().getJsonArray("projects").stream()
        .map(p -> ((JsonObject) p).getString("project_id")).toList();
  }

  @Test
  @DisplayName("Archive: refused while a track is unfinished; a finished project leaves the list, stays readable, once, audited")
  void archive() {
    finished("done");
    node.createProject("open", "single");
    Api.Reply unfinished = node.api.post("/api/v1/projects/open/archive", new JsonObject());
    assertEquals(409, unfinished.status(), unfinished.text());
    assertEquals(1L, unfinished.json().getJsonObject("unfinished").getLong("queued"), unfinished.text());
    assertEquals(403, node.apiAs("viewer").post("/api/v1/projects/done/archive", new JsonObject()).status());
    assertEquals(404, node.api.post("/api/v1/projects/nothing/archive", new JsonObject()).status());
    assertEquals(400, node.api.post("/api/v1/projects/done/archive", new JsonObject().put("force", true)).status());
    assertEquals(0L, audits("archive_project"), "refusals change nothing");
    assertTrue(listed("").contains("done"));

    Api.Reply r = node.api.post("/api/v1/projects/done/archive", new JsonObject());
    assertEquals(200, r.status(), r.text());
    assertNotNull(r.json().getString("archived_at"));
    assertEquals(List.of("open"), listed(""), "it leaves the project list");
    assertEquals(List.of("done"), listed("?archived=true"));
    assertEquals(400, node.api.get("/api/v1/projects?archived=maybe").status());
    Api.Reply read = node.api.get("/api/v1/projects/done");
    assertEquals(200, read.status());
    assertEquals(r.json().getString("archived_at"), read.json().getString("archived_at"));
    assertEquals(200, node.api.get("/production?project=done").status(), "its line stays readable");
    Api.Reply again = node.api.post("/api/v1/projects/done/archive", new JsonObject());
    assertEquals(409, again.status());
    assertEquals(1L, audits("archive_project"));
  }

  @Test
  @DisplayName("Bulk cancel: the dry run says what will happen and changes nothing; the action does exactly that")
  void bulkCancel() {
    String done = finished("done");
    node.createProject("a", "single");
    node.createProject("b", "single");
    String a = trackOf("a");
    String b = trackOf("b");
    JsonObject body = new JsonObject().put("track_ids", new JsonArray().add(a).add(b).add(done)).put("kind", "permanent")
        .put("reason", "out of scope");

    Api.Reply dry = node.api.post("/production/tracks/cancel", body.copy().put("dry_run", true));
    assertEquals(200, dry.status(), dry.text());
    assertEquals(2, dry.json().getInteger("will_change"));
    assertEquals(1, dry.json().getInteger("skipped"));
    String says = dry.json().getString("says");
    assertTrue(says.startsWith("Cancel 2 tracks (permanent, reason \u201cout of scope\u201d): doc (a), doc (b)."), says);
    assertTrue(says.contains("Skipped: doc (done), already stabilized"), says);
    assertEquals(List.of("cancel", "cancel", "skip"), dry.json().getJsonArray("plan").stream()
        .map(p -> ((JsonObject) p).getString("action")).toList());
    assertEquals("queued", state(a), "a dry run changes nothing");
    assertEquals(0L, audits("cancel") + audits("bulk_cancel"));

    for (JsonObject bad : List.of(body.copy().put("kind", "later"), body.copy().put("reason", " "), body.copy().put("track_ids", new JsonArray()),
        body.copy().put("track_ids", new JsonArray().add(a).add(a)), body.copy().put("track_ids", new JsonArray().add(a).add("trk_nothing")),
        body.copy().put("dry_run", "yes"), body.copy().put("extra", 1))) {
      Api.Reply r = node.api.post("/production/tracks/cancel", bad);
      assertTrue(r.status() == 400 || r.status() == 404, bad.encode() + " → " + r.status() + " " + r.text());
      assertEquals("queued", state(a), "refused: nothing changed");
    }
    assertEquals(403, node.apiAs("viewer").post("/production/tracks/cancel", body).status());
    assertEquals(0L, audits("cancel") + audits("bulk_cancel"));

    Api.Reply r = node.api.post("/production/tracks/cancel", body);
    assertEquals(200, r.status(), r.text());
    assertEquals(2L, r.json().getLong("done"));
    assertEquals("cancelled", state(a));
    assertEquals("cancelled", state(b));
    assertEquals("stabilized", state(done));
    assertEquals(2L, audits("cancel"));
    assertEquals(1L, audits("bulk_cancel"));
  }

  @Test
  @DisplayName("Bulk acknowledge: halted tracks are acknowledged and continue; a track with no halt is skipped and says why")
  void bulkAcknowledge() {
    node.createProject("h", "single");
    assertEquals(200, node.api.post("/production/start?project=h", new JsonObject()).status());
    work("halted", "the source is unreadable");
    String halted = trackOf("h");
    node.awaitProduction("h", p -> TestNode.allTracks(p, "halted"), Duration.ofSeconds(10));
    node.createProject("q", "single");
    String queued = trackOf("q");
    JsonObject body = new JsonObject().put("track_ids", new JsonArray().add(halted).add(queued)).put("notes", "checked by hand");

    Api.Reply dry = node.api.post("/production/tracks/acknowledge", body.copy().put("dry_run", true));
    assertEquals(200, dry.status(), dry.text());
    assertEquals(1, dry.json().getInteger("will_change"));
    assertTrue(dry.json().getString("says").startsWith("Acknowledge & continue 1 track (notes \u201cchecked by hand\u201d): doc (h)."),
        dry.json().getString("says"));
    assertTrue(dry.json().getString("says").contains("Skipped: doc (q), no open halt: it is queued"), dry.json().getString("says"));
    assertEquals("halted", state(halted));

    Api.Reply r = node.api.post("/production/tracks/acknowledge", body);
    assertEquals(200, r.status(), r.text());
    assertEquals(1L, r.json().getLong("done"));
    assertFalse("halted".equals(state(halted)), "acknowledged, the track goes on");
    assertEquals("escalated", node.sql("SELECT status FROM interrupts WHERE track_id = '" + halted + "'").get(0).getString(0));
    assertEquals(1L, audits("bulk_acknowledge"));
  }
}
