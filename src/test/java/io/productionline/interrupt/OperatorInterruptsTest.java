package io.productionline.interrupt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.audit.AuditNodes;
import io.productionline.audit.Hand;
import io.productionline.audit.Watch;
import io.productionline.support.Api;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Operator interrupts and automation levels, answered inline through the HTTP API")
class OperatorInterruptsTest {

  private TestNode node;

  @BeforeEach
  void start() {
    node = AuditNodes.start();
    node.executor("e1");
  }

  @AfterEach
  void stop() {
    node.close();
  }

  private Api.Reply resolve(String interruptId, JsonObject body) {
    return node.api.post("/api/v1/interrupts/" + interruptId + "/resolve", body);
  }

  private static JsonObject transition(List<JsonObject> events, String doc, String state) {
    return events.stream().filter(e -> "station_transition".equals(e.getString("type")) && doc.equals(e.getString("document_type"))
        && state.equals(e.getString("state"))).findFirst().orElseThrow(() -> new AssertionError(doc + " never moved to " + state));
  }

  @Test
  @DisplayName("clarification: the line stops for input, the answer is given inline, the station runs again with it and the track stabilizes")
  void clarificationStopAnswerResume() {
    node.createProject("q", "clarify");
    Watch watch = Watch.of(node, "q");
    assertEquals(200, node.api.post("/production/start?project=q&doc=brief", new JsonObject()).status());

    JsonObject stopped = watch.awaitEvent(e -> "line_stopped".equals(e.getString("type")), "line_stopped");
    assertEquals("clarification", stopped.getString("interrupt_type"));
    assertEquals("brief", stopped.getString("document_type"));
    assertEquals("asm", stopped.getString("station"));
    String id = stopped.getString("interrupt_id");

    // Listed for the project and across projects, with the questions to answer.
    JsonArray ofProject = node.api.get("/api/v1/projects/q/interrupts").json().getJsonArray("interrupts");
    assertEquals(1, ofProject.size());
    JsonObject it = ofProject.getJsonObject(0);
    assertEquals(id, it.getString("interrupt_id"));
    assertEquals("open", it.getString("status"));
    assertNotNull(it.getString("created_at"));
    assertTrue(!it.getJsonObject("payload").getJsonArray("questions").isEmpty(), it.encode());
    assertTrue(node.api.get("/api/v1/interrupts").json().getJsonArray("interrupts").stream()
        .anyMatch(i -> id.equals(((JsonObject) i).getString("interrupt_id"))));
    JsonObject view = node.production("q");
    assertEquals("awaiting_operator", TestNode.track(view, "brief").getString("state"));
    assertEquals("stopped", view.getString("line_state"));

    // An answer of the wrong type, or no answer at all, is refused and changes nothing.
    Api.Reply wrongType = resolve(id, new JsonObject().put("type", "approval"));
    assertEquals(409, wrongType.status(), wrongType.text());
    assertEquals("clarification", wrongType.json().getString("interrupt_type"));
    Api.Reply empty = resolve(id, new JsonObject().put("type", "clarification").put("answers", new JsonObject()));
    assertEquals(400, empty.status(), empty.text());
    Api.Reply escalate = node.api.post("/api/v1/interrupts/" + id + "/escalate", new JsonObject().put("notes", "skip"));
    assertEquals(409, escalate.status(), "only a halted track can be acknowledged: " + escalate.text());
    assertEquals("open", node.api.get("/api/v1/interrupts/" + id).json().getString("status"));

    Api.Reply answered = resolve(id, new JsonObject().put("type", "clarification")
        .put("answers", new JsonObject().put("audience", "EU operators")).put("notes", "from the kickoff"));
    assertEquals(200, answered.status(), answered.text());

    List<JsonObject> events = watch.await(e -> Watch.states(e, "brief").contains("stabilized"), "brief stabilized");
    assertEquals(List.of("binding", "assembling", "awaiting_operator", "assembling", "auditing", "stabilized"),
        Watch.states(events, "brief"));
    int stop = events.indexOf(stopped);
    int resolved = Watch.indexOf(events, e -> "interrupt_resolved".equals(e.getString("type")));
    int resumed = Watch.indexOf(events, e -> "station_transition".equals(e.getString("type"))
        && "awaiting_operator".equals(e.getString("from")));
    assertTrue(stop < resolved && resolved < resumed, Watch.summary(events).toString());
    JsonObject resolvedEvent = events.get(resolved);
    assertEquals(id, resolvedEvent.getString("interrupt_id"));
    assertEquals("EU operators", resolvedEvent.getJsonObject("resolution").getJsonObject("answers").getString("audience"));
    assertTrue(Watch.inHistoryOrder(events));

    // The station ran again with the operator's answer in its task input.
    String trackId = stopped.getString("track_id");
    List<JsonObject> asm = node.api.get("/production/track/" + trackId).json().getJsonArray("runs").stream()
        .map(JsonObject.class::cast).filter(r -> "asm".equals(r.getString("station"))).toList();
    assertEquals(2, asm.size());
    JsonObject answer = asm.get(1).getJsonObject("input").getJsonObject("operator_answer");
    assertEquals("EU operators", answer.getJsonObject("answers").getString("audience"));
    assertEquals("from the kickoff", answer.getString("notes"));

    JsonObject closed = node.api.get("/api/v1/interrupts/" + id).json();
    assertEquals("resolved", closed.getString("status"));
    assertNotNull(closed.getString("resolved_at"));
    assertEquals("operator", closed.getString("resolved_by"));
    assertEquals(409, resolve(id, new JsonObject().put("answers", new JsonObject().put("a", "b"))).status(), "answered once only");
    assertEquals(0, node.api.get("/api/v1/projects/q/interrupts").json().getJsonArray("interrupts").size());
  }

