package io.productionline.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.events.Addresses;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The reference executor runs shell and http steps for real: logs, artifacts, outcomes, live log stream")
class ShellLineTest {

  private TestNode node;

  @BeforeEach
  void start() {
    node = TestNode.start();
  }

  @AfterEach
  void stop() {
    node.close();
  }

  private static Map<String, JsonObject> byName(JsonArray artifacts) {
    return artifacts.stream().map(JsonObject.class::cast).collect(Collectors.toMap(a -> a.getString("name"), a -> a));
  }

  @Test
  @DisplayName("A shell line end to end: real commands, stdout and stderr as log events, result file, artifacts readable by track and by run")
  void shellLineEndToEnd() {
    node.createProject("sh", "shell");
    node.executor("sh-1", "shell");
    node.api.post("/production/start?project=sh&doc=report", new JsonObject());

    JsonObject view = node.awaitProduction("sh", p -> "stabilized".equals(TestNode.track(p, "report").getString("state")),
        Duration.ofSeconds(60));
    String trackId = TestNode.track(view, "report").getString("track_id");
    JsonObject track = node.api.get("/production/track/" + trackId).json();
    Map<String, JsonObject> runs = track.getJsonArray("runs").stream().map(JsonObject.class::cast)
        .collect(Collectors.toMap(r -> r.getString("station"), r -> r));
    assertEquals(List.of("asm", "aud", "bind", "ping"), runs.keySet().stream().sorted().toList());

    List<JsonObject> bindLogs = node.api.get("/api/v1/runs/" + runs.get("bind").getString("task_id") + "/logs").json()
        .getJsonArray("logs").stream().map(JsonObject.class::cast).toList();
    List<String> messages = bindLogs.stream().map(l -> l.getString("message")).toList();
    assertTrue(messages.get(0).startsWith("sh-1 started bind station bind of report (attempt 1)"), messages.toString());
    assertTrue(messages.contains("binding report at bind (attempt 1)"), messages.toString());
    assertTrue(messages.contains("remediation_count=0"), "inputs reach the command as PL_INPUT_* variables: " + messages);
    JsonObject stderr = bindLogs.stream().filter(l -> "to stderr".equals(l.getString("message"))).findFirst().orElseThrow();
    assertEquals("warn", stderr.getString("level"));
    assertEquals("stderr", stderr.getJsonObject("fields").getString("stream"));

    Map<String, JsonObject> ofTrack = byName(node.api.get("/api/v1/tracks/" + trackId + "/artifacts").json().getJsonArray("artifacts"));
    assertEquals(List.of("health.json", "report.md", "stats.json"), ofTrack.keySet().stream().sorted().toList());
    assertTrue(ofTrack.get("report.md").getString("content").contains("## Summary"));
    assertTrue(ofTrack.get("report.md").getString("content").contains("Made by sh-1."));
    assertEquals("text/markdown", ofTrack.get("report.md").getString("content_type"));
    assertEquals(new JsonObject().put("lines", 5), new JsonObject(ofTrack.get("stats.json").getString("content")));
    assertEquals("ok", new JsonObject(ofTrack.get("health.json").getString("content")).getString("status"),
        "the http step called the server's /health and kept the answer");

    Map<String, JsonObject> ofRun = byName(node.api.get("/api/v1/runs/" + runs.get("asm").getString("task_id") + "/artifacts")
        .json().getJsonArray("artifacts"));
    assertEquals(List.of("report.md", "stats.json"), ofRun.keySet().stream().sorted().toList());

    JsonObject audit = runs.get("aud");
    assertEquals("stabilized", audit.getString("outcome"));
    assertEquals(0.95, audit.getJsonObject("result").getDouble("score"), "the result file decided the audit");
    assertEquals(3, audit.getJsonObject("result").getInteger("verification_level"));
    assertEquals(0, audit.getJsonObject("result").getInteger("exit_code"));
    assertEquals(200, runs.get("ping").getJsonObject("result").getInteger("status_code"));
  }

