package io.productionline.store;

/** The SQL of {@link TaskRepository}. */
final class TaskSql {

  static final String FIND = "SELECT * FROM station_tasks WHERE id = $1";

  static final String OF_TRACK = "SELECT * FROM station_tasks WHERE track_id = $1 ORDER BY run_no";

  /** The tasks of one station run of a track (one per work item), by the unique (track_id, run_no, item) index. */
  /** The latest completed task of a track's station ({@code $2}, its id): whose result a fan-out reads. */
  static final String LATEST_COMPLETED_AT = """
      SELECT * FROM station_tasks WHERE track_id = $1 AND station_id = $2 AND status = 'completed'
       ORDER BY run_no DESC, item LIMIT 1""";

  static final String OF_RUN = "SELECT * FROM station_tasks WHERE track_id = $1 AND run_no = $2 ORDER BY item";

  static final String OF_PROJECT = "SELECT * FROM station_tasks WHERE " + ofProject("", "$1") + " ORDER BY track_id, run_no";

  /**
   * A task of the project {@code param}, found by its project's tracks: by {@code tracks_project}
   * and the unique (track_id, run_no, item) index. station_tasks has no index by project (V024):
   * each task's three writes went into it, for reads that its tracks serve as well. Every task has
   * its track, and a track's tasks are of its project. An array, not {@code IN}, so that it stays
   * an index condition inside an {@code OR} (a filter that may be null).
   */
  static String ofProject(String alias, String param) {
    return alias + "track_id = ANY (ARRAY(SELECT id FROM tracks WHERE project_id = " + param + "))";
  }

  /**
   * A task's columns without its step (read as NULL), and with or without its input and reported
   * result: decoding those JSON documents is most of the cost of reading a task, and many readers
   * never look at them.
   */
  static String columns(boolean input, boolean result) {
    return columns("", input, result);
  }

  /** The same, each column qualified with {@code alias} (for a join). */
  static String columns(String alias, boolean input, boolean result) {
    String a = alias.isEmpty() ? "" : alias + ".";
    return COLUMNS.stream().map(c -> switch (c) {
      case "step" -> "NULL::jsonb AS step";
      case "input" -> input ? a + c : "NULL::jsonb AS input";
      case "result" -> result ? a + c : "NULL::jsonb AS result";
      default -> a + c;
    }).collect(java.util.stream.Collectors.joining(", "));
  }

  private static final java.util.List<String> COLUMNS = java.util.List.of("id", "track_id", "project_id", "document_type",
      "run_no", "station_index", "station_id", "station_kind", "capability", "environment", "priority", "step", "input", "status",
      "attempt", "max_attempts", "timeout_seconds", "lease_token", "executor_id", "lease_expires_at", "available_at", "created_at",
      "claimed_at", "completed_at", "progress", "progress_message", "outcome", "result", "cancel_requested");

  /** What the line view shows of a task: everything but the step and the reported result (decoding them dominated the view of a large project). */
  private static final String VIEW_COLUMNS = columns(true, false);

  /** A task as a call of its holder checks it (lease, holder, state): none of its documents. */
  static final String FIND_FOR_HOLDER = "SELECT " + columns(false, false) + " FROM station_tasks WHERE id = $1";

  /** {@link #FIND_FOR_HOLDER} of several tasks at once (a batch of completions). */
  static final String FIND_FOR_HOLDERS = "SELECT " + columns(false, false) + " FROM station_tasks WHERE id = ANY ($1)";

  static final String VIEW_OF_PROJECT = "SELECT " + VIEW_COLUMNS + " FROM station_tasks WHERE " + ofProject("", "$1") + " ORDER BY track_id, run_no";

  static final String VIEW_OF_TRACKS = "SELECT " + VIEW_COLUMNS + " FROM station_tasks WHERE track_id = ANY ($1) ORDER BY track_id, run_no";

  /**
   * Claims the best queued tasks for an executor, up to {@code $8} of them: highest priority, then
   * oldest. SKIP LOCKED lets concurrent claims pass each other, so a task goes to exactly one
   * executor. The lease token carries the attempt, so a token from an earlier attempt never matches
   * again; its secret is the claim's ({@code $2}) hashed with the task's id, so each task of a
   * batch has a secret of its own. A task an operator reserved for another executor ({@code reserved_for})
   * is passed over until its reservation runs out; the claim clears the reservation. The rows the
   * subquery locked are updated by their {@code ctid}: locked, no other transaction can move them, so
   * the update does not look each up again by primary key (one index scan a task fewer; the buffers
   * it saves are within the bench's run-to-run noise, docs/benchmarks.md).
   */
  static final String CLAIM = claim("= ANY ($5)");

