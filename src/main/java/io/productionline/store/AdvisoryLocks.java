package io.productionline.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;

/** PostgreSQL advisory locks: how one node of the cluster at a time does a cluster-wide job. */
public final class AdvisoryLocks {

  private AdvisoryLocks() {
  }

  /** Takes lock {@code key} until {@code conn}'s transaction ends, if no other session holds it: true when taken. */
  public static Future<Boolean> tryForTransaction(SqlConnection conn, long key) {
    return conn.query("SELECT pg_try_advisory_xact_lock(" + key + ") AS locked").execute()
        .map(rows -> rows.iterator().next().getBoolean("locked"));
  }
}
