package io.productionline.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Await;
import io.productionline.support.MutableClock;
import io.productionline.support.TestNode;
import io.productionline.track.ProductionView;
import io.productionline.work.WorkKit.RawExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /production} is answered from rows the node keeps and brings up to date by the
 * project's history; whatever happened, what it shows is what a view read whole from PostgreSQL
 * at that moment shows: after every move, after a claim (no sequence number), and after a move
 * this node never heard of (its event lost).
 */
class KeptViewTest {

  private TestNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  @DisplayName("The kept view equals a view read whole from PostgreSQL after every claim and move, and after an event that never arrived")
  void keptEqualsFresh() {
    // A clock that stands still: both views are rendered at the same moment, so elapsed times agree.
    node = TestNode.start(TestNode.config(), new MutableClock());
    node.createProject("kept", "fast");
    RawExecutor x = new RawExecutor(node, "kept-x", "server", "sim");
    ProductionView view = node.node.view();
    assertEquals(200, node.api.post("/production/start?project=kept", new JsonObject()).status());
    assertSameAsFresh(view, "the first read");

    int moves = 0;
    for (Optional<JsonObject> task = x.claim(1); task.isPresent() && moves < 12; task = x.claim(1)) {
      // A claim has no sequence number: the node hears it from the executor's status and reads the track again.
      String station = task.get().getString("station");
      Await.until(() -> rows(node.production("kept")), v -> v.equals(rows(view.projectFromDatabase("kept").await())),
          Duration.ofSeconds(10), "the kept view to show the claim at " + station);
      assertEquals(200, x.complete(task.get(), "stabilized").status());
      moves++;
      // A move is answered after its commit: the very next read shows it, as a read from PostgreSQL does.
      assertSameAsFresh(view, "after move " + moves + " (" + station + ")");
    }
    assertTrue(moves >= 4, "the line moved: " + moves);

    // Another writer moves a track and appends its event, and the event never reaches this node.
    String track = node.sql("SELECT id FROM tracks WHERE project_id = 'kept' ORDER BY created_at, id LIMIT 1")
        .get(0).getString("id");
    long before = node.production("kept").getLong("last_seq");
    node.sql("WITH t AS (UPDATE tracks SET reason = 'moved where this node did not hear it', version = version + 1 WHERE id = '" + track
        + "' RETURNING project_id), p AS (UPDATE projects SET last_seq = last_seq + 1 WHERE id = 'kept' RETURNING last_seq) "
        + "INSERT INTO track_events (project_id, track_id, seq, type, payload, created_at) SELECT 'kept', '" + track
        + "', p.last_seq, 'station_transition', '{}'::jsonb, now() FROM p, t RETURNING seq");
    JsonObject kept = node.production("kept");
    assertEquals(before + 1, kept.getLong("last_seq"));
    assertEquals("moved where this node did not hear it", kept.getJsonArray("tracks").stream().map(JsonObject.class::cast)
        .filter(t -> t.getString("track_id").equals(track)).findFirst().orElseThrow().getString("reason"));
    assertEquals(rows(view.projectFromDatabase("kept").await()), rows(kept), "after the lost event");
  }

  /**
   * {@code GET /production} (the kept rows) equals a view read whole from PostgreSQL just after it.
   * The line may move on by itself between the two (a track whose dependency cleared starts): then
   * both are read again, until they were read at the same sequence number.
   */
  private void assertSameAsFresh(ProductionView view, String when) {
    JsonObject[] both = Await.until(() -> new JsonObject[] {rows(node.production("kept")), rows(view.projectFromDatabase("kept").await())},
        b -> b[0].getLong("last_seq").equals(b[1].getLong("last_seq")), Duration.ofSeconds(10), "two reads at one sequence number, " + when);
    assertEquals(both[1], both[0], when);
  }

  /**
   * A view without what is not made from the project's rows: the shared forecast (each track's
   * {@code why} and {@code eta_at}, the project's ETA) and the floor (executors, queue).
   */
  static JsonObject rows(JsonObject view) {
    JsonObject out = view.copy();
    for (String k : List.of("eta_at", "finish_at_moving", "executors", "queue", "no_executors_for", "no_executors")) {
      out.remove(k);
    }
    JsonArray tracks = new JsonArray();
    for (Object o : out.getJsonArray("tracks")) {
      JsonObject t = ((JsonObject) o).copy();
      t.remove("why");
      t.remove("eta_at");
      tracks.add(t);
    }
    return out.put("tracks", tracks);
  }
}
