package io.productionline.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.TestNode;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A waiting executor's claim of one task is planned once per connection, not at every call: planning
 * was 0.375 ms of a single-task claim's 0.47 ms in PostgreSQL, and a task's pick-up waited for it
 * (docs/benchmarks.md, "One task's claim planned once").
 */
@DisplayName("A claim of one task is planned once per connection and kept")
class ClaimPlanTest {

  private TestNode node;

  @AfterEach
  void stop() {
    node.close();
  }

  /** The plans PostgreSQL made for {@code sql} on {@code conn}: generic (made once, kept) and custom (made at a call). */
  private static Row plans(SqlConnection conn, String sql) {
    List<Row> rows = TaskRepository.all(conn.preparedQuery("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1")
        .execute(Tuple.of(sql)).await(), r -> r);
    assertEquals(1, rows.size(), "the claim is a prepared statement of this connection");
    return rows.get(0);
  }

  @Test
  @DisplayName("after a few claims of one task on a connection, among claims of eight, the next ones reuse one plan")
  void oneTaskClaimKeepsItsPlan() {
    node = TestNode.start();
    node.createProject("cp", "slowjob");
    node.api.post("/production/start?project=cp&doc=job", new JsonObject());
    node.awaitProduction("cp", p -> "assembling".equals(TestNode.track(p, "job").getString("state")), Duration.ofSeconds(30));
    node.sql("ANALYZE station_tasks");
    TaskRepository tasks = node.node.services().tasks;
    SqlConnection conn = node.pool().getConnection().await();
    try {
      for (int i = 0; i < 10; i++) {
        // An executor whose capability has no work: each claim finds nothing, as a parked claim's does.
        assertTrue(tasks.claim(conn, "x", List.of("idle"), "server", 60, Instant.now(), null, 1).await().isEmpty());
        assertTrue(tasks.claim(conn, "x", List.of("idle"), "server", 60, Instant.now(), null, 8).await().isEmpty());
      }
      Row one = plans(conn, TaskSql.CLAIM_ONE_NEXT);
      assertTrue(one.getLong("generic_plans") >= 4, "one plan kept for the single-task claim: " + one.toJson());
    } finally {
      conn.close().await();
    }
  }
}
