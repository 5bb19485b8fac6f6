package io.productionline.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Await;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The busiest tables' planner statistics are kept current by the server where autovacuum does not
 * (this machine's PostgreSQL runs without it), so the hot statements are planned for the tables as
 * they are, not as they were when empty.
 */
@DisplayName("Planner statistics of the busiest tables")
class TableStatisticsTest {

  private TestNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  /**
   * A node whose own check does not run (the test runs it), with four projects of the wide line started. Autovacuum
   * is off for the checked tables of this test's schema: where it runs (the embedded default), it sometimes analyzed
   * a table before the check did, and the check rightly found nothing to do.
   */
  private void startFourProjects(String prefix) {
    JsonObject config = TestNode.config();
    config.getJsonObject("pg").put("analyze_check_ms", 0);
    node = TestNode.start(config, java.time.Clock.systemUTC());
    for (String table : TableStatistics.TABLES) {
      node.sql("ALTER TABLE " + table + " SET (autovacuum_enabled = false)");
    }
    for (int i = 0; i < 4; i++) {
      node.createProject(prefix + i, "wide");
      assertEquals(200, node.api.post("/production/start?project=" + prefix + i, new JsonObject()).status());
    }
  }

  @Test
  @DisplayName("a table grown from empty past twice the rows the planner counts is analyzed, and then counted right")
  void staleTablesAreAnalyzed() {
    startFourProjects("stats-");
    // The line queued tasks and moved tracks: tables the planner counted empty now hold more than 50 rows.
    // PostgreSQL's activity counters reach its statistics views within a second or so: the check is asked until it sees them.
    List<String> analyzed = Await.until(() -> node.node.statistics().runOnce().await(), t -> !t.isEmpty(),
        Duration.ofSeconds(60), "a busy table to be analyzed");
    String table = analyzed.get(0);
    long rows = node.sql("SELECT count(*) FROM " + table).get(0).getLong(0);
    Row planned = node.sql("SELECT reltuples FROM pg_class WHERE relname = '" + table + "'").get(0);
    assertEquals(rows, Math.round(planned.getFloat(0)), "the planner counts the rows of " + table + " there are (it counted none before)");
  }

  @Test
  @DisplayName("a table whose rows changed but did not grow past twice what the planner counts is not analyzed again")
  void changedButNotGrownIsLeftAlone() {
    startFourProjects("settled-");
    Await.until(() -> node.node.statistics().runOnce().await(), t -> t.contains("tracks"), Duration.ofSeconds(60),
        "the tracks to be analyzed once");
    long live = node.sql("SELECT count(*) FROM tracks").get(0).getLong(0);
    // Every track updated in place, again and again: far more changes than autovacuum's threshold, no more rows.
    for (long changed = 0; changed <= 100 + live; changed += live) {
      node.sql("UPDATE tracks SET reason = reason");
    }
    Await.until(() -> node.sql("SELECT n_mod_since_analyze > 50 + 0.1 * n_live_tup FROM pg_stat_user_tables"
        + " WHERE schemaname = current_schema() AND relname = 'tracks'").get(0).getBoolean(0), changed -> changed,
        Duration.ofSeconds(60), "PostgreSQL's activity views to count the changes");
    List<String> analyzed = node.node.statistics().runOnce().await();
    assertTrue(!analyzed.contains("tracks"), "tracks, as many as the planner counts, analyzed again: " + analyzed);
  }
}
