package io.productionline.interrupt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.audit.AuditNodes;
import io.productionline.audit.Watch;
import io.productionline.support.Api;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Escalation and Run Full Line around a stopped track, through the HTTP API")
class EscalationTest {

  private TestNode node;

  @BeforeEach
  void start() {
    node = AuditNodes.start();
    node.executor("e1");
    node.executor("e2");
  }

  @AfterEach
  void stop() {
    node.close();
  }

  private static int first(List<JsonObject> events, String doc, String state) {
    return Watch.indexOf(events, e -> "station_transition".equals(e.getString("type")) && doc.equals(e.getString("document_type"))
        && state.equals(e.getString("state")));
  }

  @Test
  @DisplayName("halted → Acknowledge & Continue with notes → escalated; dependents proceed; the audit log keeps who, when and the notes")
  void haltedAcknowledgedEscalated() {
    node.createProject("e", "breaker");
    Watch watch = Watch.of(node, "e");
    Instant before = Instant.now();
    assertEquals(200, node.api.post("/production/start?project=e", new JsonObject()).status());

    JsonObject stopped = watch.awaitEvent(e -> "line_stopped".equals(e.getString("type")), "root halted");
    assertEquals("audit_review", stopped.getString("interrupt_type"));
    JsonObject view = node.production("e");
    assertEquals("halted", TestNode.track(view, "root").getString("state"));
    assertEquals("blocked", TestNode.track(view, "leaf").getString("state"), "a halted dependency holds its dependents");
    String id = stopped.getString("interrupt_id");

    Api.Reply r = node.api.post("/api/v1/interrupts/" + id + "/escalate", new JsonObject().put("notes", "ship with known gaps"));
    assertEquals(200, r.status(), r.text());
    assertEquals("escalated", r.json().getString("state"));

    List<JsonObject> events = watch.await(e -> Watch.states(e, "leaf").contains("stabilized"), "leaf stabilized");
    int resolved = Watch.indexOf(events, e -> "interrupt_resolved".equals(e.getString("type")));
    int escalated = first(events, "root", "escalated");
    int complete = Watch.indexOf(events, e -> "production_complete".equals(e.getString("type")) && "root".equals(e.getString("document_type")));
    int leafStarts = first(events, "leaf", "binding");
    assertTrue(events.indexOf(stopped) < resolved && resolved < escalated && escalated < complete && complete < leafStarts,
        Watch.summary(events).toString());
    assertEquals("escalated", events.get(resolved).getString("how"));
    assertEquals("ship with known gaps", events.get(resolved).getJsonObject("resolution").getString("notes"));
    assertEquals("escalated", events.get(complete).getString("outcome"));
    assertEquals("escalated: ship with known gaps", events.get(escalated).getString("reason"));
    assertTrue(Watch.inHistoryOrder(events));

    JsonObject it = node.api.get("/api/v1/interrupts/" + id).json();
    assertEquals("escalated", it.getString("status"));
    assertEquals("operator", it.getString("resolved_by"));
    assertNotNull(it.getString("resolved_at"));

    List<Row> log = node.sql("SELECT actor, at, target, detail FROM audit_log WHERE action = 'escalate'");
    assertEquals(1, log.size());
    Row row = log.get(0);
    assertEquals("operator", row.getString("actor"));
    assertEquals(id, row.getString("target"));
    assertTrue(!row.getOffsetDateTime("at").toInstant().isBefore(before.minusSeconds(1)), "when: " + row.getOffsetDateTime("at"));
    JsonObject detail = (JsonObject) row.getValue("detail");
    assertEquals("ship with known gaps", detail.getString("notes"));
    assertEquals("root", detail.getString("document_type"));

    assertEquals(409, node.api.post("/api/v1/interrupts/" + id + "/escalate", new JsonObject()).status(), "acknowledged once only");
    JsonObject done = node.production("e");
    assertEquals(1, done.getJsonObject("summary").getInteger("escalated"));
    assertEquals(1, done.getJsonObject("summary").getInteger("stabilized"));
    assertEquals("complete", done.getString("line_state"));
  }

