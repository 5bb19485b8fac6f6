package io.productionline.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** A station is called the bottleneck only when it constrains the line; otherwise the line runs below capacity. */
@DisplayName("The bottleneck rule: named only when the station constrains the line")
class BottleneckRuleTest {

  private static JsonObject evidence(Double demand, long queued, double growth) {
    return new JsonObject().put("demand", demand).put("queued", queued).put("queue_growth_per_min", growth);
  }

  @Test
  @DisplayName("no executor online, demand at 0.8 or more, or a growing queue: it constrains; a light station does not")
  void table() {
    assertTrue(FlowMetrics.constrains(evidence(null, 3, 0)), "nobody online can do its work");
    assertTrue(FlowMetrics.constrains(evidence(0.8, 0, 0)), "demand at the threshold");
    assertTrue(FlowMetrics.constrains(evidence(1.4, 0, 0)), "demand above what its executors can do");
    assertTrue(FlowMetrics.constrains(evidence(0.3, 4, 1.5)), "its queue grows");
    assertEquals(false, FlowMetrics.constrains(evidence(0.3, 0, 0)), "a light station with an empty queue");
    assertEquals(false, FlowMetrics.constrains(evidence(0.79, 2, 0)), "a queue that does not grow");
    assertEquals(false, FlowMetrics.constrains(evidence(0.5, 0, 2.0)), "growth of an empty queue is no queue");
  }

  @Test
  @DisplayName("below capacity, the page is told so with the busiest station's demand")
  void belowCapacity() {
    JsonObject busiest = new JsonObject().put("station", "asm").put("document_type", "item").put("capability", "sim")
        .put("evidence", evidence(0.25, 0, 0));
    assertEquals("The line runs below capacity: the busiest station, asm of item, asks 25% of what its executors with sim can do,"
        + " and its queue does not grow.", FlowMetrics.belowCapacity(busiest));
    assertTrue(FlowMetrics.belowCapacity(null).startsWith("The line runs below capacity"));
  }
}
