package io.productionline.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Audits: server-side gates, the remediation loop and the circuit breaker, through the HTTP API")
class AuditGatesTest {

  private TestNode node;

  @BeforeEach
  void start() {
    node = AuditNodes.start();
  }

  @AfterEach
  void stop() {
    node.close();
  }

  // ---- one test per gate type: the gate rejects what the executor stabilized, remediation fixes it

  @Test
  @DisplayName("artifact_exists: no artifact matching the pattern turns a stabilized audit into audit_rejected; the remediation's artifact satisfies it")
  void artifactExistsGate() {
    gateLoop("exists_doc", "artifact_exists",
        Hand.stabilized().put("artifacts", new JsonArray().add(Hand.text("spec.md", "# Spec\n"))),
        Hand.stabilized(),
        Hand.stabilized().put("artifacts", new JsonArray().add(Hand.text("spec.pdf", "%PDF-1.7 (rendered)"))),
        Hand.stabilized(),
        "no artifact matches \"*.pdf\"");
  }

  @Test
  @DisplayName("content_check: a Markdown artifact without a required section is rejected, naming the section; the remediated one passes")
  void contentCheckGate() {
    gateLoop("content_doc", "content_check",
        Hand.stabilized().put("artifacts", new JsonArray().add(Hand.text("brief.md", "# Brief\n\n## Summary\n\nShort.\n"))),
        Hand.stabilized(),
        Hand.stabilized().put("artifacts", new JsonArray().add(Hand.text("brief.md", "# Brief\n\n## Summary\n\nShort.\n\n## Risks\n\nFew.\n"))),
        Hand.stabilized(),
        "\"brief.md\" lacks the section ## Risks");
  }

  @Test
  @DisplayName("metric_threshold: a reported metric below the threshold is rejected with the value and the rule")
  void metricThresholdGate() {
    gateLoop("metric_doc", "metric_threshold",
        Hand.stabilized(),
        Hand.stabilized().put("metrics", new JsonObject().put("coverage", 0.55)),
        Hand.stabilized(),
        Hand.stabilized().put("metrics", new JsonObject().put("coverage", 0.91)),
        "coverage is 0.55; it must be >= 0.8");
  }

  @Test
  @DisplayName("verification: a verification level below the gate's is rejected; the level reached after remediation passes")
  void verificationGate() {
    gateLoop("verify_doc", "verification",
        Hand.stabilized(),
        Hand.stabilized().put("verification_level", 2),
        Hand.stabilized(),
        Hand.stabilized().put("verification_level", 5),
        "verification level 2 reached; level 4 is required");
  }

  /**
   * Runs one document of the {@code gated} line by hand: assemble, an audit the executor stabilizes
   * but the gate rejects, a remediation, and an audit that passes.
   */
  private void gateLoop(String doc, String gateType, JsonObject asm, JsonObject firstAudit, JsonObject rem, JsonObject secondAudit,
                        String finding) {
    node.createProject("g", "gated");
    Watch watch = Watch.of(node, "g");
    Hand hand = new Hand(node, "hand-1");
    assertEquals(200, node.api.post("/production/start?project=g&doc=" + doc, new JsonObject()).status());

    hand.done(hand.claim("asm"), asm);
    JsonObject reply = hand.done(hand.claim("aud"), firstAudit);
    assertEquals("remediating", reply.getString("state"), "the completion's reply shows the gate's verdict: " + reply.encode());

    JsonObject remTask = hand.claim("rem");
    JsonObject input = remTask.getJsonObject("input");
    assertEquals(gateType, input.getJsonObject("gate").getString("type"), "the remediation station is told which gate decided");
    assertTrue(input.getJsonArray("findings").encode().contains(finding.replace("\"", "\\\"")), input.encode());
    assertTrue(input.getString("reason").contains(finding), input.getString("reason"));
    assertEquals(1, input.getInteger("remediation_count"));
    hand.done(remTask, rem);
    hand.done(hand.claim("aud"), secondAudit);

    List<JsonObject> events = watch.await(e -> Watch.states(e, doc).contains("stabilized"), doc + " stabilized");
    assertEquals(List.of("assembling", "auditing", "remediating", "auditing", "stabilized"), Watch.states(events, doc));
    assertTrue(Watch.inHistoryOrder(events), Watch.summary(events).toString());

    JsonObject rejected = transition(events, doc, "remediating");
    assertTrue(rejected.getString("reason").startsWith("audit rejected: gate " + gateType + ": "), rejected.getString("reason"));
    assertTrue(rejected.getString("reason").contains(finding), rejected.getString("reason"));
    JsonObject audit = rejected.getJsonObject("audit");
    assertEquals("gate", audit.getString("decided_by"));
    assertEquals("stabilized", audit.getString("executor_outcome"));
    assertEquals("audit_rejected", audit.getString("verdict"));
    assertEquals(gateType, audit.getJsonObject("gate").getString("type"));
    assertEquals(1, rejected.getInteger("remediation_count"));

    JsonObject passed = transition(events, doc, "stabilized");
    assertEquals("executor", passed.getJsonObject("audit").getString("decided_by"));
    assertTrue(passed.getJsonObject("audit").getJsonArray("gates").stream()
        .allMatch(g -> ((JsonObject) g).getBoolean("passed")), passed.encode());

    // The task result keeps which gate decided, and the run's outcome is the combined verdict.
    String trackId = rejected.getString("track_id");
    JsonArray runs = node.api.get("/production/track/" + trackId).json().getJsonArray("runs");
    List<JsonObject> audits = runs.stream().map(JsonObject.class::cast).filter(r -> "aud".equals(r.getString("station"))).toList();
    assertEquals(2, audits.size());
    assertEquals("audit_rejected", audits.get(0).getString("outcome"));
    JsonObject kept = audits.get(0).getJsonObject("result").getJsonObject("audit");
    assertEquals("gate", kept.getString("decided_by"));
    assertEquals(gateType, kept.getJsonObject("gate").getString("type"));
    assertTrue(kept.getJsonObject("gate").getString("finding").contains(finding.replace("gate " + gateType + ": ", "")));
    assertEquals("stabilized", audits.get(1).getString("outcome"));
  }

