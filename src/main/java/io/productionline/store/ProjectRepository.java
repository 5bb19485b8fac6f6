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

/** PostgreSQL access for projects: an instance of a line with its definition as it was at creation. */
public final class ProjectRepository {

  /** A stored project. */
  public record ProjectRow(String id, String line, Integer lineVersion, JsonObject lineDefinition, JsonObject params,
                           String idempotencyKey, String createdBy, Instant createdAt, Instant archivedAt) {

    public JsonObject toJson() {
      return new JsonObject().put("project_id", id).put("line", line).put("line_version", lineVersion).put("params", params)
          .put("created_by", createdBy).put("created_at", createdAt.toString())
          .put("archived_at", archivedAt == null ? null : archivedAt.toString());
    }
  }

  private static final String INSERT = """
      INSERT INTO projects (id, line, line_version, line_definition, params, idempotency_key, created_by, created_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
      ON CONFLICT DO NOTHING""";
  private static final String FIND = "SELECT * FROM projects WHERE id = $1";
  private static final String OF_IDS = "SELECT * FROM projects WHERE id = ANY ($1)";
  /** The projects without their line definitions: a reader that parsed a project's version already does not need its copy. */
  private static final String HEADS_OF_IDS = """
      SELECT id, line, line_version, NULL::jsonb AS line_definition, params, idempotency_key, created_by, created_at, archived_at
        FROM projects WHERE id = ANY ($1)""";
  private static final String BY_KEY = "SELECT * FROM projects WHERE idempotency_key = $1";
  private static final String LIST = "SELECT * FROM projects WHERE archived_at IS NULL ORDER BY created_at DESC, id LIMIT $1";
  private static final String OF_LINE = "SELECT * FROM projects WHERE line = $1 AND archived_at IS NULL ORDER BY created_at, id LIMIT $2";
  private static final String LIST_ARCHIVED = "SELECT * FROM projects WHERE archived_at IS NOT NULL ORDER BY archived_at DESC, id LIMIT $1";
  /** Archives a project whose every track is finished (stabilized, escalated or cancelled); nothing when one is not. */
  private static final String ARCHIVE = """
      UPDATE projects p SET archived_at = $2, archived_by = $3
       WHERE p.id = $1 AND p.archived_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM tracks t WHERE t.project_id = p.id AND t.finalized_at IS NULL)
      RETURNING p.*""";
  private static final String UNFINISHED = """
      SELECT state, count(*) AS n FROM tracks WHERE project_id = $1 AND finalized_at IS NULL GROUP BY state ORDER BY state""";
  /**
   * Archives the finished projects whose idempotency key starts with $1 (the demo's), all but the
   * newest $2 of them; a project is finished when none of its tracks is still on the line.
   */
  private static final String ARCHIVE_FINISHED = """
      UPDATE projects SET archived_at = now(), archived_by = $3 WHERE id IN (
        SELECT p.id FROM projects p
        WHERE p.archived_at IS NULL AND p.idempotency_key LIKE $1 || '%'
          AND EXISTS (SELECT 1 FROM tracks t WHERE t.project_id = p.id)
          AND NOT EXISTS (SELECT 1 FROM tracks t WHERE t.project_id = p.id AND t.finalized_at IS NULL)
        ORDER BY p.created_at DESC, p.id DESC OFFSET $2)
      RETURNING *""";
  private static final String UPDATE_DEFINITION = "UPDATE projects SET line_definition = $2, line_version = $3 WHERE id = $1";

  /** Inserts a project; false when its id or idempotency key already exists (nothing changes). */
  public Future<Boolean> insert(SqlClient db, String id, String line, int lineVersion, JsonObject definition, JsonObject params,
                                String idempotencyKey, String createdBy, Instant now) {
    return db.preparedQuery(INSERT).execute(Tuple.from(java.util.Arrays.asList(id, line, lineVersion, definition, params,
            idempotencyKey, createdBy, utc(now))))
        .map(rows -> rows.rowCount() == 1);
  }

