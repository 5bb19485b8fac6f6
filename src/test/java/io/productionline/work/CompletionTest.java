package io.productionline.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Api;
import io.productionline.support.TestNode;
import io.productionline.work.WorkKit.RawExecutor;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A station's completion, the move it decides and the move's events are written together (one
 * statement for the common station, a transaction otherwise) or not at all.
 */
@DisplayName("Completions: the task, the track's move and its events are written together or not at all")
class CompletionTest {

  private TestNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  @DisplayName("A completion whose track moved on under it is refused with 409 and writes nothing; the same lease completes it when asked again")
  void lostRaceWritesNothing() {
    RawExecutor x = startOneLine("race", "racer");
    JsonObject task = x.claim(5).orElseThrow();
    String track = task.getString("track_id");
    // The track's row moved on under its supervisor (its owner and epoch unchanged): the supervisor's version is stale.
    node.sql("UPDATE tracks SET version = version + 1 WHERE id = '" + track + "'");
    Row before = state(track);

    Api.Reply refused = x.complete(task, "stabilized");
    assertEquals(409, refused.status(), refused.text());
    assertTrue(refused.json().getString("detail").contains("nothing was written"), refused.text());
    assertNothingWritten(task, before, state(track));

    // The verticle that lost the race retired; asked again, the track's next verticle reads the row afresh.
    Api.Reply completed = x.complete(task, "stabilized");
    assertEquals(200, completed.status(), completed.text());
    assertMovedOnce(task, before, state(track));
  }

  @Test
  @DisplayName("A completion of a track another node's valid lease owns writes nothing to the track: the executor's report is kept "
      + "with the task; once that lease expired in PostgreSQL, the track is adopted here and takes it, once")
  void anotherOwnersTrackIsNotWritten() {
    RawExecutor x = startOneLine("fenced", "fencer");
    JsonObject task = x.claim(5).orElseThrow();
    String track = task.getString("track_id");
    // Another node took the track under a lease of its own that PostgreSQL holds valid.
    long epoch = node.sql("INSERT INTO node_leases (node_id, expires_at) VALUES ('another-node', now() + interval '1 hour') "
        + "RETURNING epoch").get(0).getLong(0);
    node.sql("UPDATE tracks SET owner_node = 'another-node', owner_epoch = " + epoch + " WHERE id = '" + track + "'");
    Row before = state(track);

    Api.Reply kept = x.complete(task, "stabilized");
    assertEquals(200, kept.status(), kept.text());
    assertEquals(true, kept.json().getBoolean("stored"), "the work is kept, not refused: " + kept.text());
    assertNothingWritten(task, before, state(track));
    assertEquals("another-node", node.sql("SELECT owner_node FROM tracks WHERE id = '" + track + "'").get(0).getString(0),
        "a valid lease keeps its track");
    assertEquals(List.of(), node.node.reconciler().runOnce().await().reportsTaken(), "not while that lease holds");

    node.sql("UPDATE node_leases SET expires_at = now() - interval '1 second' WHERE epoch = " + epoch);
    assertEquals(List.of(task.getString("task_id")), node.node.reconciler().runOnce().await().reportsTaken(),
        "the reconciliation hands the kept report to the track it adopted");
    assertMovedOnce(task, before, state(track));
    Api.Reply again = x.complete(task, "stabilized");
    assertEquals(200, again.status(), "asked again, it is answered again: " + again.text());
    assertEquals(before.getLong("version") + 1, state(track).getLong("version"), "and moves nothing more");
    Row owner = node.sql("SELECT owner_node, owner_epoch FROM tracks WHERE id = '" + track + "'").get(0);
    assertEquals(node.node.services().node.id(), owner.getString(0), "adopted by this node");
    assertEquals(node.node.services().lease.epoch(), owner.getLong(1), "under this node's epoch");
  }

  /** A node with one project on the fast line, started, and an executor of its stations. */
  private RawExecutor startOneLine(String project, String executor) {
    node = TestNode.start();
    node.createProject(project, "fast");
    RawExecutor x = new RawExecutor(node, executor, "server", "sim");
    assertEquals(200, node.api.post("/production/start?project=" + project, new JsonObject()).status());
    return x;
  }

  private void assertNothingWritten(JsonObject task, Row before, Row after) {
    assertEquals("claimed", after.getString("task_status"), "the task is still held");
    assertEquals(task.getString("lease_token"), after.getString("lease_token"), "by the same lease");
    assertEquals(before.getLong("version"), after.getLong("version"), "the track did not move");
    assertEquals(before.getLong("events"), after.getLong("events"), "no event was appended");
    assertEquals(before.getLong("tasks"), after.getLong("tasks"), "no next task was queued");
    assertEquals(before.getLong("last_seq"), after.getLong("last_seq"), "no sequence number was taken");
  }

  private void assertMovedOnce(JsonObject task, Row before, Row moved) {
    assertEquals("completed", node.sql("SELECT status FROM station_tasks WHERE id = '" + task.getString("task_id") + "'").get(0).getString(0));
    assertEquals(before.getLong("version") + 1, moved.getLong("version"), "the track moved once");
    assertTrue(moved.getLong("events") >= before.getLong("events") + 2, "its station_transition and line_progress were appended");
    assertEquals(before.getLong("tasks") + 1, moved.getLong("tasks"), "the next station's task was queued");
  }

