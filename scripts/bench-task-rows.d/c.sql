-- C: as A, without the indexes of open tasks by track and of tasks by project.
\set c random(1, 1000000000)
INSERT INTO st_c (id, track_id, project_id, document_type, run_no, station_index, station_id, station_kind, capability, step, status, max_attempts,
  backoff_initial_ms, backoff_max_ms, backoff_multiplier, timeout_seconds, available_at, created_at, item)
SELECT 'task_' || :c || '_' || g || '_' || :client_id, 'trk_' || (1 + (:c + g) % 4096), 'prj_' || ((:c + g) % 512), 'd07', nextval('rn'), 3, 'asm3', 'assemble', 'cap',
  '{"type": "shell", "command": "true", "timeout_seconds": 60, "capability": "cap", "inputs": ["a", "b"]}'::jsonb, 'queued', 3, 1000, 60000, 2.0, 60, now(), now(), 1
FROM generate_series(1, 32) g;
WITH c AS (UPDATE st_c t SET status = 'claimed', executor_id = 'x' || :client_id, lease_token = t.id || '.1.' || md5(t.id), lease_expires_at = now() + interval '60 s',
  claimed_at = now(), progress = 0
 WHERE t.id = ANY (ARRAY (SELECT q.id FROM st_c q WHERE q.status = 'queued' AND q.capability = 'cap' AND q.available_at <= now()
   ORDER BY q.priority DESC, q.created_at, q.id LIMIT 32 FOR UPDATE SKIP LOCKED)) RETURNING t.id)
SELECT coalesce(string_agg(quote_literal(id), ','), 'NULL') AS ids FROM c \gset
UPDATE st_c SET status = 'completed', outcome = 'stabilized', result = '{"ok": true}', completed_at = now(), progress = 1
 WHERE id IN (:ids) AND status = 'claimed';
