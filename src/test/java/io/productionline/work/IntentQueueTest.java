package io.productionline.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Api;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The seed-001 dashboard's data: {@code GET /assembly-line/queue}, and the same live ({@code ?stream=true}). */
@DisplayName("Intent queue: queued with estimated start and what they wait for, in progress, completed with evidence; live")
class IntentQueueTest {

  private static final List<String> STATIONS = List.of("spec", "spec_audit", "build", "build_audit", "test", "test_audit",
      "production", "production_audit");
  private static final java.util.Map<String, Integer> LEVELS = java.util.Map.of("spec_audit", 1, "build_audit", 2, "test_audit", 4,
      "production_audit", 6);

  private TestNode node;

  @BeforeEach
  void start() {
    node = TestNode.start(TestNode.config().put("lines_dir", "conf/lines"), Clock.systemUTC());
  }

  @AfterEach
  void stop() {
    node.close();
  }

  private String submit(String title, int priority) {
    Api.Reply r = node.api.post("/assembly-line/intent", new JsonObject().put("title", title).put("spec_path", "specs/" + title)
        .put("priority", priority));
    assertEquals(201, r.status(), r.text());
    return r.json().getString("intent_id");
  }

  private JsonObject pull() {
    return node.executorApi("builder").get("/assembly-line/work/next?executor_id=builder").json();
  }

  private void complete(String intent, JsonObject extra) {
    Api.Reply r = node.executorApi("builder").post("/assembly-line/work/complete", new JsonObject().put("intent_id", intent)
        .put("executor_id", "builder").put("status", "completed").put("artifacts", new JsonObject()).mergeIn(extra));
    assertEquals(200, r.status(), r.text());
  }

  @Test
  @DisplayName("Three intents: one completed with its evidence, one at work, one queued behind with an estimate; the stream sends each change")
  void queue() throws Exception {
    LinkedBlockingQueue<JsonObject> snapshots = new LinkedBlockingQueue<>();
    HttpRequest req = HttpRequest.newBuilder(URI.create(node.api.base() + "/assembly-line/queue?stream=true&token="
        + node.apiAs("viewer").token())).build();
    var stream = HttpClient.newHttpClient().sendAsync(req, HttpResponse.BodyHandlers.ofLines()).thenAccept(res -> {
      String[] event = {null};
      try (Stream<String> lines = res.body()) {
        lines.forEach(line -> {
          if (line.startsWith("event: ")) {
            event[0] = line.substring(7);
          } else if (line.startsWith("data: ") && "queue".equals(event[0])) {
            snapshots.offer(new JsonObject(line.substring(6)));
          }
        });
      }
    });
    try {
      JsonObject empty = snapshots.poll(10, TimeUnit.SECONDS);
      assertNotNull(empty, "the stream sends the queue at once");
      assertTrue(empty.getJsonArray("queued").isEmpty());

      String done = submit("done", 9);
      for (int i = 0; i < STATIONS.size(); i++) {
        JsonObject pulled = pull();
        assertTrue(pulled.getBoolean("assigned"), pulled.encode());
        String station = pulled.getJsonObject("intent").getString("station");
        complete(done, station.endsWith("_audit")
            ? new JsonObject().put("verification_level", LEVELS.get(station)).put("score", 0.95)
                .put("findings", new JsonArray().add("tests pass"))
            : new JsonObject());
      }
      String working = submit("working", 8);
      assertTrue(pull().getBoolean("assigned"));
      Api.Reply progress = node.executorApi("builder").post("/assembly-line/work/progress", new JsonObject().put("intent_id", working)
          .put("executor_id", "builder").put("phase", "spec").put("progress", 0.4));
      assertEquals(200, progress.status(), progress.text());
      String waiting = submit("waiting", 1);

      JsonObject q = node.api.get("/assembly-line/queue").json();
      assertEquals(List.of(waiting), ids(q.getJsonArray("queued")));
      JsonObject queued = q.getJsonArray("queued").getJsonObject(0);
      assertNotNull(queued.getString("estimated_start"));
      assertEquals("1 task ahead of it", queued.getString("waiting_for"));
      assertEquals(List.of(working), ids(q.getJsonArray("in_progress")));
      JsonObject atWork = q.getJsonArray("in_progress").getJsonObject(0);
      assertEquals("spec", atWork.getString("current_phase"));
      assertEquals("builder", atWork.getString("assigned_to"));
      assertEquals(0.4, atWork.getDouble("progress"));
      assertEquals(List.of(done), ids(q.getJsonArray("completed")));
      JsonObject finished = q.getJsonArray("completed").getJsonObject(0);
      assertEquals(6, finished.getInteger("verification_level"));
      JsonArray evidence = finished.getJsonArray("evidence");
      assertEquals(4, evidence.size(), "one entry per audit");
      assertEquals("production_audit", evidence.getJsonObject(3).getString("station"));
      assertEquals(new JsonArray().add("tests pass"), evidence.getJsonObject(3).getJsonArray("findings"));

      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      JsonObject live = null;
      while (live == null || !ids(live.getJsonArray("queued")).equals(List.of(waiting))) {
        live = snapshots.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (live == null) {
          throw new AssertionError("the stream did not send the queue with the waiting intent");
        }
      }
      assertEquals(List.of(done), ids(live.getJsonArray("completed")));
    } finally {
      stream.cancel(true);
    }
  }

  private static List<String> ids(JsonArray a) {
    return a.stream().map(o -> ((JsonObject) o).getString("intent_id")).toList();
  }
}
