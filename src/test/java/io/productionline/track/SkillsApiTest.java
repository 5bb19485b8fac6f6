package io.productionline.track;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.audit.AuditNodes;
import io.productionline.audit.Watch;
import io.productionline.support.Api;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Skills: listed over HTTP, named by stations, resolved when a line loads")
class SkillsApiTest {

  private TestNode node;

  @BeforeEach
  void start() {
    node = AuditNodes.start();
  }

  @AfterEach
  void stop() {
    node.close();
  }

  @Test
  @DisplayName("GET /api/v1/skills lists the loaded skills with their trust level and step")
  void listsSkills() {
    Api.Reply r = node.api.get("/api/v1/skills");
    assertEquals(200, r.status(), r.text());
    JsonArray skills = r.json().getJsonArray("skills");
    assertEquals(List.of("community-assemble", "fast-assemble", "fast-audit"),
        skills.stream().map(s -> ((JsonObject) s).getString("id")).toList());
    JsonObject audit = node.api.get("/api/v1/skills/fast-audit").json();
    assertEquals("Fast simulated audit", audit.getString("name"));
    assertEquals("vetted", audit.getString("trust"));
    assertTrue(audit.getBoolean("fully_auto"));
    assertEquals("sim", audit.getJsonObject("step").getString("type"));
    assertEquals(List.of("sim", "audit", "test"), audit.getJsonArray("tags").getList());
    JsonObject community = node.api.get("/api/v1/skills/community-assemble").json();
    assertFalse(community.getBoolean("fully_auto"));
    Api.Reply missing = node.api.get("/api/v1/skills/nope");
    assertEquals(404, missing.status());
    assertTrue(missing.json().getJsonArray("skills").contains("fast-audit"), missing.text());
  }

  @Test
  @DisplayName("a line whose stations name skills runs the skills' steps and stabilizes")
  void skilledLineRuns() {
    JsonObject def = node.api.get("/api/v1/lines/skilled").json().getJsonObject("definition");
    JsonObject asm = def.getJsonArray("document_types").getJsonObject(0).getJsonArray("stations").getJsonObject(0).getJsonObject("step");
    assertEquals("fast-assemble", asm.getString("skill"));
    assertEquals("sim", asm.getString("type"));
    assertEquals("vetted", asm.getString("trust"));

    node.createProject("s", "skilled");
    Watch watch = Watch.of(node, "s");
    node.executor("e1");
    assertEquals(200, node.api.post("/production/start?project=s", new JsonObject()).status());
    List<JsonObject> events = watch.await(e -> Watch.states(e, "doc").contains("stabilized"), "doc stabilized");
    assertEquals(List.of("assembling", "auditing", "stabilized"), Watch.states(events, "doc"));
    String trackId = events.get(0).getString("track_id");
    JsonObject run = node.api.get("/production/track/" + trackId).json().getJsonArray("runs").getJsonObject(0);
    assertEquals("fast-assemble", run.getJsonObject("step").getString("skill"));
    assertEquals(10, run.getJsonObject("step").getJsonObject("params").getInteger("duration_ms"));
  }
}
