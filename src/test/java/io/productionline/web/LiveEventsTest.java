package io.productionline.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Await;
import io.productionline.support.TestNode;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Live events over SSE, WebSocket and the SockJS bridge")
class LiveEventsTest {

  private TestNode node;
  private final List<AutoCloseable> clients = new ArrayList<>();

  @BeforeEach
  void start() {
    node = TestNode.start();
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : clients) {
      c.close();
    }
    node.close();
  }

  @Test
  @DisplayName("ten SSE clients and ten bridge clients see every event of a busy line, in order, once")
  void everyClientSeesEveryEvent() {
    node.createProject("busy", "fast");
    List<SseClient> sse = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      sse.add(sse("busy", null));
    }
    List<BridgeClient> bridge = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      bridge.add(bridge("pl.project.busy"));
    }
    node.executor("e1");
    node.executor("e2");
    node.api.post("/production/start?project=busy", new JsonObject());
    node.awaitProduction("busy", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(60));

    List<Long> history = node.sql("SELECT seq FROM track_events WHERE project_id = 'busy' ORDER BY seq").stream()
        .map(r -> r.getLong(0)).toList();
    assertTrue(history.size() > 20, "a busy line has many events");
    for (SseClient c : sse) {
      Await.until(c::seqs, s -> s.size() >= history.size(), Duration.ofSeconds(10), "SSE client to catch up");
      assertEquals(history, c.seqs(), "an SSE client saw every stored event once, in order");
    }
    for (BridgeClient c : bridge) {
      // Bus delivery crosses event loops (and nodes), so a bridge client orders by seq, as the dashboard does.
      Await.until(c::seqs, s -> s.size() >= history.size(), Duration.ofSeconds(10), "bridge client to catch up: " + c.frames());
      assertEquals(history, c.seqs().stream().sorted().toList(), "a bridge client saw every stored event once");
    }
  }

  @Test
  @DisplayName("a client that drops and reconnects with Last-Event-ID receives exactly what it missed")
  void resumeWithLastEventId() throws Exception {
    node.createProject("resume", "fast");
    SseClient first = sse("resume", null);
    node.executor("e1");
    node.api.post("/production/start?project=resume", new JsonObject());
    Await.until(first::seqs, s -> s.size() >= 5, Duration.ofSeconds(30), "the first events");
    first.close();
    long last = first.seqs().get(first.seqs().size() - 1);

    node.awaitProduction("resume", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(60));
    SseClient second = sse("resume", last);
    List<Long> history = node.sql("SELECT seq FROM track_events WHERE project_id = 'resume' ORDER BY seq").stream()
        .map(r -> r.getLong(0)).toList();
    Await.until(second::seqs, s -> s.size() >= history.stream().filter(x -> x > last).count(), Duration.ofSeconds(10), "the replay");

    List<Long> seen = new ArrayList<>(first.seqs());
    seen.addAll(second.seqs());
    assertEquals(history, seen, "together the two connections saw the history with no gap and no duplicate");
  }

  @Test
  @DisplayName("a WebSocket client subscribes by message and receives the same events")
  void websocketSubscription() {
    node.createProject("ws", "single");
    List<JsonObject> received = new CopyOnWriteArrayList<>();
    WebSocketClient client = node.vertx.createWebSocketClient();
    WebSocket ws = client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.node.port())
        .setURI("/production/ws?token=" + node.operatorToken())).await();
    ws.textMessageHandler(t -> received.add(new JsonObject(t)));
    ws.writeTextMessage(new JsonObject().put("subscribe", "ws").encode()).await();
    Await.until(() -> received, r -> r.stream().anyMatch(e -> "subscribed".equals(e.getString("type"))), Duration.ofSeconds(10), "subscribed");
    node.executor("e1");
    node.api.post("/production/start?project=ws", new JsonObject());
    Await.until(() -> received, r -> r.stream().anyMatch(e -> "production_complete".equals(e.getString("type"))),
        Duration.ofSeconds(30), "production_complete over the WebSocket");
    List<String> states = received.stream().filter(e -> "station_transition".equals(e.getString("type")))
        .map(e -> e.getString("state")).toList();
    assertEquals(List.of("binding", "assembling", "auditing", "stabilized"), states);
    ws.close().await();
  }

  @Test
  @DisplayName("the bridge lets no one listen outside project events and refuses commands outside the operator's")
  void bridgeBoundaries() {
    BridgeClient c = bridge("pl.track.anything");
    c.send(new JsonObject().put("type", "send").put("address", "pl.work.claim").put("body", new JsonObject())
        .put("replyAddress", "r1"));
    Await.until(c::frames, f -> f.stream().filter(x -> "err".equals(x.getString("type"))).count() >= 2,
        Duration.ofSeconds(10), "two refusals");
    assertTrue(c.frames().stream().allMatch(x -> "err".equals(x.getString("type"))), "both were refused: " + c.frames());
  }

  // --- clients -----------------------------------------------------------------------------------

  private SseClient sse(String project, Long lastEventId) {
    SseClient c = new SseClient(node, project, lastEventId);
    clients.add(c);
    return c;
  }

  private BridgeClient bridge(String address) {
    BridgeClient c = new BridgeClient(node, address);
    clients.add(c);
    return c;
  }

  /** Reads an SSE stream on its own thread and keeps the ids it sees. */
  static final class SseClient implements AutoCloseable {
    private final List<Long> seqs = new CopyOnWriteArrayList<>();
    private final Thread reader;
    private volatile InputStream body;

    SseClient(TestNode node, String project, Long lastEventId) {
      var b = node.api.builder("/production/events?project=" + project).timeout(Duration.ofMinutes(5));
      if (lastEventId != null) {
        b.header("Last-Event-ID", Long.toString(lastEventId));
      }
      var request = b.GET().build();
      java.util.concurrent.CountDownLatch open = new java.util.concurrent.CountDownLatch(1);
      reader = new Thread(() -> {
        try {
          HttpResponse<InputStream> r = java.net.http.HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofInputStream());
          body = r.body();
          BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
          String line;
          boolean first = true;
          while ((line = lines.readLine()) != null) {
            if (first) {
              open.countDown();
              first = false;
            }
            if (line.startsWith("id: ")) {
              seqs.add(Long.parseLong(line.substring(4).trim()));
            }
          }
        } catch (Exception ignored) {
          // The stream ends when the test closes it.
        } finally {
          open.countDown();
        }
      });
      reader.setDaemon(true);
      reader.start();
      try {
        open.await(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    List<Long> seqs() {
      return List.copyOf(seqs);
    }

    @Override
    public void close() throws Exception {
      if (body != null) {
        body.close();
      }
      reader.interrupt();
    }
  }

  /** A raw SockJS bridge client over /eventbus/websocket that registers on one address. */
  static final class BridgeClient implements AutoCloseable {
    private final List<JsonObject> frames = new CopyOnWriteArrayList<>();
    private final WebSocketClient client;
    private final WebSocket ws;

    BridgeClient(TestNode node, String address) {
      client = node.vertx.createWebSocketClient();
      ws = client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.node.port())
          .setURI("/eventbus/websocket?token=" + node.operatorToken())).await();
      ws.handler(buf -> frames.add(buf.toJsonObject()));
      send(new JsonObject().put("type", "register").put("address", address));
      // The bridge closes a socket that sends no ping for 10 s, as vertx-eventbus.js does every 5 s.
      pings = node.vertx.setPeriodic(5000, t -> ws.writeTextMessage(new JsonObject().put("type", "ping").encode()));
      this.vertx = node.vertx;
    }

    private final long pings;
    private final io.vertx.core.Vertx vertx;

    void send(JsonObject frame) {
      ws.writeTextMessage(frame.encode()).await();
    }

    List<JsonObject> frames() {
      return List.copyOf(frames);
    }

    List<Long> seqs() {
      return frames.stream().filter(f -> "rec".equals(f.getString("type")))
          .map(f -> f.getJsonObject("body").getLong("seq")).filter(s -> s != null).toList();
    }

    @Override
    public void close() {
      vertx.cancelTimer(pings);
      if (!ws.isClosed()) {
        ws.close().await();
      }
    }
  }
}
