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

  @Test
  @DisplayName("a table whose rows changed past autovacuum's threshold is analyzed once; an unchanged one is left alone")
  void staleTablesAreAnalyzed() {
    JsonObject config = TestNode.config();
    config.getJsonObject("pg").put("analyze_check_ms", 0);
    node = TestNode.start(config, java.time.Clock.systemUTC());
    for (int i = 0; i < 4; i++) {
      node.createProject("stats-" + i, "wide");
      assertEquals(200, node.api.post("/production/start?project=stats-" + i, new JsonObject()).status());
    }
    // The line queued tasks for 4 × 20 tracks: more than 50 rows and a tenth of the table changed since it was empty.
    List<String> analyzed = Await.until(() -> node.node.statistics().runOnce().await(), t -> t.contains("station_tasks"),
        Duration.ofSeconds(30), "station_tasks to be analyzed");
    assertTrue(analyzed.contains("tracks"), "tracks too: " + analyzed);
    long tasks = node.sql("SELECT count(*) FROM station_tasks").get(0).getLong(0);
    Row planned = node.sql("SELECT reltuples FROM pg_class WHERE relname = 'station_tasks'").get(0);
    assertEquals(tasks, Math.round(planned.getFloat(0)), "the planner counts the tasks there are (it counted none before)");
    Await.until(() -> node.sql("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'station_tasks'").get(0).getValue(0),
        java.util.Objects::nonNull, Duration.ofSeconds(10), "the analyze to show in PostgreSQL's statistics");
    assertEquals(List.of(), node.node.statistics().runOnce().await(), "nothing changed since: nothing to analyze");
  }
}
