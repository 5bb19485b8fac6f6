package io.productionline.support;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** What a statement's plan read, from {@code EXPLAIN (ANALYZE, FORMAT JSON)} on a test node's database. */
public final class Plans {

  private Plans() {
  }

  /** The plan of {@code statement} (with its parameters written in), run once. */
  public static JsonObject explainAnalyze(TestNode node, String statement) {
    return new JsonArray(node.sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement).get(0).getValue(0).toString())
        .getJsonObject(0).getJsonObject("Plan");
  }

  /** Rows each scan of {@code table} produced or filtered out, times its loops, summed over the plan. */
  public static long rowsRead(JsonObject plan, String table) {
    long read = 0;
    // A ModifyTable node names the table too; what it counts are the rows it wrote, not read.
    if (table.equals(plan.getString("Relation Name")) && !"ModifyTable".equals(plan.getString("Node Type"))) {
      long loops = plan.getLong("Actual Loops", 1L);
      // EXPLAIN gives each figure as the average of one loop.
      read += loops * (plan.getLong("Actual Rows", 0L) + plan.getLong("Rows Removed by Filter", 0L)
          + plan.getLong("Rows Removed by Index Recheck", 0L));
    }
    for (Object child : plan.getJsonArray("Plans", new JsonArray())) {
      read += rowsRead((JsonObject) child, table);
    }
    return read;
  }

  /**
   * Copies of {@code project}'s first station task, items {@code from} to {@code to}, with
   * {@code fields} (the SQL of jsonb_build_object's arguments, g the item): a table with a history.
   */
  public static void copyTask(TestNode node, String project, String fields, int from, int to) {
    copyRows(node, "station_tasks", "t.project_id = '" + project + "' AND t.item = 1", "'id', t.id || '-' || g, 'item', g + 1, " + fields, from, to);
  }

  /** Copies g = {@code from} to {@code to} of the rows t of {@code table} that meet {@code where}, with {@code fields} (SQL, g the copy). */
  public static void copyRows(TestNode node, String table, String where, String fields, int from, int to) {
    // The record made once a copy (LATERAL): (f(...)).* would call f once for each of its columns.
    node.sql("INSERT INTO " + table + " SELECT r.* FROM " + table + " t, generate_series(" + from + ", " + to + ") g,"
        + " LATERAL jsonb_populate_record(NULL::" + table + ", to_jsonb(t) || jsonb_build_object(" + fields + ")) r WHERE " + where);
  }

  /**
   * {@code project}'s history on a node of {@link #nodeWithJobAtWork}: 20,000 ended copies of its task,
   * and the task itself ended, analyzed while nothing of the line was open or held (the moment a
   * table that doubled is analyzed can be such a one); autovacuum off, so the statistics stay.
   */
  public static void endedHistoryAnalyzed(TestNode node, String project) {
    node.sql("ALTER TABLE station_tasks SET (autovacuum_enabled = false)");
    copyTask(node, project, "'status', 'completed', 'completed_at', now()", 1, 20_000);
    node.sql("UPDATE station_tasks SET status = 'completed', completed_at = now() WHERE project_id = '" + project + "' AND item = 1");
    node.sql("ANALYZE station_tasks");
  }

  /**
   * A node whose planner's statistics only the test refreshes (its table statistics check is off),
   * with one track of {@code project} (line slowjob, document job) at its assembly station, its task
   * queued: the rows a test copies into a line's history.
   */
  public static TestNode nodeWithJobAtWork(String project) {
    io.vertx.core.json.JsonObject config = TestNode.config();
    config.getJsonObject("pg").put("analyze_check_ms", 0);
    TestNode node = TestNode.start(config, java.time.Clock.systemUTC());
    node.createProject(project, "slowjob");
    node.api.post("/production/start?project=" + project + "&doc=job", new io.vertx.core.json.JsonObject());
    node.awaitProduction(project, p -> "assembling".equals(TestNode.track(p, "job").getString("state")), java.time.Duration.ofSeconds(30));
    return node;
  }
}
