-- B: the narrow queue and lease tables; the wide row updated in place (HOT) twice.
\set c random(1, 1000000000)
WITH t AS (INSERT INTO st_b (id, track_id, project_id, document_type, run_no, station_index, station_id, station_kind, capability, step, status, max_attempts,
  backoff_initial_ms, backoff_max_ms, backoff_multiplier, timeout_seconds, available_at, created_at, item)
SELECT 'task_' || :c || '_' || g || '_' || :client_id, 'trk_' || (1 + (:c + g) % 4096), 'prj_' || ((:c + g) % 512), 'd07', nextval('rn'), 3, 'asm3', 'assemble', 'cap',
  '{"type": "shell", "command": "true", "timeout_seconds": 60, "capability": "cap", "inputs": ["a", "b"]}'::jsonb, 'queued', 3, 1000, 60000, 2.0, 60, now(), now(), 1
FROM generate_series(1, 32) g RETURNING id, capability, priority, created_at, available_at, environment)
INSERT INTO queue_b SELECT * FROM t;
WITH q AS (DELETE FROM queue_b WHERE task_id = ANY (ARRAY (SELECT q.task_id FROM queue_b q WHERE q.capability = 'cap' AND q.available_at <= now()
   ORDER BY q.priority DESC, q.created_at, q.task_id LIMIT 32 FOR UPDATE SKIP LOCKED)) RETURNING task_id),
 c AS (UPDATE st_b t SET status = 'claimed', executor_id = 'x' || :client_id, lease_token = t.id || '.1.' || md5(t.id), lease_expires_at = now() + interval '60 s',
  claimed_at = now(), progress = 0 FROM q WHERE t.id = q.task_id RETURNING t.id, t.executor_id, t.lease_token, t.lease_expires_at),
 l AS (INSERT INTO lease_b SELECT * FROM c)
SELECT coalesce(string_agg(quote_literal(id), ','), 'NULL') AS ids FROM c \gset
WITH d AS (DELETE FROM lease_b WHERE task_id IN (:ids) RETURNING task_id)
UPDATE st_b SET status = 'completed', outcome = 'stabilized', result = '{"ok": true}', completed_at = now(), progress = 1 FROM d WHERE st_b.id = d.task_id;