  @Test
  @DisplayName("constraint_conflict: binding reports conflicting constraints, the operator decides, binding runs again with the decision")
  void constraintConflictFromBinding() {
    node.createProject("k", "conflict");
    Watch watch = Watch.of(node, "k");
    Hand hand = new Hand(node, "hand-1");
    assertEquals(200, node.api.post("/production/start?project=k", new JsonObject()).status());

    JsonObject reply = hand.done(hand.claim("bind"), new JsonObject().put("outcome", "needs_input")
        .put("reason", "the deadline and the scope conflict")
        .put("conflicts", new JsonArray().add(new JsonObject().put("constraint", "ship by Friday"))
            .add(new JsonObject().put("constraint", "include the billing export"))));
    assertEquals("awaiting_operator", reply.getString("state"));
    JsonObject stopped = watch.awaitEvent(e -> "line_stopped".equals(e.getString("type")), "line_stopped");
    assertEquals("constraint_conflict", stopped.getString("interrupt_type"));
    assertEquals("the deadline and the scope conflict", stopped.getString("reason"));
    assertEquals(2, stopped.getJsonObject("payload").getJsonArray("conflicts").size());

    Api.Reply wrong = resolve(stopped.getString("interrupt_id"), new JsonObject().put("type", "clarification")
        .put("answers", new JsonObject().put("keep", "deadline")));
    assertEquals(409, wrong.status(), wrong.text());
    Api.Reply decided = resolve(stopped.getString("interrupt_id"), new JsonObject().put("type", "constraint_conflict")
        .put("answers", new JsonObject().put("keep", "deadline")));
    assertEquals(200, decided.status(), decided.text());
    assertEquals("binding", decided.json().getString("state"));

    JsonObject again = hand.claim("bind");
    assertEquals("deadline", again.getJsonObject("input").getJsonObject("operator_answer").getJsonObject("answers").getString("keep"));
    hand.done(again, Hand.stabilized());
    List<JsonObject> events = watch.await(e -> Watch.states(e, "doc").contains("stabilized"), "doc stabilized");
    assertEquals(List.of("binding", "awaiting_operator", "binding", "assembling", "auditing", "stabilized"), Watch.states(events, "doc"));
  }

  @Test
  @DisplayName("human_approval: an approval interrupt opens before the station runs; approving it runs the station")
  void approvalBeforeStation() {
    node.createProject("a", "approve");
    Watch watch = Watch.of(node, "a");
    assertEquals(200, node.api.post("/production/start?project=a", new JsonObject()).status());

    JsonObject stopped = watch.awaitEvent(e -> "line_stopped".equals(e.getString("type")), "line_stopped");
    assertEquals("approval", stopped.getString("interrupt_type"));
    assertEquals("asm", stopped.getJsonObject("payload").getString("station"));
    String trackId = stopped.getString("track_id");
    List<String> ranBefore = node.api.get("/production/track/" + trackId).json().getJsonArray("runs").stream()
        .map(r -> ((JsonObject) r).getString("station")).toList();
    assertEquals(List.of("bind"), ranBefore, "nothing is queued for the station before the approval");

    Api.Reply approved = resolve(stopped.getString("interrupt_id"), new JsonObject().put("type", "approval")
        .put("notes", "community step reviewed"));
    assertEquals(200, approved.status(), approved.text());
    assertEquals("assembling", approved.json().getString("state"));

    List<JsonObject> events = watch.await(e -> Watch.states(e, "doc").contains("stabilized"), "doc stabilized");
    assertEquals(List.of("awaiting_operator", "assembling", "auditing", "stabilized"),
        Watch.states(events, "doc").subList(1, Watch.states(events, "doc").size()));
    assertEquals("approval required before asm", transition(events, "doc", "awaiting_operator").getString("reason"));
  }

