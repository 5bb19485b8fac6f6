-- The pgbench floor's tables: copies of the product's (columns, defaults, CHECKs and indexes,
-- the partial claim index included), so a claim and a completion cost what the product's do.
DROP TABLE IF EXISTS bench_events, bench_tasks, bench_tracks, bench_projects;
CREATE TABLE bench_projects (LIKE projects INCLUDING ALL);
CREATE TABLE bench_tracks (LIKE tracks INCLUDING ALL);
CREATE TABLE bench_tasks (LIKE station_tasks INCLUDING ALL);
CREATE TABLE bench_events (LIKE track_events INCLUDING ALL);

INSERT INTO bench_projects (id, line, line_definition, created_at)
SELECT 'fp' || g, 'floor', '{}', now() FROM generate_series(1, 128) g;

INSERT INTO bench_tracks (id, project_id, document_type, state, station_index, runs, current_task_id, created_at, state_entered_at)
SELECT 'ft' || g, 'fp' || (g % 128 + 1), 'd01', 'assembling', 0, 1, 'ft' || g || '-1', now(), now()
  FROM generate_series(1, 1024) g;

INSERT INTO bench_tasks (id, track_id, project_id, document_type, run_no, station_index, station_id, station_kind, capability,
                         environment, priority, step, input, status, attempt, max_attempts, backoff_initial_ms, backoff_max_ms,
                         backoff_multiplier, timeout_seconds, available_at, created_at, item)
SELECT 'ft' || g || '-1', 'ft' || g, 'fp' || (g % 128 + 1), 'd01', 1, 0, 'bind', 'bind', 'floor', 'either', 5,
       '{"type": "sim", "trust": "vetted", "params": {}}', '{}', 'queued', 1, 3, 1000, 60000, 2.0, 600, now(), now(), 1
  FROM generate_series(1, 1024) g;
ANALYZE bench_projects;
ANALYZE bench_tracks;
ANALYZE bench_tasks;