  @Test
  @DisplayName("GET /api/v1/runs/{task}/logs?stream=true streams a running task's lines live over SSE and ends with the task")
  void logsStreamLiveOverSse() throws Exception {
    node.createProject("live", "shell");
    var executors = node.vertx.eventBus().<JsonObject>consumer(Addresses.EXECUTORS);
    LinkedBlockingQueue<String> busy = new LinkedBlockingQueue<>();
    executors.handler(m -> {
      if ("busy".equals(m.body().getString("status")) && m.body().getString("current_task") != null) {
        busy.offer(m.body().getString("current_task"));
      }
    });
    executors.completion().await();
    node.executor("sh-2", "shell");
    node.api.post("/production/start?project=live&doc=gated", new JsonObject());
    String taskId = busy.poll(30, TimeUnit.SECONDS);
    executors.unregister();

    try (SseReader sse = SseReader.open(node.api.base() + "/api/v1/runs/" + taskId + "/logs?stream=true&token=" + node.operatorToken(), null)) {
      JsonObject waiting = sse.await(e -> e.getString("message", "").startsWith("waiting in "), "the first line");
      Path dir = Path.of(waiting.getString("message").substring("waiting in ".length()));
      Files.createFile(dir.resolve("go"));
      JsonObject released = sse.await(e -> "released".equals(e.getString("message")), "the line written after the gate opened");
      assertTrue(released.getLong("id") > waiting.getLong("id"));
      JsonObject end = sse.await(e -> "end".equals(e.getString("event")), "the end of the stream");
      assertEquals("completed", end.getString("task_status"));
      assertEquals("stabilized", end.getString("outcome"));
      sse.awaitClosed();
      List<Long> ids = sse.events().stream().filter(e -> "log".equals(e.getString("event"))).map(e -> e.getLong("id")).toList();
      assertEquals(ids.stream().sorted().distinct().toList(), ids, "each line once, in order");

      try (SseReader resumed = SseReader.open(node.api.base() + "/api/v1/runs/" + taskId + "/logs?stream=true&token=" + node.operatorToken(),
          String.valueOf(waiting.getLong("id")))) {
        resumed.await(e -> "end".equals(e.getString("event")), "the end of the resumed stream");
        List<String> again = resumed.events().stream().filter(e -> "log".equals(e.getString("event")))
            .map(e -> e.getString("message")).toList();
        assertEquals("released", again.get(0), "Last-Event-ID resumes after the line it names");
      }
    }
  }

  /** A minimal SSE client on a thread of its own: each event is its JSON data plus {@code event} and {@code id}. */
  static final class SseReader implements AutoCloseable {
    private final List<JsonObject> events = new CopyOnWriteArrayList<>();
    private final LinkedBlockingQueue<JsonObject> arrivals = new LinkedBlockingQueue<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private volatile Stream<String> lines;

    static SseReader open(String url, String lastEventId) {
      SseReader r = new SseReader();
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream").GET();
      if (lastEventId != null) {
        b.header("Last-Event-ID", lastEventId);
      }
      HttpClient http = HttpClient.newHttpClient();
      Thread t = new Thread(() -> r.read(http, b.build()), "sse-reader");
      t.setDaemon(true);
      t.start();
      return r;
    }

    private void read(HttpClient http, HttpRequest req) {
      try {
        HttpResponse<Stream<String>> res = http.send(req, HttpResponse.BodyHandlers.ofLines());
        lines = res.body();
        String event = "message";
        String id = null;
        StringBuilder data = new StringBuilder();
        for (String line : (Iterable<String>) lines::iterator) {
          if (line.isEmpty()) {
            if (data.length() > 0) {
              JsonObject e = new JsonObject(data.toString()).put("event", event);
              if (id != null) {
                e.put("id", Long.parseLong(id));
              }
              events.add(e);
              arrivals.offer(e);
            }
            event = "message";
            id = null;
            data.setLength(0);
          } else if (line.startsWith("event:")) {
            event = line.substring(6).trim();
          } else if (line.startsWith("id:")) {
            id = line.substring(3).trim();
          } else if (line.startsWith("data:")) {
            data.append(line.substring(5).trim());
          }
        }
      } catch (Exception e) {
        // Closed by the test.
      } finally {
        closed.complete(null);
      }
    }

    List<JsonObject> events() {
      return List.copyOf(events);
    }

    JsonObject await(Predicate<JsonObject> match, String what) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (true) {
        var hit = events.stream().filter(match).findFirst();
        if (hit.isPresent()) {
          return hit.get();
        }
        long left = deadline - System.nanoTime();
        if (left <= 0 || arrivals.poll(left, TimeUnit.NANOSECONDS) == null) {
          throw new AssertionError("timed out waiting for " + what + "; events: " + events);
        }
      }
    }

    void awaitClosed() throws Exception {
      closed.get(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
      Stream<String> l = lines;
      if (l != null) {
        l.close();
      }
    }
  }
}
