package io.productionline.store;

/** The SQL of {@link TrackRepository}. */
final class TrackSql {

  static final String FIND = "SELECT * FROM tracks WHERE id = $1";

  static final String OF_PROJECT = "SELECT * FROM tracks WHERE project_id = $1 ORDER BY created_at, id";

  static final String PAGE_OF_PROJECT = "SELECT * FROM tracks WHERE project_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3";

  static final String INSERT = """
      INSERT INTO tracks (id, project_id, document_type, state, replaces, created_at, state_entered_at)
      VALUES ($1, $2, $3, 'queued', $4, $5, $5)""";

  /**
   * Whether the lease of epoch {@code epoch} held by node {@code node} (two SQL expressions) is
   * valid now, by the database's clock: the one test of ownership every write of a track and every
   * adoption makes.
   */
  static String leaseHeld(String node, String epoch) {
    return "EXISTS (SELECT 1 FROM node_leases l WHERE l.epoch = " + epoch + " AND l.node_id = " + node
        + " AND l.expires_at > clock_timestamp())";
  }

  /**
   * The fence of a track's write: the track ({@code $1}) is owned by node {@code $2} under epoch
   * {@code $3}, and that lease is valid. Locks the track's row until the transaction ends, so no
   * adoption (which updates the row) can come between the check and the commit. No row: the
   * caller's transaction writes nothing.
   */
  static final String FENCE = "SELECT 1 FROM tracks WHERE id = $1 AND owner_node = $2 AND owner_epoch = $3 AND "
      + leaseHeld("$2", "$3") + " FOR NO KEY UPDATE";

  /**
   * A transition in one statement, the only way a track's state changes (and only by its
   * supervisor): the track's open tasks of every station run but {@code $12} (-1: all) withdrawn, a
   * holder learning it on its next call; the compare-and-set on version, owner ({@code $11}) and
   * owner's epoch ({@code $14}), whose lease must be valid; and the project's counts by state after
   * the move ({@code counted}, for {@code line_progress}). {@code moved} is 0 when the
   * compare-and-set lost (the transaction is then rolled back, the withdrawal with it).
   */
  static final String MOVE = "WITH " + moveSteps("", "", "$14") + ",\n     " + countedStep() + """

      SELECT (SELECT count(*) FROM moved) AS moved,
             (SELECT coalesce(jsonb_object_agg(c.state, c.n), '{}'::jsonb) FROM counted c) AS counts""";

  /**
   * The project's ({@code $13}) tracks counted by state after the move, as a CTE named
   * {@code counted}: the statement's snapshot still has this track ({@code $1}) in its old state,
   * so it is counted in its new one ({@code $3}).
   */
  private static String countedStep() {
    return """
        counted AS (
               SELECT CASE WHEN id = $1 THEN $3 ELSE state END AS state, count(*) AS n
                 FROM tracks WHERE project_id = $13 GROUP BY 1)""";
  }

  /**
   * The withdrawal and compare-and-set of {@link #MOVE} (its CTEs after {@code WITH});
   * {@code withdrawAlso} and {@code gate} are added to the withdrawal's and the move's conditions;
   * {@code epoch} is the parameter that holds the owner's epoch.
   */
  private static String moveSteps(String withdrawAlso, String gate, String epoch) {
    return """
        dropped AS (
               UPDATE station_tasks SET status = 'cancelled', cancel_requested = true, completed_at = $9
                WHERE track_id = $1 AND status IN ('queued', 'claimed') AND run_no <> $12%s%s),
             moved AS (
               UPDATE tracks
                  SET state = $3, station_index = $4, remediation_count = $5, runs = $6, current_task_id = $7,
                      reason = $8, state_entered_at = $9, finalized_at = $10, version = version + 1
                WHERE id = $1 AND version = $2 AND owner_node = $11 AND owner_epoch = %s AND %s%s
               RETURNING id)""".formatted(withdrawAlso, gate, epoch, leaseHeld("$11", epoch), gate);
  }