  /**
   * {@link #CLAIM} for an executor of one capability ({@code $5}, a text): the capability is an
   * equality, so the {@code station_tasks_claim_order} index yields the queue in claim order and
   * the scan stops at the first tasks not locked by another claim, however deep the queue.
   */
  static final String CLAIM_ONE = claim("= $5");

  /**
   * {@link #CLAIM} of one task for an executor of any line ({@code $1} to {@code $6}): with no line
   * to filter by and its limit written in, the plan PostgreSQL makes for any values costs what the
   * plan for given ones does, so each connection plans it once and keeps it. Planned at every call,
   * a single-task claim spent 0.375 ms planning against 0.10 executing, and a task's pick-up by a
   * waiting executor waited for it (docs/benchmarks.md, "One task's claim planned once").
   */
  static final String CLAIM_NEXT = claim("= ANY ($5)", false);

  /** {@link #CLAIM_NEXT} for an executor of one capability ({@code $5}, a text), as {@link #CLAIM_ONE}. */
  static final String CLAIM_ONE_NEXT = claim("= $5", false);

  private static String claim(String capability) {
    return claim(capability, true);
  }

  /**
   * The claim statement, the queued task's capability matched by {@code capability} ({@code $5});
   * {@code general}: limited to the line {@code $7} (when not null) and to {@code $8} tasks, else
   * to one task of any line.
   */
  private static String claim(String capability, boolean general) {
    String line = general ? "\n          AND ($7::text IS NULL OR EXISTS (SELECT 1 FROM projects p WHERE p.id = q.project_id AND p.line = $7))" : "";
    return """
        UPDATE station_tasks t
           SET status = 'claimed', executor_id = $1,
               lease_token = t.id || '.' || t.attempt || '.' || encode(sha256(convert_to($2 || t.id, 'UTF8')), 'hex'),
               lease_expires_at = LEAST($3::timestamptz + make_interval(secs => $4),
                                        $3::timestamptz + make_interval(secs => t.timeout_seconds)),
               claimed_at = $3, progress = 0, progress_message = NULL,
               reserved_for = NULL, reserved_until = NULL, reserved_by = NULL
         WHERE t.ctid = ANY (ARRAY (
               SELECT q.ctid FROM station_tasks q
                WHERE q.status = 'queued' AND q.capability %s AND q.available_at <= $3
                  AND (q.reserved_for IS NULL OR q.reserved_for = $1 OR q.reserved_until <= $3)
                  AND (q.environment = 'either' OR $6 = 'either' OR q.environment = $6)%s
                ORDER BY q.priority DESC, q.created_at, q.id
                LIMIT %s
                FOR UPDATE SKIP LOCKED))
        RETURNING t.*""".formatted(capability, line, general ? "$8" : "1");
  }

  /**
   * What a hand-back sets (the holder's own release, a leave, a claim whose reply never arrived):
   * queued again, same attempt, no holder or lease or progress; available from the value that
   * follows it.
   */
  private static final String HANDED_BACK = """

         SET status = 'queued', executor_id = NULL, lease_token = NULL, lease_expires_at = NULL, claimed_at = NULL,
             progress = NULL, progress_message = NULL, available_at =\s""";

  /**
   * An open task (queued or claimed), as a read of every open task (of no one track) says it: the
   * predicate of the index {@code station_tasks_open} (V022), so that such a read can use that
   * index. Every task has its track; {@code track_id IS NOT NULL} is there so that the claim, which
   * asks for queued tasks of no one track, cannot take that index for its own (it read every open
   * task for each claim after an ANALYZE that saw none open; docs/benchmarks.md). A read of some
   * tracks' open tasks names them, which implies it. The statuses are {@link TaskStatus#open()}'s.
   */
  static String open(String alias) {
    String statuses = java.util.Arrays.stream(TaskStatus.values()).filter(TaskStatus::open).map(st -> "'" + st.wire() + "'")
        .collect(java.util.stream.Collectors.joining(", "));
    return "(" + alias + "status IN (" + statuses + ") AND " + alias + "track_id IS NOT NULL)";
  }

