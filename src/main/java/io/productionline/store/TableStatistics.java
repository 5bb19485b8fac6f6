package io.productionline.store;

import io.productionline.Periodic;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the planner's statistics of the line's busiest tables current. The statements of the hot
 * path are prepared once per connection and keep the plan PostgreSQL chose for the table as its
 * statistics described it; a table that has grown from empty since (a fresh install, or a server
 * whose autovacuum is off or behind) keeps plans made for a table of a few rows: a claim that scans
 * every task, and PostgreSQL spending about 2.5 times the CPU per task (docs/benchmarks.md). Every
 * {@code pg.analyze_check_ms} (5 s; 0: never), one node at a time (an advisory lock) analyzes each
 * of those tables that holds more than twice the rows its statistics count (and 50 more): a table
 * grown from empty is analyzed at a few hundred rows, then each time it doubled, and never again
 * once it stops growing fast; analyzing makes PostgreSQL plan those statements again.
 */
public final class TableStatistics {

  private static final Logger log = LoggerFactory.getLogger(TableStatistics.class);

  /** The advisory lock of the check (one node of the cluster at a time). */
  private static final long LOCK_KEY = 0x504c5f414e4cL;

  /** The tables the line writes on every move, as PostgreSQL names them. */
  static final String[] TABLES = {"station_tasks", "tracks", "track_events", "projects", "interrupts"};

  /**
   * The tables that hold more than twice the rows (and 50 more) the planner counts for them
   * ({@code pg_class.reltuples}, which an ANALYZE sets at once; -1 before the first). A table that
   * only changed in place, or grew by less, keeps its plans: they were made for a table of its size.
   * (Autovacuum's own rule, a tenth of the table changed, analyzed a busy table every few seconds
   * for nothing: its plans stayed the same.)
   */
  static final String STALE = """
      SELECT s.relname, s.n_live_tup AS live, greatest(c.reltuples, 0)::bigint AS planned
        FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
       WHERE s.schemaname = current_schema() AND s.relname = ANY ($1) AND s.n_live_tup > 50 + 2 * greatest(c.reltuples, 0)
       ORDER BY s.relname""";

  private final Pool pool;
  private final Periodic periodic;

  public TableStatistics(Vertx vertx, Pool pool) {
    this.pool = pool;
    this.periodic = new Periodic(vertx, "Table statistics check", this::runOnce);
  }

  public void start(long intervalMs) {
    if (intervalMs > 0) {
      periodic.start(intervalMs);
    }
  }

  public void stop() {
    periodic.stop();
  }

  /** One check: the tables it analyzed (none when another node holds the check or none was stale). */
  public Future<List<String>> runOnce() {
    // A session lock on one connection, and each ANALYZE a statement of its own (not in a transaction block).
    return AdvisoryLocks.whileHeld(pool, LOCK_KEY, conn -> conn.preparedQuery(STALE).execute(Tuple.of((Object) TABLES)).compose(rows -> {
      List<String> analyzed = new ArrayList<>();
      Future<Void> chain = Future.succeededFuture();
      for (Row r : rows) {
        String table = r.getString("relname");
        long live = r.getLong("live");
        long planned = r.getLong("planned");
        // The name is one of TABLES, as PostgreSQL returned it: safe to name in the statement.
        chain = chain.compose(v -> conn.query("ANALYZE " + table).execute().map(x -> {
          analyzed.add(table);
          log.info("Statistics of {} refreshed: it holds {} rows, its plans were made for {}", table, live, planned);
          return null;
        }));
      }
      return chain.<List<String>>map(v -> List.copyOf(analyzed));
    })).map(analyzed -> analyzed == null ? List.<String>of() : analyzed);
  }
}
