package io.productionline.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Plans;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The planner's statistics of station_tasks are refreshed as the table grows, at whatever moment
 * that falls on: a line between batches, or a phase whose tracks have just started, has no task
 * held. Planned from such statistics, the statements that name one held task by its id (a
 * completion's write, progress, a drop) took the index of held tasks, which then looked empty, for
 * their own, and read every held task for each task: 64 executors holding 32 each, and the line ran
 * at half speed for as long as the plan stood (docs/benchmarks.md, "A plan that read every held task
 * for each task"). The reads that want the held tasks (a heartbeat's, the rescue sweep's) still use
 * that index, and read each held task once.
 */
@DisplayName("Statements on held tasks read what they name, planned from statistics that saw no task held")
class HeldTaskPlanTest {

  private static final int AT_WORK = 2_000;
  private static final int EXECUTORS = 64;

  private static TestNode node;

  @BeforeAll
  static void start() {
    node = Plans.nodeWithJobAtWork("held");
    Plans.endedHistoryAnalyzed(node, "held");
    // Then 2,000 tasks at work: 64 executors holding 32 or so each, leases running for an hour.
    Plans.copyTask(node, "held", "'status', 'claimed', 'executor_id', 'x' || (g % " + EXECUTORS + "), 'lease_token', 'l' || g,"
        + " 'lease_expires_at', now() + interval '1 hour', 'claimed_at', now()", 20_001, 20_000 + AT_WORK);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  /** The held task of lease token {@code lease}: its id and lease written into {@code sql} as its $1 and $2. */
  private static String onHeldTask(String sql, String lease) {
    String id = node.sql("SELECT id FROM station_tasks WHERE lease_token = '" + lease + "'").get(0).getString(0);
    return sql.replace("$1", "'" + id + "'").replace("$2", "'" + lease + "'");
  }

  private static long read(String statement) {
    return Plans.rowsRead(Plans.explainAnalyze(node, statement), "station_tasks");
  }

  @Test
  @DisplayName("an executor's progress on one task reads that task, not the 2,000 held")
  void progressReadsItsTask() {
    long read = read(onHeldTask(TaskSql.PROGRESS, "l20500").replace("$3", "0.5").replace("$4", "'half'").replace("$5", "now()").replace("$6", "60"));
    assertEquals(1, read, "progress on one task read " + read + " rows of station_tasks");
  }

  @Test
  @DisplayName("dropping one held task reads that task, not the 2,000 held")
  void dropReadsItsTask() {
    long read = read(onHeldTask(TaskSql.DROP, "l20600").replace("$3", "now()"));
    assertEquals(1, read, "dropping one task read " + read + " rows of station_tasks");
  }

  @Test
  @DisplayName("a heartbeat renews its executor's leases reading that executor's tasks, not the table")
  void heartbeatReadsItsExecutorsTasks() {
    long read = read(TaskSql.RENEW_EXECUTOR_LEASES.replace("$1", "'x7'").replace("$2", "now()").replace("$3", "60").replace("$4", "NULL"));
    assertTrue(read <= 2L * AT_WORK / EXECUTORS, "a heartbeat read " + read + " rows of station_tasks for its " + AT_WORK / EXECUTORS + " tasks");
  }

  /**
   * The rescue sweep runs every second on a busy line. Planned for a table whose statistics count no
   * task at work, it read all of them again for each one: with 2,000 tasks at work one sweep took
   * 1.5 s of PostgreSQL's CPU, every second (docs/benchmarks.md, "The rescue sweep read every task
   * at work once for each").
   */
  @Test
  @DisplayName("a sweep that finds nothing lost reads each of the 2,000 tasks at work about once, not 2,000 times")
  void sweepReadsEachTaskAtWorkOnce() {
    String sweep = TaskSql.REQUEUE_LOST.replace("$1", "now()").replace("$2", "'{}'::text[]");
    JsonObject plan = Plans.explainAnalyze(node, sweep);
    long read = Plans.rowsRead(plan, "station_tasks");
    assertEquals(0, node.sql("SELECT count(*) FROM station_tasks WHERE project_id = 'held' AND status = 'queued' AND attempt > 1")
        .get(0).getLong(0), "nothing was lost, nothing requeued");
    assertTrue(read <= 3L * AT_WORK, "the sweep read " + read + " rows of station_tasks for " + AT_WORK + " tasks at work: " + plan.encodePrettily());
  }

  @Test
  @DisplayName("the list of executors holding work reads the held tasks, not the table")
  void holdersReadTheHeldTasks() {
    long read = read(TaskSql.HOLDERS);
    assertTrue(read <= AT_WORK + 1, "the holders' list read " + read + " rows of station_tasks for " + AT_WORK + " held tasks");
  }
}