  @Test
  @DisplayName("resolving an audit review runs the halted station again with the answer and a fresh remediation budget")
  void auditReviewResolvedRunsAgain() {
    node.createProject("v", "breaker");
    Watch watch = Watch.of(node, "v");
    assertEquals(200, node.api.post("/production/start?project=v&doc=root", new JsonObject()).status());
    JsonObject stopped = watch.awaitEvent(e -> "line_stopped".equals(e.getString("type")), "root halted");

    Api.Reply r = node.api.post("/api/v1/interrupts/" + stopped.getString("interrupt_id") + "/resolve",
        new JsonObject().put("type", "audit_review").put("notes", "sources added, audit again"));
    assertEquals(200, r.status(), r.text());
    assertEquals("auditing", r.json().getString("state"));
    assertEquals(0, r.json().getInteger("remediation_count"));

    // The audit still rejects every time: the breaker trips again and a new review opens.
    List<JsonObject> events = watch.await(e -> e.stream().filter(x -> "line_stopped".equals(x.getString("type"))).count() == 2,
        "a second audit review");
    assertEquals(List.of("binding", "assembling", "auditing", "remediating", "auditing", "halted",
        "auditing", "remediating", "auditing", "halted"), Watch.states(events, "root"));
  }

  @Test
  @DisplayName("cancelling a halted track withdraws its open review, and says so on the event stream")
  void cancelWithdrawsInterrupt() {
    node.createProject("w", "breaker");
    Watch watch = Watch.of(node, "w");
    assertEquals(200, node.api.post("/production/start?project=w&doc=root", new JsonObject()).status());
    JsonObject stopped = watch.awaitEvent(e -> "line_stopped".equals(e.getString("type")), "root halted");
    String id = stopped.getString("interrupt_id");

    Api.Reply r = node.api.post("/production/track/" + stopped.getString("track_id") + "/cancel",
        new JsonObject().put("kind", "permanent").put("reason", "abandoned"));
    assertEquals(200, r.status(), r.text());
    JsonObject withdrawn = watch.awaitEvent(e -> "interrupt_resolved".equals(e.getString("type")), "interrupt_resolved");
    assertEquals(id, withdrawn.getString("interrupt_id"));
    assertEquals("withdrawn", withdrawn.getString("how"));
    assertEquals("withdrawn", node.api.get("/api/v1/interrupts/" + id).json().getString("status"));
    assertEquals(0, node.api.get("/api/v1/projects/w/interrupts").json().getJsonArray("interrupts").size());
    assertEquals(409, node.api.post("/api/v1/interrupts/" + id + "/resolve",
        new JsonObject().put("notes", "too late")).status(), "a withdrawn interrupt takes no answer");
  }

  @Test
  @DisplayName("Run Full Line: independent tracks start in parallel, dependents wait, and a track awaiting an operator stops only its dependents")
  void runFullLineWhileOneAwaitsOperator() {
    node.createProject("f", "clarify");
    Watch watch = Watch.of(node, "f");
    Api.Reply r = node.api.post("/production/start?project=f", new JsonObject());
    assertEquals(200, r.status(), r.text());
    JsonArray started = r.json().getJsonArray("tracks");
    assertEquals(3, started.size());
    assertEquals(List.of("binding", "binding", "blocked"), started.stream().map(t -> ((JsonObject) t).getString("state")).sorted().toList(),
        "brief and other start at once; plan waits");

    JsonObject waiting = node.awaitProduction("f", p -> "stabilized".equals(TestNode.track(p, "other").getString("state"))
        && "awaiting_operator".equals(TestNode.track(p, "brief").getString("state")), Watch.BOUND);
    assertEquals("blocked", TestNode.track(waiting, "plan").getString("state"));
    assertEquals("awaiting dependencies: brief", TestNode.track(waiting, "plan").getString("reason"));
    assertEquals("stopped", waiting.getString("line_state"));
    JsonObject it = waiting.getJsonArray("interrupts").getJsonObject(0);

    Api.Reply answered = node.api.post("/api/v1/interrupts/" + it.getString("interrupt_id") + "/resolve",
        new JsonObject().put("answers", new JsonObject().put("audience", "operators")));
    assertEquals(200, answered.status(), answered.text());

    JsonObject done = node.awaitProduction("f", p -> TestNode.allTracks(p, "stabilized"), Watch.BOUND);
    assertEquals("complete", done.getString("line_state"));
    List<JsonObject> events = watch.events();
    int briefStabilized = first(events, "brief", "stabilized");
    int planBinds = first(events, "plan", "binding");
    int otherStabilized = first(events, "other", "stabilized");
    int briefStops = first(events, "brief", "awaiting_operator");
    assertTrue(briefStabilized >= 0 && briefStabilized < planBinds, "plan waits for brief: " + Watch.summary(events));
    assertTrue(first(events, "plan", "blocked") < briefStabilized, "plan was blocked meanwhile");
    assertTrue(otherStabilized >= 0 && briefStops >= 0, Watch.summary(events).toString());
    assertTrue(Watch.inHistoryOrder(events));
  }
}
