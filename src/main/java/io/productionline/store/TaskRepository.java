package io.productionline.store;

import static io.productionline.store.TrackRepository.utc;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/** PostgreSQL access for station tasks: claims, leases, completion, rescue, logs and artifacts. */
public final class TaskRepository {

  /** A task the sweeper put back on the queue. */
  public record Requeued(String taskId, String trackId, String projectId, int attempt, String capability, Instant availableAt,
                         String lostBy) {
  }

  /** A lost task with no attempts left; {@code leaseRanOut} when its executor was alive but let the lease lapse. */
  public record Exhausted(String taskId, String trackId, String projectId, int attempt, String leaseToken, String executorId,
                          boolean leaseRanOut) {
  }

  /** The order claims hand tasks out in (the claim statement's ORDER BY): highest priority, then oldest. */
  private static final Comparator<TaskRow> CLAIM_ORDER = Comparator.comparingInt(TaskRow::priority).reversed()
      .thenComparing(TaskRow::createdAt).thenComparing(TaskRow::id);

  public Future<Optional<TaskRow>> find(SqlClient db, String taskId) {
    return db.preparedQuery(TaskSql.FIND).execute(Tuple.of(taskId)).map(TaskRepository::first);
  }

  /**
   * The task as a call of its holder checks it: without its step, input and result. On a pool with
   * group commit, reads asked while others are on their way go together ({@link HolderReads}).
   */
  public Future<Optional<TaskRow>> findForHolder(SqlClient db, String taskId) {
    HolderReads gathered = db instanceof Pool pool ? HolderReads.of(pool) : null;
    return gathered != null ? gathered.read(taskId)
        : db.preparedQuery(TaskSql.FIND_FOR_HOLDER).execute(Tuple.of(taskId)).map(TaskRepository::first);
  }

  /** {@link #findForHolder} of several tasks in one round trip, by id; ids of no task are absent. */
  public Future<Map<String, TaskRow>> findForHolders(SqlClient db, List<String> taskIds) {
    return db.preparedQuery(TaskSql.FIND_FOR_HOLDERS).execute(Tuple.tuple().addArrayOfString(taskIds.toArray(String[]::new)))
        .map(TaskRepository::byId);
  }

  /** Tasks read, by id. */
  static Map<String, TaskRow> byId(RowSet<Row> rows) {
    Map<String, TaskRow> out = new LinkedHashMap<>();
    rows.forEach(r -> {
      TaskRow t = TaskRow.of(r);
      out.put(t.id(), t);
    });
    return out;
  }

  public Future<List<TaskRow>> ofTrack(SqlClient db, String trackId) {
    return db.preparedQuery(TaskSql.OF_TRACK).execute(Tuple.of(trackId)).map(rows -> all(rows, TaskRow::of));
  }

  /** A project's tasks as the line view reads them: without their steps and reported results. */
  public Future<List<TaskRow>> viewOfProject(SqlClient db, String projectId) {
    return db.preparedQuery(TaskSql.VIEW_OF_PROJECT).execute(Tuple.of(projectId)).map(rows -> all(rows, TaskRow::of));
  }

  /** The tasks of some tracks as the line view reads them: without their steps and reported results. */
  public Future<List<TaskRow>> viewOfTracks(SqlClient db, List<String> trackIds) {
    return db.preparedQuery(TaskSql.VIEW_OF_TRACKS).execute(Tuple.tuple().addArrayOfString(trackIds.toArray(String[]::new)))
        .map(rows -> all(rows, TaskRow::of));
  }

