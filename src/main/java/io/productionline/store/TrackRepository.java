package io.productionline.store;

import io.productionline.events.EventType;
import io.productionline.line.DocumentType;
import io.productionline.line.TrackMachine.InterruptSpec;
import io.productionline.line.TrackMachine.StationRun;
import io.productionline.line.TrackState;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/** PostgreSQL access for tracks, their tasks' creation, interrupts they open and the history. */
public final class TrackRepository {

  /** An event to append to the history: its type and payload (without {@code seq}). */
  public record NewEvent(String type, JsonObject payload) {
  }

  /** The new position of a track, written by {@link #transition}. */
  public record Move(TrackState state, int stationIndex, int remediationCount, int runs, String currentTaskId, String reason) {
  }

  public Future<Optional<TrackRow>> find(SqlClient db, String trackId) {
    return db.preparedQuery(TrackSql.FIND).execute(Tuple.of(trackId))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(TrackRow.of(rows.iterator().next())));
  }

  public Future<List<TrackRow>> ofProject(SqlClient db, String projectId) {
    return db.preparedQuery(TrackSql.OF_PROJECT).execute(Tuple.of(projectId))
        .map(rows -> {
          List<TrackRow> out = new ArrayList<>();
          rows.forEach(r -> out.add(TrackRow.of(r)));
          return out;
        });
  }

  /** One page of a project's tracks, in the order of {@link #ofProject}. */
  public Future<List<TrackRow>> pageOfProject(SqlClient db, String projectId, int limit, int offset) {
    return db.preparedQuery(TrackSql.PAGE_OF_PROJECT).execute(Tuple.of(projectId, limit, offset))
        .map(rows -> {
          List<TrackRow> out = new ArrayList<>();
          rows.forEach(r -> out.add(TrackRow.of(r)));
          return out;
        });
  }

  public Future<Void> insert(SqlClient db, String trackId, String projectId, String documentType, String replaces, Instant now) {
    return db.preparedQuery(TrackSql.INSERT).execute(Tuple.of(trackId, projectId, documentType, replaces, utc(now))).mapEmpty();
  }

  /**
   * A transition in one round trip: withdraws the track's open tasks of every station run but
   * {@code keepRun} (-1: of every run), moves the track by compare-and-set on its version and owner (a
   * lost race fails with {@link StaleWriteException} and changes nothing), and returns the project's counts by
   * state after the move, as {@link #summary} gives them.
   */
  public Future<JsonObject> move(SqlClient db, TrackRow from, Move to, int keepRun, Instant now) {
    return db.preparedQuery(TrackSql.MOVE).execute(moveValues(from, to, keepRun, now).addLong(from.ownerEpoch()))
        .compose(rows -> moved(rows.iterator().next(), from));
  }

  private static Tuple moveValues(TrackRow from, Move to, int keepRun, Instant now) {
    return Tuple.tuple()
        .addString(from.id()).addLong(from.version())
        .addString(to.state().wire()).addInteger(to.stationIndex()).addInteger(to.remediationCount())
        .addInteger(to.runs()).addString(to.currentTaskId()).addString(to.reason())
        .addOffsetDateTime(utc(now)).addOffsetDateTime(to.state().terminal() ? utc(now) : null)
        .addString(from.ownerNode()).addInteger(keepRun).addString(from.projectId());
  }

  /**
   * The fence of a write that is not a move (an event appended, a task or an interrupt closed): locks
   * the track's row until {@code conn}'s transaction ends when {@code track}'s owner and epoch
   * still own it under a valid lease; fails with {@link StaleWriteException} otherwise, so the
   * caller's transaction writes nothing.
   */
  public Future<Void> fence(SqlClient conn, TrackRow track) {
    return conn.preparedQuery(TrackSql.FENCE).execute(Tuple.tuple().addString(track.id()).addString(track.ownerNode())
            .addLong(track.ownerEpoch()))
        .compose(rows -> rows.size() == 1 ? Future.succeededFuture() : Future.failedFuture(staleWrite(track)));
  }

  /** A move's row: the project's summary after it, or {@link StaleWriteException} when the compare-and-set lost. */
  private static Future<JsonObject> moved(Row r, TrackRow from) {
    if (r.getLong("moved") != 1) {
      return Future.failedFuture(staleWrite(from));
    }
    Map<String, Integer> counts = new LinkedHashMap<>();
    ((JsonObject) r.getValue("counts")).forEach(e -> counts.put(e.getKey(), ((Number) e.getValue()).intValue()));
    return Future.succeededFuture(summary(counts));
  }

  /** The track's compare-and-set on {@code from} lost: the track moved since, or another node supervises it. */
  private static StaleWriteException staleWrite(TrackRow from) {
    return new StaleWriteException("track " + from.id() + " moved since version " + from.version()
        + " or its supervisor's lease (node " + from.ownerNode() + ", epoch " + from.ownerEpoch() + ") does not hold it");
  }

  /** The capability of a manual station's tasks; no executor is ever handed one. */
  public static final String MANUAL = "manual";

  /**
   * Queues the tasks of a station run, one per work item (items 1..{@code work_items}); returns the
   * id of item 1. A task of a multi-operator station carries {@code item} and {@code work_items} in
   * its input. A manual station's tasks have capability {@code manual} and are never available to
   * executors: an operator reports their outcome.
   */
  public Future<String> insertTask(SqlClient db, TrackRow track, DocumentType type, StationRun run, int runNo, int remediationCount,
                                   Instant now) {
    int items = Math.max(1, run.station().workItems());
    List<Tuple> batch = new ArrayList<>();
    String first = null;
    for (int item = 1; item <= items; item++) {
      String id = Ids.next("task");
      first = first == null ? id : first;
      batch.add(taskValues(Tuple.tuple(), id, track, type, run, runNo, remediationCount, now, item, items));
    }
    String id = first;
    return db.preparedQuery(TrackSql.INSERT_TASK).executeBatch(batch).map(id);
  }

  /** Adds the values of one task of a station run to {@code t}, in the order of {@link TrackSql#INSERT_TASK}'s parameters. */
  private static Tuple taskValues(Tuple t, String id, TrackRow track, DocumentType type, StationRun run, int runNo, int remediationCount,
                                  Instant now, int item, int items) {
    var station = run.station();
    boolean manual = station.automation().equals(MANUAL);
    JsonObject input = new JsonObject(new LinkedHashMap<>(run.input())).put("remediation_count", remediationCount);
    if (items > 1) {
      input.put("item", item).put("work_items", items);
    }
    return t.addString(id).addString(track.id()).addString(track.projectId()).addString(track.documentType())
        .addInteger(runNo).addInteger(run.stationIndex()).addString(station.id()).addString(station.stationKind().wire())
        .addString(manual ? MANUAL : station.capability())
        .addString(station.environment()).addInteger(type.priority())
        .addValue(stepJson(station.step()))
        .addValue(input)
        .addInteger(type.maxAttempts()).addLong(type.backoff().initialMs()).addLong(type.backoff().maxMs())
        .addDouble(type.backoff().multiplier()).addInteger(station.timeoutSeconds()).addOffsetDateTime(utc(now))
        .addOffsetDateTime(manual ? OffsetDateTime.MAX : utc(now))
        .addInteger(item);
  }

  /** What {@link #completeMoveAndAppend} wrote: the attempt the completed task was at, and the events as appended. */
  public record CompletedMove(int attempt, List<JsonObject> events) {
  }

  /** The next station run a completion queues: its one task's id and what it runs. */
  public record NextRun(String taskId, DocumentType type, StationRun run, int runNo, int remediationCount) {
  }

  /** The SQLSTATE of {@code pl_stale_write} (V010): the statement lost its compare-and-set and undid itself. */
  private static final String STALE_WRITE = "PL409";

  /** The track states, and those that count as active, stop the line and end a track, by wire name. */
  private static final String[] STATES = wires(s -> true);
  private static final String[] ACTIVE = wires(TrackState::atStation);
  private static final String[] STOPPING = wires(TrackState::stopsLine);
  private static final String[] TERMINAL = wires(TrackState::terminal);

  /**
   * A station's one task completed, the move it decided and the move's events, in one statement
   * that commits on its own ({@link TrackSql#COMPLETE_MOVE_AND_APPEND}): the task by
   * compare-and-set on {@code leaseToken} in the track's current run, {@code next} (when not null)
   * queued, the move as {@link #move}, and {@code events} appended as {@link #append} does, the
   * {@code line_progress} event given the project's summary after the move. Empty when the lease
   * did not hold the task there: then nothing changed. Fails with {@link StaleWriteException},
   * having changed nothing, when the move lost its compare-and-set.
   */
  public Future<Optional<CompletedMove>> completeMoveAndAppend(SqlClient db, TrackRow from, Move to, int keepRun, Instant now,
                                                               String taskId, String leaseToken, String outcome, JsonObject result,
                                                               NextRun next, List<NewEvent> events) {
    Tuple t = moveValues(from, to, keepRun, now)
        .addString(taskId).addString(leaseToken).addString(outcome).addValue(result).addInteger(from.runs());
    if (next == null) {
      for (int i = 0; i < TrackSql.INSERT_TASK_PARAMS; i++) {
        t.addValue(null);
      }
    } else {
      taskValues(t, next.taskId(), from, next.type(), next.run(), next.runNo(), next.remediationCount(), now, 1, 1);
    }
    t.addArrayOfString(events.stream().map(NewEvent::type).toArray(String[]::new))
        .addArrayOfJsonObject(events.stream().map(NewEvent::payload).toArray(JsonObject[]::new))
        .addLong((long) events.size())
        .addArrayOfString(STATES).addArrayOfString(ACTIVE).addArrayOfString(STOPPING).addArrayOfString(TERMINAL)
        .addString(TrackState.QUEUED.wire()).addString(EventType.LINE_PROGRESS)
        .addLong(from.ownerEpoch());
    return db.preparedQuery(TrackSql.COMPLETE_MOVE_AND_APPEND).execute(t)
        .recover(e -> Future.failedFuture(e instanceof PgException pe && STALE_WRITE.equals(pe.getSqlState())
            ? staleWrite(from) : e))
        .map(rows -> {
          Row r = rows.iterator().next();
          if (r.getValue("attempt") == null) {
            return Optional.empty();
          }
          List<JsonObject> appended = appended(events, r.getLong("last_seq"));
          for (JsonObject e : appended) {
            if (EventType.LINE_PROGRESS.equals(e.getString("type"))) {
              e.put("summary", r.getJsonObject("summary")).put("line_state", r.getString("line_state"));
            }
          }
          return Optional.of(new CompletedMove(r.getInteger("attempt"), appended));
        });
  }

  /** The wire names of the track states that {@code which} holds for. */
  private static String[] wires(Predicate<TrackState> which) {
    return Arrays.stream(TrackState.values()).filter(which).map(TrackState::wire).toArray(String[]::new);
  }

  /** Completes a queued manual task with an operator's outcome; empty when it is not open (any more). */
  public Future<Optional<TaskRow>> completeManual(SqlClient db, String taskId, String actor, String outcome, JsonObject result,
                                                  Instant now) {
    return db.preparedQuery(TrackSql.COMPLETE_MANUAL).execute(Tuple.of(taskId, actor, utc(now), outcome, result))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(TaskRow.of(rows.iterator().next())));
  }

  /** Keeps the server's audit (gates, verdict) in a completed task's result, and the combined verdict as its outcome. */
  public Future<Void> annotateTask(SqlClient db, String taskId, String outcome, JsonObject audit) {
    return db.preparedQuery(TrackSql.ANNOTATE_TASK).execute(Tuple.of(taskId, outcome, audit)).mapEmpty();
  }

  public Future<String> insertInterrupt(SqlClient db, TrackRow track, int stationIndex, InterruptSpec spec, Instant now) {
    String id = Ids.next("int");
    Tuple t = Tuple.tuple().addString(id).addString(track.projectId()).addString(track.id()).addString(track.documentType())
        .addString(spec.type().wire()).addInteger(stationIndex).addString(spec.reason())
        .addValue(new JsonObject(new LinkedHashMap<>(spec.payload()))).addOffsetDateTime(utc(now));
    return db.preparedQuery(TrackSql.INSERT_INTERRUPT).execute(t).map(id);
  }

  /** Withdraws the track's open interrupts (its track was cancelled); returns their ids. */
  public Future<List<String>> withdrawInterrupts(SqlClient db, String trackId, String why, Instant now) {
    return db.preparedQuery(TrackSql.WITHDRAW_INTERRUPTS)
        .execute(Tuple.of(trackId, utc(now), new JsonObject().put("withdrawn", why)))
        .map(rows -> {
          List<String> ids = new ArrayList<>();
          rows.forEach(r -> ids.add(r.getString("id")));
          return ids;
        });
  }

  /** Counts of the project's tracks by state, every state present (zero where none). */
  public Future<JsonObject> summary(SqlClient db, String projectId) {
    return db.preparedQuery(TrackSql.SUMMARY).execute(Tuple.of(projectId)).map(rows -> {
      Map<String, Integer> counts = new LinkedHashMap<>();
      for (Row r : rows) {
        counts.put(r.getString("state"), r.getInteger("n"));
      }
      return summary(counts);
    });
  }

  /** The same counts, of tracks already read: a view built from them agrees with itself. */
  public static JsonObject summaryOf(List<TrackRow> tracks) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    tracks.forEach(t -> counts.merge(t.state().wire(), 1, Integer::sum));
    return summary(counts);
  }

  private static JsonObject summary(Map<String, Integer> byState) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (TrackState s : TrackState.values()) {
      counts.put(s.wire(), byState.getOrDefault(s.wire(), 0));
    }
    JsonObject out = new JsonObject().put("total", counts.values().stream().mapToInt(Integer::intValue).sum());
    counts.forEach(out::put);
    int active = 0;
    for (String state : ACTIVE) {
      active += counts.get(state);
    }
    return out.put("active", active);
  }

  /**
   * Appends events to the project's history in order; returns them with {@code seq} and {@code type}
   * set. Takes the project's row lock until the caller's transaction ends, so keep it the last
   * write of a transaction.
   */
  public Future<List<JsonObject>> append(SqlClient db, String projectId, String trackId, List<NewEvent> events, Instant now) {
    if (events.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    String[] types = events.stream().map(NewEvent::type).toArray(String[]::new);
    JsonObject[] payloads = events.stream().map(NewEvent::payload).toArray(JsonObject[]::new);
    Tuple t = Tuple.tuple().addString(projectId).addString(trackId).addArrayOfString(types).addArrayOfJsonObject(payloads)
        .addOffsetDateTime(utc(now)).addLong((long) events.size());
    return db.preparedQuery(TrackSql.APPEND_EVENTS).execute(t).map(rows -> {
      if (rows.size() != 1) {
        throw new IllegalStateException("no project " + projectId + " to append events to");
      }
      return appended(events, rows.iterator().next().getLong(0));
    });
  }

  /** {@code events} as appended, the last of them at {@code lastSeq}: each with its {@code type} and {@code seq}. */
  private static List<JsonObject> appended(List<NewEvent> events, long lastSeq) {
    long first = lastSeq - events.size();
    List<JsonObject> out = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      NewEvent e = events.get(i);
      out.add(new JsonObject().put("type", e.type()).put("seq", first + i + 1).mergeIn(e.payload()));
    }
    return out;
  }

  /**
   * Takes the track for {@code node} under its lease of {@code epoch} ({@link TrackSql#TAKE_OWNERSHIP}):
   * the track's row, or empty when another node's valid lease holds it (or this node's lease is not valid).
   */
  public Future<Optional<TrackRow>> takeOwnership(SqlClient db, String trackId, String node, long epoch) {
    return db.preparedQuery(TrackSql.TAKE_OWNERSHIP).execute(Tuple.tuple().addString(trackId).addString(node).addLong(epoch))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(TrackRow.of(rows.iterator().next())));
  }

  /** Gives up every unfinished track {@code node} owns under {@code epoch}; returns how many. */
  public Future<Integer> releaseAll(SqlClient db, String node, long epoch) {
    return db.preparedQuery(TrackSql.RELEASE_ALL).execute(Tuple.of(node, epoch)).map(rows -> rows.rowCount());
  }

  /** Unfinished, started tracks whose owner's lease is not valid: adoptable. */
  public Future<List<String>> orphans(SqlClient db) {
    return db.preparedQuery(TrackSql.ORPHANS).execute().map(rows -> {
      List<String> out = new ArrayList<>();
      rows.forEach(r -> out.add(r.getString("id")));
      return out;
    });
  }

  /** The node that owns the track under a valid lease, if one does. */
  public Future<Optional<String>> liveOwner(SqlClient db, String trackId) {
    return db.preparedQuery(TrackSql.LIVE_OWNER).execute(Tuple.of(trackId))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getString(0)));
  }

  /** Tracks a lost command would strand ({@link TrackSql#STRANDED}), cluster-wide. */
  public Future<List<TrackRow>> stranded(SqlClient db) {
    return db.preparedQuery(TrackSql.STRANDED).execute(Tuple.tuple().addArrayOfString(ACTIVE)).map(rows -> {
      List<TrackRow> out = new ArrayList<>();
      rows.forEach(r -> out.add(TrackRow.of(r)));
      return out;
    });
  }

  public Future<Void> audit(SqlClient db, String actor, String action, String target, JsonObject detail, Instant now) {
    return db.preparedQuery(TrackSql.AUDIT).execute(Tuple.of(utc(now), actor, action, target, detail)).mapEmpty();
  }

  static JsonObject stepJson(io.productionline.line.StepDef step) {
    if (step == null) {
      return new JsonObject();
    }
    JsonObject o = new JsonObject().put("type", step.type()).put("trust", step.trust());
    if (step.skill() != null) {
      o.put("skill", step.skill());
    }
    return o.put("params", new JsonObject(new LinkedHashMap<>(step.params())));
  }

  public static OffsetDateTime utc(Instant t) {
    return t == null ? null : t.atOffset(ZoneOffset.UTC);
  }

}