  /**
   * The completion of a station's one task, the move it decided and the move's events, in one
   * statement that commits on its own (no BEGIN and COMMIT round trips): the task completed by
   * compare-and-set on its lease ({@code $14} id, {@code $15} lease, {@code $16} outcome, {@code $17}
   * result, {@code $18} the track's current run); the next station's task queued
   * ({@link #INSERT_TASK}'s parameters from {@code $19}, all null when the move starts no station
   * run); {@link #MOVE}'s withdrawal and compare-and-set ({@code $1}–{@code $13}, the owner's epoch
   * {@code $49}); and the events
   * appended as {@link #APPEND_EVENTS} does ({@code $40} types, {@code $41} payloads, {@code $42}
   * how many), the project's summary after the move going into the {@code $48}
   * ({@code line_progress}) event's payload as {@code summary} and {@code line_state}.
   *
   * <p>The summary (the {@code counted} step's counts) lists the states {@code $43}, with
   * {@code active} the count of the states {@code $44}; the line is {@code stopped} while a track
   * is in a state of {@code $45}, {@code complete} when every track is in one of {@code $46},
   * {@code idle} while all are {@code $47}, and {@code active} otherwise (as
   * {@link TrackRepository#summaryOf} and {@code TrackEvents.lineState} say it).
   *
   * <p>Every step but the completion waits on it: when the lease does not hold the task
   * ({@code attempt} is null) nothing changed. When the task completed but the compare-and-set
   * lost, {@code pl_stale_write} (V010) fails the statement, which undoes it whole.
   */
  static final String COMPLETE_MOVE_AND_APPEND = """
      WITH done AS (
             UPDATE station_tasks SET status = 'completed', completed_at = $9, outcome = $16, result = $17, progress = 1
              WHERE id = $14 AND lease_token = $15 AND status = 'claimed' AND track_id = $1 AND run_no = $18
             RETURNING attempt),
           queued AS (
      """ + shifted(TrackSql.INSERT_TASK, 18) + """
               AND $19::text IS NOT NULL AND EXISTS (SELECT 1 FROM done)),
           """ + moveSteps(" AND id <> $14", " AND EXISTS (SELECT 1 FROM done)", "$49") + ",\n     " + countedStep() + """
      ,
           total AS (SELECT coalesce(sum(n), 0)::int AS n FROM counted),
           progress AS (
             SELECT jsonb_object_agg(s.state, coalesce(c.n, 0))
                      || jsonb_build_object('total', total.n,
                                            'active', (SELECT coalesce(sum(n), 0)::int FROM counted WHERE state = ANY ($44))) AS summary,
                    CASE WHEN (SELECT count(*) FROM counted WHERE state = ANY ($45)) > 0 THEN 'stopped'
                         WHEN total.n > 0 AND (SELECT coalesce(sum(n), 0) FROM counted WHERE state = ANY ($46)) = total.n THEN 'complete'
                         WHEN (SELECT coalesce(sum(n), 0) FROM counted WHERE state = $47) = total.n THEN 'idle'
                         ELSE 'active' END AS line_state
               FROM unnest($43::text[]) AS s (state) LEFT JOIN counted c USING (state), total
              GROUP BY total.n),
           seq AS (UPDATE projects SET last_seq = last_seq + $42::bigint WHERE id = $13 AND EXISTS (SELECT 1 FROM moved)
                   RETURNING last_seq),
           appended AS (
             INSERT INTO track_events (project_id, track_id, seq, type, payload, created_at)
             SELECT $13, $1, seq.last_seq - $42 + x.ord, x.type,
                    CASE WHEN x.type = $48
                         THEN x.payload || jsonb_build_object('summary', progress.summary, 'line_state', progress.line_state)
                         ELSE x.payload END, $9
               FROM seq, progress, unnest($40::text[], $41::jsonb[]) WITH ORDINALITY AS x (type, payload, ord))
      SELECT (SELECT attempt FROM done) AS attempt, (SELECT last_seq FROM seq) AS last_seq, progress.summary, progress.line_state,
             CASE WHEN EXISTS (SELECT 1 FROM done) AND NOT EXISTS (SELECT 1 FROM moved)
                  THEN pl_stale_write('the track moved since the version its supervisor read, or its supervisor''s lease does not hold it') END AS stale
        FROM progress""";

  /** How many parameters {@link #INSERT_TASK} takes (one task's values). */
  static final int INSERT_TASK_PARAMS = 21;

  /** {@code sql} with every parameter {@code $n} renumbered {@code $(n + by)}. */
  private static String shifted(String sql, int by) {
    return java.util.regex.Pattern.compile("\\$(\\d+)").matcher(sql)
        .replaceAll(m -> "\\$" + (Integer.parseInt(m.group(1)) + by));
  }

  /**
   * A node ({@code $2}) takes a track ({@code $1}) under its lease's epoch ({@code $3}), which must
   * be valid: only when no node owns it, this node already owns it under this epoch, or the
   * owner's lease is no longer valid in PostgreSQL. Never because of who a node sees in the cluster.
   */
  static final String TAKE_OWNERSHIP = """
      UPDATE tracks SET owner_node = $2, owner_epoch = $3
       WHERE id = $1 AND %s
         AND (owner_node IS NULL OR (owner_node = $2 AND owner_epoch = $3) OR NOT %s)
      RETURNING *""".formatted(leaseHeld("$2", "$3"), leaseHeld("tracks.owner_node", "tracks.owner_epoch"));

  /** Graceful leave: the unfinished tracks a node ({@code $1}) owns under epoch {@code $2} are given up. */
  static final String RELEASE_ALL = """
      UPDATE tracks SET owner_node = NULL, owner_epoch = NULL
       WHERE owner_node = $1 AND owner_epoch = $2 AND finalized_at IS NULL""";

