package io.productionline.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.productionline.analytics.LineAnalytics.QueueOrder;
import io.productionline.store.TaskRow;
import io.productionline.store.TaskStatus;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * "N tasks ahead" in a track's why: the queued tasks of its capability that a claim takes before
 * its task, in claim order (higher priority first, then older, then by id).
 */
@DisplayName("Tasks ahead in the queue, as a track's why counts them")
class QueueOrderTest {

  private static final Instant T0 = Instant.parse("2026-12-07T04:00:00Z");

  private static TaskRow task(String id, String capability, int priority, int createdSecond, TaskStatus status) {
    return new TaskRow(id, "trk_" + id, "p", "doc", 1, 0, "st", "assemble", capability, "either", priority, new JsonObject(),
        new JsonObject(), status, 1, 3, 60, null, null, null, T0, T0.plusSeconds(createdSecond), null, null, null, null, null, null,
        false);
  }

  @Test
  @DisplayName("only queued tasks of the same capability count, ahead by priority, then age, then id; the task itself does not")
  void claimOrder() {
    TaskRow mine = task("task_m", "pdf", 5, 10, TaskStatus.QUEUED);
    List<TaskRow> open = new ArrayList<>(List.of(
        task("task_a", "pdf", 5, 5, TaskStatus.QUEUED),      // older, same priority: ahead
        task("task_b", "pdf", 9, 20, TaskStatus.QUEUED),     // younger, higher priority: ahead
        task("task_c", "pdf", 1, 1, TaskStatus.QUEUED),      // older, lower priority: behind
        task("task_l", "pdf", 5, 10, TaskStatus.QUEUED),     // same priority and age, smaller id: ahead
        task("task_z", "pdf", 5, 10, TaskStatus.QUEUED),     // same priority and age, larger id: behind
        task("task_d", "pdf", 5, 2, TaskStatus.CLAIMED),     // at work: not in the queue
        task("task_e", "docx", 9, 1, TaskStatus.QUEUED),     // another capability
        mine));
    java.util.Collections.shuffle(open, new java.util.Random(7));
    QueueOrder queues = QueueOrder.of(open);
    assertEquals(3, queues.ahead(mine));
    assertEquals(0, queues.ahead(open.stream().filter(t -> t.id().equals("task_b")).findFirst().orElseThrow()));
    assertEquals(5, queues.ahead(open.stream().filter(t -> t.id().equals("task_c")).findFirst().orElseThrow()));
    assertEquals(0, queues.ahead(open.stream().filter(t -> t.id().equals("task_e")).findFirst().orElseThrow()));
  }

  @Test
  @DisplayName("a task newer than the snapshot counts every queued task of its capability that a claim would take first")
  void taskNewerThanTheSnapshot() {
    QueueOrder queues = QueueOrder.of(List.of(task("task_a", "pdf", 5, 5, TaskStatus.QUEUED), task("task_b", "pdf", 5, 6, TaskStatus.QUEUED),
        task("task_c", "pdf", 1, 7, TaskStatus.QUEUED)));
    assertEquals(2, queues.ahead(task("task_n", "pdf", 5, 30, TaskStatus.QUEUED)));
    assertEquals(0, queues.ahead(task("task_x", "xlsx", 5, 30, TaskStatus.QUEUED)));
  }
}