  /**
   * A held task, as a read of every held task (of no one executor) says it: the predicate of the
   * index {@code station_tasks_held} (V021), so that such a read can use that index. A claimed task
   * always has its executor; {@code executor_id IS NOT NULL} is there so that a statement naming
   * one task by its id and status cannot take that index for its own (it read every held task for
   * each task after an ANALYZE that saw none held; docs/benchmarks.md).
   */
  static String held(String alias) {
    return alias + "status = 'claimed' AND " + alias + "executor_id IS NOT NULL";
  }

  /**
   * A claimed task whose work is still in its executor's hands: not one whose executor's report is
   * stored for its track ({@link #STORE_REPORT}). Only such a task can be lost, handed back or have
   * its lease ended: a stored report is finished work, waiting for a node to own the track.
   */
  private static final String OUT_AT_WORK = held("") + " AND report IS NULL";

  /**
   * The holder hands a task back (graceful stop): queued again at once, same attempt; the lease
   * token it held is void, since the next claim draws a new one.
   */
  static final String RELEASE = "UPDATE station_tasks" + HANDED_BACK + "$3" + """

       WHERE id = $1 AND lease_token = $2 AND status = 'claimed'
      RETURNING *""";

  /** An executor that leaves hands back every task it still holds: queued again now, same attempt. */
  static final String RELEASE_HELD_BY = "UPDATE station_tasks" + HANDED_BACK + "$2" + """

       WHERE executor_id = $1 AND %s
      RETURNING id""".formatted(OUT_AT_WORK);

  /** Progress from the holder; also renews the lease, never past the station's timeout. */
  static final String PROGRESS = """
      UPDATE station_tasks
         SET progress = COALESCE($3, progress), progress_message = COALESCE($4, progress_message),
             lease_expires_at = LEAST($5::timestamptz + make_interval(secs => $6),
                                      claimed_at + make_interval(secs => timeout_seconds))
       WHERE id = $1 AND lease_token = $2 AND status = 'claimed'
      RETURNING *""";

  /** Renews every lease an executor holds (its heartbeat); a lease that already ran out stays out, for the sweeper. */
  static final String RENEW_EXECUTOR_LEASES = """
      UPDATE station_tasks
         SET lease_expires_at = LEAST($2::timestamptz + make_interval(secs => $3),
                                      claimed_at + make_interval(secs => timeout_seconds))
       WHERE executor_id = $1 AND status = 'claimed' AND lease_expires_at >= $2::timestamptz
         AND ($4::text[] IS NULL OR id = ANY($4::text[]))
      RETURNING id, cancel_requested""";

  /**
   * The tasks an executor holds that its heartbeat says it does not have, claimed more than $4
   * seconds ago (a claim's reply may still be on its way): a claim whose reply never reached it
   * (its node died as it answered). Queued again now, same attempt. Not a task whose lease was
   * renewed since its claim ($5: the lease seconds a claim gives): a heartbeat or progress that
   * named it proves the executor had it, and this heartbeat is then an older one that arrived late
   * (it waited out a stalled node in its socket).
   */
  static final String RELEASE_NOT_IN_HAND = "UPDATE station_tasks" + HANDED_BACK + "$2" + """

       WHERE executor_id = $1 AND %s
         AND NOT (id = ANY($3::text[]))
         AND claimed_at < $2::timestamptz - make_interval(secs => $4)
         AND lease_expires_at <= claimed_at + make_interval(secs => $5)
      RETURNING id""".formatted(OUT_AT_WORK);

  /**
   * A registration starts a new run of an executor: the leases its earlier run still holds (it was
   * killed, or its node was) run out now, so the sweeper hands that work back instead of the new
   * run's heartbeats keeping it claimed until the station's timeout. Except the tasks the
   * registration says it has in hand ($3; null: none): an executor that registers again because
   * Redis forgot it is the same run, its work still running.
   */
  static final String EXPIRE_EXECUTOR_LEASES = """
      UPDATE station_tasks SET lease_expires_at = $2
       WHERE executor_id = $1 AND lease_expires_at > $2 AND NOT (id = ANY(COALESCE($3::text[], '{}')))
         AND %s""".formatted(OUT_AT_WORK);

