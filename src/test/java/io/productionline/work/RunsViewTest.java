package io.productionline.work;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Api;
import io.productionline.support.TestNode;
import io.productionline.work.WorkKit.RawExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The runs view's server: {@code GET /api/v1/runs} (filters, orders, cursor), its live stream, a
 * run's log in pages with level and text filters, and its artifacts as files.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("Runs: filters, orders and cursor paging; live runs; log pages with filters; artifacts as files")
class RunsViewTest {

  private TestNode node;
  private RawExecutor alice;
  private String bindTask;
  private static final byte[] FILE = {0, 1, 2, (byte) 0xff, 'P', 'L'};

  @BeforeAll
  void start() {
    node = TestNode.start();
    node.createProject("rv", "single");
    node.createProject("rw", "single");
    alice = new RawExecutor(node, "alice", "server", "sim");
    assertEquals(200, node.api.post("/production/start?project=rv", new JsonObject()).status());
    JsonObject task = alice.claim(0).orElseThrow();
    bindTask = task.getString("task_id");
    String token = task.getString("lease_token");
    JsonArray lines = new JsonArray();
    for (int i = 0; i < 5; i++) {
      lines.add(new JsonObject().put("level", i == 3 ? "warn" : "info").put("message", i == 3 ? "Disk nearly full" : "step " + i));
    }
    assertEquals(200, alice.api.post("/api/v1/work/" + bindTask + "/events", new JsonObject().put("lease_token", token).put("events", lines)).status());
    Api.Reply stored = alice.api.post("/api/v1/work/" + bindTask + "/artifacts", new JsonObject().put("lease_token", token).put("artifacts", new JsonArray()
        .add(new JsonObject().put("name", "report.md").put("kind", "text").put("content_type", "text/markdown").put("content", "# Report\n<script>x</script>"))
        .add(new JsonObject().put("name", "metrics.json").put("kind", "json").put("content", new JsonObject().put("pages", 3)))
        .add(new JsonObject().put("name", "blob.bin").put("kind", "file").put("content_type", "application/x-pl").put("content", Base64.getEncoder().encodeToString(FILE)))
        .add(new JsonObject().put("name", "spec").put("kind", "url").put("url", "https://example.org/spec"))));
    assertEquals(200, stored.status(), stored.text());
    assertEquals(200, alice.complete(task, "stabilized").status());
  }

  @AfterAll
  void stop() {
    node.close();
  }

  private JsonObject runs(String query) {
    Api.Reply r = node.api.get("/api/v1/runs" + query);
    assertEquals(200, r.status(), r.text());
    return r.json();
  }

  private static List<String> ids(JsonObject page) {
    return page.getJsonArray("runs").stream().map(o -> ((JsonObject) o).getString("task_id")).toList();
  }

  @Test
  @DisplayName("Filters by status, project, station, executor, document type and time; an order; pages by cursor without overlap")
  void listFiltersAndPages() {
    JsonObject rv = runs("?project=rv&sort=created_at");
    assertEquals(2, rv.getInteger("count"), rv.encode());
    assertEquals(bindTask, ids(rv).get(0), "oldest first");
    JsonObject first = rv.getJsonArray("runs").getJsonObject(0);
    assertEquals("completed", first.getString("status"));
    assertEquals("stabilized", first.getString("outcome"));
    assertEquals("alice", first.getString("executor_id"));
    assertEquals("bind", first.getString("station"));
    assertEquals(1, first.getInteger("attempt"));
    assertTrue(first.getLong("work_ms") >= 0);
    assertEquals(List.of(ids(rv).get(1), bindTask), ids(runs("?project=rv&sort=-created_at")));

    assertEquals(List.of(bindTask), ids(runs("?project=rv&status=completed")));
    assertEquals(List.of(bindTask), ids(runs("?executor=alice&status=completed")));
    assertEquals("asm", runs("?project=rv&station=asm").getJsonArray("runs").getJsonObject(0).getString("station"));
    assertEquals(2, runs("?project=rv&document_type=doc").getInteger("count"));
    assertEquals(0, runs("?project=rv&document_type=other").getInteger("count"));
    assertEquals(0, runs("?project=rv&from=2999-01-01T00:00:00Z").getInteger("count"));
    assertEquals(2, runs("?project=rv&from=2000-01-01T00:00:00Z&to=2999-01-01T00:00:00Z").getInteger("count"));

    JsonObject page1 = runs("?project=rv&sort=created_at&limit=1");
    assertEquals(List.of(bindTask), ids(page1));
    String cursor = page1.getString("next_cursor");
    assertTrue(cursor != null && !cursor.isEmpty());
    JsonObject page2 = runs("?project=rv&sort=created_at&limit=1&cursor=" + cursor);
    assertEquals(1, page2.getInteger("count"));
    assertNotEquals(bindTask, ids(page2).get(0));
    assertNull(page2.getString("next_cursor"), "the last page has no cursor");
    JsonObject byCompletion = runs("?project=rv&sort=-completed_at&limit=1");
    JsonObject byCompletion2 = runs("?project=rv&sort=-completed_at&limit=1&cursor=" + byCompletion.getString("next_cursor"));
    assertEquals(List.of(bindTask), ids(byCompletion2), "runs not completed come first, newest first");
  }

