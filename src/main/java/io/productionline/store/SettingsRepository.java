package io.productionline.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

/** Settings shared by every node of a cluster (table {@code settings}), each written once. */
public final class SettingsRepository {

  private static final String INSERT_ONCE = "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING";
  private static final String READ = "SELECT value FROM settings WHERE key = $1";

  /**
   * The value of {@code key}; when there is none yet, {@code proposed} becomes it. Two nodes that
   * propose at once read back the same value: the first insert wins.
   */
  public Future<String> once(SqlClient db, String key, String proposed) {
    return db.preparedQuery(INSERT_ONCE).execute(Tuple.of(key, proposed))
        .compose(v -> db.preparedQuery(READ).execute(Tuple.of(key)))
        .map(rows -> rows.iterator().next().getString("value"));
  }
}
