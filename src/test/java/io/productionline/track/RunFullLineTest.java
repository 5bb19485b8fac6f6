package io.productionline.track;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Run Full Line and Start Production, through the HTTP API with real executors")
class RunFullLineTest {

  private TestNode node;

  @BeforeEach
  void start() {
    node = TestNode.start();
  }

  @AfterEach
  void stop() {
    node.close();
  }

  @Test
  @DisplayName("Start Production takes one document bind → assemble → audit → stabilized, one event per move, in order")
  void singleDocument() {
    node.createProject("p1", "single");
    List<JsonObject> events = node.record("p1");
    node.executor("e1");
    assertEquals(200, node.api.post("/production/start?project=p1&doc=doc", new JsonObject()).status());

    JsonObject done = node.awaitProduction("p1", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(30));

    List<String> states = events.stream().filter(e -> "station_transition".equals(e.getString("type")))
        .map(e -> e.getString("state")).toList();
    assertEquals(List.of("binding", "assembling", "auditing", "stabilized"), states);
    List<Long> seqs = events.stream().map(e -> e.getLong("seq")).filter(s -> s != null).toList();
    assertEquals(seqs.stream().sorted().toList(), seqs, "events arrive in history order");
    assertTrue(events.stream().anyMatch(e -> "production_complete".equals(e.getString("type"))
        && "stabilized".equals(e.getString("outcome"))));
    JsonObject track = TestNode.track(done, "doc");
    assertEquals(List.of("complete", "complete", "complete", "idle"),
        track.getJsonArray("stations").stream().map(s -> ((JsonObject) s).getString("state")).toList());
    assertEquals(1, done.getJsonObject("summary").getInteger("stabilized"));
  }

  @Test
  @DisplayName("Run Full Line starts the root first, the branches in parallel after it, and the join only after both")
  void dependenciesRespected() {
    node.createProject("p2", "fast");
    List<JsonObject> events = node.record("p2");
    node.executor("e1");
    node.executor("e2");
    JsonObject started = node.api.post("/production/start?project=p2", new JsonObject()).json();
    assertEquals(4, started.getInteger("started"));

    node.awaitProduction("p2", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(60));

    Map<String, Instant> firstActive = firstAt(events, "binding");
    Map<String, Instant> stabilized = firstAt(events, "stabilized");
    assertTrue(!firstActive.get("left").isBefore(stabilized.get("root")), "left waits for root");
    assertTrue(!firstActive.get("right").isBefore(stabilized.get("root")), "right waits for root");
    assertTrue(!firstActive.get("join").isBefore(stabilized.get("left")), "join waits for left");
    assertTrue(!firstActive.get("join").isBefore(stabilized.get("right")), "join waits for right");
    List<String> blocked = events.stream().filter(e -> "blocked".equals(e.getString("state")))
        .map(e -> e.getString("document_type")).sorted().toList();
    assertEquals(List.of("join", "left", "right"), blocked, "dependents were blocked, with the reason, until cleared");
    assertTrue(events.stream().anyMatch(e -> "remediating".equals(e.getString("state")) && "root".equals(e.getString("document_type"))),
        "the root's audit rejected once and the remediation loop ran");
    assertEquals(1L, node.sql("SELECT count(*) FROM station_tasks WHERE status <> 'completed'").size());
    assertEquals(0L, node.sql("SELECT count(*) FROM station_tasks WHERE status <> 'completed'").get(0).getLong(0));
  }

  @Test
  @DisplayName("A track that awaits an operator does not hold up the others")
  void awaitingOperatorDoesNotStopOthers() {
    node.createProject("p3", "clarify");
    node.executor("e1");
    node.api.post("/production/start?project=p3", new JsonObject());

    JsonObject view = node.awaitProduction("p3", p -> "stabilized".equals(TestNode.track(p, "other").getString("state"))
        && "awaiting_operator".equals(TestNode.track(p, "brief").getString("state")), Duration.ofSeconds(30));

    assertEquals("blocked", TestNode.track(view, "plan").getString("state"));
    assertEquals(1, view.getJsonArray("interrupts").size());
    assertEquals("clarification", view.getJsonArray("interrupts").getJsonObject(0).getString("type"));
    assertEquals("stopped", view.getString("line_state"));
  }

  @Test
  @DisplayName("Starting a document that is already running is refused with 409 and the current state")
  void illegalStartRefused() {
    node.createProject("p4", "slowroot");
    node.api.post("/production/start?project=p4&doc=root", new JsonObject());
    var again = node.api.post("/production/start?project=p4&doc=root", new JsonObject());
    assertEquals(409, again.status());
    assertEquals("binding", again.json().getString("current_state"));
    assertEquals("start production", again.json().getString("attempted"));
  }

  private static Map<String, Instant> firstAt(List<JsonObject> events, String state) {
    return events.stream().filter(e -> "station_transition".equals(e.getString("type")) && state.equals(e.getString("state")))
        .collect(Collectors.toMap(e -> e.getString("document_type"), e -> Instant.parse(e.getString("at")), (a, b) -> a));
  }
}
