package io.productionline.store;

import static io.productionline.store.TrackRepository.utc;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * PostgreSQL access for the line catalogue (V012): a row per line naming its current version, and
 * its immutable versions. A new version is numbered by the UPDATE of the line's row (its lock
 * orders two writers of one line), then inserted, in the caller's transaction.
 */
public final class LineRepository {

  /** A line of the catalogue: its current version and whether it is retired. */
  public record LineRow(String name, int currentVersion, String currentHash, Instant retiredAt, String retiredBy,
                        Instant createdAt, Instant updatedAt) {

    public boolean retired() {
      return retiredAt != null;
    }
  }

  /** One stored version of a line; {@code definition} is null in a listing. */
  public record VersionRow(String line, int version, JsonObject definition, String hash, String note, String source,
                           String createdBy, Instant createdAt) {

    /** The version's facts without its definition. */
    public JsonObject summary() {
      return new JsonObject().put("line", line).put("version", version).put("note", note).put("source", source)
          .put("created_by", createdBy).put("created_at", createdAt.toString()).put("content_hash", hash);
    }
  }

  private static final String INSERT_LINE = """
      INSERT INTO lines (name, current_version, current_hash, created_at, updated_at) VALUES ($1, 1, $2, $3, $3)
      ON CONFLICT (name) DO NOTHING
      RETURNING current_version""";
  private static final String NEXT_VERSION = """
      UPDATE lines SET current_version = current_version + 1, current_hash = $2, updated_at = $3
      WHERE name = $1 AND current_hash <> $2
      RETURNING current_version""";
  private static final String INSERT_VERSION = """
      INSERT INTO line_versions (line, version, definition, content_hash, note, source, created_by, created_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""";
  private static final String HAS_CONTENT = "SELECT version FROM line_versions WHERE line = $1 AND content_hash = $2 LIMIT 1";
  private static final String LINE = "SELECT * FROM lines WHERE name = $1";
  private static final String ALL = "SELECT * FROM lines ORDER BY name";
  private static final String VERSION = "SELECT * FROM line_versions WHERE line = $1 AND version = $2";
  private static final String VERSIONS = """
      SELECT line, version, NULL::jsonb AS definition, content_hash, note, source, created_by, created_at
      FROM line_versions WHERE line = $1 ORDER BY version""";
  private static final String RETIRE = """
      UPDATE lines SET retired_at = $2, retired_by = $3, updated_at = $2 WHERE name = $1 AND retired_at IS NULL
      RETURNING name""";
  /** Orders the imports of nodes that start together: the second sees what the first stored. */
  private static final long IMPORT_LOCK = 0x50_4c_6c_69_6eL;

  /** A new line at version 1; empty when a line of that name exists (nothing changes). */
  public Future<Optional<Integer>> insertLine(SqlClient db, String name, String hash, Instant now) {
    return db.preparedQuery(INSERT_LINE).execute(Tuple.of(name, hash, utc(now)))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getInteger(0)));
  }

  /**
   * Moves the line to its next version when {@code hash} is not its current content: the new
   * number, or empty when the line does not exist or already has that content.
   */
  public Future<Optional<Integer>> nextVersion(SqlClient db, String name, String hash, Instant now) {
    return db.preparedQuery(NEXT_VERSION).execute(Tuple.of(name, hash, utc(now)))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getInteger(0)));
  }

  public Future<Void> insertVersion(SqlClient db, VersionRow v) {
    return db.preparedQuery(INSERT_VERSION).execute(Tuple.from(List.of(v.line(), v.version(), v.definition(), v.hash(), v.note(),
        v.source(), v.createdBy(), utc(v.createdAt())))).mapEmpty();
  }

  /** Whether any version of {@code line} has this content. */
  public Future<Boolean> hasContent(SqlClient db, String line, String hash) {
    return db.preparedQuery(HAS_CONTENT).execute(Tuple.of(line, hash)).map(rows -> rows.size() > 0);
  }

  public Future<Optional<LineRow>> line(SqlClient db, String name) {
    return db.preparedQuery(LINE).execute(Tuple.of(name))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(line(rows.iterator().next())));
  }

  public Future<List<LineRow>> all(SqlClient db) {
    return db.preparedQuery(ALL).execute().map(rows -> TaskRepository.all(rows, LineRepository::line));
  }

  public Future<Optional<VersionRow>> version(SqlClient db, String name, int version) {
    return db.preparedQuery(VERSION).execute(Tuple.of(name, version))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(version(rows.iterator().next())));
  }

  /** Every version of {@code name}, oldest first, without their definitions. */
  public Future<List<VersionRow>> versions(SqlClient db, String name) {
    return db.preparedQuery(VERSIONS).execute(Tuple.of(name)).map(rows -> TaskRepository.all(rows, LineRepository::version));
  }

  /** Retires the line; false when it does not exist or is retired already. */
  public Future<Boolean> retire(SqlClient db, String name, String actor, Instant now) {
    return db.preparedQuery(RETIRE).execute(Tuple.of(name, utc(now), actor)).map(rows -> rows.size() == 1);
  }

  /** Takes the import lock until {@code conn}'s transaction ends (waits for a node importing now). */
  public Future<Void> lockImport(SqlConnection conn) {
    return conn.query("SELECT pg_advisory_xact_lock(" + IMPORT_LOCK + ")").execute().mapEmpty();
  }

  private static LineRow line(Row r) {
    return new LineRow(r.getString("name"), r.getInteger("current_version"), r.getString("current_hash"),
        TrackRow.instant(r, "retired_at"), r.getString("retired_by"), TrackRow.instant(r, "created_at"),
        TrackRow.instant(r, "updated_at"));
  }

  private static VersionRow version(Row r) {
    return new VersionRow(r.getString("line"), r.getInteger("version"), (JsonObject) r.getValue("definition"),
        r.getString("content_hash"), r.getString("note"), r.getString("source"), r.getString("created_by"),
        TrackRow.instant(r, "created_at"));
  }
}