  /** Unfinished, started tracks whose owner's lease is not valid (or that no node owns): adoptable. */
  static final String ORPHANS = """
      SELECT id FROM tracks
       WHERE finalized_at IS NULL AND state <> 'queued'
         AND (owner_node IS NULL OR NOT %s)
       ORDER BY created_at""".formatted(leaseHeld("owner_node", "owner_epoch"));

  /** The node that owns a track under a valid lease; no row when none does. */
  static final String LIVE_OWNER = "SELECT owner_node FROM tracks WHERE id = $1 AND " + leaseHeld("owner_node", "owner_epoch");

  /**
   * Tracks a lost command would strand, for the reconciliation: blocked tracks (their dependencies
   * may have cleared), queued replacements of a track cancelled by qc_reject (their start may have
   * been lost), and tracks at a station ({@code $1}, the states at a station) whose current run has
   * no open task.
   */
  static final String STRANDED = """
      SELECT t.* FROM tracks t
       WHERE t.finalized_at IS NULL
         AND (t.state = 'blocked'
              OR (t.state = 'queued' AND t.replaces IS NOT NULL
                  AND EXISTS (SELECT 1 FROM tracks r WHERE r.id = t.replaces AND r.state = 'cancelled'))
              OR (t.state = ANY ($1) AND NOT EXISTS (SELECT 1 FROM station_tasks k
                                                      WHERE k.track_id = t.id AND k.run_no = t.runs AND k.status IN ('queued', 'claimed'))))
       ORDER BY t.created_at""";

  static final String SUMMARY = "SELECT state, count(*) AS n FROM tracks WHERE project_id = $1 GROUP BY state";

  /**
   * Queues a station task. A project's params {@code priority} (1–10) and {@code environment}
   * (local, server, either), when present and valid, override the line's for every task of the
   * project (build intents set them).
   */
  static final String INSERT_TASK = """
      INSERT INTO station_tasks (id, track_id, project_id, document_type, run_no, station_index, station_id,
                                 station_kind, capability, environment, priority, step, input, status, attempt,
                                 max_attempts, backoff_initial_ms, backoff_max_ms, backoff_multiplier,
                                 timeout_seconds, available_at, created_at, item)
      SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9,
             CASE WHEN p.params->>'environment' IN ('local', 'server', 'either') THEN p.params->>'environment' ELSE $10 END,
             CASE WHEN p.params->>'priority' ~ '^([1-9]|10)$' THEN (p.params->>'priority')::int ELSE $11 END,
             $12, $13, 'queued', 1, $14, $15, $16, $17, $18, $20, $19, $21
        FROM projects p WHERE p.id = $3""";

  /**
   * An operator reports the outcome of a manual station's task: it was never claimed (manual tasks
   * are never available to executors), so it completes from queued, once.
   */
  static final String COMPLETE_MANUAL = """
      UPDATE station_tasks
         SET status = 'completed', executor_id = $2, claimed_at = $3, completed_at = $3, outcome = $4, result = $5, progress = 1
       WHERE id = $1 AND status = 'queued' AND capability = 'manual'
      RETURNING *""";

  /** The server's audit of a completed task (gates, combined verdict) kept beside what the executor reported. */
  static final String ANNOTATE_TASK = """
      UPDATE station_tasks
         SET outcome = $2, result = coalesce(result, '{}'::jsonb) || jsonb_build_object('audit', $3::jsonb)
       WHERE id = $1 AND status = 'completed'""";

  static final String INSERT_INTERRUPT = """
      INSERT INTO interrupts (id, project_id, track_id, document_type, type, station_index, reason, payload, status, created_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9)""";

  static final String WITHDRAW_INTERRUPTS = """
      UPDATE interrupts SET status = 'withdrawn', resolved_at = $2, resolution = $3
       WHERE track_id = $1 AND status = 'open'
      RETURNING id""";

  /**
   * Takes the project's next {@code $6} sequence numbers and appends the events with them, in order,
   * in one statement; returns the project's new {@code last_seq}. The row lock on the project orders
   * the project's commits, and is held from here to the commit, so this is the last write of a
   * transaction.
   */
  static final String APPEND_EVENTS = """
      WITH seq AS (UPDATE projects SET last_seq = last_seq + $6::bigint WHERE id = $1 RETURNING last_seq),
           ins AS (INSERT INTO track_events (project_id, track_id, seq, type, payload, created_at)
                   SELECT $1, $2, seq.last_seq - $6 + x.ord, x.type, x.payload, $5
                     FROM seq, unnest($3::text[], $4::jsonb[]) WITH ORDINALITY AS x (type, payload, ord))
      SELECT last_seq FROM seq""";

  static final String AUDIT = "INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)";

  private TrackSql() {
  }
}
