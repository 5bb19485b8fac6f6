package io.productionline.track;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Await;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The floor a line view shows (executors, queue depth) is read at most once a second and shared: a
 * view never waits for the next read while the last one is fresh, on the node's own clock.
 */
@DisplayName("Line views: the floor is read behind the readers, not in front of them")
class FloorForViewTest {

  private TestNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  @DisplayName("a view a second after the last floor read answers from it at once and the floor is read again behind it")
  void aSecondOldFloorIsServedWhileTheNextIsRead() throws InterruptedException {
    node = TestNode.start();
    node.createProject("floor", "fast");
    assertEquals(new JsonArray(), node.production("floor").getJsonArray("executors"), "nobody on the floor yet");

    assertEquals(201, node.executorApi("floor-x").post("/api/v1/executors",
        new JsonObject().put("executor_id", "floor-x").put("capabilities", new JsonArray().add("sim"))).status());
    // The time the rule is about: the floor read above is now more than a second old by both the node's clock and its
    // monotonic one. (Before, a view compared the node's clock with the read's and so waited for a new read every
    // second; on a busy line that was most of GET /production's p99.)
    Thread.sleep(1_100);

    JsonObject served = node.production("floor");
    assertEquals(new JsonArray(), served.getJsonArray("executors"), "answered from the read a second ago, not after a new one");
    JsonObject later = Await.until(() -> node.production("floor"), v -> !v.getJsonArray("executors").isEmpty(),
        Duration.ofSeconds(10), "the floor read again behind the reader");
    assertEquals("floor-x", later.getJsonArray("executors").getJsonObject(0).getString("executor_id"));
    assertTrue(later.getString("as_of").compareTo(served.getString("as_of")) >= 0);
  }
}
