package io.productionline.store;

/** The SQL of {@link FlowRepository}: the reads behind line analytics, and SLA breaches. */
final class FlowSql {

  /**
   * A line's station tasks touched since {@code $2}, and every open one (without their step, input and
   * result). A task created since is open or ended since: every task that ends (completed, cancelled,
   * dropped) gets its {@code completed_at}. {@link #endedOrOpen} reads them by index, not the line's
   * whole history.
   */
  static final String LINE_TASKS = "SELECT " + TaskSql.columns("t", false, false) + " " + """
       FROM station_tasks t JOIN projects p ON p.id = t.project_id
       WHERE p.line = $1 AND %s
       ORDER BY t.created_at, t.id""".formatted(endedOrOpen("t.", "$2"));

  /** A line's tracks that are unfinished or finished since {@code $2}. */
  static final String LINE_TRACKS = """
      SELECT t.* FROM tracks t JOIN projects p ON p.id = t.project_id
       WHERE p.line = $1 AND (t.finalized_at IS NULL OR t.finalized_at >= $2)
       ORDER BY t.created_at, t.id""";

  /** A line's station transitions since {@code $2}, in history order per project. */
  static final String LINE_TRANSITIONS = """
      SELECT e.project_id, e.track_id, e.payload FROM track_events e JOIN projects p ON p.id = e.project_id
       WHERE p.line = $1 AND e.type = 'station_transition' AND e.created_at >= $2
       ORDER BY e.project_id, e.seq""";

  /** Every queued or claimed task of every project: the work in the system now (without step, input and result). */
  static final String OPEN_TASKS = "SELECT " + TaskSql.columns(false, false)
      + " FROM station_tasks WHERE " + TaskSql.open("") + " ORDER BY priority DESC, created_at, id";

  /** Every track of the projects that have an unfinished track (a project's finished tracks clear or block the rest). */
  static final String ACTIVE_PROJECT_TRACKS = """
      SELECT * FROM tracks
       WHERE project_id IN (SELECT DISTINCT project_id FROM tracks WHERE finalized_at IS NULL)
       ORDER BY created_at, id""";


  /** The latest completed station runs that an executor ran (not manual), newest first, with the line. */
  static final String RECENT_COMPLETED = """
      SELECT t.project_id, p.line, t.track_id, t.document_type, t.station_id, t.station_kind, t.capability, t.executor_id,
             t.run_no, t.created_at, t.claimed_at, t.completed_at, t.outcome
        FROM station_tasks t JOIN projects p ON p.id = t.project_id
       WHERE t.status = 'completed' AND t.completed_at IS NOT NULL AND t.capability <> 'manual' AND t.claimed_at IS NOT NULL
       ORDER BY t.completed_at DESC
       LIMIT $1""";

  /** Executor work since {@code $1}: open tasks and those that ended since, for utilisation. */
  static final String WORK_SINCE = """
      SELECT capability, executor_id, status, created_at, claimed_at, completed_at FROM station_tasks
       WHERE capability <> 'manual' AND %s""".formatted(endedOrOpen("", "$1"));

  /**
   * Open, or ended at or after {@code since}: the open tasks' index and the ended tasks' (V022,
   * V019), each arm matching one, so the read costs what it returns and not the table's history.
   */
  private static String endedOrOpen(String alias, String since) {
    return "(" + TaskSql.open(alias) + " OR " + alias + "completed_at >= " + since + ")";
  }

  /** Queued tasks of a capability that an executor takes before the given one (priority, then age). */
  static final String AHEAD_IN_QUEUE = """
      SELECT count(*) AS n FROM station_tasks q
       WHERE q.status = 'queued' AND q.capability = $1 AND q.id <> $4
         AND (q.priority > $2 OR (q.priority = $2 AND (q.created_at < $3 OR (q.created_at = $3 AND q.id < $4))))""";

  /** Open interrupts across projects (or of one), oldest first, with their track's state, line and breach. */
  static final String INBOX = """
      SELECT i.*, t.state AS track_state, p.line, b.breached_at AS sla_breached_at
        FROM interrupts i
        JOIN tracks t ON t.id = i.track_id
        JOIN projects p ON p.id = i.project_id
        LEFT JOIN sla_breaches b ON b.interrupt_id = i.id
       WHERE i.status = 'open' AND ($1::text IS NULL OR i.project_id = $1)
       ORDER BY i.created_at, i.id
       LIMIT $2""";

  /**
   * Records the breach of every open interrupt whose SLA (by type: {@code $2} types, {@code $3}
   * seconds) passed by {@code $1}; an interrupt already recorded is skipped. Returns the new ones.
   */
  static final String RECORD_BREACHES = """
      INSERT INTO sla_breaches (interrupt_id, project_id, track_id, document_type, interrupt_type, sla_seconds, opened_at,
                                breached_at, detected_at)
      SELECT i.id, i.project_id, i.track_id, i.document_type, i.type, s.seconds, i.created_at,
             i.created_at + make_interval(secs => s.seconds), $1
        FROM interrupts i JOIN unnest($2::text[], $3::int[]) AS s (type, seconds) ON s.type = i.type
       WHERE i.status = 'open' AND i.created_at + make_interval(secs => s.seconds) <= $1
       ORDER BY i.created_at, i.id
      ON CONFLICT (interrupt_id) DO NOTHING
      RETURNING *""";

  static final String BREACH_TOTALS = "SELECT interrupt_type, count(*) AS n FROM sla_breaches GROUP BY interrupt_type";

  private FlowSql() {
  }
}
