package io.productionline.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

/**
 * What held PostgreSQL's horizon back during a window. Every {@link #EVERY_MS} ms, on its own connection,
 * the sessions of the bench database that hold a snapshot or a transaction id for longer than that (a long
 * statement, a transaction left open), and how many transactions the oldest of all lags behind. While the
 * horizon is held, no ended version of a task can be marked dead, and each probe of the line's busy indexes
 * reads them all again: a run at half speed with PostgreSQL's cost a task doubled names its holder here.
 */
final class Horizon {

  static final long EVERY_MS = 200;

  private static final String SAMPLE = """
      SELECT coalesce(max(greatest(age(backend_xmin), age(backend_xid))), 0),
             coalesce(json_agg(json_build_object(
                 'ms', round(extract(epoch FROM clock_timestamp() - held_since) * 1000),
                 'state', state,
                 'query', left(regexp_replace(query, '\\s+', ' ', 'g'), 120)))
               FILTER (WHERE clock_timestamp() - held_since > interval '%d milliseconds'), '[]')
      FROM (SELECT *, CASE WHEN backend_xid IS NOT NULL OR state <> 'active' THEN xact_start ELSE query_start END AS held_since
            FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()
              AND (backend_xmin IS NOT NULL OR backend_xid IS NOT NULL)) s""".formatted(EVERY_MS);

  private final Thread thread;
  private volatile boolean stop;
  private long samples;
  private long withHolder;
  private long maxLag;
  private double sumLag;
  /** Per statement (as PostgreSQL shows it): the longest it was seen holding, and in how many samples. */
  private final Map<String, long[]> holders = new HashMap<>();
  private volatile String failure;

  Horizon(Db db) {
    thread = new Thread(() -> run(db), "bench-horizon");
    thread.setDaemon(true);
  }

  Horizon start() {
    thread.start();
    return this;
  }

  private void run(Db db) {
    try (Connection c = DriverManager.getConnection(Db.jdbc(db.url()), db.user(), null);
         Statement st = c.createStatement()) {
      c.setAutoCommit(true);
      while (!stop) {
        try (ResultSet rs = st.executeQuery(SAMPLE)) {
          rs.next();
          record(rs.getLong(1), new JsonArray(rs.getString(2)));
        }
        Thread.sleep(EVERY_MS);
      }
    } catch (SQLException e) {
      failure = e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private synchronized void record(long lag, JsonArray held) {
    samples++;
    sumLag += lag;
    maxLag = Math.max(maxLag, lag);
    if (!held.isEmpty()) {
      withHolder++;
    }
    for (Object o : held) {
      JsonObject h = (JsonObject) o;
      long[] seen = holders.computeIfAbsent(h.getString("state") + ": " + h.getString("query"), k -> new long[2]);
      seen[0] = Math.max(seen[0], h.getLong("ms"));
      seen[1]++;
    }
  }

  /** Stops sampling and summarises: the share of samples with a holder, the lag, and the five longest holders. */
  JsonObject stop() throws InterruptedException {
    stop = true;
    thread.join(5_000);
    synchronized (this) {
      JsonArray longest = new JsonArray();
      holders.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0])).limit(5)
          .forEach(e -> longest.add(new JsonObject().put("max_ms", e.getValue()[0]).put("samples", e.getValue()[1]).put("statement", e.getKey())));
      return new JsonObject().put("every_ms", EVERY_MS).put("samples", samples).put("samples_with_a_holder", withHolder)
          .put("oldest_lag_xids_mean", samples == 0 ? null : Samples.round(sumLag / samples)).put("oldest_lag_xids_max", maxLag)
          .put("longest", longest).put("failure", failure);
    }
  }
}