  static final String CANCELLED_HELD_BY = """
      SELECT id, false AS released FROM station_tasks WHERE executor_id = $1 AND status = 'cancelled' AND completed_at > $2
      UNION ALL
      SELECT r.task_id, true FROM task_releases r
       WHERE r.executor_id = $1 AND r.released_at > $2
         AND NOT EXISTS (SELECT 1 FROM station_tasks t WHERE t.id = r.task_id AND t.executor_id = $1 AND t.status = 'claimed')""";

  /**
   * The executor's completion of a task its track's node could not take yet (the owner is gone and its
   * lease still holds): the report is kept with the task, so the work is not lost and the executor is
   * free; the reconciliation hands it to the track once a node owns it ({@link #STORED_REPORTS}).
   */
  static final String STORE_REPORT = """
      UPDATE station_tasks SET report = $3, reported_at = $4
       WHERE id = $1 AND lease_token = $2 AND status = 'claimed'
      RETURNING id""";

  /** The stored reports waiting for their tracks, oldest first. */
  static final String STORED_REPORTS = """
      SELECT id, track_id, report FROM station_tasks
       WHERE report IS NOT NULL AND status = 'claimed' ORDER BY reported_at LIMIT $1""";

  /** A stored report its track refused (the track moved on without it): the task is at work again, for the sweep to rescue. */
  static final String DROP_REPORT = """
      UPDATE station_tasks SET report = NULL, reported_at = NULL WHERE id = $1 AND status = 'claimed'""";

  /**
   * Lost work with attempts left goes back to the queue after its backoff. The lost tasks are found
   * once ({@code MATERIALIZED}) and then updated by id: as a subquery joined to the tasks at work,
   * the planner, whose statistics counted one task at work, read every task at work again for each
   * one (2,000 at work: 4 million rows, 1.5 s a sweep, every second; {@code HeldTaskPlanTest}).
   */
  static final String REQUEUE_LOST = """
      WITH lost AS MATERIALIZED (
        SELECT id, executor_id FROM station_tasks
         WHERE (lease_expires_at < $1 OR executor_id = ANY ($2)) AND attempt < max_attempts AND %s
         FOR UPDATE)
      UPDATE station_tasks s
         SET status = 'queued', attempt = s.attempt + 1, executor_id = NULL, lease_token = NULL,
             lease_expires_at = NULL, claimed_at = NULL, progress = NULL, progress_message = NULL,
             available_at = $1::timestamptz + make_interval(secs =>
                 LEAST(s.backoff_max_ms, s.backoff_initial_ms * power(s.backoff_multiplier, s.attempt - 1)) / 1000.0)
        FROM lost
       WHERE s.id = lost.id AND s.status = 'claimed'
      RETURNING s.id, s.track_id, s.project_id, s.attempt, s.capability, s.available_at, lost.executor_id AS lost_by""".formatted(OUT_AT_WORK);

  /** Lost work with no attempts left: the track halts. */
  static final String EXHAUSTED = """
      SELECT id, track_id, project_id, attempt, lease_token, executor_id, NOT (executor_id = ANY ($2)) AS lease_ran_out
        FROM station_tasks
       WHERE (lease_expires_at < $1 OR executor_id = ANY ($2)) AND attempt >= max_attempts AND %s""".formatted(OUT_AT_WORK);

  static final String DROP = """
      UPDATE station_tasks SET status = 'dropped', completed_at = $3
       WHERE id = $1 AND lease_token = $2 AND status = 'claimed'""";

  static final String HOLDERS = "SELECT DISTINCT executor_id FROM station_tasks WHERE " + held("");

  /**
   * The rescue sweep's reads of the tasks at work ({@link #HOLDERS}, {@link #REQUEUE_LOST},
   * {@link #EXHAUSTED}) go through the index of held tasks entry by entry, in the transaction this
   * is run in, not as a bitmap. Every claim adds an entry to that index and every completion leaves
   * one behind, pointing at a task no longer held, until a vacuum removes it. A bitmap scan reads the
   * task of every such entry at every sweep, so a sweep that found nothing read the rows of every task
   * completed since the last vacuum: 146,000 of them and 100–160 ms for each of the three reads, every
   * 2 s, a tenth of the machine on a busy line. An index scan marks each such entry dead in the index
   * the first time it reads its task, and later sweeps step over it without reading the row: 0.3 ms
   * (docs/benchmarks.md, "A sweep that read every task completed since the last vacuum"). Sequential
   * scans are off too: statistics taken while most of a young table was at work would otherwise make
   * one the cheaper plan, and it reads every task.
   */
  static final String BY_INDEX = "SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off";

