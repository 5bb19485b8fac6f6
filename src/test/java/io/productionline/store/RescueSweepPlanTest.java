package io.productionline.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Plans;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The rescue sweep runs every second on a busy line. It must read the tasks at work once, however
 * many there are: planned for a table whose statistics count one task at work (they are kept only
 * as the table grows), it read all of them again for each one, and with 2,000 tasks at work (64
 * executors taking 32 at a time) one sweep took 1.5 s of PostgreSQL's CPU, every second
 * (docs/benchmarks.md, "The rescue sweep read every task at work once for each").
 */
@DisplayName("The rescue sweep reads the tasks at work once, however many there are")
class RescueSweepPlanTest {

  private TestNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  @DisplayName("with 400 tasks at work and statistics that count one, a sweep that finds nothing lost reads about 400 rows, not 400 × 400")
  void oneReadPerTaskAtWork() {
    JsonObject config = TestNode.config();
    config.getJsonObject("pg").put("analyze_check_ms", 0);
    node = TestNode.start(config, java.time.Clock.systemUTC());
    node.sql("ALTER TABLE station_tasks SET (autovacuum_enabled = false)");
    node.createProject("sweep", "slowjob");
    node.api.post("/production/start?project=sweep&doc=job", new JsonObject());
    node.awaitProduction("sweep", p -> "assembling".equals(TestNode.track(p, "job").getString("state")), Duration.ofSeconds(30));
    // A line's history, 20,000 completed tasks (copies of the queued one), and the planner's statistics of it: no task at work.
    Plans.copyTask(node, "sweep", "'status', 'completed', 'completed_at', now()", 1, 20_000);
    node.sql("ANALYZE station_tasks");
    // Then 400 tasks at work, held by eight executors whose leases run for an hour.
    int atWork = 400;
    Plans.copyTask(node, "sweep", "'status', 'claimed', 'executor_id', 'x' || (g % 8), 'lease_token', 'l' || g, 'lease_expires_at', now() + interval '1 hour',"
        + " 'claimed_at', now()", 20_001, 20_000 + atWork);
    String sweep = TaskSql.REQUEUE_LOST.replace("$1", "now()").replace("$2", "'{}'::text[]");
    JsonObject plan = Plans.explainAnalyze(node, sweep);
    long read = Plans.rowsRead(plan, "station_tasks");
    assertEquals(0, node.sql("SELECT count(*) FROM station_tasks WHERE project_id = 'sweep' AND status = 'queued' AND attempt > 1")
        .get(0).getLong(0), "nothing was lost, nothing requeued");
    assertTrue(read <= 3L * atWork, "the sweep read " + read + " rows of station_tasks for " + atWork + " tasks at work: " + plan.encodePrettily());
  }
}
