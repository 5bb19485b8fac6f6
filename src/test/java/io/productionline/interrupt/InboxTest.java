package io.productionline.interrupt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.events.Addresses;
import io.productionline.support.Api;
import io.productionline.support.MutableClock;
import io.productionline.support.TestNode;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The operator inbox across projects with SLA countdowns, and the SLA check that announces a
 * breach once, driven by a settable clock and {@code SlaWatch.runOnce()} (its timer is off).
 * SLAs: approval 60 s, clarification 120 s.
 */
@DisplayName("Operator inbox: one place across projects, oldest first, SLA countdowns, a breach announced once")
class InboxTest {

  private final MutableClock clock = new MutableClock();
  private TestNode node;
  private final List<JsonObject> heard = new CopyOnWriteArrayList<>();
  private final LinkedBlockingQueue<JsonObject> arrivals = new LinkedBlockingQueue<>();
  private final List<MessageConsumer<JsonObject>> consumers = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    clock.advance(Duration.ofNanos(-(clock.instant().getNano() % 1000)));
    JsonObject config = TestNode.config();
    config.put("analytics", new JsonObject().put("sla_check_seconds", 3600)
        .put("sla_seconds", new JsonObject().put("approval", 60).put("clarification", 120)));
    node = TestNode.start(config, clock);
    for (String address : List.of(Addresses.INBOX, Addresses.project("inbox-a"), Addresses.project("inbox-b"))) {
      MessageConsumer<JsonObject> c = node.vertx.eventBus().consumer(address, m -> {
        JsonObject e = m.body().copy().put("_address", address);
        heard.add(e);
        arrivals.offer(e);
      });
      c.completion().await();
      consumers.add(c);
    }
  }

  @AfterEach
  void stop() {
    consumers.forEach(MessageConsumer::unregister);
    node.close();
  }

  private JsonObject inbox(String query) {
    Api.Reply r = node.api.get("/api/v1/inbox" + query);
    assertEquals(200, r.status(), r.text());
    return r.json();
  }

  private JsonObject awaitHeard(Predicate<JsonObject> match, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    try {
      while (heard.stream().noneMatch(match)) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || arrivals.poll(left, TimeUnit.NANOSECONDS) == null) {
          throw new AssertionError("timed out waiting for " + what + "; heard " + heard);
        }
      }
      return heard.stream().filter(match).findFirst().orElseThrow();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static JsonObject item(JsonObject inbox, String project, String type) {
    return inbox.getJsonArray("items").stream().map(JsonObject.class::cast)
        .filter(i -> project.equals(i.getString("project_id")) && type.equals(i.getString("type")))
        .findFirst().orElseThrow(() -> new AssertionError("no " + type + " of " + project + " in " + inbox.encodePrettily()));
  }

  private long breachEvents(String interruptId, String address) {
    return heard.stream().filter(e -> "sla_breached".equals(e.getString("type")) && interruptId.equals(e.getString("interrupt_id"))
        && address.equals(e.getString("_address"))).count();
  }

  @Test
  @DisplayName("approvals and clarifications of two projects, oldest first, count down; passing the SLA is an event, once")
  void slaCountdownAndBreach() {
    node.createProject("inbox-a", "flow_inbox");
    node.createProject("inbox-b", "flow_inbox");
    assertEquals(200, node.api.post("/production/start?project=inbox-a&doc=approve", new JsonObject()).status());
    awaitHeard(e -> "inbox_opened".equals(e.getString("type")) && "inbox-a".equals(e.getString("project")), "the approval of inbox-a");
    Instant aOpened = clock.instant();

    clock.advance(Duration.ofSeconds(20));
    assertEquals(200, node.api.post("/production/start?project=inbox-b", new JsonObject()).status());
    Api asker = node.executorApi("asker");
    Api.Reply reg = asker.post("/api/v1/executors", new JsonObject().put("executor_id", "asker").put("capabilities",
        new JsonArray().add("flow_ask")));
    assertEquals(201, reg.status());
    JsonObject claimed = asker.get("/api/v1/work/next?executor_id=asker&wait=0").json().getJsonObject("task");
    assertEquals(200, asker.post("/api/v1/work/" + claimed.getString("task_id") + "/complete", new JsonObject()
        .put("lease_token", claimed.getString("lease_token")).put("outcome", "needs_input").put("reason", "which audience?")
        .put("questions", new JsonArray().add("Which audience?"))).status());
    awaitHeard(e -> "inbox_opened".equals(e.getString("type")) && "clarification".equals(e.getString("interrupt_type")),
        "the clarification of inbox-b");

    JsonObject box = inbox("");
    assertEquals(3, box.getInteger("open"));
    JsonArray items = box.getJsonArray("items");
    assertEquals("inbox-a", items.getJsonObject(0).getString("project_id"), "oldest first");
    JsonObject a = item(box, "inbox-a", "approval");
    assertEquals(20L, a.getLong("age_seconds"));
    assertEquals(60, a.getInteger("sla_seconds"));
    assertEquals(40L, a.getLong("remaining_seconds"), "the countdown");
    assertEquals(aOpened.plusSeconds(60), Instant.parse(a.getString("due_at")));
    assertFalse(a.getBoolean("breached"));
    assertEquals("approval", a.getString("kind"));
    assertEquals("awaiting_operator", a.getString("track_state"));
    JsonObject clarification = item(box, "inbox-b", "clarification");
    assertEquals(120L, clarification.getLong("remaining_seconds"));
    assertEquals("clarification", clarification.getString("kind"));
    assertEquals(Map.of("approval", 2, "clarification", 1), box.getJsonObject("by_kind").getMap());

    SlaWatch sla = node.node.slaWatch();
    assertTrue(sla.runOnce().await().breached().isEmpty(), "nothing is due yet");

    clock.advance(Duration.ofSeconds(41));
    SlaWatch.Check first = sla.runOnce().await();
    assertTrue(first.ran());
    assertEquals(1, first.breached().size());
    String aId = a.getString("interrupt_id");
    assertEquals(aId, first.breached().get(0).interruptId());
    JsonObject event = awaitHeard(e -> "sla_breached".equals(e.getString("type")) && aId.equals(e.getString("interrupt_id"))
        && Addresses.INBOX.equals(e.getString("_address")), "sla_breached on the inbox address");
    awaitHeard(e -> "sla_breached".equals(e.getString("type")) && Addresses.project("inbox-a").equals(e.getString("_address")),
        "sla_breached on the project address");
    assertEquals("approval", event.getString("interrupt_type"));
    assertEquals(60, event.getInteger("sla_seconds"));
    assertEquals(61L, event.getLong("age_seconds"));
    assertEquals(aOpened.plusSeconds(60), Instant.parse(event.getString("breached_at")));
    JsonObject after = item(inbox(""), "inbox-a", "approval");
    assertTrue(after.getBoolean("breached"));
    assertEquals(-1L, after.getLong("remaining_seconds"));
    assertFalse(item(inbox(""), "inbox-b", "approval").getBoolean("breached"));

    assertTrue(sla.runOnce().await().breached().isEmpty(), "a breach is announced once");
    clock.advance(Duration.ofSeconds(30));
    SlaWatch.Check second = sla.runOnce().await();
    assertEquals(1, second.breached().size(), "now inbox-b's approval, not its clarification (120 s)");
    assertEquals("inbox-b", second.breached().get(0).projectId());
    assertEquals(Map.of("approval", 2L), sla.breachCounts(), "the counter a metrics registry reads");
    assertEquals(Map.of("approval", 2L), sla.breachTotals().await());
    assertTrue(sla.runOnce().await().breached().isEmpty());
    assertEquals(1, breachEvents(aId, Addresses.INBOX), "one sla_breached per interrupt on the inbox address");
    assertEquals(1, breachEvents(aId, Addresses.project("inbox-a")), "and one on its project's address");

    // Answered: it leaves the inbox, and the inbox hears of it.
    assertEquals(200, node.api.post("/api/v1/interrupts/" + aId + "/resolve", new JsonObject().put("notes", "approved")).status());
    awaitHeard(e -> "inbox_closed".equals(e.getString("type")) && aId.equals(e.getString("interrupt_id")), "inbox_closed");
    JsonObject left = inbox("");
    assertEquals(2, left.getInteger("open"));
    assertEquals(1, left.getInteger("breached"));
    assertEquals(2, inbox("?project=inbox-b").getInteger("open"));
    assertEquals(1, inbox("?type=clarification").getInteger("open"));
    assertEquals(400, node.api.get("/api/v1/inbox?type=nonsense").status());
  }
}
