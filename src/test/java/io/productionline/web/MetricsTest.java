package io.productionline.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Api;
import io.productionline.support.Await;
import io.productionline.support.TestNode;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /metrics} read while a line runs: the counters move as work is claimed, handed back,
 * completed and tracks move; the gauges (queue depth, executors alive, interrupts open, connected
 * clients) are there and follow the line; event delivery latency is measured on SSE, WebSocket
 * and the bridge; Vert.x's HTTP server latency carries route labels.
 */
@DisplayName("Prometheus metrics of a running line")
class MetricsTest {

  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)$");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

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
  @DisplayName("counters increase, gauges are present and follow the line, delivery latency and HTTP route latency are measured")
  void figuresMove() throws Exception {
    Api prometheus = node.apiAs("viewer");
    node.createProject("m", "clarify");
    List<JsonObject> sse = node.record("m");
    List<JsonObject> ws = new CopyOnWriteArrayList<>();
    WebSocketClient wsClient = node.vertx.createWebSocketClient();
    WebSocket socket = wsClient.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.node.port())
        .setURI("/production/ws?token=" + node.operatorToken())).await();
    socket.textMessageHandler(t -> ws.add(new JsonObject(t)));
    socket.writeTextMessage(new JsonObject().put("subscribe", "m").encode()).await();
    Await.until(() -> ws, l -> l.stream().anyMatch(e -> "subscribed".equals(e.getString("type"))), Duration.ofSeconds(10), "subscribed");
    LiveEventsTest.BridgeClient bridge = new LiveEventsTest.BridgeClient(node, "pl.project.m");
    try {
      // Queued work and nobody to do it.
      assertEquals(200, node.api.post("/production/start?project=m", new JsonObject()).status());
      String before = Await.until(() -> scrape(prometheus), t -> value(t, "pl_queue_depth", Map.of("capability", "sim")) >= 1,
          Duration.ofSeconds(10), "queue depth of sim");
      assertEquals(0.0, value(before, "pl_executors_alive", Map.of()));
      assertEquals(0.0, value(before, "pl_tasks_claimed_total", Map.of()));
      assertEquals(0.0, value(before, "pl_interrupts_open", Map.of()));
      for (String channel : List.of("sse", "websocket", "bridge")) {
        assertTrue(value(before, "pl_clients_connected", Map.of("channel", channel)) >= 1, channel + " clients: " + grep(before, "pl_clients"));
      }

      // A claim handed back is claimed once and queued again once.
      Api hand = node.executorApi("hand");
      assertEquals(201, hand.post("/api/v1/executors", new JsonObject().put("executor_id", "hand")
          .put("capabilities", new io.vertx.core.json.JsonArray().add("sim"))).status());
      JsonObject task = hand.get("/api/v1/work/next?executor_id=hand").json().getJsonObject("task");
      assertEquals(200, hand.post("/api/v1/work/" + task.getString("task_id") + "/release",
          new JsonObject().put("lease_token", task.getString("lease_token"))).status());
      assertEquals(200, hand.send(hand.builder("/api/v1/executors/hand").DELETE()).status());
      String handed = scrape(prometheus);
      assertEquals(1.0, value(handed, "pl_tasks_claimed_total", Map.of("capability", "sim")));
      assertEquals(1.0, value(handed, "pl_tasks_requeued_total", Map.of("reason", "handed_back")));

      // The line runs until it stops for an operator.
      node.executor("e1");
      node.awaitProduction("m", p -> "awaiting_operator".equals(TestNode.track(p, "brief").getString("state"))
          && "stabilized".equals(TestNode.track(p, "other").getString("state")), Duration.ofSeconds(30));
      String running = scrape(prometheus);
      assertTrue(value(running, "pl_tasks_claimed_total", Map.of()) > value(handed, "pl_tasks_claimed_total", Map.of()), "claims counted");
      assertTrue(value(running, "pl_tasks_completed_total", Map.of("outcome", "stabilized")) >= 3, grep(running, "pl_tasks_completed"));
      assertTrue(value(running, "pl_tasks_completed_total", Map.of("outcome", "needs_input")) >= 1, grep(running, "pl_tasks_completed"));
      assertTrue(value(running, "pl_station_duration_seconds_count", Map.of("station_kind", "assemble")) >= 1,
          grep(running, "pl_station_duration_seconds_count"));
      assertTrue(running.contains("pl_station_duration_seconds_bucket{"), "station durations are a histogram");
      assertTrue(value(running, "pl_transitions_total", Map.of("state", "stabilized")) >= 1, grep(running, "pl_transitions_total"));
      assertTrue(value(running, "pl_transitions_total", Map.of("state", "awaiting_operator")) >= 1, grep(running, "pl_transitions_total"));
      assertTrue(value(running, "pl_transitions_total", Map.of("state", "blocked")) >= 1, grep(running, "pl_transitions_total"));
      assertEquals(1.0, value(running, "pl_interrupts_open", Map.of()));
      assertEquals(1.0, value(running, "pl_executors_alive", Map.of()));
      long stored = node.sql("SELECT count(*) FROM track_events WHERE project_id = 'm' AND type = 'station_transition'").get(0).getLong(0);
      Await.until(() -> sse, l -> l.stream().filter(e -> "station_transition".equals(e.getString("type"))).count() >= stored,
          Duration.ofSeconds(10), "the SSE client to see every move");
      Await.until(() -> ws, l -> l.stream().filter(e -> "station_transition".equals(e.getString("type"))).count() >= stored,
          Duration.ofSeconds(10), "the WebSocket client to see every move");
      Await.until(() -> bridge.seqs().size(), n -> n > 0, Duration.ofSeconds(10), "the bridge client to see moves");
      String delivered = scrape(prometheus);
      for (String channel : List.of("sse", "websocket", "bridge")) {
        assertTrue(value(delivered, "pl_event_delivery_seconds_count", Map.of("channel", channel)) >= 1,
            channel + ": " + grep(delivered, "pl_event_delivery_seconds_count"));
      }
      double sseSeconds = value(delivered, "pl_event_delivery_seconds_sum", Map.of("channel", "sse"))
          / value(delivered, "pl_event_delivery_seconds_count", Map.of("channel", "sse"));
      System.out.printf("[measure] event delivery, mean over %.0f SSE writes: %.1f ms; %.0f WebSocket writes: %.1f ms; %.0f bridge writes: %.1f ms%n",
          value(delivered, "pl_event_delivery_seconds_count", Map.of("channel", "sse")), sseSeconds * 1000,
          value(delivered, "pl_event_delivery_seconds_count", Map.of("channel", "websocket")),
          1000 * value(delivered, "pl_event_delivery_seconds_sum", Map.of("channel", "websocket"))
              / value(delivered, "pl_event_delivery_seconds_count", Map.of("channel", "websocket")),
          value(delivered, "pl_event_delivery_seconds_count", Map.of("channel", "bridge")),
          1000 * value(delivered, "pl_event_delivery_seconds_sum", Map.of("channel", "bridge"))
              / value(delivered, "pl_event_delivery_seconds_count", Map.of("channel", "bridge")));
      assertTrue(sseSeconds < 5, "events reach SSE clients within seconds of their commit: " + sseSeconds);
      assertTrue(value(delivered, "vertx_http_server_response_time_seconds_count", Map.of("route", "/production")) >= 1,
          "HTTP latency by route: " + grep(delivered, "vertx_http_server_response_time_seconds_count"));

      // The operator answers; the line moves on and the figures with it.
      String interrupt = node.production("m").getJsonArray("interrupts").getJsonObject(0).getString("interrupt_id");
      assertEquals(200, node.api.post("/api/v1/interrupts/" + interrupt + "/resolve",
          new JsonObject().put("answers", new JsonObject().put("audience", "operators"))).status());
      node.awaitProduction("m", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(30));
      String after = scrape(prometheus);
      assertEquals(0.0, value(after, "pl_interrupts_open", Map.of()));
      assertTrue(value(after, "pl_transitions_total", Map.of()) > value(running, "pl_transitions_total", Map.of()), "transitions counted");
      assertTrue(value(after, "pl_tasks_completed_total", Map.of()) > value(running, "pl_tasks_completed_total", Map.of()));
      assertTrue(value(after, "pl_station_duration_seconds_count", Map.of()) > value(running, "pl_station_duration_seconds_count", Map.of()));
      assertEquals(0.0, value(after, "pl_queue_depth", Map.of("capability", "sim")), "the queue is empty at the end");
    } finally {
      bridge.close();
      socket.close().await();
    }
    Await.until(() -> value(scrape(prometheus), "pl_clients_connected", Map.of("channel", "websocket")), n -> n == 0,
        Duration.ofSeconds(10), "the WebSocket client counted out");
  }

  @Test
  @DisplayName("/metrics is for readers: no token is 401, an executor token 403; the body is Prometheus text")
  void whoMayScrape() {
    Api.Reply none = new Api(node.node.port()).get("/metrics");
    assertEquals(401, none.status());
    assertEquals(403, node.executorApi("e1").get("/metrics").status());
    Api.Reply ok = node.apiAs("viewer").get("/metrics");
    assertEquals(200, ok.status());
    assertTrue(ok.raw().headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), "Prometheus text");
    assertTrue(ok.text().contains("# TYPE pl_executors_alive gauge"), ok.text());
    assertTrue(ok.text().contains("jvm_memory_used_bytes"), "Vert.x's registry with JVM figures is served");
  }

  // --- helpers -----------------------------------------------------------------------------------

  private static String scrape(Api api) {
    Api.Reply r = api.get("/metrics");
    assertEquals(200, r.status(), r.text());
    return r.text();
  }

  /** The sum of the samples of {@code name} whose labels include {@code labels}; 0 when there are none. */
  static double value(String text, String name, Map<String, String> labels) {
    double sum = 0;
    for (String line : text.split("\n")) {
      Matcher m = SAMPLE.matcher(line);
      if (!m.matches() || !m.group(1).equals(name)) {
        continue;
      }
      Map<String, String> has = new java.util.HashMap<>();
      Matcher l = LABEL.matcher(m.group(3) == null ? "" : m.group(3));
      while (l.find()) {
        has.put(l.group(1), l.group(2));
      }
      if (labels.entrySet().stream().allMatch(e -> e.getValue().equals(has.get(e.getKey())))) {
        sum += Double.parseDouble(m.group(4));
      }
    }
    return sum;
  }

  private static String grep(String text, String prefix) {
    return String.join("\n", text.lines().filter(l -> l.startsWith(prefix)).toList());
  }
}
