-- The task rows' model of docs/benchmarks.md ("What a task's own row costs"): one station task's
-- three writes (queued, claimed, completed), 32 tasks a statement, in three designs.
CREATE SEQUENCE rn;
CREATE TABLE tr (id text PRIMARY KEY);
INSERT INTO tr SELECT 'trk_' || g FROM generate_series(1, 4096) g;
-- A: station_tasks as it is today (V001-V018): its columns and its nine indexes.
CREATE TABLE st_a (
 id text PRIMARY KEY, track_id text NOT NULL REFERENCES tr(id), project_id text NOT NULL, document_type text NOT NULL,
 run_no int NOT NULL, station_index int NOT NULL, station_id text NOT NULL, station_kind text NOT NULL, capability text NOT NULL,
 environment text NOT NULL DEFAULT 'either', priority int NOT NULL DEFAULT 5 CHECK (priority BETWEEN 1 AND 10), step jsonb NOT NULL, input jsonb NOT NULL DEFAULT '{}',
 status text NOT NULL, attempt int NOT NULL DEFAULT 1, max_attempts int NOT NULL, backoff_initial_ms bigint NOT NULL, backoff_max_ms bigint NOT NULL,
 backoff_multiplier double precision NOT NULL, timeout_seconds int NOT NULL, lease_token text, executor_id text, lease_expires_at timestamptz,
 available_at timestamptz NOT NULL, created_at timestamptz NOT NULL, claimed_at timestamptz, completed_at timestamptz, progress double precision,
 progress_message text, outcome text, result jsonb, cancel_requested boolean NOT NULL DEFAULT false, item int NOT NULL DEFAULT 1 CHECK (item >= 1),
 reserved_for text, reserved_until timestamptz, reserved_by text, report jsonb, reported_at timestamptz,
 UNIQUE (track_id, run_no, item));
CREATE INDEX st_a_claim_order ON st_a (capability, priority DESC, created_at, id) WHERE status = 'queued';
CREATE INDEX st_a_held ON st_a (executor_id) WHERE status = 'claimed';
CREATE INDEX st_a_cancelled_held ON st_a (executor_id, completed_at) WHERE status = 'cancelled';
CREATE INDEX st_a_project ON st_a (project_id);
CREATE INDEX st_a_open ON st_a (track_id) WHERE status IN ('queued', 'claimed');
CREATE INDEX st_a_completed ON st_a (completed_at DESC) WHERE status = 'completed';
CREATE INDEX st_a_reported ON st_a (reported_at) WHERE report IS NOT NULL AND status = 'claimed';
-- B: the same wide table with no index on a column a claim or a completion changes (fillfactor 50),
-- the queued tasks' claim order in a narrow table, the leases in another.
CREATE TABLE st_b (LIKE st_a INCLUDING DEFAULTS INCLUDING CONSTRAINTS) WITH (fillfactor = 50);
ALTER TABLE st_b ADD PRIMARY KEY (id), ADD UNIQUE (track_id, run_no, item), ADD FOREIGN KEY (track_id) REFERENCES tr(id);
CREATE INDEX st_b_project ON st_b (project_id);
CREATE TABLE queue_b (task_id text PRIMARY KEY, capability text NOT NULL, priority int NOT NULL, created_at timestamptz NOT NULL,
 available_at timestamptz NOT NULL, environment text NOT NULL) WITH (fillfactor = 70);
CREATE INDEX queue_b_claim_order ON queue_b (capability, priority DESC, created_at, task_id);
CREATE TABLE lease_b (task_id text PRIMARY KEY, executor_id text NOT NULL, lease_token text NOT NULL, lease_expires_at timestamptz NOT NULL) WITH (fillfactor = 70);
CREATE INDEX lease_b_executor ON lease_b (executor_id);
-- C: today's table without station_tasks_open and station_tasks_project (run.py runs a.sql on it).
CREATE TABLE st_c (LIKE st_a INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE st_c ADD PRIMARY KEY (id), ADD UNIQUE (track_id, run_no, item), ADD FOREIGN KEY (track_id) REFERENCES tr(id);
CREATE INDEX st_c_claim_order ON st_c (capability, priority DESC, created_at, id) WHERE status = 'queued';
CREATE INDEX st_c_held ON st_c (executor_id) WHERE status = 'claimed';
CREATE INDEX st_c_cancelled_held ON st_c (executor_id, completed_at) WHERE status = 'cancelled';
CREATE INDEX st_c_completed ON st_c (completed_at DESC) WHERE status = 'completed';
CREATE INDEX st_c_reported ON st_c (reported_at) WHERE report IS NOT NULL AND status = 'claimed';