  // ---- the remediation loop by the executor's own verdict, and the circuit breaker

  @Test
  @DisplayName("remediation loop: audit_rejected → remediating (findings handed to the remediation) → audit passed → stabilized")
  void remediationLoop() {
    node.createProject("r", "remloop");
    Watch watch = Watch.of(node, "r");
    node.executor("e1");
    assertEquals(200, node.api.post("/production/start?project=r&doc=doc", new JsonObject()).status());

    List<JsonObject> events = watch.await(e -> e.stream().anyMatch(x -> "production_complete".equals(x.getString("type")))
        && e.stream().filter(x -> "line_progress".equals(x.getString("type"))).count() == 6, "doc complete");
    assertEquals(List.of("binding", "assembling", "auditing", "remediating", "auditing", "stabilized"), Watch.states(events, "doc"));
    assertEquals(events.stream().filter(e -> "station_transition".equals(e.getString("type"))).count(),
        events.stream().filter(e -> "line_progress".equals(e.getString("type"))).count(), "each move also updates the line's progress");
    JsonObject remediating = transition(events, "doc", "remediating");
    assertEquals(1, remediating.getInteger("remediation_count"));
    assertEquals(2, remediating.getInteger("max_remediations"));
    assertTrue(remediating.getString("reason").startsWith("audit rejected: "), remediating.getString("reason"));
    assertEquals("executor", remediating.getJsonObject("audit").getString("decided_by"));
    int complete = Watch.indexOf(events, e -> "production_complete".equals(e.getString("type")));
    assertTrue(complete > Watch.indexOf(events, e -> "stabilized".equals(e.getString("state"))), Watch.summary(events).toString());
    assertEquals("stabilized", events.get(complete).getString("outcome"));

    JsonArray runs = node.api.get("/production/track/" + remediating.getString("track_id")).json().getJsonArray("runs");
    JsonObject aud = runs.stream().map(JsonObject.class::cast).filter(r -> "aud".equals(r.getString("station"))).findFirst().orElseThrow();
    JsonObject rem = runs.stream().map(JsonObject.class::cast).filter(r -> "rem".equals(r.getString("station"))).findFirst().orElseThrow();
    JsonArray findings = aud.getJsonObject("result").getJsonArray("findings");
    assertTrue(findings != null && !findings.isEmpty(), "the audit reported findings: " + aud.encode());
    assertEquals(findings, rem.getJsonObject("input").getJsonArray("findings"), "the remediation gets the audit's findings");
    assertEquals(1, rem.getJsonObject("input").getInteger("remediation_count"));
  }

  @Test
  @DisplayName("circuit breaker: past max_remediations the track halts and an audit_review interrupt opens (line_stopped)")
  void circuitBreakerHalts() {
    node.createProject("b", "breaker");
    Watch watch = Watch.of(node, "b");
    node.executor("e1");
    assertEquals(200, node.api.post("/production/start?project=b&doc=root", new JsonObject()).status());

    List<JsonObject> events = watch.await(e -> e.stream().anyMatch(x -> "line_stopped".equals(x.getString("type"))), "line_stopped");
    assertEquals(List.of("binding", "assembling", "auditing", "remediating", "auditing", "halted"), Watch.states(events, "root"));
    JsonObject halted = transition(events, "root", "halted");
    assertEquals("circuit breaker after 1 remediations", halted.getString("reason"));
    int haltedAt = events.indexOf(halted);
    JsonObject stopped = events.stream().filter(e -> "line_stopped".equals(e.getString("type"))).findFirst().orElseThrow();
    assertTrue(events.indexOf(stopped) > haltedAt, "line_stopped follows the move to halted");
    assertEquals("audit_review", stopped.getString("interrupt_type"));
    assertNotNull(stopped.getString("interrupt_id"));

    JsonArray open = node.api.get("/api/v1/projects/b/interrupts").json().getJsonArray("interrupts");
    assertEquals(1, open.size());
    JsonObject it = open.getJsonObject(0);
    assertEquals(stopped.getString("interrupt_id"), it.getString("interrupt_id"));
    assertEquals("audit_review", it.getString("type"));
    assertEquals("open", it.getString("status"));
    assertTrue(!it.getJsonObject("payload").getJsonArray("findings").isEmpty(), "the review shows the audit's findings: " + it.encode());
    JsonObject view = node.production("b");
    assertEquals("stopped", view.getString("line_state"));
    assertEquals("halted", TestNode.track(view, "root").getString("state"));
  }

