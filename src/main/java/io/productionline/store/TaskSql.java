package io.productionline.store;

/** The SQL of {@link TaskRepository}. */
final class TaskSql {

  static final String FIND = "SELECT * FROM station_tasks WHERE id = $1";

  static final String OF_TRACK = "SELECT * FROM station_tasks WHERE track_id = $1 ORDER BY run_no";

  static final String OF_PROJECT = "SELECT * FROM station_tasks WHERE project_id = $1 ORDER BY track_id, run_no";

  /**
   * Claims the best queued task for an executor: highest priority, then oldest. SKIP LOCKED lets
   * concurrent claims pass each other, so a task goes to exactly one executor. The lease token
   * carries the attempt, so a token from an earlier attempt never matches again.
   */
  static final String CLAIM = """
      UPDATE station_tasks t
         SET status = 'claimed', executor_id = $1, lease_token = t.id || '.' || t.attempt || '.' || $2,
             lease_expires_at = LEAST($3::timestamptz + make_interval(secs => $4),
                                      $3::timestamptz + make_interval(secs => t.timeout_seconds)),
             claimed_at = $3, progress = 0, progress_message = NULL
       WHERE t.id = (
             SELECT id FROM station_tasks
              WHERE status = 'queued' AND available_at <= $3 AND capability = ANY ($5)
                AND (environment = 'either' OR $6 = 'either' OR environment = $6)
              ORDER BY priority DESC, created_at, id
              LIMIT 1
              FOR UPDATE SKIP LOCKED)
      RETURNING t.*""";

  /** Compare-and-set on the lease: only the holder completes, once. */
  static final String COMPLETE = """
      UPDATE station_tasks
         SET status = 'completed', completed_at = $3, outcome = $4, result = $5, progress = 1
       WHERE id = $1 AND lease_token = $2 AND status = 'claimed'
      RETURNING *""";

  /** Progress from the holder; also renews the lease, never past the station's timeout. */
  static final String PROGRESS = """
      UPDATE station_tasks
         SET progress = COALESCE($3, progress), progress_message = COALESCE($4, progress_message),
             lease_expires_at = LEAST($5::timestamptz + make_interval(secs => $6),
                                      claimed_at + make_interval(secs => timeout_seconds))
       WHERE id = $1 AND lease_token = $2 AND status = 'claimed'
      RETURNING *""";

  /** Renews every lease an executor holds (its heartbeat). */
  static final String RENEW_EXECUTOR_LEASES = """
      UPDATE station_tasks
         SET lease_expires_at = LEAST($2::timestamptz + make_interval(secs => $3),
                                      claimed_at + make_interval(secs => timeout_seconds))
       WHERE executor_id = $1 AND status = 'claimed'
      RETURNING id, cancel_requested""";

  static final String CANCELLED_HELD_BY = """
      SELECT id FROM station_tasks WHERE executor_id = $1 AND status = 'cancelled' AND completed_at > $2""";

  /** Lost work with attempts left goes back to the queue after its backoff. */
  static final String REQUEUE_LOST = """
      UPDATE station_tasks
         SET status = 'queued', attempt = attempt + 1, executor_id = NULL, lease_token = NULL,
             lease_expires_at = NULL, claimed_at = NULL, progress = NULL, progress_message = NULL,
             available_at = $1::timestamptz + make_interval(secs =>
                 LEAST(backoff_max_ms, backoff_initial_ms * power(backoff_multiplier, attempt - 1)) / 1000.0)
       WHERE status = 'claimed' AND (lease_expires_at < $1 OR executor_id = ANY ($2)) AND attempt < max_attempts
      RETURNING id, track_id, project_id, attempt, capability, available_at""";

  /** Lost work with no attempts left: the track halts. */
  static final String EXHAUSTED = """
      SELECT id, track_id, attempt, lease_token FROM station_tasks
       WHERE status = 'claimed' AND (lease_expires_at < $1 OR executor_id = ANY ($2)) AND attempt >= max_attempts""";

  static final String DROP = """
      UPDATE station_tasks SET status = 'dropped', completed_at = $3
       WHERE id = $1 AND lease_token = $2 AND status = 'claimed'""";

  static final String HOLDERS = "SELECT DISTINCT executor_id FROM station_tasks WHERE status = 'claimed'";

  static final String QUEUE_DEPTH = """
      SELECT capability, count(*) AS n FROM station_tasks WHERE status = 'queued' GROUP BY capability""";

  static final String INSERT_LOG = """
      INSERT INTO task_logs (task_id, at, level, message, fields)
      SELECT $1, $2, x.level, x.message, x.fields
        FROM unnest($3::text[], $4::text[], $5::jsonb[]) AS x (level, message, fields)""";

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

  private TaskSql() {
  }
}
