package io.productionline.store;

import io.productionline.events.EventType;
import io.productionline.line.DocumentType;
import io.productionline.line.LineState;
import io.productionline.line.TrackMachine.InterruptSpec;
import io.productionline.line.TrackMachine.StationRun;
import io.productionline.store.TrackRepository.Move;
import io.productionline.store.TrackRepository.NewEvent;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One write of a track, as one SQL statement built from named parts ({@link SqlTemplate},
 * {@code #{name}} parameters, {@link NamedSql}): whatever a track's supervisor writes (a station's completion, the
 * move it decides, an interrupt, the events) goes through here, in one round trip, committing on its
 * own or in the caller's transaction.
 *
 * <p>The parts, each a CTE and each only when the write has it: {@code done} (the station's tasks
 * completed, by their lease or, at a manual station, from queued); {@code annotated} (the server's
 * audit kept on the run's other items); {@code queued} (the next station run's tasks);
 * {@code dropped} and {@code moved} (other runs' open tasks withdrawn, the track's compare-and-set
 * on version, owner, epoch and a valid lease: {@link TrackSql#leaseHeld}); {@code interrupt};
 * {@code children} (a fan-out's child tracks, queued, one per item, only when the move is written;
 * their round is the parent's version the move replaces, and a second insert of the same (parent,
 * round, index) does nothing);
 * {@code progress} (the project's summary and line state after the move, generated from
 * {@link LineState}); {@code seq} and {@code appended} (the events, in order, with the project's
 * next sequence numbers; the {@code line_progress} event gets the summary); and, for a write
 * without a move, {@code fence} (the same ownership test as the move's, locking the track's row as
 * {@link TrackSql#FENCE} does).
 *
 * <p>Every write waits on its gate: the completion when there is one (when the lease does not hold
 * the task nothing is written, {@link Result#completed} is false), else the fence. When a move's
 * compare-and-set lost (the track moved, or this node's lease does not hold it),
 * {@code pl_stale_write} (V010) fails the statement, which undoes it whole:
 * {@link StaleWriteException}; so does a write without a move whose fence found nothing. Each shape
 * of statement is built and parsed once; on a pool it goes through {@link GroupCommit}.
 */
public final class TrackWrite {

  /** What the statement wrote: whether it was fenced and (with a completion) completed, the events as appended, the summary. */
  public record Result(boolean completed, List<Integer> attempts, List<JsonObject> events, JsonObject summary, String lineState) {
  }

  /** The completion part: {@code tasks} of run {@code runNo}, held under {@code leaseToken} or (null) queued at a manual station. */
  private record Completion(List<String> tasks, int runNo, String leaseToken, String actor, String outcome, JsonObject result) {
  }

  /** The server's audit kept on an item of the run that completed before. */
  public record Annotation(String taskId, String outcome, JsonObject audit) {
  }

  /** The SQLSTATE of {@code pl_stale_write} (V010). */
  private static final String STALE_WRITE = "PL409";

  private final TrackRow track;
  private final Instant at;
  private final Map<String, Object> values = new HashMap<>();
  private Completion completion;
  private final List<Annotation> annotations = new ArrayList<>();
  private boolean queued;
  private Move move;
  private boolean interrupt;
  private boolean children;
  private List<NewEvent> events = List.of();

  private TrackWrite(TrackRow track, Instant at) {
    this.track = track;
    this.at = at;
    values.put("track", track.id());
    values.put("project", track.projectId());
    values.put("document_type", track.documentType());
    values.put("node", track.ownerNode());
    values.put("epoch", track.ownerEpoch());
    values.put("at", TrackRepository.utc(at));
  }

  /** A write of {@code track} (as its supervisor last read it) at {@code at}. */
  public static TrackWrite of(TrackRow track, Instant at) {
    return new TrackWrite(track, at);
  }

  /** Completes {@code tasks} (of the track's run {@code runNo}) held under {@code leaseToken}, with what the holder reported. */
  public TrackWrite completeHeld(String taskId, int runNo, String leaseToken, String outcome, JsonObject result) {
    completion = new Completion(List.of(taskId), runNo, leaseToken, null, outcome, result);
    return this;
  }

  /** Completes the queued tasks {@code tasks} of a manual station (run {@code runNo}) with an operator's outcome. */
  public TrackWrite completeManual(List<String> tasks, int runNo, String actor, String outcome, JsonObject result) {
    completion = new Completion(List.copyOf(tasks), runNo, null, actor, outcome, result);
    return this;
  }

  /** Keeps the server's audit on items of the run that completed before this write. */
  public TrackWrite annotate(List<Annotation> others) {
    annotations.addAll(others);
    return this;
  }

  /** Queues the tasks of a station run, one per work item; returns the id of item 1. */
  public String queue(DocumentType type, StationRun run, int runNo, int remediationCount) {
    var station = run.station();
    int items = Math.max(1, station.workItems());
    boolean manual = station.automation().equals(TrackRepository.MANUAL);
    String[] ids = new String[items];
    JsonObject[] inputs = new JsonObject[items];
    Integer[] numbers = new Integer[items];
    for (int item = 1; item <= items; item++) {
      ids[item - 1] = Ids.next("task");
      JsonObject input = new JsonObject(new LinkedHashMap<>(run.input())).put("remediation_count", remediationCount);
      if (track.child()) {
        // A fan-out's child: every station of it is handed its item.
        input.put("fan_out", new JsonObject().put("parent_track_id", track.parentTrackId()).put("index", track.fanOutIndex())
            .put("item", track.fanOutItem()));
      }
      if (items > 1) {
        input.put("item", item).put("work_items", items);
      }
      inputs[item - 1] = input;
      numbers[item - 1] = item;
    }
    queued = true;
    values.put("queued", ids);
    values.put("queued_inputs", inputs);
    values.put("queued_items", numbers);
    values.put("run_no", runNo);
    values.put("task_station_index", run.stationIndex());
    values.put("station_id", station.id());
    values.put("station_kind", station.stationKind().wire());
    values.put("capability", manual ? TrackRepository.MANUAL : station.capability());
    values.put("environment", station.environment());
    values.put("priority", type.priority());
    values.put("step", TrackRepository.stepJson(station.step(), station.gates()));
    values.put("max_attempts", type.maxAttempts());
    values.put("backoff_initial_ms", type.backoff().initialMs());
    values.put("backoff_max_ms", type.backoff().maxMs());
    values.put("backoff_multiplier", type.backoff().multiplier());
    values.put("timeout_seconds", station.timeoutSeconds());
    values.put("available_at", manual ? OffsetDateTime.MAX : TrackRepository.utc(at));
    return ids[0];
  }

  /** Moves the track to {@code to}, withdrawing the open tasks of every run but {@code keepRun} (-1: of all). */
  public TrackWrite move(Move to, int keepRun) {
    move = to;
    values.put("version", track.version());
    values.put("state", to.state().wire());
    values.put("station_index", to.stationIndex());
    values.put("remediation_count", to.remediationCount());
    values.put("runs", to.runs());
    values.put("current_task", to.currentTaskId());
    values.put("reason", to.reason());
    values.put("finalized_at", to.state().terminal() ? TrackRepository.utc(at) : null);
    values.put("keep_run", keepRun);
    return this;
  }

  /** Opens an interrupt at the move's station; returns its id. */
  public String interrupt(int stationIndex, InterruptSpec spec) {
    String id = Ids.next("int");
    interrupt = true;
    values.put("interrupt", id);
    values.put("interrupt_type", spec.type().wire());
    values.put("interrupt_station", stationIndex);
    values.put("interrupt_reason", spec.reason());
    values.put("interrupt_payload", new JsonObject(new LinkedHashMap<>(spec.payload())));
    return id;
  }

  /**
   * A fan-out: one queued child track of {@code childType} per item of {@code items} (its index in
   * the list is its {@code fan_out_index}), created only when the move is written. Returns the
   * children's ids in the order of the items.
   */
  public List<String> fanOut(String childType, List<Object> items) {
    String[] ids = new String[items.size()];
    JsonObject[] wrapped = new JsonObject[items.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = Ids.next("trk");
      // Wrapped, so an item of any JSON kind (a string, a number, an object) travels in one jsonb[] parameter.
      wrapped[i] = new JsonObject().put("item", items.get(i));
    }
    children = true;
    values.put("child_type", childType);
    values.put("children", ids);
    values.put("children_items", wrapped);
    return List.of(ids);
  }

  /** Whether the write creates tracks (a fan-out's children): the project's counts change with it. */
  public boolean createsTracks() {
    return children;
  }

  /** Appends {@code events} (the last write); a {@code line_progress} among them gets the project's summary after the move. */
  public TrackWrite events(List<NewEvent> events) {
    this.events = List.copyOf(events);
    return this;
  }

  /** Runs the write as one statement on {@code db} (a pool: it commits on its own; a connection: in its transaction). */
  public Future<Result> execute(SqlClient db) {
    values.put("event_types", events.stream().map(NewEvent::type).toArray(String[]::new));
    values.put("event_payloads", events.stream().map(NewEvent::payload).toArray(JsonObject[]::new));
    values.put("events_n", (long) events.size());
    values.put("progress_type", EventType.LINE_PROGRESS);
    if (completion != null) {
      values.put("completed", completion.tasks().toArray(String[]::new));
      values.put("completed_run", completion.runNo());
      values.put("lease", completion.leaseToken());
      values.put("actor", completion.actor());
      values.put("outcome", completion.outcome());
      values.put("result", completion.result());
    }
    if (!annotations.isEmpty()) {
      values.put("annotated", annotations.stream().map(Annotation::taskId).toArray(String[]::new));
      values.put("annotated_outcomes", annotations.stream().map(Annotation::outcome).toArray(String[]::new));
      values.put("annotated_audits", annotations.stream().map(Annotation::audit).toArray(JsonObject[]::new));
    }
    NamedSql statement = STATEMENTS.computeIfAbsent(shape(), k -> NamedSql.of(sql()));
    GroupCommit group = db instanceof Pool pool ? GroupCommit.of(pool) : null;
    boolean batchable = MoveBatch.takes(move != null, !events.isEmpty(), completion != null && completion.leaseToken() == null,
        !annotations.isEmpty(), interrupt, children);
    Future<Row> written = group != null
        ? group.submit(statement.sql(), statement.tuple(values), batchable ? values : null, track.projectId(), track.id())
        : db.preparedQuery(statement.sql()).execute(statement.tuple(values)).map(rows -> rows.iterator().next());
    return written
        .recover(e -> Future.failedFuture(e instanceof PgException pe && STALE_WRITE.equals(pe.getSqlState())
            ? TrackRepository.staleWrite(track) : e))
        .compose(r -> {
          // A move written in a group's one statement (MoveBatch) says in its row that its compare-and-set lost.
          if (!r.getBoolean("fenced") || r.getColumnIndex("lost") >= 0 && Boolean.TRUE.equals(r.getBoolean("lost"))) {
            return Future.failedFuture(TrackRepository.staleWrite(track));
          }
          boolean completed = completion == null || r.getValue("attempts") != null;
          if (!completed) {
            return Future.succeededFuture(new Result(false, List.of(), List.of(), null, null));
          }
          JsonObject summary = move == null ? null : r.getJsonObject("summary");
          String lineState = move == null ? null : r.getString("line_state");
          List<JsonObject> appended = events.isEmpty() ? List.of() : TrackRepository.appended(events, r.getLong("last_seq"));
          for (JsonObject e : appended) {
            if (summary != null && EventType.LINE_PROGRESS.equals(e.getString("type"))) {
              e.put("summary", summary).put("line_state", lineState);
            }
          }
          List<Integer> attempts = new ArrayList<>();
          if (completion != null) {
            for (Object a : r.getArrayOfIntegers("attempts")) {
              attempts.add((Integer) a);
            }
          }
          return Future.succeededFuture(new Result(true, attempts, appended, summary, lineState));
        });
  }

  /** The columns a queued task is inserted with, in the order of the queued parts' SELECT lists. */
  static final String QUEUED_COLUMNS = "id, track_id, project_id, document_type, run_no, station_index, station_id, station_kind,"
      + " capability, environment, priority, step, input, status, attempt, max_attempts, backoff_initial_ms, backoff_max_ms,"
      + " backoff_multiplier, timeout_seconds, available_at, created_at, item";

  /**
   * A queued task's environment: its project's ({@code p}) params environment (build intents set it)
   * when present and one of local, server, either, else {@code line}'s, the station's.
   */
  static String projectEnvironment(String line) {
    return "CASE WHEN p.params->>'environment' IN ('local', 'server', 'either') THEN p.params->>'environment' ELSE " + line + " END";
  }

  /** A queued task's priority: its project's ({@code p}) params priority when an integer 1-10, else {@code line}'s. */
  static String projectPriority(String line) {
    return "CASE WHEN p.params->>'priority' ~ '^([1-9]|10)$' THEN (p.params->>'priority')::int ELSE " + line + " END";
  }

  /** The statement by its shape (which parts it has): built and parsed once per shape. */
  private static final Map<Integer, NamedSql> STATEMENTS = new ConcurrentHashMap<>();

  /** Which parts the statement has, as bits. */
  private int shape() {
    return (completion == null ? 0 : completion.leaseToken() == null ? 1 : 2) | (annotations.isEmpty() ? 0 : 4) | (queued ? 8 : 0)
        | (move == null ? 0 : 16) | (interrupt ? 32 : 0) | (events.isEmpty() ? 0 : 64) | (children ? 128 : 0);
  }

  /** The statement, of the parts this write has. */
  String sql() {
    // A move is fenced by its compare-and-set (owner, epoch, valid lease), and a lost one undoes the whole statement;
    // a write without a move is fenced by the fence part, which locks the track's row as TrackSql.FENCE does.
    boolean fence = move == null;
    String gate = completion != null ? "EXISTS (SELECT 1 FROM done)" : fence ? "EXISTS (SELECT 1 FROM fence)" : "true";
    List<String> parts = new ArrayList<>();
    if (fence) {
      parts.add("""
          fence AS (
            SELECT 1 FROM tracks
             WHERE id = #{track} AND owner_node = #{node} AND owner_epoch = #{epoch} AND %s
               FOR NO KEY UPDATE)""".formatted(TrackSql.leaseHeld("#{node}", "#{epoch}")));
    }
    if (completion != null) {
      boolean manual = completion.leaseToken() == null;
      parts.add("""
          done AS (
            UPDATE station_tasks
               SET status = '%s', completed_at = #{at}, outcome = #{outcome}, result = #{result}, progress = 1%s
             WHERE id = ANY (#{completed}::text[]) AND track_id = #{track} AND run_no = #{completed_run} AND %s
%s
            RETURNING attempt)""".formatted(TaskStatus.COMPLETED.wire(),
          manual ? ", executor_id = #{actor}, claimed_at = #{at}" : "",
          manual ? "status = '" + TaskStatus.QUEUED.wire() + "' AND capability = '" + TrackRepository.MANUAL + "'"
              : "status = '" + TaskStatus.CLAIMED.wire() + "' AND lease_token = #{lease}",
          fence ? "\n   AND EXISTS (SELECT 1 FROM fence)" : ""));
    }
    if (!annotations.isEmpty()) {
      parts.add("""
          annotated AS (
            UPDATE station_tasks k
               SET outcome = a.outcome, result = coalesce(k.result, '{}'::jsonb) || jsonb_build_object('audit', a.audit)
              FROM unnest(#{annotated}::text[], #{annotated_outcomes}::text[], #{annotated_audits}::jsonb[]) AS a (id, outcome, audit)
             WHERE k.id = a.id AND k.status = '%s' AND %s)""".formatted(TaskStatus.COMPLETED.wire(), gate));
    }
    if (queued) {
      parts.add("""
          queued AS (
            INSERT INTO station_tasks (%s)
            SELECT n.id, #{track}, #{project}, #{document_type}, #{run_no}, #{task_station_index}, #{station_id},
                   #{station_kind}, #{capability}, %s, %s,
                   #{step}, n.input, '%s', 1, #{max_attempts}, #{backoff_initial_ms}, #{backoff_max_ms}, #{backoff_multiplier},
                   #{timeout_seconds}, #{available_at}, #{at}, n.item
              FROM projects p, unnest(#{queued}::text[], #{queued_inputs}::jsonb[], #{queued_items}::int[]) AS n (id, input, item)
             WHERE p.id = #{project} AND %s)""".formatted(QUEUED_COLUMNS, projectEnvironment("#{environment}"),
          projectPriority("#{priority}"), TaskStatus.QUEUED.wire(), gate));
    }
    if (move != null) {
      parts.add("""
          dropped AS (
            UPDATE station_tasks SET status = '%s', cancel_requested = true, completed_at = #{at}
             WHERE track_id = #{track} AND %s AND run_no <> #{keep_run}%s AND %s)""".formatted(
          TaskStatus.CANCELLED.wire(), TaskSql.open(""),
          completion != null ? " AND id <> ALL (#{completed}::text[])" : "", gate));
      parts.add("""
          moved AS (
            UPDATE tracks
               SET state = #{state}, station_index = #{station_index}, remediation_count = #{remediation_count}, runs = #{runs},
                   current_task_id = #{current_task}, reason = #{reason}, state_entered_at = #{at}, finalized_at = #{finalized_at},
                   version = version + 1
             WHERE id = #{track} AND version = #{version} AND owner_node = #{node} AND owner_epoch = #{epoch} AND %s AND %s
            RETURNING id)""".formatted(TrackSql.leaseHeld("#{node}", "#{epoch}"), gate));
      if (interrupt) {
        parts.add("""
            interrupt AS (
              INSERT INTO interrupts (id, project_id, track_id, document_type, type, station_index, reason, payload, status, created_at)
              SELECT #{interrupt}, #{project}, #{track}, #{document_type}, #{interrupt_type}, #{interrupt_station}, #{interrupt_reason},
                     #{interrupt_payload}, 'open', #{at}
               WHERE EXISTS (SELECT 1 FROM moved))""");
      }
      if (children) {
        parts.add("""
            children AS (
              INSERT INTO tracks (id, project_id, document_type, state, parent_track_id, fan_out_round, fan_out_index, fan_out_item,
                                  created_at, state_entered_at)
              SELECT c.id, #{project}, #{child_type}, 'queued', #{track}, #{version}, (c.ord - 1)::int, c.wrapped -> 'item', #{at}, #{at}
                FROM unnest(#{children}::text[], #{children_items}::jsonb[]) WITH ORDINALITY AS c (id, wrapped, ord)
               WHERE EXISTS (SELECT 1 FROM moved)
              ON CONFLICT (parent_track_id, fan_out_round, fan_out_index) WHERE replaces IS NULL DO NOTHING
              RETURNING id)""");
      }
      // The statement's snapshot still has this track in its old state: it is counted in its new one (and the children
      // it created, which the snapshot does not see, as queued). One row a state, as the summary's SQL counts them.
      parts.add(children ? """
          counted AS (
            SELECT state, count(*) AS n
              FROM (SELECT CASE WHEN id = #{track} THEN #{state} ELSE state END AS state FROM tracks WHERE project_id = #{project}
                    UNION ALL SELECT '%s' FROM children) c
             GROUP BY 1)""".formatted(io.productionline.line.TrackState.QUEUED.wire()) : """
          counted AS (
            SELECT CASE WHEN id = #{track} THEN #{state} ELSE state END AS state, count(*) AS n
              FROM tracks WHERE project_id = #{project} GROUP BY 1)""");
      parts.add("progress AS (\n  SELECT " + LineState.sqlSummary("state", "n") + " AS summary,\n         "
          + LineState.sqlOf("state", "n") + " AS line_state\n    FROM counted)");
    }
    if (!events.isEmpty()) {
      parts.add("""
          seq AS (
            UPDATE projects SET last_seq = last_seq + #{events_n}::bigint WHERE id = #{project} AND %s
            RETURNING last_seq)""".formatted(move != null ? "EXISTS (SELECT 1 FROM moved)" : gate));
      parts.add(move != null ? """
          appended AS (
            INSERT INTO track_events (project_id, track_id, seq, type, payload, created_at)
            SELECT #{project}, #{track}, seq.last_seq - #{events_n} + x.ord, x.type,
                   CASE WHEN x.type = #{progress_type}
                        THEN x.payload || jsonb_build_object('summary', progress.summary, 'line_state', progress.line_state)
                        ELSE x.payload END, #{at}
              FROM seq, progress, unnest(#{event_types}::text[], #{event_payloads}::jsonb[]) WITH ORDINALITY AS x (type, payload, ord))"""
          : """
          appended AS (
            INSERT INTO track_events (project_id, track_id, seq, type, payload, created_at)
            SELECT #{project}, #{track}, seq.last_seq - #{events_n} + x.ord, x.type, x.payload, #{at}
              FROM seq, unnest(#{event_types}::text[], #{event_payloads}::jsonb[]) WITH ORDINALITY AS x (type, payload, ord))""");
    }
    StringBuilder select = new StringBuilder(fence ? "SELECT EXISTS (SELECT 1 FROM fence) AS fenced" : "SELECT true AS fenced");
    if (completion != null) {
      select.append(",\n       (SELECT array_agg(attempt) FROM done) AS attempts");
    }
    if (!events.isEmpty()) {
      select.append(",\n       (SELECT last_seq FROM seq) AS last_seq");
    }
    if (move != null) {
      select.append(",\n       (SELECT summary FROM progress) AS summary, (SELECT line_state FROM progress) AS line_state")
          .append(",\n       CASE WHEN ").append(gate).append(" AND NOT EXISTS (SELECT 1 FROM moved)")
          .append("\n            THEN pl_stale_write('the track moved since the version its supervisor read, or its supervisor''s lease")
          .append(" does not hold it') END AS stale");
    }
    return "WITH " + String.join(",\n     ", parts) + "\n" + select;
  }
}