  // ---- a multi-operator audit

  @Test
  @DisplayName("work items: a station with work_items N runs N tasks of one run, each shown; the audit rejects if any item rejects")
  void multiOperatorStation() {
    node.createProject("m", "items");
    Watch watch = Watch.of(node, "m");
    node.executor("e1");
    node.executor("e2");
    node.executor("e3");
    Hand h1 = new Hand(node, "hand-1");
    Hand h2 = new Hand(node, "hand-2");
    assertEquals(200, node.api.post("/production/start?project=m&doc=doc", new JsonObject()).status());

    // The assembly's three items run on the sim executors; the audit's two come to the hands.
    JsonObject a1 = h1.claim("aud");
    JsonObject a2 = h2.claim("aud");
    assertEquals(a1.getInteger("run_no"), a2.getInteger("run_no"), "both items belong to one station run");
    assertEquals(List.of(1, 2), List.of(a1.getJsonObject("input").getInteger("item"), a2.getJsonObject("input").getInteger("item"))
        .stream().sorted().toList());
    assertEquals(2, a1.getJsonObject("input").getInteger("work_items"));

    JsonObject asmView = TestNode.track(node.production("m"), "doc").getJsonArray("stations").getJsonObject(0);
    assertEquals(3, asmView.getInteger("work_items"));
    assertEquals(1, asmView.getInteger("runs"));
    assertEquals(List.of(1, 2, 3), asmView.getJsonArray("items").stream().map(i -> ((JsonObject) i).getInteger("item")).toList());
    assertTrue(asmView.getJsonArray("items").stream().map(JsonObject.class::cast)
        .allMatch(i -> "completed".equals(i.getString("status")) && i.getString("executor_id").startsWith("e")), asmView.encode());

    JsonObject partial = h1.done(a1, Hand.stabilized());
    assertEquals("auditing", partial.getString("state"), "one item done: the station waits for the other");
    JsonObject audView = TestNode.track(node.production("m"), "doc").getJsonArray("stations").getJsonObject(1);
    assertEquals(List.of("claimed", "completed"), audView.getJsonArray("items").stream()
        .map(i -> ((JsonObject) i).getString("status")).sorted().toList());
    JsonObject rejected = h2.done(a2, new JsonObject().put("outcome", "audit_rejected").put("reason", "tables unreadable")
        .put("findings", new JsonArray().add(new JsonObject().put("finding", "table 2 has no units"))));
    assertEquals("remediating", rejected.getString("state"), "any item rejecting rejects the audit");

    JsonObject b1 = h1.claim("aud");
    JsonObject b2 = h2.claim("aud");
    h1.done(b1, Hand.stabilized());
    h2.done(b2, Hand.stabilized());
    List<JsonObject> events = watch.await(e -> Watch.states(e, "doc").contains("stabilized"), "doc stabilized");
    assertEquals(List.of("assembling", "auditing", "remediating", "auditing", "stabilized"), Watch.states(events, "doc"));
    JsonObject remediating = transition(events, "doc", "remediating");
    assertTrue(remediating.getString("reason").contains("1 of 2 work items reported audit_rejected"), remediating.getString("reason"));
    List<JsonObject> itemEvents = events.stream().filter(e -> "work_item_complete".equals(e.getString("type"))).toList();
    assertTrue(itemEvents.size() >= 2 + 1 + 1, "an event for each item that completed before the last: " + Watch.summary(events));

    // Exactly one row per station run item.
    assertEquals(0L, node.sql("SELECT count(*) FROM (SELECT track_id, run_no, item FROM station_tasks GROUP BY 1, 2, 3 "
        + "HAVING count(*) > 1) d").get(0).getLong(0));
    assertEquals(3L, node.sql("SELECT count(*) FROM station_tasks WHERE station_id = 'asm'").get(0).getLong(0));
    assertEquals(4L, node.sql("SELECT count(*) FROM station_tasks WHERE station_id = 'aud'").get(0).getLong(0));
  }

  private static JsonObject transition(List<JsonObject> events, String doc, String state) {
    return events.stream().filter(e -> "station_transition".equals(e.getString("type")) && doc.equals(e.getString("document_type"))
        && state.equals(e.getString("state"))).findFirst().orElseThrow(() -> new AssertionError("no move of " + doc + " to " + state
        + " in " + Watch.summary(events)));
  }

  static Duration bound() {
    return Watch.BOUND;
  }
}
