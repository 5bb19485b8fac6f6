package io.productionline.line;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.line.Gates.Artifact;
import io.productionline.line.Gates.Check;
import io.productionline.line.Gates.Evidence;
import io.productionline.line.Gates.Verdict;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("Audit gates")
class GatesTest {

  private static final String PRD = "# PRD\n\n## Summary\n\nWhat.\n\n## Scope\n\nWhere.\n";

  private static GateDef exists(String pattern) {
    return new GateDef("artifact_exists", pattern, null, null, null, null, null, null);
  }

  private static GateDef content(String artifact, String... sections) {
    return new GateDef("content_check", null, artifact, List.of(sections), null, null, null, null);
  }

  private static GateDef metric(String metric, String operator, double threshold) {
    return new GateDef("metric_threshold", null, null, null, metric, operator, threshold, null);
  }

  private static GateDef verification(int level) {
    return new GateDef("verification", null, null, null, null, null, null, level);
  }

  private static Evidence evidence(List<Artifact> artifacts, Map<String, Object> metrics, Integer level) {
    return new Evidence(artifacts, metrics, level);
  }

  private static final List<Artifact> ARTIFACTS = List.of(
      new Artifact("prd.md", "text", PRD),
      new Artifact("report.json", "json", "{}"),
      new Artifact("preview", "url", null));

  static Stream<Arguments> table() {
    return Stream.of(
        // gate, evidence, met, finding contains
        Arguments.of(exists("*.md"), evidence(ARTIFACTS, Map.of(), null), true, "\"prd.md\" matches"),
        Arguments.of(exists("prd.{md,txt}"), evidence(ARTIFACTS, Map.of(), null), true, "prd.md"),
        Arguments.of(exists("report.js?n"), evidence(ARTIFACTS, Map.of(), null), true, "report.json"),
        Arguments.of(exists("[rp]*.md"), evidence(ARTIFACTS, Map.of(), null), true, "prd.md"),
        Arguments.of(exists("*.pdf"), evidence(ARTIFACTS, Map.of(), null), false, "no artifact matches \"*.pdf\""),
        Arguments.of(exists("*.md"), evidence(List.of(), Map.of(), null), false, "the track has no artifacts"),
        Arguments.of(exists("prd.md"), evidence(List.of(new Artifact("xprd.md", "text", "")), Map.of(), null), false, "no artifact"),
        Arguments.of(content("prd.md", "Summary", "Scope"), evidence(ARTIFACTS, Map.of(), null), true, "every required section"),
        Arguments.of(content("prd.md", "summary", " SCOPE "), evidence(ARTIFACTS, Map.of(), null), true, "every required section"),
        Arguments.of(content("prd.md", "Summary", "Risks", "Budget"), evidence(ARTIFACTS, Map.of(), null), false,
            "lacks the sections ## Risks, ## Budget"),
        Arguments.of(content("prd.md", "What"), evidence(ARTIFACTS, Map.of(), null), false, "lacks the section ## What"),
        Arguments.of(content("*.md", "Scope"), evidence(ARTIFACTS, Map.of(), null), true, "prd.md"),
        Arguments.of(content("missing.md", "Scope"), evidence(ARTIFACTS, Map.of(), null), false, "no artifact \"missing.md\""),
        Arguments.of(content("preview", "Scope"), evidence(ARTIFACTS, Map.of(), null), false, "has no text content"),
        Arguments.of(content("x.md", "Scope"), evidence(List.of(new Artifact("x.md", "text", "### Scope\n# Scope\n")), Map.of(), null),
            false, "lacks the section ## Scope"),
        Arguments.of(metric("coverage", ">=", 0.8), evidence(List.of(), Map.of("coverage", 0.8), null), true, "coverage is 0.8"),
        Arguments.of(metric("coverage", ">", 0.8), evidence(List.of(), Map.of("coverage", 0.8), null), false,
            "coverage is 0.8; it must be > 0.8"),
        Arguments.of(metric("p95_ms", "<", 200), evidence(List.of(), Map.of("p95_ms", 180), null), true, "p95_ms is 180"),
        Arguments.of(metric("p95_ms", "<=", 200), evidence(List.of(), Map.of("p95_ms", 201), null), false, "it must be <= 200"),
        Arguments.of(metric("defects", "==", 0), evidence(List.of(), Map.of("defects", 0), null), true, "defects is 0"),
        Arguments.of(metric("coverage", ">=", 0.8), evidence(List.of(), Map.of(), null), false, "metric \"coverage\" was not reported"),
        Arguments.of(metric("coverage", ">=", 0.8), evidence(List.of(), Map.of("coverage", "high"), null), false, "not a number"),
        Arguments.of(verification(4), evidence(List.of(), Map.of(), 4), true, "level 4 reached"),
        Arguments.of(verification(4), evidence(List.of(), Map.of(), 6), true, "level 6 reached"),
        Arguments.of(verification(4), evidence(List.of(), Map.of(), 3), false, "level 3 reached; level 4 is required"),
        Arguments.of(verification(1), evidence(List.of(), Map.of(), null), false, "no verification level reported"));
  }

