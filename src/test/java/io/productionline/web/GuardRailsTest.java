package io.productionline.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Api;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Each refusal of issue #15's guard rails, and that the line is the same after it as before. */
@DisplayName("Guard rails: commands that make no sense are refused and change nothing")
class GuardRailsTest {

  private TestNode node;

  @BeforeEach
  void start() {
    node = TestNode.start();
  }

  @AfterEach
  void stop() {
    node.close();
  }

  /** Everything a refusal could have changed: the tracks, the events, the tasks, the interrupts. */
  private String footprint(String project) {
    return node.sql("SELECT string_agg(id || ':' || state || ':' || version, ',' ORDER BY id) FROM tracks WHERE project_id = '"
        + project + "'").get(0).getValue(0) + "|" + node.sql("SELECT last_seq FROM projects WHERE id = '" + project + "'").get(0).getValue(0)
        + "|" + node.sql("SELECT count(*) FROM station_tasks WHERE project_id = '" + project + "'").get(0).getValue(0)
        + "|" + node.sql("SELECT string_agg(id || ':' || status, ',' ORDER BY id) FROM interrupts WHERE project_id = '" + project + "'")
        .get(0).getValue(0);
  }

  private JsonObject finishedLine(String project) {
    node.createProject(project, "fast");
    node.executor("e1");
    assertEquals(200, node.api.post("/production/start?project=" + project, new JsonObject()).status());
    return node.awaitProduction(project, p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(60));
  }

  @Test
  @DisplayName("cancelling a stabilized track is a 409 that changes nothing")
  void cancelFinishedTrack() {
    JsonObject done = finishedLine("fin");
    String before = footprint("fin");
    String root = TestNode.track(done, "root").getString("track_id");

    Api.Reply r = node.api.post("/production/track/" + root + "/cancel", new JsonObject().put("kind", "permanent").put("reason", "late"));

    assertEquals(409, r.status(), r.text());
    assertTrue(r.text().contains("stabilized"), r.text());
    assertEquals(before, footprint("fin"), "nothing changed");
  }

  @Test
  @DisplayName("Run Full Line on a finished line is a 409 'nothing to start: 4/4 stabilized' that changes nothing")
  void runFullLineOnFinishedLine() {
    finishedLine("again");
    String before = footprint("again");

    Api.Reply r = node.api.post("/production/start?project=again", new JsonObject());

    assertEquals(409, r.status(), r.text());
    assertTrue(r.text().contains("nothing to start: 4/4 stabilized"), r.text());
    assertEquals(before, footprint("again"), "nothing changed");
  }

  @Test
  @DisplayName("resolving an audit_review with an empty answer is a 400 naming the two choices; nothing changes")
  void emptyAuditReview() {
    node.createProject("rev", "breaker");
    node.executor("e1");
    assertEquals(200, node.api.post("/production/start?project=rev&doc=doc", new JsonObject()).status());
    JsonObject halted = node.awaitProduction("rev", p -> "halted".equals(TestNode.track(p, "doc").getString("state")), Duration.ofSeconds(60));
    String interrupt = halted.getJsonArray("interrupts").getJsonObject(0).getString("interrupt_id");
    String before = footprint("rev");

    for (JsonObject empty : new JsonObject[] {new JsonObject(), new JsonObject().put("notes", "  "),
        new JsonObject().put("resolution", new JsonObject().put("action", "resume"))}) {
      Api.Reply r = node.api.post("/api/v1/interrupts/" + interrupt + "/resolve", empty);
      assertEquals(400, r.status(), empty + " -> " + r.text());
      assertTrue(r.text().contains("re-run the station with notes") && r.text().contains("acknowledge & continue"), r.text());
    }
    assertEquals(before, footprint("rev"), "nothing changed");

    // Either choice is taken: acknowledge & continue escalates the track.
    Api.Reply acknowledged = node.api.post("/api/v1/interrupts/" + interrupt + "/escalate", new JsonObject().put("notes", "ship it"));
    assertEquals(200, acknowledged.status(), acknowledged.text());
  }

  @Test
  @DisplayName("an unknown project is 'no project X' with the list of projects")
  void unknownProject() {
    node.createProject("alpha", "fast");
    node.createProject("beta", "fast");

    Api.Reply r = node.api.get("/production?project=gamma");

    assertEquals(404, r.status(), r.text());
    assertTrue(r.text().contains("no project gamma"), r.text());
    assertEquals(java.util.List.of("alpha", "beta"), r.json().getJsonArray("projects").getList());
    assertEquals(404, node.api.post("/production/start?project=gamma", new JsonObject()).status());
  }
}
