package io.productionline.interrupt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.events.Addresses;
import io.productionline.support.Api;
import io.productionline.support.Await;
import io.productionline.support.MutableClock;
import io.productionline.support.TestNode;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The SLA policy: what happens when an interrupt's SLA passes, per type and per station, taken once
 * by the cluster's SLA check ({@code SlaWatch.runOnce()} with a settable clock), audited, announced
 * on the inbox and shown in it.
 */
@DisplayName("SLA policy: alert, escalate or answer with a default when an interrupt's SLA passes; once, audited, in the inbox")
class SlaPolicyTest {

  private final MutableClock clock = new MutableClock();
  private TestNode node;
  private final List<JsonObject> inbox = new CopyOnWriteArrayList<>();
  private MessageConsumer<JsonObject> consumer;

  private void start(JsonObject policy) {
    JsonObject config = TestNode.config();
    config.put("analytics", new JsonObject().put("sla_check_seconds", 3600)
        .put("sla_seconds", new JsonObject().put("approval", 60).put("clarification", 120).put("audit_review", 300))
        .put("sla_policy", policy));
    node = TestNode.start(config, clock);
    consumer = node.vertx.eventBus().consumer(Addresses.INBOX, m -> inbox.add(m.body()));
    consumer.completion().await();
  }

  @AfterEach
  void stop() {
    if (node != null) {
      consumer.unregister();
      node.close();
    }
  }

  private JsonObject openInterrupt(String project, String type) {
    return Await.until(() -> node.api.get("/api/v1/inbox?project=" + project).json().getJsonArray("items").stream()
        .map(JsonObject.class::cast).filter(i -> type.equals(i.getString("type"))).findFirst().orElse(null),
        i -> i != null, Duration.ofSeconds(10), "an open " + type + " of " + project);
  }

  /** Starts the line's "ask" document and answers its station with a question: a clarification opens. */
  private void clarification(String project) {
    assertEquals(200, node.api.post("/production/start?project=" + project + "&doc=ask", new JsonObject()).status());
    Api asker = node.executorApi("asker");
    asker.post("/api/v1/executors", new JsonObject().put("executor_id", "asker").put("capabilities", new JsonArray().add("flow_ask")));
    JsonObject claimed = asker.get("/api/v1/work/next?executor_id=asker&wait=5").json().getJsonObject("task");
    assertEquals(200, asker.post("/api/v1/work/" + claimed.getString("task_id") + "/complete", new JsonObject()
        .put("lease_token", claimed.getString("lease_token")).put("outcome", "needs_input").put("reason", "which audience?")
        .put("questions", new JsonArray().add("Which audience?"))).status());
  }

  private Row interrupt(String id) {
    return node.sql("SELECT status, resolved_by, resolution FROM interrupts WHERE id = '" + id + "'").get(0);
  }

