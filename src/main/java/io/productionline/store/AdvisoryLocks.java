package io.productionline.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.util.function.Function;

/** PostgreSQL advisory locks: how one node of the cluster at a time does a cluster-wide job. */
public final class AdvisoryLocks {

  private AdvisoryLocks() {
  }

  /** Takes lock {@code key} until {@code conn}'s transaction ends, if no other session holds it: true when taken. */
  public static Future<Boolean> tryForTransaction(SqlConnection conn, long key) {
    return conn.query("SELECT pg_try_advisory_xact_lock(" + key + ") AS locked").execute()
        .map(rows -> rows.iterator().next().getBoolean("locked"));
  }

  /**
   * Runs {@code work} on one connection of {@code pool} while that session holds lock {@code key},
   * if no other session holds it; null when another does. The lock is the session's, not a
   * transaction's: {@code work} may wait on others (Redis, the event bus) with no transaction open,
   * so it holds back no snapshot meanwhile (an open transaction keeps PostgreSQL from marking any row
   * that ended after it began as dead, and every scan of the line's busy indexes reads those rows
   * again: docs/benchmarks.md, "Where the last tenth goes, measured, and a sweep that held a
   * transaction open"). The lock goes with the session should the connection drop.
   */
  public static <T> Future<T> whileHeld(Pool pool, long key, Function<SqlConnection, Future<T>> work) {
    return pool.withConnection(conn -> conn.query("SELECT pg_try_advisory_lock(" + key + ") AS locked").execute()
        .compose(rows -> !rows.iterator().next().getBoolean("locked") ? Future.<T>succeededFuture(null)
            : work.apply(conn).eventually(() -> conn.query("SELECT pg_advisory_unlock(" + key + ")").execute())));
  }

  /** {@code work} in a transaction of {@code conn}: committed when it succeeds, rolled back when it fails. */
  public static <T> Future<T> inTransaction(SqlConnection conn, Function<SqlConnection, Future<T>> work) {
    return conn.begin().compose(tx -> work.apply(conn).compose(
        result -> tx.commit().map(result),
        err -> tx.rollback().transform(x -> Future.<T>failedFuture(err))));
  }
}
