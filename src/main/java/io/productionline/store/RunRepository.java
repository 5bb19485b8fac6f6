package io.productionline.store;

import static io.productionline.store.TrackRepository.utc;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Station runs as operators look at them across projects: the runs list (filters, one of four
 * orders, keyset paging), runs by id (what a live runs view is sent), and reservations of queued
 * tasks for a named executor (the claim that honours them is {@link TaskSql}'s).
 */
public final class RunRepository {

  /** A runs query: every filter may be null. */
  public record Filter(String status, String project, String documentType, String station, String executor, Instant from,
                       Instant to) {
  }

  /** The orders of the runs list: the column, and whether newest first. */
  public enum Sort {
    CREATED_AT("created_at", "t.created_at", false),
    CREATED_AT_DESC("-created_at", "t.created_at", true),
    COMPLETED_AT("completed_at", "COALESCE(t.completed_at, '9999-12-31T00:00:00Z'::timestamptz)", false),
    COMPLETED_AT_DESC("-completed_at", "COALESCE(t.completed_at, '9999-12-31T00:00:00Z'::timestamptz)", true);

    public final String wire;
    final String key;
    final boolean desc;

    Sort(String wire, String key, boolean desc) {
      this.wire = wire;
      this.key = key;
      this.desc = desc;
    }

    public static Optional<Sort> parse(String s) {
      for (Sort v : values()) {
        if (v.wire.equals(s)) {
          return Optional.of(v);
        }
      }
      return Optional.empty();
    }
  }

  /** Where a page ends: the sort key and id of its last run. */
  public record Cursor(Instant key, String id) {
  }

  /** One page: the runs and the cursor of the next page (null on the last). */
  public record Page(JsonArray runs, Cursor next) {
  }

  private static final String COLUMNS = """
      t.id, t.track_id, t.project_id, t.document_type, t.run_no, t.item, t.station_index, t.station_id, t.station_kind,
      t.capability, t.priority, t.status, t.attempt, t.max_attempts, t.executor_id, t.lease_expires_at, t.available_at,
      t.created_at, t.claimed_at, t.completed_at, t.progress, t.progress_message, t.outcome, t.cancel_requested,
      t.reserved_for, t.reserved_until, t.reserved_by""";

  private static final String FILTERS = """
       WHERE ($1::text IS NULL OR t.status = $1)
         AND ($2::text IS NULL OR %s)
         AND ($3::text IS NULL OR t.document_type = $3)
         AND ($4::text IS NULL OR t.station_id = $4)
         AND ($5::text IS NULL OR t.executor_id = $5 OR t.reserved_for = $5)
         AND ($6::timestamptz IS NULL OR t.created_at >= $6)
         AND ($7::timestamptz IS NULL OR t.created_at < $7)""".formatted(TaskSql.ofProject("t.", "$2::text"));

  private static final Map<Sort, String> LIST = Map.of(
      Sort.CREATED_AT, list(Sort.CREATED_AT), Sort.CREATED_AT_DESC, list(Sort.CREATED_AT_DESC),
      Sort.COMPLETED_AT, list(Sort.COMPLETED_AT), Sort.COMPLETED_AT_DESC, list(Sort.COMPLETED_AT_DESC));

  static String list(Sort sort) {
    String cmp = sort.desc ? "<" : ">";
    String dir = sort.desc ? "DESC" : "ASC";
    return "SELECT " + COLUMNS + ", " + sort.key + " AS sort_key FROM station_tasks t\n" + FILTERS + """

           AND ($8::timestamptz IS NULL OR (%s, t.id) %s ($8::timestamptz, $9::text))
         ORDER BY %s %s, t.id %s
         LIMIT $10""".formatted(sort.key, cmp, sort.key, dir, dir);
  }

  private static final String BY_IDS = "SELECT " + COLUMNS + " FROM station_tasks t WHERE t.id = ANY ($1)";

  private static final String MATCHING_IDS = "SELECT t.id FROM station_tasks t\n" + FILTERS + " AND t.id = ANY ($8)";

  private static final String RESERVE = """
      UPDATE station_tasks t SET reserved_for = $2, reserved_until = $3, reserved_by = $4
       WHERE t.id = $1 AND t.status = 'queued'
      RETURNING\s""" + COLUMNS;

  /**
   * An operator's release: a reservation of a queued task ends; a claimed task goes back to the
   * queue at once, same attempt, its lease void (its holder's next call with it is refused).
   */
  private static final String RELEASE = """
      WITH old AS (SELECT id, status, executor_id, reserved_for, lease_token FROM station_tasks WHERE id = $1 FOR UPDATE),
      released AS (
      UPDATE station_tasks t
         SET status = 'queued', executor_id = NULL, lease_token = NULL, lease_expires_at = NULL, claimed_at = NULL,
             progress = NULL, progress_message = NULL,
             available_at = CASE WHEN old.status = 'claimed' THEN $2 ELSE t.available_at END,
             reserved_for = NULL, reserved_until = NULL, reserved_by = NULL
        FROM old
       WHERE t.id = old.id AND (old.status = 'claimed' OR (old.status = 'queued' AND old.reserved_for IS NOT NULL))
      RETURNING old.status AS was, old.executor_id AS held_by, old.reserved_for AS was_reserved_for, old.lease_token AS old_lease,
                t.id, t.project_id, t.track_id, t.attempt, t.capability),
      noted AS (
      INSERT INTO task_releases (task_id, lease_token, executor_id, attempt, released_at, released_by, reason)
      SELECT id, old_lease, held_by, attempt, $2, $3, $4 FROM released WHERE was = 'claimed' AND old_lease IS NOT NULL AND held_by IS NOT NULL)
      SELECT was, held_by, was_reserved_for, project_id, track_id, attempt, capability FROM released""";

  /** The operator's release of a claim, by the task and the released lease token (a call with it is refused naming it). */
  private static final String RELEASE_OF_LEASE = """
      SELECT released_at, released_by, reason FROM task_releases WHERE task_id = $1 AND lease_token = $2""";

  /** Who holds what: claimed tasks and queued tasks reserved for an executor whose reservation still runs. */
  private static final String ASSIGNMENTS = "SELECT " + COLUMNS + " FROM station_tasks t"
      + " WHERE (" + TaskSql.held("t.") + ") OR (t.status = 'queued' AND t.reserved_for IS NOT NULL AND t.reserved_until > $1)"
      + " ORDER BY COALESCE(t.executor_id, t.reserved_for), t.created_at, t.id";

  /**
   * A page of a task's log lines after an id, of some levels and containing a text (each filter may
   * be null), its case ignored by the database's collation: the column's own (byte order, V023)
   * lowers ASCII letters only.
   */
  private static final String LOGS = """
      SELECT id, at, level, message, fields FROM task_logs
       WHERE task_id = $1 AND id > $2 AND ($3::text[] IS NULL OR level = ANY ($3)) AND ($4::text IS NULL OR strpos(lower(message COLLATE "default"), lower($4 COLLATE "default")) > 0)
       ORDER BY id LIMIT $5""";

  /** The last lines of a task's log before an id, of some levels and containing a text, newest first (the caller turns them). */
  private static final String LOGS_BEFORE = """
      SELECT id, at, level, message, fields FROM task_logs
       WHERE task_id = $1 AND id < $2 AND ($3::text[] IS NULL OR level = ANY ($3)) AND ($4::text IS NULL OR strpos(lower(message COLLATE "default"), lower($4 COLLATE "default")) > 0)
       ORDER BY id DESC LIMIT $5""";

  private static final String LOG_LEVELS = "SELECT level, count(*) AS n FROM task_logs WHERE task_id = $1 GROUP BY level ORDER BY level";

  /** What an operator's release did. */
  public record Released(String was, String heldBy, String wasReservedFor, String projectId, String trackId, int attempt,
                         String capability) {
  }

  public Future<Page> list(SqlClient db, Filter f, Sort sort, Cursor after, int limit) {
    Tuple t = filterTuple(f).addOffsetDateTime(after == null ? null : utc(after.key())).addString(after == null ? null : after.id())
        .addInteger(limit + 1);
    return db.preparedQuery(LIST.get(sort)).execute(t).map(rows -> {
      JsonArray out = new JsonArray();
      Cursor next = null;
      int n = 0;
      for (Row r : rows) {
        if (n++ == limit) {
          JsonObject last = out.getJsonObject(out.size() - 1);
          next = new Cursor(Instant.parse(last.getString("_sort_key")), last.getString("task_id"));
          break;
        }
        out.add(run(r).put("_sort_key", TrackRow.instant(r, "sort_key").toString()));
      }
      out.forEach(o -> ((JsonObject) o).remove("_sort_key"));
      return new Page(out, next);
    });
  }

  /** The runs of these ids that pass the filter (what a live runs view of that filter is sent). */
  public Future<List<String>> matching(SqlClient db, Filter f, List<String> ids) {
    return db.preparedQuery(MATCHING_IDS).execute(filterTuple(f).addArrayOfString(ids.toArray(String[]::new)))
        .map(rows -> TaskRepository.all(rows, r -> r.getString("id")));
  }

  public Future<List<JsonObject>> byIds(SqlClient db, List<String> ids) {
    return db.preparedQuery(BY_IDS).execute(Tuple.tuple().addArrayOfString(ids.toArray(String[]::new)))
        .map(rows -> TaskRepository.all(rows, RunRepository::run));
  }

  /** Reserves a queued task; empty when the task is not queued (or not there). */
  public Future<Optional<JsonObject>> reserve(SqlClient db, String taskId, String executorId, Instant until, String by) {
    return db.preparedQuery(RESERVE).execute(Tuple.of(taskId, executorId, utc(until), by))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(run(rows.iterator().next())));
  }

  /**
   * Releases a reserved or claimed task; empty when it was neither. A released claim is noted in
   * {@code task_releases} in the same statement: its holder hears of it on its next heartbeat.
   */
  public Future<Optional<Released>> release(SqlClient db, String taskId, Instant now, String by, String reason) {
    return db.preparedQuery(RELEASE).execute(Tuple.of(taskId, utc(now), by, reason)).map(rows -> {
      if (rows.size() == 0) {
        return Optional.empty();
      }
      Row r = rows.iterator().next();
      return Optional.of(new Released(r.getString("was"), r.getString("held_by"), r.getString("was_reserved_for"),
          r.getString("project_id"), r.getString("track_id"), r.getInteger("attempt"), r.getString("capability")));
    });
  }

  /** An operator's release of the claim this lease token held ({@code released_at}, {@code released_by}, {@code reason}); empty when none. */
  public Future<Optional<JsonObject>> releaseOfLease(SqlClient db, String taskId, String leaseToken) {
    return db.preparedQuery(RELEASE_OF_LEASE).execute(Tuple.of(taskId, leaseToken)).map(rows -> {
      if (rows.size() == 0) {
        return Optional.empty();
      }
      Row r = rows.iterator().next();
      return Optional.of(new JsonObject().put("released_at", TrackRow.instant(r, "released_at").toString())
          .put("released_by", r.getString("released_by")).put("reason", r.getString("reason")));
    });
  }

  public Future<List<JsonObject>> assignments(SqlClient db, Instant now) {
    return db.preparedQuery(ASSIGNMENTS).execute(Tuple.of(utc(now))).map(rows -> TaskRepository.all(rows, RunRepository::run));
  }

  /** Log lines of a task after {@code afterId}: of {@code levels} (null: any), containing {@code contains} (null: any). */
  public Future<JsonArray> logs(SqlClient db, String taskId, long afterId, List<String> levels, String contains, int limit) {
    Tuple t = Tuple.tuple().addString(taskId).addLong(afterId)
        .addArrayOfString(levels == null ? null : levels.toArray(String[]::new)).addString(contains).addInteger(limit);
    return db.preparedQuery(LOGS).execute(t).map(rows -> {
      JsonArray out = new JsonArray();
      rows.forEach(r -> out.add(new JsonObject().put("id", r.getLong("id")).put("at", TrackRow.instant(r, "at").toString())
          .put("level", r.getString("level")).put("message", r.getString("message")).put("fields", r.getValue("fields"))));
      return out;
    });
  }

  /** The last {@code limit} log lines before {@code beforeId} of the filter, oldest first. */
  public Future<JsonArray> logsBefore(SqlClient db, String taskId, long beforeId, List<String> levels, String contains, int limit) {
    Tuple t = Tuple.tuple().addString(taskId).addLong(beforeId)
        .addArrayOfString(levels == null ? null : levels.toArray(String[]::new)).addString(contains).addInteger(limit);
    return db.preparedQuery(LOGS_BEFORE).execute(t).map(rows -> {
      List<JsonObject> newestFirst = new ArrayList<>();
      rows.forEach(r -> newestFirst.add(logLine(r)));
      JsonArray out = new JsonArray();
      for (int i = newestFirst.size() - 1; i >= 0; i--) {
        out.add(newestFirst.get(i));
      }
      return out;
    });
  }

  private static JsonObject logLine(Row r) {
    return new JsonObject().put("id", r.getLong("id")).put("at", TrackRow.instant(r, "at").toString())
        .put("level", r.getString("level")).put("message", r.getString("message")).put("fields", r.getValue("fields"));
  }

  /** How many log lines a task has, by level. */
  public Future<JsonObject> logLevels(SqlClient db, String taskId) {
    return db.preparedQuery(LOG_LEVELS).execute(Tuple.of(taskId)).map(rows -> {
      JsonObject out = new JsonObject();
      rows.forEach(r -> out.put(r.getString("level"), r.getLong("n")));
      return out;
    });
  }

  private static Tuple filterTuple(Filter f) {
    return Tuple.tuple().addString(f.status()).addString(f.project()).addString(f.documentType()).addString(f.station())
        .addString(f.executor()).addOffsetDateTime(f.from() == null ? null : utc(f.from()))
        .addOffsetDateTime(f.to() == null ? null : utc(f.to()));
  }

  /** One run as the runs view shows it. */
  static JsonObject run(Row r) {
    Instant claimed = TrackRow.instant(r, "claimed_at");
    Instant completed = TrackRow.instant(r, "completed_at");
    return new JsonObject()
        .put("task_id", r.getString("id")).put("track_id", r.getString("track_id")).put("project_id", r.getString("project_id"))
        .put("document_type", r.getString("document_type")).put("run_no", r.getInteger("run_no")).put("item", r.getInteger("item"))
        .put("station", r.getString("station_id")).put("station_kind", r.getString("station_kind"))
        .put("station_index", r.getInteger("station_index")).put("capability", r.getString("capability"))
        .put("priority", r.getInteger("priority")).put("status", r.getString("status"))
        .put("attempt", r.getInteger("attempt")).put("max_attempts", r.getInteger("max_attempts"))
        .put("executor_id", r.getString("executor_id"))
        .put("lease_expires_at", str(TrackRow.instant(r, "lease_expires_at")))
        .put("available_at", str(TrackRow.instant(r, "available_at"))).put("created_at", str(TrackRow.instant(r, "created_at")))
        .put("claimed_at", str(claimed)).put("completed_at", str(completed))
        .put("work_ms", claimed != null && completed != null ? completed.toEpochMilli() - claimed.toEpochMilli() : null)
        .put("progress", r.getDouble("progress")).put("progress_message", r.getString("progress_message"))
        .put("outcome", r.getString("outcome")).put("cancel_requested", r.getBoolean("cancel_requested"))
        .put("reserved_for", r.getString("reserved_for")).put("reserved_until", str(TrackRow.instant(r, "reserved_until")))
        .put("reserved_by", r.getString("reserved_by"));
  }

  private static String str(Instant t) {
    return t == null ? null : t.toString();
  }
}
