package io.productionline.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Plans;
import io.productionline.support.TestNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The planner's statistics of station_tasks are refreshed as the table grows, at whatever moment
 * that falls on: a line between batches has no open task. Planned from such statistics, a claim of
 * several tasks (planned at each call) took the index of open tasks, which then looked empty, read
 * every open task of the line and sorted them for each claim: PostgreSQL at one and a half cores
 * and the line at a third of its speed until the table doubled (docs/benchmarks.md, "A claim that
 * read every open task"). The claim reads the queue of its capability in claim order; the reads
 * that want every open task still have their index.
 */
@DisplayName("A claim reads its queue in claim order, planned from statistics that saw no open task")
class QueuePlanTest {

  private static final int QUEUED = 2_000;
  private static final int AT_WORK = 2_000;

  private static TestNode node;

  @BeforeAll
  static void start() {
    node = Plans.nodeWithJobAtWork("queue");
    Plans.endedHistoryAnalyzed(node, "queue");
    // Then 2,000 tasks queued for a capability, and 2,000 at work.
    Plans.copyTask(node, "queue", "'status', 'queued', 'capability', 'drill', 'available_at', now() - interval '1 minute',"
        + " 'created_at', now() - interval '1 minute' + g * interval '1 millisecond'", 20_001, 20_000 + QUEUED);
    Plans.copyTask(node, "queue", "'status', 'claimed', 'executor_id', 'x' || (g % 64), 'lease_token', 'l' || g,"
        + " 'lease_expires_at', now() + interval '1 hour', 'claimed_at', now()", 30_001, 30_000 + AT_WORK);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  @DisplayName("a claim of 32 tasks reads the first tasks of its capability's queue, not the 4,000 open")
  void claimReadsItsQueue() {
    String claim = TaskSql.CLAIM_ONE.replace("$8", "32").replace("$7", "NULL").replace("$6", "'either'").replace("$5", "'drill'")
        .replace("$4", "60").replace("$3", "now()").replace("$2", "'secret'").replace("$1", "'driller'");
    long read = Plans.rowsRead(Plans.explainAnalyze(node, claim), "station_tasks");
    assertTrue(read <= 2 * 32 + 2, "a claim of 32 read " + read + " rows of station_tasks");
    assertEquals(32, node.sql("SELECT count(*) FROM station_tasks WHERE executor_id = 'driller'").get(0).getLong(0).longValue(),
        "and claimed 32");
  }

  @Test
  @DisplayName("the forecast's read of every open task reads the open tasks, not the line's history")
  void openTasksReadTheOpenOnes() {
    long read = Plans.rowsRead(Plans.explainAnalyze(node, FlowSql.OPEN_TASKS), "station_tasks");
    assertTrue(read <= QUEUED + AT_WORK + 1, "the read of every open task read " + read + " rows of station_tasks");
  }
}
