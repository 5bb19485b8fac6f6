package io.productionline.store;

import static io.productionline.store.TrackRepository.utc;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** PostgreSQL access for operator interrupts. */
public final class InterruptRepository {

  /** A stored interrupt. */
  public record InterruptRow(String id, String projectId, String trackId, String documentType, String type, int stationIndex,
                             String reason, JsonObject payload, String status, Instant createdAt, Instant resolvedAt,
                             String resolvedBy, JsonObject resolution) {

    public JsonObject toJson() {
      return new JsonObject().put("interrupt_id", id).put("project_id", projectId).put("track_id", trackId)
          .put("document_type", documentType).put("type", type).put("station_index", stationIndex)
          .put("reason", reason).put("payload", payload).put("status", status)
          .put("created_at", createdAt.toString()).put("resolved_at", resolvedAt == null ? null : resolvedAt.toString())
          .put("resolved_by", resolvedBy).put("resolution", resolution);
    }
  }

  private static final String FIND = "SELECT * FROM interrupts WHERE id = $1";
  private static final String OPEN_OF_PROJECT = "SELECT * FROM interrupts WHERE project_id = $1 AND status = 'open' ORDER BY created_at";
  private static final String OPEN = "SELECT * FROM interrupts WHERE status = 'open' ORDER BY created_at LIMIT $1";
  private static final String CLOSE = """
      UPDATE interrupts SET status = $2, resolved_at = $3, resolved_by = $4, resolution = $5
       WHERE id = $1 AND status = 'open'""";

  public Future<Optional<InterruptRow>> find(SqlClient db, String id) {
    return db.preparedQuery(FIND).execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(of(rows.iterator().next())));
  }

  public Future<List<InterruptRow>> openOfProject(SqlClient db, String projectId) {
    return db.preparedQuery(OPEN_OF_PROJECT).execute(Tuple.of(projectId)).map(rows -> TaskRepository.all(rows, InterruptRepository::of));
  }

  public Future<List<InterruptRow>> open(SqlClient db, int limit) {
    return db.preparedQuery(OPEN).execute(Tuple.of(limit)).map(rows -> TaskRepository.all(rows, InterruptRepository::of));
  }

  /** Closes an open interrupt; false when it was already closed (a repeated or racing answer). */
  public Future<Boolean> close(SqlClient db, String id, String status, String actor, JsonObject resolution, Instant now) {
    return db.preparedQuery(CLOSE).execute(Tuple.of(id, status, utc(now), actor, resolution)).map(rows -> rows.rowCount() == 1);
  }

  static InterruptRow of(Row r) {
    return new InterruptRow(r.getString("id"), r.getString("project_id"), r.getString("track_id"), r.getString("document_type"),
        r.getString("type"), r.getInteger("station_index"), r.getString("reason"), (JsonObject) r.getValue("payload"),
        r.getString("status"), TrackRow.instant(r, "created_at"), TrackRow.instant(r, "resolved_at"),
        r.getString("resolved_by"), (JsonObject) r.getValue("resolution"));
  }
}
