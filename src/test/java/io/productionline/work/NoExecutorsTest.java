package io.productionline.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.events.Addresses;
import io.productionline.support.TestNode;
import io.productionline.work.WorkKit.BusRecorder;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("No executors: work stays queued, the line says so per capability, and starts when one connects")
class NoExecutorsTest {

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
  @DisplayName("\"No executors available\" for the capability in /api/v1/executors, /production and /assembly-line/state, until one connects")
  void waitsForAnExecutor() {
    node.createProject("ne", "single");
    node.api.post("/production/start?project=ne&doc=doc", new JsonObject());

    JsonObject floor = node.api.get("/api/v1/executors").json();
    assertEquals(new JsonArray(), floor.getJsonArray("executors"));
    assertEquals(new JsonArray().add("sim"), floor.getJsonArray("no_executors_for"));
    JsonObject warning = floor.getJsonArray("no_executors").getJsonObject(0);
    assertEquals("sim", warning.getString("capability"));
    assertEquals("No executors available for sim (1 queued)", warning.getString("message"));
    assertEquals(1, floor.getJsonObject("queue").getJsonObject("by_capability").getInteger("sim"));
    JsonObject production = node.production("ne");
    assertEquals("No executors available for sim (1 queued)", production.getJsonArray("no_executors").getJsonObject(0).getString("message"));
    JsonObject doc = TestNode.track(production, "doc");
    assertEquals("binding", doc.getString("state"));
    assertEquals("queued", doc.getJsonObject("current_task").getString("status"), "the work waits in the queue");
    assertTrue(node.api.get("/assembly-line/state").json().getString("message").startsWith("No executors available for build"));

    try (BusRecorder executors = new BusRecorder(node.vertx, Addresses.EXECUTORS)) {
      node.executor("late", "sim");
      node.awaitProduction("ne", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(30));
      List<String> statuses = executors.all().stream().filter(e -> "late".equals(e.getString("executor_id")))
          .map(e -> e.getString("status")).distinct().toList();
      assertTrue(statuses.containsAll(List.of("idle", "busy")), "executor_status events as it registered, worked, and went idle: " + statuses);
      executors.await(e -> "late".equals(e.getString("executor_id")) && "idle".equals(e.getString("status"))
          && e.getLong("stations_completed") == 3, Duration.ofSeconds(10), "late idle after three stations");
    }
    JsonObject after = node.api.get("/api/v1/executors").json();
    assertEquals(new JsonArray(), after.getJsonArray("no_executors_for"));
    assertEquals(new JsonArray(), after.getJsonArray("no_executors"));
    assertEquals(0, after.getJsonObject("queue").getInteger("depth"));
  }
}
