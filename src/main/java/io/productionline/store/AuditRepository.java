package io.productionline.store;

import static io.productionline.store.TrackRepository.utc;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;

/**
 * The audit log: one row per operator and admin action (who, what, on what, with which details).
 * Track commands write theirs inside the transaction of the move ({@link TrackRepository#audit});
 * actions outside a track (tokens, line definitions) write here.
 */
public final class AuditRepository {

  private static final String INSERT = "INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)";
  /** Newest first, below {@code $1} (an id; 0 for the newest), optionally of one action and one actor. */
  private static final String PAGE = """
      SELECT id, at, actor, action, target, detail FROM audit_log
       WHERE ($1 = 0 OR id < $1) AND ($2::text IS NULL OR action = $2) AND ($3::text IS NULL OR actor = $3)
       ORDER BY id DESC LIMIT $4""";

  public Future<Void> record(SqlClient db, String actor, String action, String target, JsonObject detail, Instant now) {
    return db.preparedQuery(INSERT).execute(Tuple.of(utc(now), actor, action, target, detail == null ? new JsonObject() : detail))
        .mapEmpty();
  }

  /** A page of the log, newest first. */
  public Future<JsonArray> page(SqlClient db, long before, String action, String actor, int limit) {
    return db.preparedQuery(PAGE).execute(Tuple.of(before, action, actor, (long) limit)).map(rows -> {
      JsonArray out = new JsonArray();
      for (Row r : rows) {
        out.add(new JsonObject().put("id", r.getLong("id")).put("at", TrackRow.instant(r, "at").toString())
            .put("actor", r.getString("actor")).put("action", r.getString("action")).put("target", r.getString("target"))
            .put("detail", r.getValue("detail")));
      }
      return out;
    });
  }
}