  @ParameterizedTest(name = "{0} -> met = {2}")
  @MethodSource("table")
  @DisplayName("each gate type is met or not by the evidence, and says what it found")
  void gateTable(GateDef gate, Evidence evidence, boolean met, String finding) {
    Check c = Gates.check(3, gate, evidence);
    assertEquals(met, c.passed(), c.finding());
    assertEquals(3, c.index());
    assertEquals(gate.type(), c.type());
    assertTrue(c.finding().contains(finding), c.finding());
  }

  @Test
  @DisplayName("the newest artifact of a name is the one a content check reads")
  void newestArtifactWins() {
    List<Artifact> versions = List.of(new Artifact("prd.md", "text", "## Summary\n"), new Artifact("prd.md", "text", PRD));
    assertTrue(Gates.check(0, content("prd.md", "Scope"), evidence(versions, Map.of(), null)).passed());
    List<Artifact> regressed = List.of(new Artifact("prd.md", "text", PRD), new Artifact("prd.md", "text", "## Summary\n"));
    assertFalse(Gates.check(0, content("prd.md", "Scope"), evidence(regressed, Map.of(), null)).passed());
  }

  @Test
  @DisplayName("evidence from a completion reads metrics, top-level numbers such as score, and the verification level")
  void evidenceFromCompletion() {
    Map<String, Object> completion = Map.of("score", 0.9, "metrics", Map.of("coverage", 0.7, "score", 0.5),
        "verification_level", 3, "reason", "ok");
    Evidence e = Evidence.of(List.of(), completion);
    assertEquals(0.7, e.metrics().get("coverage"));
    assertEquals(0.5, e.metrics().get("score"), "a metrics entry wins over the top-level number");
    assertEquals(3, e.verificationLevel());
    assertNull(Evidence.of(List.of(), Map.of()).verificationLevel());
  }

  @Nested
  @DisplayName("combining the executor's verdict and the gates")
  class Audit {

    private final List<Check> allMet = List.of(new Check(0, "verification", true, "level 6 reached"));
    private final List<Check> twoUnmet = List.of(
        new Check(0, "artifact_exists", true, "ok"),
        new Check(1, "content_check", false, "\"prd.md\" lacks the section ## Scope"),
        new Check(2, "metric_threshold", false, "coverage is 0.5; it must be >= 0.8"));

    @Test
    @DisplayName("a stabilized audit with every gate met stays stabilized, decided by the executor")
    void stabilizedStays() {
      Verdict v = Gates.audit(Outcome.STABILIZED, Map.of("score", 0.9), allMet);
      assertEquals(Outcome.STABILIZED, v.outcome());
      assertEquals("executor", v.audit().get("decided_by"));
      assertEquals("stabilized", v.audit().get("verdict"));
      assertEquals(1, ((List<?>) v.audit().get("gates")).size());
    }

