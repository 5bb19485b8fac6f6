package io.productionline.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Plans;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The line analytics read each changed line's open tasks and those that ended in their window, every
 * few seconds. They must read what they return, not the line's whole history: they read every task
 * ever run, 112,000 rows and 190 ms of PostgreSQL a refresh after a two-minute bench, growing with
 * every task (docs/benchmarks.md, "Analytics that read a line's whole history").
 */
@DisplayName("The line analytics read a line's open tasks and those of their window, not its history")
class AnalyticsReadsPlanTest {

  private static final String SINCE = "now() - interval '300 seconds'";
  private TestNode node;

  @BeforeEach
  void start() {
    JsonObject config = TestNode.config();
    config.getJsonObject("pg").put("analyze_check_ms", 0);
    node = TestNode.start(config, java.time.Clock.systemUTC());
    node.createProject("flow", "slowjob");
    node.api.post("/production/start?project=flow&doc=job", new JsonObject());
    node.awaitProduction("flow", p -> "assembling".equals(TestNode.track(p, "job").getString("state")), Duration.ofSeconds(30));
    // A line's history: 20,000 tasks that ended an hour ago, completed, cancelled or dropped, and the planner's statistics of it.
    Plans.copyTask(node, "flow", "'status', (ARRAY['completed', 'cancelled', 'dropped'])[1 + g % 3], 'created_at', now() - interval '2 hours',"
        + " 'completed_at', now() - interval '1 hour'", 1, 20_000);
    node.sql("ANALYZE station_tasks");
    // Then 30 that ended within the window, ten of each end.
    Plans.copyTask(node, "flow", "'status', (ARRAY['completed', 'cancelled', 'dropped'])[1 + g % 3], 'created_at', now() - interval '10 seconds',"
        + " 'completed_at', now()", 20_001, 20_030);
  }

  @AfterEach
  void stop() {
    node.close();
  }

  /** The statement's rows (it runs), and how many rows of station_tasks its plan read. */
  private void readsWhatItReturns(String statement) {
    long returned = node.sql("SELECT count(*) FROM (" + statement + ") x").get(0).getLong(0);
    assertEquals(31, returned, "the open task and the 30 that ended in the window, of every end");
    JsonObject plan = Plans.explainAnalyze(node, statement);
    long read = Plans.rowsRead(plan, "station_tasks");
    assertTrue(read <= 3 * returned, "read " + read + " rows of station_tasks to return " + returned + ": " + plan.encodePrettily());
  }

  @Test
  @DisplayName("a line's tasks of the window: the open one and the 30 that ended since, not the 20,000 before")
  void lineTasks() {
    readsWhatItReturns(FlowSql.LINE_TASKS.replace("$1", "'slowjob'").replace("$2", SINCE));
  }

  @Test
  @DisplayName("executors' work of the window, for utilisation: the same 31 tasks, the same few rows read")
  void workSince() {
    readsWhatItReturns(FlowSql.WORK_SINCE.replace("$1", SINCE));
  }
}
