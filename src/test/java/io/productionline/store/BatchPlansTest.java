package io.productionline.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.events.EventType;
import io.productionline.line.TrackState;
import io.productionline.store.TrackRepository.Move;
import io.productionline.store.TrackRepository.NewEvent;
import io.productionline.support.Await;
import io.productionline.support.Plans;
import io.productionline.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A group's statement of claims ({@link ClaimBatch}) is planned once on each connection and the
 * plan kept: planned again at every call, planning was a tenth to a quarter of a claim's time in
 * PostgreSQL (docs/benchmarks.md, "Claims in one statement, planned once"). A plan kept must read
 * by index whatever statistics it was made from.
 */
@DisplayName("A group's statement of claims is planned once on each connection, and reads by index")
class BatchPlansTest {

  private TestNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  @DisplayName("groups of claims reuse the plan their connection made once, however many claims and tasks they carry; the moves after them are planned for their values")
  void batchesKeepTheirPlans() throws Exception {
    JsonObject config = TestNode.config();
    // One connection, so the plans the test reads are those the groups used.
    config.getJsonObject("pg").put("pool_size", 1).put("group_commit", new JsonObject().put("max_in_flight", 2).put("max_writes", 64));
    node = TestNode.start(config, java.time.Clock.systemUTC());
    node.createProject("kept", "wide");
    assertEquals(200, node.api.post("/production/start?project=kept", new JsonObject()).status());
    Await.until(() -> node.sql("SELECT count(*) FILTER (WHERE state = 'queued' OR owner_node IS NULL) FROM tracks"
        + " WHERE project_id = 'kept'").get(0).getLong(0), n -> n == 0, Duration.ofSeconds(30), "every track at its first station");
    List<TrackRow> tracks = node.node.services().tracks.ofProject(node.pool(), "kept").await();
    List<String> capabilities = node.sql("SELECT DISTINCT capability FROM station_tasks WHERE status = 'queued' AND project_id = 'kept'")
        .stream().map(r -> r.getString(0)).toList();

    // Claims of one task and of two, made at once: two go alone, the rest in groups, of different sizes each time.
    int claimed = 0;
    for (int round = 0; round < 3; round++) {
      int r = round;
      List<Future<List<TaskRow>>> claims = burst(i -> node.node.services().tasks.claim(node.pool(), "claimer-" + r + "-" + i,
          capabilities, "either", 60, Instant.now(), null, 1 + i % 2), 3 + round);
      for (Future<List<TaskRow>> c : claims) {
        claimed += c.result().size();
      }
    }
    assertTrue(claimed > 0, "the claims took tasks");
    // The tracks' moves at once: two go alone, the rest in a group's one statement.
    List<Future<TrackWrite.Result>> halts = burst(i -> TrackWrite.of(tracks.get(i), Instant.now())
        .move(new Move(TrackState.HALTED, tracks.get(i).stationIndex(), tracks.get(i).remediationCount(), tracks.get(i).runs(),
            tracks.get(i).currentTaskId(), "held by the test"), -1)
        .events(List.of(new NewEvent(EventType.LINE_PROGRESS, new JsonObject())))
        .execute(node.pool()), tracks.size());
    assertTrue(halts.stream().allMatch(Future::succeeded), "every move written");
    long[] counts = GroupCommit.counts(node.pool());
    assertTrue(counts[4] > 0 && counts[2] > 0, "claims and moves went in the groups' statements: " + java.util.Arrays.toString(counts));

    List<Row> plans = node.sql("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
        + " WHERE statement IN ('" + ClaimBatch.ONE.replace("'", "''") + "', '" + ClaimBatch.ANY.replace("'", "''") + "', '"
        + MoveBatch.STATEMENT.sql().replace("'", "''") + "')");
    assertTrue(plans.stream().anyMatch(p -> p.getString("statement").equals(MoveBatch.STATEMENT.sql())), "the moves' statement ran here");
    assertEquals(2, plans.size(), "a statement of claims and one of moves ran on the connection");
    for (Row p : plans) {
      if (p.getString("statement").equals(MoveBatch.STATEMENT.sql())) {
        assertTrue(p.getLong("custom_plans") >= 1, "the statement of moves is planned for its values");
      } else {
        assertEquals(0L, p.getLong("custom_plans"), "the statement of claims was never planned for its values");
        assertTrue(p.getLong("generic_plans") >= 1, "the statement of claims reused its connection's plan");
      }
    }
  }

  @Test
  @DisplayName("the plans kept read the queue by index, even when made from statistics of a young table or of one half queued")
  void keptPlansReadByIndex() {
    node = Plans.nodeWithJobAtWork("index");
    // A young table, analyzed while it held one task: a plan made then would be kept until the next ANALYZE.
    node.sql("ANALYZE station_tasks");
    assertTrue(genericPlan("SET LOCAL plan_cache_mode = force_generic_plan", ClaimBatch.ONE).contains("Seq Scan on station_tasks"),
        "made from these statistics alone, the plan of claims reads every task: else this test shows nothing");
    assertReadByIndex("a young table");
    // 20,000 tasks ended and 20,000 queued, analyzed.
    Plans.endedHistoryAnalyzed(node, "index");
    Plans.copyTask(node, "index", "'status', 'queued'", 20_001, 40_000);
    node.sql("ANALYZE station_tasks");
    assertReadByIndex("half the tasks queued");
  }

  private void assertReadByIndex(String statistics) {
    for (String sql : List.of(ClaimBatch.ONE, ClaimBatch.ANY)) {
      String plan = genericPlan(GroupCommit.CLAIM_PLANS, sql);
      assertFalse(plan.contains("Seq Scan on station_tasks ") || plan.contains("Bitmap Heap Scan on station_tasks "),
          "with statistics of " + statistics + ", the plan kept reads the tasks by index:\n" + plan);
      assertTrue(plan.contains("station_tasks_claim_order"), "the claims read the queue in claim order:\n" + plan);
    }
  }

  /** The plan PostgreSQL keeps for {@code sql} on a connection after {@code settings}, as text. */
  private String genericPlan(String settings, String sql) {
    Matcher m = Pattern.compile("\\$(\\d+)").matcher(sql);
    int params = 0;
    while (m.find()) {
      params = Math.max(params, Integer.parseInt(m.group(1)));
    }
    String nulls = String.join(", ", java.util.Collections.nCopies(params, "NULL"));
    SqlConnection conn = node.pool().getConnection().await();
    try {
      conn.query("BEGIN; " + settings).execute().await();
      conn.query("PREPARE kept AS " + sql).execute().await();
      StringBuilder plan = new StringBuilder();
      conn.query("EXPLAIN EXECUTE kept(" + nulls + ")").execute().await().forEach(r -> plan.append(r.getString(0)).append('\n'));
      return plan.toString();
    } finally {
      conn.query("ROLLBACK; DEALLOCATE kept").execute().otherwiseEmpty().await();
      conn.close().await();
    }
  }

  /** {@code n} calls of {@code call}, all made from one event loop before any is answered; returns once all are. */
  private <T> List<Future<T>> burst(Function<Integer, Future<T>> call, int n) throws Exception {
    Promise<List<Future<T>>> made = Promise.promise();
    node.vertx.getOrCreateContext().runOnContext(v -> {
      List<Future<T>> all = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        all.add(call.apply(i));
      }
      made.complete(all);
    });
    List<Future<T>> all = made.future().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    Future.join(new ArrayList<>(all)).otherwiseEmpty().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    return all;
  }
}
