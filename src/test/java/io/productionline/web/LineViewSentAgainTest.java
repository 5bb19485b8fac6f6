package io.productionline.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Api;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /production} renders a view once for what it shows and sends that to every reader
 * until something in it changes: operators polling a running line do not each cost the node a
 * render (on a busy line, the renders were what slowed the line while it was polled).
 */
@DisplayName("Line views: rendered once, sent to every reader until the line changes")
class LineViewSentAgainTest {

  private static final int READS = 10;
  private TestNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  @DisplayName("readers polling a line that does not move are sent the view rendered for the first of them")
  void pollingAStillLineRendersOnce() {
    node = TestNode.start();
    node.createProject("still", "fast");
    // Its tracks wait at their first station: no executor has the capability.
    assertEquals(200, node.api.post("/production/start?project=still", new JsonObject()).status());
    JsonObject first = new JsonObject(node.api.get("/production?project=still").text());
    double rendered0 = views("rendered");
    double again0 = views("sent_again");

    for (int i = 0; i < READS; i++) {
      // Sent again, the view is the same bytes; rendered anew (the floor is read again each second), only its times move.
      JsonObject view = new JsonObject(node.api.get("/production?project=still").text());
      assertEquals(first.getLong("last_seq"), view.getLong("last_seq"));
      assertEquals(first.getJsonObject("summary"), view.getJsonObject("summary"));
    }

    double rendered = views("rendered") - rendered0;
    double again = views("sent_again") - again0;
    assertEquals(READS, rendered + again, "every read is counted once");
    // A render for each floor read (one a second) or forecast at most: the reads take well under a second each.
    assertTrue(again >= READS / 2.0, "most reads are sent the view already rendered; rendered " + rendered + ", sent again " + again);
  }

  @Test
  @DisplayName("a change to the line is in the very next read, however recently the view was sent")
  void aChangeIsInTheNextRead() {
    node = TestNode.start();
    node.createProject("moving", "fast");
    assertEquals(200, node.api.post("/production/start?project=moving", new JsonObject()).status());
    JsonObject before = node.production("moving");
    assertEquals(before.getLong("last_seq"), node.production("moving").getLong("last_seq"), "nothing moved between the reads");
    assertTrue(before.getJsonArray("tracks").stream().noneMatch(t -> "cancelled".equals(((JsonObject) t).getString("state"))));
    String trackId = before.getJsonArray("tracks").getJsonObject(0).getString("track_id");

    assertEquals(200, node.api.post("/production/track/" + trackId + "/cancel",
        new JsonObject().put("kind", "permanent").put("reason", "not needed")).status());

    JsonObject after = node.production("moving");
    assertTrue(after.getLong("last_seq") > before.getLong("last_seq"), "the cancellation's event is counted");
    JsonObject track = after.getJsonArray("tracks").stream().map(JsonObject.class::cast)
        .filter(t -> trackId.equals(t.getString("track_id"))).findFirst().orElseThrow();
    assertEquals("cancelled", track.getString("state"));
    assertEquals(1, after.getJsonObject("summary").getInteger("cancelled"));
  }

  /** {@code pl_line_views_total{how}} as {@code GET /metrics} says now. */
  private double views(String how) {
    Api.Reply r = node.apiAs("viewer").get("/metrics");
    assertEquals(200, r.status(), r.text());
    return MetricsTest.value(r.text(), "pl_line_views_total", Map.of("how", how));
  }
}