  /**
   * The queue's depth by capability, run after {@link #BY_INDEX}: it reads the index of queued tasks
   * ({@code station_tasks_claim_order}). Planned alone with statistics taken while much of a young
   * table was queued, it read every task the line ever had, in parallel: 240-490 ms of three
   * processes for each count on the bench's line, once a second while a line view was open
   * (docs/benchmarks.md, "The queue's depth read from the queue").
   */
  static final String QUEUE_DEPTH = """
      SELECT capability, count(*) AS n FROM station_tasks WHERE status = 'queued' GROUP BY capability""";

  /** Appends log lines in the given order; returns their ids. */
  static final String INSERT_LOG = """
      INSERT INTO task_logs (task_id, at, level, message, fields)
      SELECT $1, $2, x.level, x.message, x.fields
        FROM unnest($3::text[], $4::text[], $5::jsonb[]) WITH ORDINALITY AS x (level, message, fields, ord)
       ORDER BY x.ord
      RETURNING id""";

  static final String LOGS = "SELECT * FROM task_logs WHERE task_id = $1 AND id > $2 ORDER BY id LIMIT $3";

  static final String UPSERT_ARTIFACT = """
      INSERT INTO artifacts (task_id, track_id, project_id, name, kind, content_type, content, url, size_bytes, created_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
      ON CONFLICT (task_id, name) DO UPDATE
         SET kind = EXCLUDED.kind, content_type = EXCLUDED.content_type, content = EXCLUDED.content,
             url = EXCLUDED.url, size_bytes = EXCLUDED.size_bytes, created_at = EXCLUDED.created_at""";

  static final String ARTIFACTS_OF_TRACK = """
      SELECT a.*, t.station_id, t.run_no FROM artifacts a JOIN station_tasks t ON t.id = a.task_id
       WHERE a.track_id = $1 ORDER BY a.id""";

  static final String ARTIFACTS_OF_TASK = "SELECT * FROM artifacts WHERE task_id = $1 ORDER BY id";

  // --- build intents (projects on the assembly line) ----------------------------------------------

  /** The task of an intent that an executor holds now. */
  static final String HELD_IN_PROJECT = """
      SELECT * FROM station_tasks WHERE project_id = $1 AND executor_id = $2 AND status = 'claimed'
       ORDER BY run_no DESC LIMIT 1""";

  /** The last task of an intent that an executor held, whatever became of it. */
  static final String LAST_HELD_IN_PROJECT = """
      SELECT * FROM station_tasks WHERE %s AND executor_id = $2 ORDER BY run_no DESC LIMIT 1""".formatted(ofProject("", "$1"));

  /** Intents of a line by where they stand: waiting for an executor, at an executor, done, stopped. */
  static final String INTENT_COUNTS = """
      SELECT count(*) AS total,
             count(*) FILTER (WHERE c.status = 'queued') AS waiting,
             count(*) FILTER (WHERE c.status = 'claimed') AS at_executor,
             count(*) FILTER (WHERE t.state = 'queued') AS not_started,
             count(*) FILTER (WHERE t.state = 'stabilized') AS stabilized,
             count(*) FILTER (WHERE t.state IN ('halted', 'awaiting_operator')) AS stopped,
             count(*) FILTER (WHERE t.state IN ('escalated', 'cancelled')) AS closed
        FROM projects p JOIN tracks t ON t.project_id = p.id
        LEFT JOIN station_tasks c ON c.id = t.current_task_id
       WHERE p.line = $1""";

  /** Mean claim-to-completion time of the last 50 completed tasks of a capability, in seconds. */
  static final String RECENT_STATION_SECONDS = """
      SELECT avg(extract(epoch FROM x.completed_at - x.claimed_at)) AS seconds, count(*) AS n
        FROM (SELECT completed_at, claimed_at FROM station_tasks
               WHERE capability = $1 AND status = 'completed' AND completed_at IS NOT NULL AND claimed_at IS NOT NULL
               ORDER BY completed_at DESC LIMIT 50) x""";

  /** Open tasks of a capability that come before a project's: claimed ones, and queued ones of at least its priority. */
  static final String AHEAD_OF = """
      SELECT count(*) AS n FROM station_tasks
       WHERE capability = $1 AND project_id <> $3
         AND ((%s) OR (status = 'queued' AND priority >= $2))""".formatted(held(""));

  private TaskSql() {
  }
}
