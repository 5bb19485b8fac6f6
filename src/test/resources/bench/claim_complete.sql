-- One station task the way the product moves it, as pgbench runs it (-M prepared): a claim
-- (one statement, FOR UPDATE SKIP LOCKED, a fresh lease), then the completion transaction: the
-- task completed by compare-and-set on its lease, the next station's task queued, the track moved
-- by compare-and-set on its version, the project's sequence taken and two events appended.
-- Two commits per task; the queue stays at 1024 tasks because each completion queues the next.
UPDATE bench_tasks t
   SET status = 'claimed', executor_id = 'pgbench', lease_token = t.id || '.' || t.attempt || '.' || md5(random()::text),
       lease_expires_at = now() + interval '60 seconds', claimed_at = now(), progress = 0
 WHERE t.id = (SELECT q.id FROM bench_tasks q
                WHERE q.status = 'queued' AND q.available_at <= now() AND q.capability = 'floor'
                ORDER BY q.priority DESC, q.created_at, q.id LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING t.id AS task_id, t.track_id AS track_id, t.project_id AS project_id, t.run_no AS run_no, t.lease_token AS lease,
          t.run_no + 1 AS next_run, t.track_id || '-' || (t.run_no + 1) AS next_id
\gset
BEGIN;
UPDATE bench_tasks SET status = 'completed', completed_at = now(), outcome = 'stabilized', result = '{}', progress = 1
 WHERE id = :task_id AND lease_token = :lease AND status = 'claimed';
INSERT INTO bench_tasks (id, track_id, project_id, document_type, run_no, station_index, station_id, station_kind, capability,
                         environment, priority, step, input, status, attempt, max_attempts, backoff_initial_ms, backoff_max_ms,
                         backoff_multiplier, timeout_seconds, available_at, created_at, item)
VALUES (:next_id, :track_id, :project_id, 'd01', :next_run, 1, 'asm', 'assemble', 'floor', 'either', 5,
        '{"type": "sim", "trust": "vetted", "params": {}}', '{}', 'queued', 1, 3, 1000, 60000, 2.0, 600, now(), now(), 1);
UPDATE bench_tracks
   SET station_index = station_index + 1, runs = runs + 1, current_task_id = :next_id, state_entered_at = now(), version = version + 1
 WHERE id = :track_id;
UPDATE bench_projects SET last_seq = last_seq + 2 WHERE id = :project_id RETURNING last_seq AS seq
\gset
INSERT INTO bench_events (project_id, track_id, seq, type, payload, created_at)
VALUES (:project_id, :track_id, :seq - 1, 'station_transition', '{"state": "assembling"}', now()),
       (:project_id, :track_id, :seq, 'line_progress', '{"summary": {}}', now());
COMMIT;