  @Test
  @DisplayName("Bad filters are 400 with what was wrong")
  void badFilters() {
    for (String q : List.of("?status=failed", "?sort=priority", "?cursor=garbage", "?from=yesterday", "?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
        "?limit=0", "?limit=501", "?project=a%20b")) {
      Api.Reply r = node.api.get("/api/v1/runs" + q);
      assertEquals(400, r.status(), q + ": " + r.text());
      assertFalse(r.json().getString("detail").isBlank());
    }
  }

  @Test
  @DisplayName("A run's log a page at a time, by level and by text, with the count of each level")
  void logPages() {
    JsonObject all = node.api.get("/api/v1/runs/" + bindTask + "/logs?limit=2").json();
    assertEquals(2, all.getJsonArray("logs").size());
    assertTrue(all.getBoolean("more"));
    assertEquals(new JsonObject().put("info", 4L).put("warn", 1L), all.getJsonObject("levels"));
    JsonObject next = node.api.get("/api/v1/runs/" + bindTask + "/logs?limit=2&after=" + all.getLong("next_after")).json();
    assertEquals("step 2", next.getJsonArray("logs").getJsonObject(0).getString("message"));
    JsonObject warn = node.api.get("/api/v1/runs/" + bindTask + "/logs?level=warn").json();
    assertEquals(1, warn.getJsonArray("logs").size());
    assertEquals("Disk nearly full", warn.getJsonArray("logs").getJsonObject(0).getString("message"));
    JsonObject text = node.api.get("/api/v1/runs/" + bindTask + "/logs?contains=DISK").json();
    assertEquals(1, text.getJsonArray("logs").size());
    assertFalse(text.getBoolean("more"));
    assertEquals(400, node.api.get("/api/v1/runs/" + bindTask + "/logs?level=a%20b").status());
    assertEquals(400, node.api.get("/api/v1/runs/" + bindTask + "/logs?limit=0").status());
  }

  private static List<String> messages(JsonObject page) {
    return page.getJsonArray("logs").stream().map(l -> ((JsonObject) l).getString("message")).toList();
  }

  @Test
  @DisplayName("A run's log backward: the latest page (tail), the page before an id, each oldest first, with whether earlier lines remain; a filtered stream sends only its lines")
  void logPagesBackward() throws Exception {
    JsonObject tail = node.api.get("/api/v1/runs/" + bindTask + "/logs?tail=true&limit=2").json();
    assertEquals(List.of("Disk nearly full", "step 4"), messages(tail));
    assertTrue(tail.getBoolean("earlier"));
    long first = tail.getLong("first_id");
    assertEquals(tail.getJsonArray("logs").getJsonObject(1).getLong("id"), tail.getLong("next_after"), "where a live stream goes on");
    JsonObject before = node.api.get("/api/v1/runs/" + bindTask + "/logs?before=" + first + "&limit=2").json();
    assertEquals(List.of("step 1", "step 2"), messages(before));
    JsonObject oldest = node.api.get("/api/v1/runs/" + bindTask + "/logs?before=" + before.getLong("first_id") + "&limit=2").json();
    assertEquals(List.of("step 0"), messages(oldest));
    assertFalse(oldest.getBoolean("earlier"));
    JsonObject filtered = node.api.get("/api/v1/runs/" + bindTask + "/logs?tail=true&level=info&contains=STEP").json();
    assertEquals(List.of("step 0", "step 1", "step 2", "step 4"), messages(filtered));
    assertFalse(filtered.getBoolean("earlier"));
    assertEquals(new JsonObject().put("info", 4L).put("warn", 1L), filtered.getJsonObject("levels"), "the counts are of the whole log");
    for (String q : List.of("before=0", "before=x", "before=3&tail=true", "after=2&before=3", "after=2&tail=true")) {
      Api.Reply r = node.api.get("/api/v1/runs/" + bindTask + "/logs?" + q);
      assertEquals(400, r.status(), q + ": " + r.text());
      assertFalse(r.json().getString("detail").isBlank());
    }

    // The stream of a finished run with a filter: only the lines of the filter, then its end.
    HttpResponse<String> sse = HttpClient.newHttpClient().send(get("/api/v1/runs/" + bindTask + "/logs?stream=true&contains=step&level=info"),
        HttpResponse.BodyHandlers.ofString());
    List<String> sent = sse.body().lines().filter(l -> l.startsWith("data: ") && l.contains("\"message\""))
        .map(l -> new JsonObject(l.substring(6)).getString("message")).toList();
    assertEquals(List.of("step 0", "step 1", "step 2", "step 4"), sent);
    assertTrue(sse.body().contains("event: end"), sse.body());
  }

