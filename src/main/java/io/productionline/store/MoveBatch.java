package io.productionline.store;

import io.productionline.line.LineState;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.lang.reflect.Array;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The moves of several tracks as one statement (a group of {@link GroupCommit}): the common write
 * of a track's supervisor (a held task completed or none, the next station run queued or none, the
 * track moved, its events) over arrays with one element a move, so PostgreSQL sets up, checks and
 * runs one statement for the group instead of one a move (docs/benchmarks.md, "One statement a
 * group").
 *
 * <p>Each move keeps its own gate: {@code held} (its completed task is claimed under its lease,
 * locked; the task is found by its id and its status checked after, in {@code leased}: with the
 * status in the scan, a planner whose statistics counted few tasks at work scanned every task at
 * work, through the index of claimed tasks, for each batch) and {@code ok} (its track still has
 * the version, owner and epoch its supervisor read, the owner's lease is valid; locked; the lease
 * is looked up once for each node and epoch of the batch, in {@code leases}, not once a move). Every
 * part writes only the moves in {@code ok}, so a move whose
 * compare-and-set lost writes nothing and the others are written; its row says {@code lost} (its
 * caller gets {@link StaleWriteException}, as from {@code pl_stale_write} alone) or, when its lease
 * did not hold its task, has no {@code attempts} (nothing was completed, as alone).
 *
 * <p>The statement's snapshot does not see the batch's own moves, so what depends on the moves
 * before a move is counted in order of the batch ({@code ord}): each move's {@code line_progress}
 * summary is the project's tracks as the snapshot has them with the new states of the batch's
 * written moves up to it, and the project's sequence moves once by all its written moves' events,
 * each move's events numbered after those of the moves before it. That is what the same moves
 * written one statement after the other would give. The projects' rows are locked in id order, as
 * a group's statements lock them, so two nodes' groups cannot deadlock on them. The projects' tracks
 * are counted once for the batch ({@code base}, materialized: inlined, the planner counted a
 * project's tracks again for every move of the batch). Each move's counts join the batch's counts
 * and moves on its project ({@code counted}, a hash join: a lookup of each move's project in them
 * read them all for each move, 64 moves a batch). Only the moves that have a {@code line_progress}
 * ({@code told}: those that change their project's counts, {@code TrackEvents}) get counts, and
 * only their projects are counted; every written move still counts in them. A move's attempts are
 * grouped once ({@code done}), not looked up for each move.
 */
final class MoveBatch {

  /** A per-move column: its name in {@link TrackWrite}'s values and its SQL type. */
  private record Col(String name, String type) {

    Class<?> javaType() {
      return switch (type) {
        case "text" -> String.class;
        case "bigint" -> Long.class;
        case "int" -> Integer.class;
        case "timestamptz" -> OffsetDateTime.class;
        case "jsonb" -> JsonObject.class;
        case "float8" -> Double.class;
        default -> throw new IllegalArgumentException(type);
      };
    }
  }

  /** One value a move, in the order of the statement's {@code m}. */
  private static final List<Col> PER_MOVE = List.of(new Col("track", "text"), new Col("project", "text"),
      new Col("document_type", "text"), new Col("node", "text"), new Col("epoch", "bigint"), new Col("at", "timestamptz"),
      new Col("version", "bigint"), new Col("state", "text"), new Col("station_index", "int"), new Col("remediation_count", "int"),
      new Col("runs", "int"), new Col("current_task", "text"), new Col("reason", "text"), new Col("finalized_at", "timestamptz"),
      new Col("keep_run", "int"), new Col("task", "text"), new Col("completed_run", "int"), new Col("lease", "text"),
      new Col("outcome", "text"), new Col("result", "jsonb"), new Col("run_no", "int"), new Col("task_station_index", "int"),
      new Col("station_id", "text"), new Col("station_kind", "text"), new Col("capability", "text"), new Col("environment", "text"),
      new Col("priority", "int"), new Col("step", "jsonb"), new Col("max_attempts", "int"), new Col("backoff_initial_ms", "bigint"),
      new Col("backoff_max_ms", "bigint"), new Col("backoff_multiplier", "float8"), new Col("timeout_seconds", "int"),
      new Col("available_at", "timestamptz"), new Col("events_n", "int"));

  /** One value a queued task of a move, and one an event of a move. */
  private static final List<Col> PER_TASK = List.of(new Col("q_move", "int"), new Col("q_id", "text"), new Col("q_input", "jsonb"),
      new Col("q_item", "int"));
  private static final List<Col> PER_EVENT = List.of(new Col("e_move", "int"), new Col("e_idx", "int"), new Col("e_type", "text"),
      new Col("e_payload", "jsonb"));

  static final NamedSql STATEMENT = NamedSql.of(sql());

  private MoveBatch() {
  }

  /**
   * Whether a write of these parts goes in a batch: a move with its events, completing a held task
   * or none; not a manual completion, an audit's annotations, an interrupt or a fan-out (they go as
   * their own statements in the group).
   */
  static boolean takes(boolean move, boolean events, boolean manualCompletion, boolean annotations, boolean interrupt, boolean children) {
    return move && events && !manualCompletion && !annotations && !interrupt && !children;
  }

  /** The statement's parameters for {@code moves} (each a {@link TrackWrite}'s values), in batch order. */
  static Tuple tuple(List<Map<String, Object>> moves, String progressType) {
    Map<String, Object> values = new java.util.HashMap<>();
    for (Col c : PER_MOVE) {
      Object[] a = (Object[]) Array.newInstance(c.javaType(), moves.size());
      for (int i = 0; i < a.length; i++) {
        a[i] = value(moves.get(i), c);
      }
      values.put(c.name(), a);
    }
    List<List<Object>> tasks = new ArrayList<>();
    List<List<Object>> events = new ArrayList<>();
    for (int i = 0; i < moves.size(); i++) {
      Map<String, Object> m = moves.get(i);
      String[] queued = (String[]) m.get("queued");
      for (int q = 0; queued != null && q < queued.length; q++) {
        tasks.add(Arrays.asList(i + 1, queued[q], ((JsonObject[]) m.get("queued_inputs"))[q], ((Integer[]) m.get("queued_items"))[q]));
      }
      String[] types = (String[]) m.get("event_types");
      for (int e = 0; e < types.length; e++) {
        events.add(Arrays.asList(i + 1, e + 1, types[e], ((JsonObject[]) m.get("event_payloads"))[e]));
      }
    }
    columns(PER_TASK, tasks, values);
    columns(PER_EVENT, events, values);
    values.put("progress_type", progressType);
    return STATEMENT.tuple(values);
  }

  private static Object value(Map<String, Object> move, Col c) {
    return switch (c.name()) {
      case "task" -> move.get("completed") == null ? null : ((String[]) move.get("completed"))[0];
      case "events_n" -> ((String[]) move.get("event_types")).length;
      default -> move.get(c.name());
    };
  }

  /** {@code rows} (one list of values each, in the order of {@code cols}) as one array per column. */
  private static void columns(List<Col> cols, List<List<Object>> rows, Map<String, Object> values) {
    for (int c = 0; c < cols.size(); c++) {
      Object[] a = (Object[]) Array.newInstance(cols.get(c).javaType(), rows.size());
      for (int i = 0; i < a.length; i++) {
        a[i] = rows.get(i).get(c);
      }
      values.put(cols.get(c).name(), a);
    }
  }

  /** {@code unnest} of the parameters of {@code cols}, named as in {@code cols} without their prefix. */
  private static String unnest(List<Col> cols, String prefix, String alias, boolean ordinality) {
    return "unnest(" + cols.stream().map(c -> "#{" + c.name() + "}::" + c.type() + "[]").collect(Collectors.joining(", ")) + ")"
        + (ordinality ? " WITH ORDINALITY" : "") + " AS " + alias + " ("
        + cols.stream().map(c -> c.name().substring(prefix.length())).collect(Collectors.joining(", ")) + (ordinality ? ", ord" : "") + ")";
  }

  private static String sql() {
    String claimed = TaskStatus.CLAIMED.wire();
    return """
        WITH m AS (
          SELECT * FROM %s),
        ev AS (
          SELECT * FROM %s),
        told AS (
          SELECT DISTINCT move AS ord FROM ev WHERE type = #{progress_type}),
        leased AS (
          SELECT m.ord, s.status FROM m JOIN station_tasks s ON s.id = m.task
           WHERE s.track_id = m.track AND s.run_no = m.completed_run AND s.lease_token = m.lease
           ORDER BY s.id
             FOR NO KEY UPDATE OF s),
        held AS (
          SELECT ord FROM leased WHERE status = '%s'),
        leases AS MATERIALIZED (
          SELECT f.node, f.epoch FROM (SELECT DISTINCT node, epoch FROM m) f WHERE %s),
        ok AS (
          SELECT m.ord, m.project, t.state AS old_state, m.state AS new_state
            FROM m JOIN tracks t ON t.id = m.track
           WHERE t.version = m.version AND t.owner_node = m.node AND t.owner_epoch = m.epoch
             AND (m.node, m.epoch) IN (SELECT node, epoch FROM leases)
             AND (m.task IS NULL OR m.ord IN (SELECT ord FROM held))
           ORDER BY t.id
             FOR NO KEY UPDATE OF t),
        done AS (
          UPDATE station_tasks s
             SET status = '%s', completed_at = m.at, outcome = m.outcome, result = m.result, progress = 1
            FROM m
           WHERE s.id = m.task AND s.status = '%s' AND s.lease_token = m.lease AND m.ord IN (SELECT ord FROM ok)
          RETURNING m.ord, s.attempt),
        queued AS (
          INSERT INTO station_tasks (%s)
          SELECT q.id, m.track, m.project, m.document_type, m.run_no, m.task_station_index, m.station_id, m.station_kind, m.capability,
                 %s, %s, m.step, q.input, '%s', 1, m.max_attempts, m.backoff_initial_ms, m.backoff_max_ms, m.backoff_multiplier,
                 m.timeout_seconds, m.available_at, m.at, q.item
            FROM %s JOIN m ON m.ord = q.move JOIN projects p ON p.id = m.project
           WHERE q.move IN (SELECT ord FROM ok)),
        dropped AS (
          UPDATE station_tasks s SET status = '%s', cancel_requested = true, completed_at = m.at
            FROM m
           WHERE s.track_id = m.track AND %s AND s.run_no <> m.keep_run
             AND (m.task IS NULL OR s.id <> m.task) AND m.ord IN (SELECT ord FROM ok)),
        moved AS (
          UPDATE tracks t
             SET state = m.state, station_index = m.station_index, remediation_count = m.remediation_count, runs = m.runs,
                 current_task_id = m.current_task, reason = m.reason, state_entered_at = m.at, finalized_at = m.finalized_at,
                 version = t.version + 1
            FROM m
           WHERE t.id = m.track AND t.version = m.version AND m.ord IN (SELECT ord FROM ok)),
        base AS MATERIALIZED (
          SELECT project_id, state, count(*) AS n FROM tracks
           WHERE project_id IN (SELECT project FROM ok WHERE ord IN (SELECT ord FROM told)) GROUP BY 1, 2),
        counted AS (
          SELECT i.ord, c.state, sum(c.n)::bigint AS n
            FROM ok i JOIN (
                   SELECT b.project_id AS project, 0 AS ord, b.state, b.n FROM base b
                   UNION ALL SELECT j.project, j.ord, j.new_state, 1 FROM ok j
                   UNION ALL SELECT j.project, j.ord, j.old_state, -1 FROM ok j) c ON c.project = i.project AND c.ord <= i.ord
           WHERE i.ord IN (SELECT ord FROM told)
           GROUP BY i.ord, c.state
          HAVING sum(c.n) <> 0),
        progress AS (
          SELECT ord, %s AS summary,
                 %s AS line_state
            FROM counted GROUP BY ord),
        locked AS (
          SELECT id FROM projects WHERE id IN (SELECT project FROM ok) ORDER BY id FOR NO KEY UPDATE),
        seq AS (
          UPDATE projects p SET last_seq = p.last_seq + x.n
            FROM (SELECT ok.project, sum(m.events_n)::bigint AS n FROM ok JOIN m USING (ord) GROUP BY 1) x
           WHERE p.id = x.project AND p.id IN (SELECT id FROM locked)
          RETURNING p.id, p.last_seq),
        numbered AS (
          SELECT ok.ord, seq.last_seq - sum(m.events_n) OVER (PARTITION BY ok.project)
                         + sum(m.events_n) OVER (PARTITION BY ok.project ORDER BY ok.ord) AS last_seq
            FROM ok JOIN m USING (ord) JOIN seq ON seq.id = ok.project),
        appended AS (
          INSERT INTO track_events (project_id, track_id, seq, type, payload, created_at)
          SELECT m.project, m.track, n.last_seq - m.events_n + e.idx, e.type,
                 CASE WHEN e.type = #{progress_type}
                      THEN e.payload || jsonb_build_object('summary', pr.summary, 'line_state', pr.line_state)
                      ELSE e.payload END, m.at
            FROM ev e JOIN m ON m.ord = e.move JOIN numbered n ON n.ord = e.move LEFT JOIN progress pr ON pr.ord = e.move)
        SELECT m.ord, true AS fenced, d.attempts, n.last_seq::bigint AS last_seq, pr.summary, pr.line_state,
               ok.ord IS NULL AND (m.task IS NULL OR m.ord IN (SELECT ord FROM held)) AS lost
          FROM m LEFT JOIN ok USING (ord) LEFT JOIN (SELECT ord, array_agg(attempt) AS attempts FROM done GROUP BY ord) d USING (ord)
               LEFT JOIN numbered n USING (ord) LEFT JOIN progress pr USING (ord)
         ORDER BY m.ord""".formatted(unnest(PER_MOVE, "", "m", true), unnest(PER_EVENT, "e_", "e", false), claimed,
        TrackSql.leaseHeld("f.node", "f.epoch"), TaskStatus.COMPLETED.wire(), claimed, TrackWrite.QUEUED_COLUMNS,
        TrackWrite.projectEnvironment("m.environment"), TrackWrite.projectPriority("m.priority"), TaskStatus.QUEUED.wire(),
        unnest(PER_TASK, "q_", "q", false), TaskStatus.CANCELLED.wire(), TaskSql.open("s."),
        LineState.sqlSummary("state", "n"), LineState.sqlOf("state", "n"));
  }
}