  public Future<Optional<ProjectRow>> find(SqlClient db, String id) {
    return db.preparedQuery(FIND).execute(Tuple.of(id)).map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(of(rows.iterator().next())));
  }

  /** The projects of {@code ids} that exist, whole. */
  public Future<List<ProjectRow>> ofIds(SqlClient db, List<String> ids) {
    return ids.isEmpty() ? Future.succeededFuture(List.of())
        : db.preparedQuery(OF_IDS).execute(Tuple.tuple().addArrayOfString(ids.toArray(String[]::new))).map(rows -> TaskRepository.all(rows, ProjectRepository::of));
  }

  /** The projects of {@code ids} that exist, without their line definitions ({@link ProjectRow#lineDefinition()} is null). */
  public Future<List<ProjectRow>> headsOfIds(SqlClient db, List<String> ids) {
    return ids.isEmpty() ? Future.succeededFuture(List.of())
        : db.preparedQuery(HEADS_OF_IDS).execute(Tuple.tuple().addArrayOfString(ids.toArray(String[]::new))).map(rows -> TaskRepository.all(rows, ProjectRepository::of));
  }

  public Future<Optional<ProjectRow>> byIdempotencyKey(SqlClient db, String key) {
    return db.preparedQuery(BY_KEY).execute(Tuple.of(key)).map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(of(rows.iterator().next())));
  }

  /** The projects not archived, newest first. */
  public Future<List<ProjectRow>> list(SqlClient db, int limit) {
    return db.preparedQuery(LIST).execute(Tuple.of(limit)).map(rows -> TaskRepository.all(rows, ProjectRepository::of));
  }

  /** The projects of a line not archived, oldest first. */
  public Future<List<ProjectRow>> ofLine(SqlClient db, String line, int limit) {
    return db.preparedQuery(OF_LINE).execute(Tuple.of(line, limit)).map(rows -> TaskRepository.all(rows, ProjectRepository::of));
  }

  /** The archived projects, last archived first. */
  public Future<List<ProjectRow>> archived(SqlClient db, int limit) {
    return db.preparedQuery(LIST_ARCHIVED).execute(Tuple.of(limit)).map(rows -> TaskRepository.all(rows, ProjectRepository::of));
  }

  /** Archives a finished project; empty when it is archived already or a track of it is not finished. */
  public Future<Optional<ProjectRow>> archive(SqlClient db, String id, String by, Instant now) {
    return db.preparedQuery(ARCHIVE).execute(Tuple.of(id, utc(now), by))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(of(rows.iterator().next())));
  }

  /** A project's unfinished tracks counted by state ({@code {"halted": 1}}); empty when every one is finished. */
  public Future<JsonObject> unfinished(SqlClient db, String id) {
    return db.preparedQuery(UNFINISHED).execute(Tuple.of(id)).map(rows -> {
      JsonObject out = new JsonObject();
      rows.forEach(r -> out.put(r.getString("state"), r.getLong("n")));
      return out;
    });
  }

  /** Archives all but the newest {@code keep} finished projects of an idempotency-key prefix, by {@code by}; returns them, oldest first. */
  public Future<List<ProjectRow>> archiveFinished(SqlClient db, String keyPrefix, int keep, String by) {
    return db.preparedQuery(ARCHIVE_FINISHED).execute(Tuple.of(keyPrefix, keep, by))
        .map(rows -> TaskRepository.all(rows, ProjectRepository::of).stream()
            .sorted(java.util.Comparator.comparing(ProjectRow::createdAt).thenComparing(ProjectRow::id)).toList());
  }

  /** Redesign: the project follows the line's current version from now on. */
  public Future<Void> updateDefinition(SqlClient db, String id, JsonObject definition, int lineVersion) {
    return db.preparedQuery(UPDATE_DEFINITION).execute(Tuple.of(id, definition, lineVersion)).mapEmpty();
  }

  static ProjectRow of(Row r) {
    return new ProjectRow(r.getString("id"), r.getString("line"), r.getInteger("line_version"), (JsonObject) r.getValue("line_definition"),
        (JsonObject) r.getValue("params"), r.getString("idempotency_key"), r.getString("created_by"),
        TrackRow.instant(r, "created_at"), TrackRow.instant(r, "archived_at"));
  }
}