  /** The tasks of one station run of a track: one, or one per work item at a multi-operator station. */
  /** The latest completed task of the track's station {@code stationId}, if it completed at all. */
  public Future<Optional<TaskRow>> latestCompletedAt(SqlClient db, String trackId, String stationId) {
    return db.preparedQuery(TaskSql.LATEST_COMPLETED_AT).execute(Tuple.of(trackId, stationId))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(TaskRow.of(rows.iterator().next())));
  }

  public Future<List<TaskRow>> ofRun(SqlClient db, String trackId, int runNo) {
    return db.preparedQuery(TaskSql.OF_RUN).execute(Tuple.of(trackId, runNo)).map(rows -> all(rows, TaskRow::of));
  }

  public Future<List<TaskRow>> ofProject(SqlClient db, String projectId) {
    return db.preparedQuery(TaskSql.OF_PROJECT).execute(Tuple.of(projectId)).map(rows -> all(rows, TaskRow::of));
  }

  /**
   * Claims the best queued tasks an executor can do (capability, environment, priority, then age),
   * up to {@code max}, each with a lease of its own, in claim order; {@code line}, when not null,
   * limits them to projects of that line. On a pool with group commit the claim goes in the next
   * group when others are on their way ({@link GroupCommit#claim}); it answers once it committed.
   */
  public Future<List<TaskRow>> claim(SqlClient db, String executorId, List<String> capabilities, String environment,
                                     int leaseSeconds, Instant now, String line, int max) {
    String secret = Ids.secret();
    Tuple t = Tuple.tuple().addString(executorId).addString(secret).addOffsetDateTime(utc(now)).addInteger(leaseSeconds);
    boolean one = capabilities.size() == 1;
    if (one) {
      t.addString(capabilities.get(0));
    } else {
      t.addArrayOfString(capabilities.toArray(String[]::new));
    }
    t.addString(environment);
    // One task of any line: the statement whose plan each connection keeps.
    boolean next = max == 1 && line == null;
    if (!next) {
      t.addString(line).addInteger(max);
    }
    String sql = next ? (one ? TaskSql.CLAIM_ONE_NEXT : TaskSql.CLAIM_NEXT) : (one ? TaskSql.CLAIM_ONE : TaskSql.CLAIM);
    GroupCommit group = db instanceof Pool pool ? GroupCommit.of(pool) : null;
    // A claim of any line can go in one statement with the group's other claims of its shape.
    ClaimBatch.Ask ask = line == null ? new ClaimBatch.Ask(String.join("\u0000", capabilities) + "|" + environment + "|" + leaseSeconds,
        executorId, secret, utc(now), leaseSeconds, capabilities, environment, max) : null;
    Future<List<Row>> rows = group != null ? group.claim(sql, t, ask)
        : db.preparedQuery(sql).execute(t).map(set -> all(set, Function.identity()));
    return rows.map(claimedRows -> {
      List<TaskRow> claimed = new ArrayList<>(claimedRows.size());
      claimedRows.forEach(r -> claimed.add(TaskRow.of(r)));
      claimed.sort(CLAIM_ORDER);
      return claimed;
    });
  }

  /** The holder hands a task back: queued again now, same attempt. Empty when the token no longer holds it. */
  public Future<Optional<TaskRow>> release(SqlClient db, String taskId, String leaseToken, Instant now) {
    return db.preparedQuery(TaskSql.RELEASE).execute(Tuple.of(taskId, leaseToken, utc(now))).map(TaskRepository::first);
  }

  /** An executor left: every task it still holds is queued again now, same attempt; returns their ids. */
  public Future<List<String>> releaseHeldBy(SqlClient db, String executorId, Instant now) {
    return db.preparedQuery(TaskSql.RELEASE_HELD_BY).execute(Tuple.of(executorId, utc(now)))
        .map(rows -> all(rows, r -> r.getString("id")));
  }

  public Future<Optional<TaskRow>> progress(SqlClient db, String taskId, String leaseToken, Double progress, String message,
                                            int leaseSeconds, Instant now) {
    return db.preparedQuery(TaskSql.PROGRESS).execute(Tuple.of(taskId, leaseToken, progress, message, utc(now), leaseSeconds))
        .map(TaskRepository::first);
  }

  /**
   * Renews the leases an executor holds (of {@code inHand} only, when it says which tasks it has);
   * returns task id → whether an operator asked to cancel it.
   */
  public Future<Map<String, Boolean>> renewLeases(SqlClient db, String executorId, List<String> inHand, int leaseSeconds,
                                                  Instant now) {
    Tuple t = Tuple.of(executorId, utc(now), leaseSeconds);
    t.addArrayOfString(inHand == null ? null : inHand.toArray(String[]::new));
    return db.preparedQuery(TaskSql.RENEW_EXECUTOR_LEASES).execute(t)
        .map(rows -> {
          Map<String, Boolean> out = new LinkedHashMap<>();
          rows.forEach(r -> out.put(r.getString("id"), r.getBoolean("cancel_requested")));
          return out;
        });
  }

  /** Queues again the tasks an executor holds but says it does not have (see {@link TaskSql#RELEASE_NOT_IN_HAND}). */
  public Future<List<String>> releaseNotInHand(SqlClient db, String executorId, List<String> inHand, int graceSeconds, int leaseSeconds,
                                               Instant now) {
    return db.preparedQuery(TaskSql.RELEASE_NOT_IN_HAND)
        .execute(Tuple.of(executorId, utc(now)).addArrayOfString(inHand.toArray(String[]::new)).addInteger(graceSeconds)
            .addInteger(leaseSeconds))
        .map(rows -> all(rows, r -> r.getString("id")));
  }

  /** A completion kept for its track (see {@link TaskSql#STORE_REPORT}): the task's id and its track's, and the command to hand it. */
  public record StoredReport(String taskId, String trackId, JsonObject command) {
  }

  /** Stores an executor's completion with its task while the lease holds it; false when it does not. */
  public Future<Boolean> storeReport(SqlClient db, String taskId, String leaseToken, JsonObject command, Instant now) {
    return db.preparedQuery(TaskSql.STORE_REPORT).execute(Tuple.of(taskId, leaseToken, command, utc(now)))
        .map(rows -> rows.rowCount() == 1);
  }

  /** The stored completions waiting for their tracks, oldest first, at most {@code limit}. */
  public Future<List<StoredReport>> storedReports(SqlClient db, int limit) {
    return db.preparedQuery(TaskSql.STORED_REPORTS).execute(Tuple.of(limit))
        .map(rows -> all(rows, r -> new StoredReport(r.getString("id"), r.getString("track_id"), r.getJsonObject("report"))));
  }

  /** Drops a stored completion its track refused: the task is at work again, for the sweep to rescue. */
  public Future<Void> dropReport(SqlClient db, String taskId) {
    return db.preparedQuery(TaskSql.DROP_REPORT).execute(Tuple.of(taskId)).mapEmpty();
  }

  /**
   * Ends the leases an executor's earlier run still holds, but for those in {@code inHand} (null:
   * none); see {@link TaskSql#EXPIRE_EXECUTOR_LEASES}. Returns how many.
   */
  public Future<Integer> expireLeasesOf(SqlClient db, String executorId, List<String> inHand, Instant now) {
    Tuple t = Tuple.of(executorId, utc(now));
    t.addArrayOfString(inHand == null ? null : inHand.toArray(String[]::new));
    return db.preparedQuery(TaskSql.EXPIRE_EXECUTOR_LEASES).execute(t).map(rows -> rows.rowCount());
  }

  /** Tasks this executor held that were cancelled since {@code since}: it should stop them. */
  /** What an executor must stop: its tasks cancelled lately, and of them ({@code released}) those an operator released to the queue. */
  public record Stops(List<String> cancelled, List<String> released) {
  }

  /** The tasks {@code executorId} held that were cancelled, or released by an operator, since {@code since}. */
  public Future<Stops> cancelledHeldBy(SqlClient db, String executorId, Instant since) {
    return db.preparedQuery(TaskSql.CANCELLED_HELD_BY).execute(Tuple.of(executorId, utc(since))).map(rows -> {
      List<String> all = new ArrayList<>();
      List<String> released = new ArrayList<>();
      for (Row r : rows) {
        all.add(r.getString("id"));
        if (Boolean.TRUE.equals(r.getBoolean("released"))) {
          released.add(r.getString("id"));
        }
      }
      return new Stops(all, released);
    });
  }

  /**
   * Lost work with attempts left, queued again; in the caller's transaction, whose reads of the
   * tasks at work then go by index ({@link TaskSql#BY_INDEX}).
   */
  public Future<List<Requeued>> requeueLost(SqlClient tx, List<String> deadExecutors, Instant now) {
    return byIndex(tx).compose(v -> requeue(tx, deadExecutors, now));
  }

  private Future<List<Requeued>> requeue(SqlClient db, List<String> deadExecutors, Instant now) {
    return db.preparedQuery(TaskSql.REQUEUE_LOST).execute(Tuple.tuple().addOffsetDateTime(utc(now)).addArrayOfString(deadExecutors.toArray(String[]::new)))
        .map(rows -> all(rows, r -> new Requeued(r.getString("id"), r.getString("track_id"), r.getString("project_id"),
            r.getInteger("attempt"), r.getString("capability"), TrackRow.instant(r, "available_at"), r.getString("lost_by"))));
  }

  /** Lost work with no attempts left; in the caller's transaction, as {@link #requeueLost}. */
  public Future<List<Exhausted>> exhausted(SqlClient tx, List<String> deadExecutors, Instant now) {
    return byIndex(tx).compose(v -> exhaustedOf(tx, deadExecutors, now));
  }

  private Future<List<Exhausted>> exhaustedOf(SqlClient db, List<String> deadExecutors, Instant now) {
    return db.preparedQuery(TaskSql.EXHAUSTED).execute(Tuple.tuple().addOffsetDateTime(utc(now)).addArrayOfString(deadExecutors.toArray(String[]::new)))
        .map(rows -> all(rows, r -> new Exhausted(r.getString("id"), r.getString("track_id"), r.getString("project_id"),
            r.getInteger("attempt"), r.getString("lease_token"), r.getString("executor_id"), Boolean.TRUE.equals(r.getBoolean("lease_ran_out")))));
  }

  /** Drops a lost task with no attempts left; false when the lease moved on meanwhile. */
  public Future<Boolean> drop(SqlClient db, String taskId, String leaseToken, Instant now) {
    return db.preparedQuery(TaskSql.DROP).execute(Tuple.of(taskId, leaseToken, utc(now))).map(rows -> rows.rowCount() == 1);
  }

  /** The executors holding work, read by index ({@link TaskSql#BY_INDEX}) in a transaction of its own. */
  public Future<List<String>> holders(Pool pool) {
    return pool.withTransaction(tx -> byIndex(tx).compose(v -> tx.preparedQuery(TaskSql.HOLDERS).execute())
        .map(rows -> all(rows, r -> r.getString(0))));
  }

  private static Future<Void> byIndex(SqlClient tx) {
    return tx.query(TaskSql.BY_INDEX).execute().mapEmpty();
  }

  /** Queued tasks by capability, read by index ({@link TaskSql#QUEUE_DEPTH}) in a transaction of its own. */
  public Future<Map<String, Integer>> queueDepth(Pool pool) {
    return pool.withTransaction(tx -> byIndex(tx).compose(v -> tx.preparedQuery(TaskSql.QUEUE_DEPTH).execute())).map(rows -> {
      Map<String, Integer> out = new LinkedHashMap<>();
      rows.forEach(r -> out.put(r.getString("capability"), r.getInteger("n")));
      return out;
    });
  }

  /** Appends log lines; returns their ids in the order of {@code lines}. */
  public Future<List<Long>> appendLogs(SqlClient db, String taskId, JsonArray lines, Instant now) {
    int n = lines.size();
    String[] levels = new String[n];
    String[] messages = new String[n];
    JsonObject[] fields = new JsonObject[n];
    for (int i = 0; i < n; i++) {
      JsonObject l = lines.getJsonObject(i);
      levels[i] = l.getString("level", "info");
      messages[i] = l.getString("message", "");
      fields[i] = l.getJsonObject("fields", new JsonObject());
    }
    return db.preparedQuery(TaskSql.INSERT_LOG).execute(Tuple.of(taskId, utc(now), levels, messages, fields)).map(rows -> {
      List<Long> ids = all(rows, r -> r.getLong("id"));
      ids.sort(Long::compare);
      return ids;
    });
  }

  public Future<JsonArray> logs(SqlClient db, String taskId, long afterId, int limit) {
    return db.preparedQuery(TaskSql.LOGS).execute(Tuple.of(taskId, afterId, limit)).map(rows -> {
      JsonArray out = new JsonArray();
      rows.forEach(r -> out.add(new JsonObject().put("id", r.getLong("id")).put("at", TrackRow.instant(r, "at").toString())
          .put("level", r.getString("level")).put("message", r.getString("message")).put("fields", r.getValue("fields"))));
      return out;
    });
  }

  public Future<Void> putArtifact(SqlClient db, TaskRow task, String name, String kind, String contentType, String content,
                                  String url, int size, Instant now) {
    Tuple t = Tuple.tuple().addString(task.id()).addString(task.trackId()).addString(task.projectId()).addString(name)
        .addString(kind).addString(contentType).addString(content).addString(url).addInteger(size).addOffsetDateTime(utc(now));
    return db.preparedQuery(TaskSql.UPSERT_ARTIFACT).execute(t).mapEmpty();
  }

  /** Artifacts of a track, oldest first; {@code withContent} includes text content. */
  public Future<JsonArray> artifactsOfTrack(SqlClient db, String trackId, boolean withContent) {
    return db.preparedQuery(TaskSql.ARTIFACTS_OF_TRACK).execute(Tuple.of(trackId)).map(rows -> artifacts(rows, withContent));
  }

  public Future<JsonArray> artifactsOfTask(SqlClient db, String taskId, boolean withContent) {
    return db.preparedQuery(TaskSql.ARTIFACTS_OF_TASK).execute(Tuple.of(taskId)).map(rows -> artifacts(rows, withContent));
  }

  // --- build intents ---------------------------------------------------------------------------

  /** Counts of a line's intents by where they stand (see {@link TaskSql#INTENT_COUNTS}). */
  public Future<JsonObject> intentCounts(SqlClient db, String line) {
    return db.preparedQuery(TaskSql.INTENT_COUNTS).execute(Tuple.of(line)).map(rows -> {
      Row r = rows.iterator().next();
      JsonObject out = new JsonObject();
      for (String k : List.of("total", "waiting", "at_executor", "not_started", "stabilized", "stopped", "closed")) {
        out.put(k, r.getLong(k));
      }
      return out;
    });
  }

  public Future<Optional<TaskRow>> heldInProject(SqlClient db, String projectId, String executorId) {
    return db.preparedQuery(TaskSql.HELD_IN_PROJECT).execute(Tuple.of(projectId, executorId)).map(TaskRepository::first);
  }

  public Future<Optional<TaskRow>> lastHeldInProject(SqlClient db, String projectId, String executorId) {
    return db.preparedQuery(TaskSql.LAST_HELD_IN_PROJECT).execute(Tuple.of(projectId, executorId)).map(TaskRepository::first);
  }

  /** Mean claim-to-completion seconds of the capability's recent tasks; empty before the first one. */
  public Future<Optional<Double>> recentStationSeconds(SqlClient db, String capability) {
    return db.preparedQuery(TaskSql.RECENT_STATION_SECONDS).execute(Tuple.of(capability)).map(rows -> {
      Row r = rows.iterator().next();
      return r.getLong("n") == 0 || r.getValue("seconds") == null ? Optional.<Double>empty()
          : Optional.of(((Number) r.getValue("seconds")).doubleValue());
    });
  }

  /** Open tasks of {@code capability} that an executor takes before the first task of {@code projectId}. */
  public Future<Long> aheadOf(SqlClient db, String capability, int priority, String projectId) {
    return db.preparedQuery(TaskSql.AHEAD_OF).execute(Tuple.of(capability, priority, projectId))
        .map(rows -> rows.iterator().next().getLong("n"));
  }

  private static JsonArray artifacts(RowSet<Row> rows, boolean withContent) {
    JsonArray out = new JsonArray();
    for (Row r : rows) {
      JsonObject a = new JsonObject().put("name", r.getString("name")).put("kind", r.getString("kind"))
          .put("task_id", r.getString("task_id")).put("content_type", r.getString("content_type"))
          .put("url", r.getString("url")).put("size_bytes", r.getInteger("size_bytes"))
          .put("created_at", TrackRow.instant(r, "created_at").toString());
      if (withContent) {
        a.put("content", r.getString("content"));
      }
      out.add(a);
    }
    return out;
  }

  private static Optional<TaskRow> first(RowSet<Row> rows) {
    return rows.size() == 0 ? Optional.empty() : Optional.of(TaskRow.of(rows.iterator().next()));
  }

  static <T> List<T> all(RowSet<Row> rows, Function<Row, T> f) {
    List<T> out = new ArrayList<>();
    rows.forEach(r -> out.add(f.apply(r)));
    return out;
  }
}