    @Test
    @DisplayName("a stabilized audit with an unmet gate becomes audit_rejected, decided by the first unmet gate, with every unmet gate's finding")
    void gateTurnsStabilizedIntoRejected() {
      Verdict v = Gates.audit(Outcome.STABILIZED, Map.of("score", 0.9), twoUnmet);
      assertEquals(Outcome.AUDIT_REJECTED, v.outcome());
      assertEquals("gate content_check: \"prd.md\" lacks the section ## Scope", v.reason());
      assertEquals("gate", v.audit().get("decided_by"));
      assertEquals("stabilized", v.audit().get("executor_outcome"));
      assertEquals("audit_rejected", v.audit().get("verdict"));
      assertEquals(1, ((Map<?, ?>) v.audit().get("gate")).get("gate"));
      assertEquals(v.audit().get("gate"), v.detail().get("gate"));
      List<?> findings = (List<?>) v.detail().get("findings");
      assertEquals(2, findings.size());
      assertEquals("content_check", ((Map<?, ?>) findings.get(0)).get("gate"));
      assertEquals(v.reason(), v.detail().get("reason"));
    }

    @Test
    @DisplayName("an executor's rejection stays its own, and unmet gates add their findings to the executor's")
    void executorRejectionKeepsItsReason() {
      Map<String, Object> completion = new HashMap<>();
      completion.put("reason", "acceptance criteria missing");
      completion.put("findings", List.of(Map.of("section", "scope", "finding", "criteria")));
      Verdict v = Gates.audit(Outcome.AUDIT_REJECTED, completion, twoUnmet);
      assertEquals(Outcome.AUDIT_REJECTED, v.outcome());
      assertEquals("acceptance criteria missing", v.reason());
      assertEquals("executor", v.audit().get("decided_by"));
      assertEquals(3, ((List<?>) v.detail().get("findings")).size());
      assertNull(v.detail().get("gate"));
    }

    @Test
    @DisplayName("needs_input and halted pass through whatever the gates say")
    void stopsPassThrough() {
      assertEquals(Outcome.NEEDS_INPUT, Gates.audit(Outcome.NEEDS_INPUT, Map.of("reason", "which market?"), twoUnmet).outcome());
      assertEquals(Outcome.HALTED, Gates.audit(Outcome.HALTED, Map.of(), List.of()).outcome());
    }

    @Test
    @DisplayName("an audit without gates is the executor's verdict")
    void noGates() {
      Verdict v = Gates.audit(Outcome.STABILIZED, Map.of(), List.of());
      assertEquals(Outcome.STABILIZED, v.outcome());
      assertEquals(List.of(), v.audit().get("gates"));
      Verdict rejected = Gates.audit(Outcome.AUDIT_REJECTED, Map.of(), List.of());
      assertEquals("the audit rejected the document", rejected.reason());
      assertEquals(List.of(), rejected.detail().get("findings"));
    }
  }

  @Test
  @DisplayName("requirements: each gate as a sentence and the machine fields an executor can check itself against")
  void requirementsOfEachGate() {
    List<Map<String, Object>> r = Gates.requirements(List.of(verification(2), metric("score", ">=", 0.8), exists("*.md"),
        content("prd.md", "Summary", "Scope")));
    assertEquals(Map.of("gate", "verification", "field", "verification_level", "operator", ">=", "value", 2,
        "text", "verification level \u2265 2: report \"verification_level\": 2 or higher with the completion, or the audit is rejected"), r.get(0));
    assertEquals("metrics.score", r.get(1).get("field"));
    assertEquals(0.8, r.get(1).get("value"));
    assertEquals("metric score >= 0.8: report it in \"metrics\" (or as a top-level number) with the completion", r.get(1).get("text"));
    assertEquals("*.md", r.get(2).get("pattern"));
    assertEquals("the newest artifact \"prd.md\" is text with the sections ## Summary, ## Scope", r.get(3).get("text"));
    assertEquals(List.of("Summary", "Scope"), r.get(3).get("sections"));
    assertTrue(Gates.requirements(List.of()).isEmpty());
  }
}

