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
import org.junit.jupiter.api.TestInstance;

/**
 * The line analytics read each changed line's open tasks and tracks and those that ended in their
 * window, every few seconds. They must read what they return, not the line's whole history: they
 * read every task and track ever run, 120,000 rows and 217 ms of PostgreSQL a refresh after a
 * two-minute bench, growing with every task (docs/benchmarks.md, "Analytics that read a line's whole
 * history").
 */
@DisplayName("The line analytics read a line's open tasks and tracks and those of their window, not its history")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AnalyticsReadsPlanTest {

  private static final String SINCE = "now() - interval '300 seconds'";
  private static final String OPEN_TASKS = "station_tasks WHERE status IN ('queued', 'claimed')";
  private TestNode node;

  /** One line's history, read by every test (they only read). */
  @BeforeAll
  void start() {
    node = Plans.nodeWithJobAtWork("flow");
    // A line's history: 5,000 tasks that ended an hour ago, completed, cancelled or dropped, and the planner's statistics of it.
    Plans.copyTask(node, "flow", "'status', (ARRAY['completed', 'cancelled', 'dropped'])[1 + g % 3], 'created_at', now() - interval '2 hours',"
        + " 'completed_at', now() - interval '1 hour'", 1, 5_000);
    // The same of its tracks: 5,000 that finished an hour ago.
    String track = "t.project_id = 'flow' AND t.document_type = 'job'";
    String finished = "'id', t.id || '-' || g, 'state', (ARRAY['stabilized', 'escalated', 'cancelled'])[1 + g % 3], ";
    Plans.copyRows(node, "tracks", track, finished + "'finalized_at', now() - interval '1 hour'", 1, 5_000);
    node.sql("ANALYZE station_tasks");
    node.sql("ANALYZE tracks");
    // Then 30 of each that ended within the window, ten of each end.
    Plans.copyTask(node, "flow", "'status', (ARRAY['completed', 'cancelled', 'dropped'])[1 + g % 3], 'created_at', now() - interval '10 seconds',"
        + " 'completed_at', now()", 5_001, 5_030);
    Plans.copyRows(node, "tracks", track + " AND t.finalized_at IS NULL", finished + "'finalized_at', now()", 5_001, 5_030);
  }

  @AfterAll
  void stop() {
    node.close();
  }

  /** The statement's rows (it runs; {@code open} of them not ended), and how many rows of {@code table} its plan read. */
  private void readsWhatItReturns(String statement, String table, String open) {
    long returned = node.sql("SELECT count(*) FROM (" + statement + ") x").get(0).getLong(0);
    assertEquals(node.sql("SELECT count(*) + 30 FROM " + open).get(0).getLong(0), returned,
        "the open ones and the 30 that ended in the window, of every end");
    JsonObject plan = Plans.explainAnalyze(node, statement);
    long read = Plans.rowsRead(plan, table);
    assertTrue(read <= 3 * returned, "read " + read + " rows of " + table + " to return " + returned + ": " + plan.encodePrettily());
  }

  @Test
  @DisplayName("a line's tasks of the window: the open ones and the 30 that ended since, not the 5,000 before")
  void lineTasks() {
    readsWhatItReturns(FlowSql.LINE_TASKS.replace("$1", "'slowjob'").replace("$2", SINCE), "station_tasks", OPEN_TASKS);
  }

  @Test
  @DisplayName("executors' work of the window, for utilisation: the same tasks, the same few rows read")
  void workSince() {
    readsWhatItReturns(FlowSql.WORK_SINCE.replace("$1", SINCE), "station_tasks", OPEN_TASKS);
  }

  @Test
  @DisplayName("a line's tracks of the window: the unfinished ones and the 30 that finished since, not the 5,000 before")
  void lineTracks() {
    readsWhatItReturns(FlowSql.LINE_TRACKS.replace("$1", "'slowjob'").replace("$2", SINCE), "tracks", "tracks WHERE finalized_at IS NULL");
  }
}
