package io.productionline.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Plans;
import io.productionline.support.TestNode;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Every claim adds an entry to the index of held tasks and every completion leaves one behind,
 * pointing at a task no longer held, until a vacuum removes it (autovacuum off here, as on a
 * PostgreSQL whose vacuum has not come round yet). The rescue sweep reads the tasks at work every
 * 2 s; read as a bitmap, each sweep read the row of every task completed since the last vacuum
 * (docs/benchmarks.md, "A sweep that read every task completed since the last vacuum"). Read by
 * index, the first sweep marks those entries dead and the next ones step over them.
 */
@DisplayName("The rescue sweep reads the tasks at work, not every task completed since the last vacuum")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SweepReadsTest {

  private static final int COMPLETED = 20_000;
  private static final int AT_WORK = 20;
  /** What a sweep may read once the completed tasks' entries are marked: the index's pages and the 20 tasks at work. */
  private static final long BOUND = 150;

  private static TestNode node;

  @BeforeAll
  static void start() {
    node = Plans.nodeWithJobAtWork("sweep");
    Plans.endedHistoryAnalyzed(node, "sweep");
    // Then 20,020 tasks claimed, leases running for an hour, and 20,000 of them completed.
    Plans.copyTask(node, "sweep", "'status', 'claimed', 'executor_id', 'x' || (g % 64), 'lease_token', 'l' || g,"
        + " 'lease_expires_at', now() + interval '1 hour', 'claimed_at', now()", 20_001, 20_000 + COMPLETED + AT_WORK);
    // Analyzed while they were at work, as a busy line's table is (the planner then reads held tasks as a bitmap).
    node.sql("ANALYZE station_tasks");
    node.sql("UPDATE station_tasks SET status = 'completed', completed_at = now() WHERE project_id = 'sweep' AND status = 'claimed'"
        + " AND item <= " + (20_001 + COMPLETED));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  /** The buffers {@code statement} read, run as the sweep runs its reads (after {@link TaskSql#BY_INDEX}, in its transaction). */
  private static long buffers(String statement) {
    io.vertx.core.json.JsonObject plan = node.pool().withTransaction(tx -> tx.query(TaskSql.BY_INDEX).execute()
            .compose(v -> tx.query("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement).execute()))
        .map(rows -> new io.vertx.core.json.JsonArray(rows.iterator().next().getValue(0).toString()).getJsonObject(0).getJsonObject("Plan"))
        .await();
    return plan.getLong("Shared Hit Blocks", 0L) + plan.getLong("Shared Read Blocks", 0L);
  }

  private static String sweep(String sql, String lost) {
    return sql.replace("$1", "now()").replace("$2", "'{" + lost + "}'::text[]");
  }

  @Test
  @Order(1)
  @DisplayName("after the first sweep, a sweep reads a few blocks, not the rows of the 20,000 tasks completed since the last vacuum")
  void laterSweepsStepOverCompletedTasks() {
    assertEquals(AT_WORK, node.sql("SELECT count(*) FROM station_tasks WHERE status = 'claimed' AND project_id = 'sweep'").get(0).getLong(0));
    long first = buffers(sweep(TaskSql.REQUEUE_LOST, ""));
    long second = buffers(sweep(TaskSql.REQUEUE_LOST, ""));
    long exhausted = buffers(sweep(TaskSql.EXHAUSTED, ""));
    long holders = buffers(TaskSql.HOLDERS);
    assertTrue(second <= BOUND && exhausted <= BOUND && holders <= BOUND, "after the first sweep, its reads took " + second + ", "
        + exhausted + " and " + holders + " buffers for " + AT_WORK + " tasks at work (the first: " + first + ")");
    assertTrue(first > COMPLETED, "the first sweep reads each completed task's row once (" + first + " buffers)");
  }

  @Test
  @Order(2)
  @DisplayName("the sweep's own calls read by index, and queue a lost executor's task again")
  void theSweepsCallsReadByIndex() {
    TaskRepository tasks = node.node.services().tasks;
    Instant now = Instant.now();
    List<String> lost = List.of(node.sql("SELECT executor_id FROM station_tasks WHERE project_id = 'sweep' AND status = 'claimed' LIMIT 1")
        .get(0).getString(0));
    String setting = node.pool().withTransaction(tx -> tasks.requeueLost(tx, lost, now)
            .compose(r -> tasks.exhausted(tx, lost, now))
            .compose(r -> tx.query("SELECT current_setting('enable_bitmapscan') || current_setting('enable_seqscan')").execute()))
        .map(rows -> rows.iterator().next().getString(0)).await();
    assertEquals("offoff", setting, "bitmap and sequential scans are off in the sweep's transaction");
    assertEquals(0, node.sql("SELECT count(*) FROM station_tasks WHERE project_id = 'sweep' AND status = 'claimed' AND executor_id = '"
        + lost.get(0) + "'").get(0).getLong(0), "the lost executor's work is no longer held by it");
    assertEquals("on", node.sql("SHOW enable_bitmapscan").get(0).getString(0), "the setting ends with the sweep's transaction");
    assertTrue(tasks.holders(node.pool()).await().size() >= AT_WORK / 2, "the executors at work are listed");
  }
}
