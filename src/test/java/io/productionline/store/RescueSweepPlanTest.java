package io.productionline.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.TestNode;
import io.vertx.core.json.JsonArray;
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

  /** Rows each scan of station_tasks produced or filtered out, times its loops, summed over the plan. */
  private static long rowsRead(JsonObject plan) {
    long read = 0;
    if ("station_tasks".equals(plan.getString("Relation Name"))) {
      long loops = plan.getLong("Actual Loops", 1L);
      // EXPLAIN gives each figure as the average of one loop.
      read += loops * (plan.getLong("Actual Rows", 0L) + plan.getLong("Rows Removed by Filter", 0L)
          + plan.getLong("Rows Removed by Index Recheck", 0L));
    }
    for (Object child : plan.getJsonArray("Plans", new JsonArray())) {
      read += rowsRead((JsonObject) child);
    }
    return read;
  }

  /** Copies of the project's queued task, items {@code from} to {@code to}, with {@code fields} (SQL of jsonb_build_object's arguments, g the item). */
  private void copies(String fields, int from, int to) {
    node.sql("INSERT INTO station_tasks SELECT (jsonb_populate_record(NULL::station_tasks, to_jsonb(t) || jsonb_build_object("
        + "'id', t.id || '-' || g, 'item', g + 1, " + fields + "))).*"
        + " FROM station_tasks t, generate_series(" + from + ", " + to + ") g WHERE t.project_id = 'sweep' AND t.item = 1");
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
    copies("'status', 'completed', 'completed_at', now()", 1, 20_000);
    node.sql("ANALYZE station_tasks");
    // Then 400 tasks at work, held by eight executors whose leases run for an hour.
    int atWork = 400;
    copies("'status', 'claimed', 'executor_id', 'x' || (g % 8), 'lease_token', 'l' || g, 'lease_expires_at', now() + interval '1 hour',"
        + " 'claimed_at', now()", 20_001, 20_000 + atWork);
    String sweep = TaskSql.REQUEUE_LOST.replace("$1", "now()").replace("$2", "'{}'::text[]");
    JsonObject plan = new JsonArray(node.sql("EXPLAIN (ANALYZE, FORMAT JSON) " + sweep).get(0).getValue(0).toString())
        .getJsonObject(0).getJsonObject("Plan");
    long read = rowsRead(plan);
    assertEquals(0, node.sql("SELECT count(*) FROM station_tasks WHERE project_id = 'sweep' AND status = 'queued' AND attempt > 1")
        .get(0).getLong(0), "nothing was lost, nothing requeued");
    assertTrue(read <= 3L * atWork, "the sweep read " + read + " rows of station_tasks for " + atWork + " tasks at work: " + plan.encodePrettily());
  }
}
