package io.productionline.store;

import io.productionline.events.EventType;
import io.productionline.line.DocumentType;
import io.productionline.line.TrackMachine.InterruptSpec;
import io.productionline.line.TrackMachine.StationRun;
import io.productionline.line.LineState;
import io.productionline.line.TrackState;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
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

/** PostgreSQL access for tracks, their tasks' creation, interrupts they open and the history. */
public final class TrackRepository {

  /** An event to append to the history: its type and payload (without {@code seq}). */
  public record NewEvent(String type, JsonObject payload) {
  }

  /** The new position of a track, written by {@link TrackWrite#move}. */
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

  /** The tracks of {@code ids}, in the order of {@link #ofProject}. */
  public Future<List<TrackRow>> ofIds(SqlClient db, java.util.Collection<String> ids) {
    return db.preparedQuery(TrackSql.OF_IDS).execute(Tuple.tuple().addArrayOfString(ids.toArray(String[]::new)))
        .map(rows -> {
          List<TrackRow> out = new ArrayList<>();
          rows.forEach(r -> out.add(TrackRow.of(r)));
          return out;
        });
  }

  /** Where a project's history stands: its last sequence number and its line's version (empty: no such project). */
  public record Head(long lastSeq, Integer lineVersion) {
  }

  public Future<Optional<Head>> head(SqlClient db, String projectId) {
    return db.preparedQuery(TrackSql.HEAD).execute(Tuple.of(projectId)).map(rows -> {
      if (rows.size() == 0) {
        return Optional.empty();
      }
      Row r = rows.iterator().next();
      return Optional.of(new Head(r.getLong("last_seq"), r.getInteger("line_version")));
    });
  }

  /** The tracks the project's events after {@code afterSeq} up to {@code upToSeq} are about. */
  public Future<List<String>> changedSince(SqlClient db, String projectId, long afterSeq, long upToSeq) {
    return db.preparedQuery(TrackSql.CHANGED_SINCE).execute(Tuple.of(projectId, afterSeq, upToSeq)).map(rows -> {
      List<String> out = new ArrayList<>();
      rows.forEach(r -> out.add(r.getString(0)));
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

  /** A qc_reject replacement of {@code replaced}, queued ({@link TrackSql#INSERT_REPLACEMENT}). */
  public Future<Void> insertReplacement(SqlClient db, String trackId, String replaced, Instant now) {
    return db.preparedQuery(TrackSql.INSERT_REPLACEMENT).execute(Tuple.of(trackId, replaced, utc(now))).mapEmpty();
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

  /** The track's compare-and-set on {@code from} lost: the track moved since, or another node supervises it. */
  static StaleWriteException staleWrite(TrackRow from) {
    return new StaleWriteException("track " + from.id() + " moved since version " + from.version()
        + " or its supervisor's lease (node " + from.ownerNode() + ", epoch " + from.ownerEpoch() + ") does not hold it");
  }

  /** The capability of a manual station's tasks; no executor is ever handed one. */
  public static final String MANUAL = "manual";

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

  /** The project's summary counts ({@link LineState#summary}), every key present (zero where none). */
  public Future<JsonObject> summary(SqlClient db, String projectId) {
    return db.preparedQuery(TrackSql.SUMMARY).execute(Tuple.of(projectId)).map(rows -> {
      Map<TrackState, Integer> counts = new LinkedHashMap<>();
      for (Row r : rows) {
        counts.put(TrackState.parse(r.getString("state")).orElseThrow(), r.getInteger("n"));
      }
      return summary(counts);
    });
  }

  /** The same counts, of tracks already read: a view built from them agrees with itself. */
  public static JsonObject summaryOf(List<TrackRow> tracks) {
    Map<TrackState, Integer> counts = new LinkedHashMap<>();
    tracks.forEach(t -> counts.merge(t.state(), 1, Integer::sum));
    return summary(counts);
  }

  private static JsonObject summary(Map<TrackState, Integer> byState) {
    JsonObject out = new JsonObject();
    LineState.summary(byState).forEach(out::put);
    return out;
  }

  /** The line's state of a summary as {@link #summary} gives it ({@link LineState}). */
  public static String lineState(JsonObject summary) {
    return LineState.ofSummary(summary.getMap()).wire();
  }

  /** {@code events} as appended, the last of them at {@code lastSeq}: each with its {@code type} and {@code seq}. */
  static List<JsonObject> appended(List<NewEvent> events, long lastSeq) {
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

  /** Marks queued tracks as asked to start (before their start commands are sent): a lost start is then found again. */
  public Future<Void> requestStart(SqlClient db, List<String> trackIds) {
    return db.preparedQuery(TrackSql.REQUEST_START).execute(Tuple.of(trackIds.toArray(String[]::new))).mapEmpty();
  }

  /**
   * Tracks a lost command would strand ({@link TrackSql#STRANDED}), cluster-wide; a track at a station
   * only when it has not moved since {@code stillSince}.
   */
  public Future<List<TrackRow>> stranded(SqlClient db, Instant stillSince) {
    String[] atStation = Arrays.stream(TrackState.values()).filter(TrackState::atStation).map(TrackState::wire).toArray(String[]::new);
    return db.preparedQuery(TrackSql.STRANDED).execute(Tuple.tuple().addArrayOfString(atStation).addValue(utc(stillSince))).map(rows -> {
      List<TrackRow> out = new ArrayList<>();
      rows.forEach(r -> out.add(TrackRow.of(r)));
      return out;
    });
  }

  public Future<Void> audit(SqlClient db, String actor, String action, String target, JsonObject detail, Instant now) {
    return db.preparedQuery(TrackSql.AUDIT).execute(Tuple.of(utc(now), actor, action, target, detail)).mapEmpty();
  }

  /**
   * A task's step as stored: what to run, and what the station's gates require of its result
   * ({@link TaskRow#REQUIREMENTS}, kept with the step so a claim reads them with the task).
   */
  static JsonObject stepJson(io.productionline.line.StepDef step, List<io.productionline.line.GateDef> gates) {
    JsonObject o = new JsonObject();
    if (step != null) {
      o.put("type", step.type()).put("trust", step.trust());
      if (step.skill() != null) {
        o.put("skill", step.skill());
      }
      o.put("params", new JsonObject(new LinkedHashMap<>(step.params())));
    }
    if (gates != null && !gates.isEmpty()) {
      o.put(TaskRow.REQUIREMENTS, new JsonArray(io.productionline.line.Gates.requirements(gates)));
    }
    return o;
  }

  public static OffsetDateTime utc(Instant t) {
    return t == null ? null : t.atOffset(ZoneOffset.UTC);
  }

}