  @Test
  @DisplayName("Artifacts download with their content type as attachments; a URL artifact redirects; an unknown one is 404")
  void artifactFiles() throws Exception {
    HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    HttpResponse<byte[]> md = http.send(get("/api/v1/runs/" + bindTask + "/artifacts/report.md"), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, md.statusCode());
    assertEquals("text/markdown; charset=utf-8", md.headers().firstValue("Content-Type").orElse(""));
    assertEquals("nosniff", md.headers().firstValue("X-Content-Type-Options").orElse(""));
    assertTrue(md.headers().firstValue("Content-Disposition").orElse("").startsWith("attachment;"));
    assertEquals("# Report\n<script>x</script>", new String(md.body(), StandardCharsets.UTF_8));
    HttpResponse<byte[]> json = http.send(get("/api/v1/runs/" + bindTask + "/artifacts/metrics.json"), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals("application/json", json.headers().firstValue("Content-Type").orElse(""));
    assertEquals(new JsonObject().put("pages", 3), new JsonObject(new String(json.body(), StandardCharsets.UTF_8)));
    HttpResponse<byte[]> bin = http.send(get("/api/v1/runs/" + bindTask + "/artifacts/blob.bin"), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals("application/x-pl", bin.headers().firstValue("Content-Type").orElse(""));
    assertArrayEquals(FILE, bin.body());
    HttpResponse<byte[]> url = http.send(get("/api/v1/runs/" + bindTask + "/artifacts/spec"), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(303, url.statusCode());
    assertEquals("https://example.org/spec", url.headers().firstValue("Location").orElse(""));
    assertEquals(404, node.api.get("/api/v1/runs/" + bindTask + "/artifacts/nothing.txt").status());
  }

  private HttpRequest get(String path) {
    return HttpRequest.newBuilder(URI.create(node.api.base() + path)).header("Authorization", "Bearer " + node.apiAs("viewer").token()).build();
  }

  @Test
  @DisplayName("Live: a run of the filter that changes is sent as the list shows it; runs of other projects are not")
  void liveRuns() throws Exception {
    LinkedBlockingQueue<JsonObject> events = new LinkedBlockingQueue<>();
    HttpClient http = HttpClient.newHttpClient();
    String viewer = node.apiAs("viewer").token();
    HttpRequest req = HttpRequest.newBuilder(URI.create(node.api.base() + "/api/v1/runs?stream=true&project=rw&token=" + viewer)).build();
    LinkedBlockingQueue<Boolean> opened = new LinkedBlockingQueue<>();
    var response = http.sendAsync(req, HttpResponse.BodyHandlers.ofLines()).thenAccept(res -> {
      String[] event = {null};
      try (Stream<String> lines = res.body()) {
        lines.forEach(line -> {
          if (line.startsWith(":")) {
            opened.offer(true);
          } else if (line.startsWith("event: ")) {
            event[0] = line.substring(7);
          } else if (line.startsWith("data: ") && "run".equals(event[0])) {
            events.offer(new JsonObject(line.substring(6)));
          }
        });
      }
    });
    try {
      assertEquals(Boolean.TRUE, opened.poll(10, TimeUnit.SECONDS), "the stream opened");
      assertEquals(200, node.api.post("/production/start?project=rw", new JsonObject()).status());
      // rv's assembly is first in line: claim until a task of rw is held
      for (int i = 0; i < 3 && node.sql("SELECT 1 FROM station_tasks WHERE project_id = 'rw' AND status = 'claimed'").isEmpty(); i++) {
        alice.claim(0);
      }
      JsonObject claimed = null;
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (claimed == null) {
        JsonObject e = events.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (e == null) {
          throw new AssertionError("no live run of rw arrived");
        }
        assertEquals("rw", e.getString("project_id"), "only runs of the filter: " + e.encode());
        if ("claimed".equals(e.getString("status"))) {
          claimed = e;
        }
      }
      assertEquals("alice", claimed.getString("executor_id"));
      assertEquals("bind", claimed.getString("station"));
    } finally {
      response.cancel(true);
    }
  }
}
