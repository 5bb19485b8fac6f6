package io.productionline.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Await;
import io.productionline.support.Plans;
import io.productionline.support.TestNode;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The queue's depth is counted for the dashboards about once a second while work moves (the floor
 * of {@code GET /production}, {@code queue_depth} events, {@code /metrics}). With statistics taken
 * while much of a young table was queued, the planner counted it by reading every task the line
 * ever had, in parallel: 240-490 ms of three processes a count on the bench's line, a share of the
 * machine that grew with the history (docs/benchmarks.md, "The queue's depth read from the queue").
 * It reads the index of queued tasks instead.
 */
@DisplayName("The queue's depth is read from the queue, not from every task the line ever had")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QueueDepthReadTest {

  private static final int HISTORY = 20_000;
  private static final int ONCE_QUEUED = 20_000;
  private static final int QUEUED = 30;
  /** What a count may read once the entries of tasks no longer queued are marked: the index's pages and the tasks queued. */
  private static final long BOUND = 300;

  private static TestNode node;
  /** A transaction id taken after the 20,000 tasks were completed. */
  private static long completedBefore;

  @BeforeAll
  static void start() {
    node = Plans.nodeWithJobAtWork("depth");
    Plans.endedHistoryAnalyzed(node, "depth");
    // 20,030 tasks queued (the line's own task ended with its history), analyzed so (half the table queued), then 20,000 of them completed.
    Plans.copyTask(node, "depth", "'status', 'queued'", HISTORY + 1, HISTORY + ONCE_QUEUED + QUEUED);
    node.sql("ANALYZE station_tasks");
    node.sql("UPDATE station_tasks SET status = 'completed', completed_at = now() WHERE project_id = 'depth' AND status = 'queued'"
        + " AND item > " + (HISTORY + 1) + " AND item <= " + (HISTORY + 1 + ONCE_QUEUED));
    completedBefore = node.sql("SELECT pg_current_xact_id()::text::bigint % 4294967296").get(0).getLong(0);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  /** The buffers the count read, in a transaction that first ran {@code settings} (none when null). */
  private static long buffers(String settings) {
    io.vertx.core.json.JsonObject plan = node.pool().withTransaction(tx -> (settings == null ? io.vertx.core.Future.<Void>succeededFuture()
            : tx.query(settings).execute().<Void>mapEmpty())
            .compose(v -> tx.query("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + TaskSql.QUEUE_DEPTH).execute()))
        .map(rows -> new io.vertx.core.json.JsonArray(rows.iterator().next().getValue(0).toString()).getJsonObject(0).getJsonObject("Plan"))
        .await();
    return plan.getLong("Shared Hit Blocks", 0L) + plan.getLong("Shared Read Blocks", 0L);
  }

  @Test
  @Order(1)
  @DisplayName("the dashboards' count reads the queue's index, not every task of the line's history")
  void countReadsTheQueue() {
    long pages = node.sql("SELECT relpages FROM pg_class WHERE relname = 'station_tasks'").get(0).getLong(0);
    long planned = buffers(null);
    assertTrue(planned >= pages, "as planned alone, the count reads the whole table (" + planned + " buffers, the table " + pages
        + " pages): else this test shows nothing");
    // Read by index, the count marks the index's entries of the 20,000 tasks no longer queued the first time (once no
    // transaction of the database still sees them queued); a read of the whole table marks none, and the count after it
    // would read them all again.
    Await.until(() -> node.sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        + " AND backend_xmin IS NOT NULL AND backend_xmin::text::bigint < " + completedBefore).get(0).getLong(0), n -> n == 0,
        java.time.Duration.ofSeconds(30), "no transaction of the database still sees the 20,000 tasks queued");
    node.node.services().tasks.queueDepth(node.pool()).await();
    long read = buffers(TaskSql.BY_INDEX);
    assertTrue(read <= BOUND, "after the dashboards' count, a count by index read " + read + " buffers for " + QUEUED
        + " queued tasks: the dashboards' count did not read the index");
  }

  @Test
  @Order(2)
  @DisplayName("the depth the dashboards get counts every queued task, and only those")
  void depthCountsTheQueuedTasks() {
    Map<String, Integer> depth = node.node.services().tasks.queueDepth(node.pool()).await();
    long queued = node.sql("SELECT count(*) FROM station_tasks WHERE status = 'queued'").get(0).getLong(0);
    assertEquals(QUEUED, queued);
    assertEquals(queued, depth.values().stream().mapToLong(Integer::longValue).sum(), "depth by capability: " + depth);
    assertEquals("on", node.sql("SHOW enable_seqscan").get(0).getString(0), "the setting ends with the count's transaction");
  }
}