  @Test
  @DisplayName("A halt is acknowledged and a clarification answered with the default; each once, audited, announced, shown in the inbox beforehand")
  void escalateAndAnswer() {
    start(new JsonObject()
        .put("audit_review", new JsonObject().put("action", "escalate").put("notes", "no answer within the SLA"))
        .put("clarification", new JsonObject().put("action", "answer").put("answer", new JsonObject()
            .put("answers", new JsonObject().put("audience", "operators")))));
    node.createProject("sla", "flow_inbox");
    clarification("sla");
    JsonObject question = openInterrupt("sla", "clarification");
    node.createProject("slh", "single");
    assertEquals(200, node.api.post("/production/start?project=slh", new JsonObject()).status());
    Api halter = node.executorApi("halter");
    halter.post("/api/v1/executors", new JsonObject().put("executor_id", "halter").put("capabilities", new JsonArray().add("sim")));
    JsonObject claimed = halter.get("/api/v1/work/next?executor_id=halter&wait=5").json().getJsonObject("task");
    assertEquals(200, halter.post("/api/v1/work/" + claimed.getString("task_id") + "/complete", new JsonObject()
        .put("lease_token", claimed.getString("lease_token")).put("outcome", "halted").put("reason", "the source is unreadable")).status());
    JsonObject halt = openInterrupt("slh", "audit_review");
    assertEquals("escalate", halt.getJsonObject("sla_policy").getString("action"));
    assertEquals("when the SLA passes: acknowledged and continued automatically", halt.getJsonObject("sla_policy").getString("says"));
    assertEquals("answer", question.getJsonObject("sla_policy").getString("action"));

    SlaWatch sla = node.node.slaWatch();
    assertTrue(sla.runOnce().await().actions().isEmpty(), "nothing is due yet");

    clock.advance(Duration.ofSeconds(121));
    SlaWatch.Check first = sla.runOnce().await();
    assertEquals(1, first.actions().size(), "only the clarification is past its SLA: " + first.actions());
    JsonObject taken = first.actions().get(0);
    assertEquals("answer", taken.getString("action"));
    assertTrue(taken.getBoolean("taken"), taken.encode());
    Row q = interrupt(question.getString("interrupt_id"));
    assertEquals("resolved", q.getString("status"));
    assertEquals("sla-policy", q.getString("resolved_by"));
    assertEquals("operators", q.getJsonObject("resolution").getJsonObject("answers").getString("audience"));
    assertEquals("open", interrupt(halt.getString("interrupt_id")).getString("status"));

    clock.advance(Duration.ofSeconds(300));
    SlaWatch.Check second = sla.runOnce().await();
    assertEquals(1, second.actions().size(), "the answer is not given again: " + second.actions());
    assertEquals("escalate", second.actions().get(0).getString("action"));
    assertTrue(second.actions().get(0).getBoolean("taken"), second.actions().get(0).encode());
    assertEquals("escalated", interrupt(halt.getString("interrupt_id")).getString("status"));
    assertTrue(sla.runOnce().await().actions().isEmpty(), "each action once");

    List<Row> audit = node.sql("SELECT action, actor, target FROM audit_log WHERE actor = 'sla-policy' ORDER BY id");
    assertEquals(List.of("resolve", "sla_answer", "escalate", "sla_escalate"), audit.stream().map(r -> r.getString("action")).toList());
    List<Row> breaches = node.sql("SELECT interrupt_id, action, action_result FROM sla_breaches ORDER BY breached_at");
    assertEquals(List.of("answer", "escalate"), breaches.stream().map(r -> r.getString("action")).toList());
    assertTrue(breaches.stream().allMatch(r -> "taken".equals(r.getString("action_result"))));
    Await.until(() -> inbox.stream().filter(e -> "sla_action".equals(e.getString("type"))).count(), n -> n == 2L,
        Duration.ofSeconds(10), "two sla_action events on the inbox");
    JsonObject after = node.api.get("/api/v1/inbox").json();
    assertTrue(after.getJsonArray("items").isEmpty(), "nothing waits any more");
    JsonArray acted = after.getJsonArray("sla_actions");
    assertEquals(List.of(halt.getString("interrupt_id"), question.getString("interrupt_id")),
        acted.stream().map(a -> ((JsonObject) a).getString("interrupt_id")).toList(), "the inbox lists what the policy did, newest first");
    assertEquals("SLA passed: acknowledged and continued automatically", acted.getJsonObject(0).getString("says"));
    assertEquals("SLA passed: answered with the configured default", acted.getJsonObject(1).getString("says"));
    assertTrue(acted.getJsonObject(1).getBoolean("taken"));
    assertEquals(List.of(question.getString("interrupt_id")), node.api.get("/api/v1/inbox?project=sla").json().getJsonArray("sla_actions")
        .stream().map(a -> ((JsonObject) a).getString("interrupt_id")).toList(), "of one project");
    JsonObject lastEvent = inbox.stream().filter(e -> "sla_action".equals(e.getString("type"))).reduce((a, b) -> b).orElseThrow();
    assertEquals(2, lastEvent.getJsonObject("inbox").getJsonArray("sla_actions").size(), "the push carries the same list");
  }

  @Test
  @DisplayName("A station's rule wins over its type's; alert (the default) only raises the alarm")
  void stationOverride() {
    start(new JsonObject().put("approval", new JsonObject().put("action", "answer").put("answer", new JsonObject().put("notes", "ok")))
        .put("stations", new JsonObject().put("bind", new JsonObject().put("action", "alert"))));
    node.createProject("slb", "flow_inbox");
    assertEquals(200, node.api.post("/production/start?project=slb&doc=approve", new JsonObject()).status());
    JsonObject approval = openInterrupt("slb", "approval");
    assertEquals("alert", approval.getJsonObject("sla_policy").getString("action"), "the station bind's rule");
    clock.advance(Duration.ofSeconds(61));
    SlaWatch.Check check = node.node.slaWatch().runOnce().await();
    assertEquals(1, check.breached().size(), "the alarm");
    assertTrue(check.actions().isEmpty(), "and nothing else");
    assertEquals("open", interrupt(approval.getString("interrupt_id")).getString("status"));
    assertEquals("alerted", node.sql("SELECT action_result FROM sla_breaches").get(0).getString(0));
  }

  @Test
  @DisplayName("A policy that does not hold is refused, naming what is wrong")
  void badPolicies() {
    for (JsonObject bad : List.of(new JsonObject().put("approval", new JsonObject().put("action", "retry")),
        new JsonObject().put("approval", new JsonObject().put("action", "escalate")),
        new JsonObject().put("clarification", new JsonObject().put("action", "answer")),
        new JsonObject().put("nonsense", new JsonObject().put("action", "alert")),
        new JsonObject().put("stations", "bind"))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SlaPolicy(bad));
      assertTrue(e.getMessage().startsWith("analytics.sla_policy"), e.getMessage());
    }
    SlaPolicy p = new SlaPolicy(new JsonObject().put("audit_review", new JsonObject().put("action", "escalate"))
        .put("stations", new JsonObject().put("legal", new JsonObject().put("action", "alert"))));
    assertEquals(SlaPolicy.Action.ESCALATE, p.of("audit_review", "draft").action());
    assertEquals(SlaPolicy.Action.ALERT, p.of("audit_review", "legal").action());
    assertEquals(SlaPolicy.Action.ALERT, p.of("clarification", null).action());
  }
}
