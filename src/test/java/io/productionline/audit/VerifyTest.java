package io.productionline.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Api;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@DisplayName("POST /assembly-line/verify: the verification protocol of a build intent's phase")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VerifyTest {

  private TestNode node;

  @BeforeAll
  void start() {
    node = AuditNodes.start();
    node.createProject("intent-1", "phases");
    node.createProject("intent-2", "phases");
    node.executor("e1");
    assertEquals(200, node.api.post("/production/start?project=intent-1", new JsonObject()).status());
    node.awaitProduction("intent-1", p -> TestNode.allTracks(p, "stabilized"), Watch.BOUND);
  }

  @AfterAll
  void stop() {
    node.close();
  }

  private Api.Reply verify(String intent, Object level, String phase) {
    return node.api.post("/assembly-line/verify", new JsonObject().put("intent_id", intent).put("verification_level", level)
        .put("phase", phase));
  }

  @Test
  @DisplayName("a phase that was assembled, audited and verified at the level asked passes and may advance")
  void passedPhase() {
    Api.Reply r = verify("intent-1", 2, "spec");
    assertEquals(200, r.status(), r.text());
    JsonObject v = r.json();
    assertTrue(v.getBoolean("passed"), v.encode());
    assertTrue(v.getBoolean("can_advance"), v.encode());
    assertEquals(2, v.getInteger("level"));
    assertEquals(2, v.getInteger("reached_level"));
    assertEquals(1, v.getInteger("required_level"));
    assertEquals("build", v.getString("next_phase"));
    for (String check : new String[] {"assembled", "artifacts", "audit_passed", "verification_level", "phase_requirement", "line_running"}) {
      assertTrue(v.getJsonObject("checks").getJsonObject(check).getBoolean("passed"), check + ": " + v.encode());
    }
  }

  @Test
  @DisplayName("a level above the one the audit reported does not pass, and says which level was reached")
  void levelNotReached() {
    JsonObject v = verify("intent-1", 3, "spec").json();
    assertFalse(v.getBoolean("passed"));
    assertFalse(v.getBoolean("can_advance"));
    assertEquals("level 2 reached; level 3 asked", v.getJsonObject("checks").getJsonObject("verification_level").getString("detail"));
  }

  @Test
  @DisplayName("a level below the phase's requirement passes its checks but may not advance the phase")
  void belowPhaseRequirement() {
    JsonObject v = verify("intent-1", 1, "build").json();
    assertTrue(v.getBoolean("passed"), v.encode());
    assertFalse(v.getBoolean("can_advance"), v.encode());
    assertFalse(v.getJsonObject("checks").getJsonObject("phase_requirement").getBoolean("passed"));
    assertEquals(2, v.getInteger("required_level"));
  }

  @Test
  @DisplayName("the current phase of an intent not yet assembled does not pass")
  void notYetAssembled() {
    JsonObject v = verify("intent-2", 1, "spec").json();
    assertFalse(v.getBoolean("passed"));
    assertFalse(v.getJsonObject("checks").getJsonObject("assembled").getBoolean("passed"));
  }

  @Test
  @DisplayName("verifying a phase the intent has not reached is an illegal move (409) with the current phase")
  void illegalPhaseMove() {
    Api.Reply r = verify("intent-2", 2, "build");
    assertEquals(409, r.status(), r.text());
    assertEquals("spec", r.json().getString("current_phase"));
    assertEquals("queued", r.json().getString("current_state"));
    assertEquals("verify phase build", r.json().getString("attempted"));
  }

  @Test
  @DisplayName("bad input is refused with what was wrong: unknown intent 404, unknown phase and level outside 1-6 400")
  void badInput() {
    assertEquals(404, verify("nobody", 1, "spec").status());
    Api.Reply phase = verify("intent-1", 1, "deploy");
    assertEquals(400, phase.status());
    assertTrue(phase.json().getString("detail").contains("spec, build"), phase.text());
    assertEquals(400, verify("intent-1", 7, "spec").status());
    assertEquals(400, verify("intent-1", "high", "spec").status());
    assertEquals(400, node.api.post("/assembly-line/verify", new JsonObject().put("intent_id", "intent-1").put("phase", "spec")
        .put("extra", 1)).status());
  }
}