  @Test
  @DisplayName("After every station's completion, the line_progress appended with the move says what the line view says")
  void progressMatchesTheView() {
    node = TestNode.start();
    // 50 tracks of an assembly and an audit station: the line is active until the last audit.
    assertEquals(100, runAlone("counts", "wide", "sim"));
    assertEquals(50, node.production("counts").getJsonObject("summary").getInteger("stabilized"));
    // Two tracks of one assembly station each: the last completion makes the line complete.
    assertEquals(2, runAlone("whole", "slowjob", "slow"));
    assertEquals(2, node.production("whole").getJsonObject("summary").getInteger("stabilized"));
  }

  @Test
  @DisplayName("A move that changes the track's state appends a line_progress with the project's counts; a move between two stations in one state appends none")
  void progressOnlyWhenTheCountsChange() throws Exception {
    node = TestNode.start();
    // The fast line's root document with a second assembly station after the first: one move from assembling to assembling.
    JsonObject line = new JsonObject(java.nio.file.Files.readString(java.nio.file.Path.of("src/test/resources/lines/fast.json")))
        .put("name", "relay");
    JsonObject root = line.getJsonArray("document_types").getJsonObject(0);
    line.put("document_types", new io.vertx.core.json.JsonArray().add(root));
    io.vertx.core.json.JsonArray stations = root.getJsonArray("stations");
    stations.add(2, stations.getJsonObject(1).copy().put("id", "asm2"));
    Api.Reply created = node.apiAs("admin").post("/api/v1/lines", new JsonObject().put("definition", line).put("note", "two assemblies"));
    assertEquals(201, created.status(), created.text());
    node.createProject("relay", "relay");
    RawExecutor x = new RawExecutor(node, "relay-x", "server", "sim");
    assertEquals(200, node.api.post("/production/start?project=relay", new JsonObject()).status());

    List<String> said = new java.util.ArrayList<>();
    for (Optional<JsonObject> task = x.claim(5); task.isPresent(); task = x.claim(1)) {
      long before = progressEvents("relay");
      Api.Reply r = x.complete(task.get(), "stabilized");
      assertEquals(200, r.status(), r.text());
      said.add(task.get().getString("station") + ":" + (progressEvents("relay") - before));
    }
    assertEquals(List.of("bind:1", "asm:0", "asm2:1", "aud:1"), said,
        "binding → assembling, assembling → assembling (none), assembling → auditing, auditing → stabilized");
    Row last = node.sql("SELECT payload FROM track_events WHERE project_id = 'relay' AND type = 'line_progress' ORDER BY seq DESC LIMIT 1").get(0);
    JsonObject view = node.production("relay");
    assertEquals(view.getJsonObject("summary"), ((JsonObject) last.getValue("payload")).getJsonObject("summary"));
    assertEquals("complete", ((JsonObject) last.getValue("payload")).getString("line_state"));
    List<Long> seqs = node.sql("SELECT seq FROM track_events WHERE project_id = 'relay' ORDER BY seq").stream().map(row -> row.getLong(0)).toList();
    assertEquals(seqs.size(), seqs.get(seqs.size() - 1).intValue(), "the project's events are numbered without a hole: " + seqs);
  }

  private long progressEvents(String project) {
    return node.sql("SELECT count(*) FROM track_events WHERE project_id = '" + project + "' AND type = 'line_progress'").get(0).getLong(0);
  }

  /**
   * Starts {@code project} on {@code line} and completes each of its stations with one executor,
   * one at a time, checking after each that the line_progress appended with the move says what the
   * line view says; returns how many stations it completed. The line ends complete.
   */
  private int runAlone(String project, String line, String capability) {
    node.createProject(project, line);
    RawExecutor x = new RawExecutor(node, project + "-x", "server", capability);
    assertEquals(200, node.api.post("/production/start?project=" + project, new JsonObject()).status());
    // Every track starts at once; from then on only this executor moves the line, one station at a time.
    node.awaitProduction(project, p -> TestNode.allTracks(p, "assembling"), Duration.ofSeconds(30));
    int completions = 0;
    for (Optional<JsonObject> task = x.claim(1); task.isPresent(); task = x.claim(1)) {
      Api.Reply r = x.complete(task.get(), "stabilized");
      assertEquals(200, r.status(), r.text());
      completions++;
      JsonObject view = node.production(project);
      Row last = node.sql("SELECT payload FROM track_events WHERE project_id = '" + project + "' AND type = 'line_progress' "
          + "ORDER BY seq DESC LIMIT 1").get(0);
      JsonObject stored = (JsonObject) last.getValue("payload");
      assertEquals(view.getJsonObject("summary"), stored.getJsonObject("summary"),
          "after completion " + completions + " (" + task.get().getString("station") + ")");
      assertEquals(view.getString("line_state"), stored.getString("line_state"));
    }
    assertEquals("complete", node.production(project).getString("line_state"));
    return completions;
  }

  /** The track's version, its current task's status and lease, and the project's events, tasks and last seq. */
  private Row state(String track) {
    return node.sql("SELECT t.version, st.status AS task_status, st.lease_token, "
        + "(SELECT count(*) FROM track_events e WHERE e.project_id = t.project_id) AS events, "
        + "(SELECT count(*) FROM station_tasks s WHERE s.project_id = t.project_id) AS tasks, "
        + "(SELECT last_seq FROM projects p WHERE p.id = t.project_id) AS last_seq "
        + "FROM tracks t JOIN station_tasks st ON st.id = t.current_task_id WHERE t.id = '" + track + "'").get(0);
  }
}