  @Test
  @DisplayName("manual: no executor takes the station; the operator reports its outcome, gates apply, and the track moves on")
  void manualStation() {
    node.createProject("m", "manual");
    Watch watch = Watch.of(node, "m");
    assertEquals(200, node.api.post("/production/start?project=m", new JsonObject()).status());

    JsonObject waiting = node.awaitProduction("m", p -> "aud".equals(TestNode.track(p, "doc").getString("current_station")), Watch.BOUND);
    JsonObject track = TestNode.track(waiting, "doc");
    assertEquals("auditing", track.getString("state"));
    JsonObject station = track.getJsonArray("stations").getJsonObject(1);
    assertEquals("manual", station.getString("automation"));
    assertEquals("operator outcome", station.getString("awaiting"));
    assertEquals("manual", track.getJsonObject("current_task").getString("capability"));
    assertEquals("queued", track.getJsonObject("current_task").getString("status"));
    String trackId = track.getString("track_id");
    String path = "/api/v1/tracks/" + trackId + "/outcome";

    assertEquals(400, node.api.post(path, new JsonObject().put("outcome", "done")).status());
    assertEquals(400, node.api.post(path, new JsonObject().put("outcome", "stabilized").put("verification_level", 9)).status());
    assertEquals(404, node.api.post("/api/v1/tracks/trk_none/outcome", new JsonObject().put("outcome", "stabilized")).status());

    // The operator's audit says stabilized, but the verification gate wants level 2: it rejects.
    Api.Reply first = node.api.post(path, new JsonObject().put("outcome", "stabilized").put("verification_level", 1)
        .put("reason", "looked at it"));
    assertEquals(200, first.status(), first.text());
    assertEquals("remediating", first.json().getString("state"));

    node.awaitProduction("m", p -> "auditing".equals(TestNode.track(p, "doc").getString("state"))
        && TestNode.track(p, "doc").getInteger("remediation_count") == 1, Watch.BOUND);
    Api.Reply second = node.api.post(path, new JsonObject().put("outcome", "stabilized").put("verification_level", 3)
        .put("artifacts", new JsonArray().add(new JsonObject().put("name", "review.md").put("kind", "text").put("content", "## Review\nok\n"))));
    assertEquals(200, second.status(), second.text());
    assertEquals("stabilized", second.json().getString("state"));

    List<JsonObject> events = watch.await(e -> Watch.states(e, "doc").contains("stabilized"), "doc stabilized");
    assertEquals(List.of("assembling", "auditing", "remediating", "auditing", "stabilized"), Watch.states(events, "doc"));
    assertTrue(transition(events, "doc", "remediating").getString("reason").contains("gate verification"), Watch.summary(events).toString());

    List<JsonObject> audits = node.api.get("/production/track/" + trackId).json().getJsonArray("runs").stream()
        .map(JsonObject.class::cast).filter(r -> "aud".equals(r.getString("station"))).toList();
    assertEquals(2, audits.size());
    assertTrue(audits.stream().allMatch(r -> "operator".equals(r.getString("executor_id"))), "the operator, not an executor, did them");
    assertEquals(List.of("review.md"), node.api.get("/production/track/" + trackId).json().getJsonArray("artifacts").stream()
        .map(a -> ((JsonObject) a).getString("name")).filter(n -> n.equals("review.md")).toList());
    List<Row> log = node.sql("SELECT actor, action, detail FROM audit_log WHERE action = 'manual_outcome' ORDER BY id");
    assertEquals(2, log.size());
    assertEquals("operator", log.get(0).getString("actor"));

    Api.Reply late = node.api.post(path, new JsonObject().put("outcome", "stabilized"));
    assertEquals(409, late.status(), "a stabilized track has no station to report on: " + late.text());
    assertEquals("stabilized", late.json().getString("current_state"));
  }

  @Test
  @DisplayName("a station that is not manual refuses an operator's outcome: its executor reports it")
  void outcomeRefusedAtAutomaticStation() {
    node.createProject("n", "approve");
    Watch watch = Watch.of(node, "n");
    assertEquals(200, node.api.post("/production/start?project=n", new JsonObject()).status());
    JsonObject stopped = watch.awaitEvent(e -> "line_stopped".equals(e.getString("type")), "line_stopped");
    assertEquals(409, node.api.post("/api/v1/tracks/" + stopped.getString("track_id") + "/outcome",
        new JsonObject().put("outcome", "stabilized")).status(), "awaiting an approval, the track is at no station");
  }

  @Test
  @DisplayName("auto_notify: after the station completes the line goes on and an operator_notice is published")
  void autoNotify() {
    node.createProject("t", "notify");
    Watch watch = Watch.of(node, "t");
    assertEquals(200, node.api.post("/production/start?project=t", new JsonObject()).status());

    List<JsonObject> events = watch.await(e -> Watch.states(e, "doc").contains("stabilized"), "doc stabilized");
    List<JsonObject> notices = events.stream().filter(e -> "operator_notice".equals(e.getString("type"))).toList();
    assertEquals(1, notices.size(), "only the auto_notify station notifies: " + Watch.summary(events));
    JsonObject notice = notices.get(0);
    assertEquals("asm", notice.getString("station"));
    assertEquals("stabilized", notice.getString("outcome"));
    assertEquals("auditing", notice.getString("state"));
    assertTrue(notice.getString("message").contains("asm of doc reported stabilized"), notice.getString("message"));
    int moved = events.indexOf(transition(events, "doc", "auditing"));
    assertTrue(events.indexOf(notice) > moved, "the notice follows the move it tells of: " + Watch.summary(events));
    assertTrue(Watch.inHistoryOrder(events));
  }
}
