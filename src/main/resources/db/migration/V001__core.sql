-- Production Line core schema: projects, tracks, the append-only history, station tasks,
-- interrupts and the audit log. Terminal track states are tied to finalized_at.

CREATE TABLE projects (
  id              text PRIMARY KEY,
  line            text NOT NULL,
  line_definition jsonb NOT NULL,
  params          jsonb NOT NULL DEFAULT '{}',
  idempotency_key text UNIQUE,
  created_by      text,
  created_at      timestamptz NOT NULL,
  last_seq        bigint NOT NULL DEFAULT 0
);

CREATE TABLE tracks (
  id                text PRIMARY KEY,
  project_id        text NOT NULL REFERENCES projects (id),
  document_type     text NOT NULL,
  state             text NOT NULL CHECK (state IN ('queued', 'blocked', 'binding', 'assembling', 'auditing',
                      'remediating', 'awaiting_operator', 'stabilized', 'halted', 'escalated', 'cancelled')),
  station_index     int NOT NULL DEFAULT 0 CHECK (station_index >= 0),
  remediation_count int NOT NULL DEFAULT 0 CHECK (remediation_count >= 0),
  runs              int NOT NULL DEFAULT 0,
  current_task_id   text,
  reason            text,
  version           bigint NOT NULL DEFAULT 0,
  owner_node        text,
  replaces          text REFERENCES tracks (id),
  created_at        timestamptz NOT NULL,
  state_entered_at  timestamptz NOT NULL,
  finalized_at      timestamptz,
  CHECK ((state IN ('stabilized', 'escalated', 'cancelled')) = (finalized_at IS NOT NULL))
);
CREATE INDEX tracks_project ON tracks (project_id);
CREATE INDEX tracks_unfinished ON tracks (owner_node) WHERE finalized_at IS NULL;

-- Every event of a line. seq counts a project's events 1, 2, 3, … with no hole: it is taken from
-- projects.last_seq under that row's lock, so seq order is commit order within a project and a
-- reader that sees seq n knows 1 … n-1 are committed. SSE replay (Last-Event-ID) reads these rows.
CREATE TABLE track_events (
  id         bigserial PRIMARY KEY,
  seq        bigint NOT NULL,
  project_id text NOT NULL,
  track_id   text,
  type       text NOT NULL,
  payload    jsonb NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX track_events_project_seq ON track_events (project_id, seq);

-- One row per station run (track_id, run_no). A lost task is queued again on the same row with
-- attempt + 1, so a station run completes at most once.
CREATE TABLE station_tasks (
  id                 text PRIMARY KEY,
  track_id           text NOT NULL REFERENCES tracks (id),
  project_id         text NOT NULL,
  document_type      text NOT NULL,
  run_no             int NOT NULL,
  station_index      int NOT NULL,
  station_id         text NOT NULL,
  station_kind       text NOT NULL,
  capability         text NOT NULL,
  environment        text NOT NULL DEFAULT 'either' CHECK (environment IN ('local', 'server', 'either')),
  priority           int NOT NULL DEFAULT 5 CHECK (priority BETWEEN 1 AND 10),
  step               jsonb NOT NULL,
  input              jsonb NOT NULL DEFAULT '{}',
  status             text NOT NULL CHECK (status IN ('queued', 'claimed', 'completed', 'cancelled', 'dropped')),
  attempt            int NOT NULL DEFAULT 1,
  max_attempts       int NOT NULL,
  backoff_initial_ms bigint NOT NULL,
  backoff_max_ms     bigint NOT NULL,
  backoff_multiplier double precision NOT NULL,
  timeout_seconds    int NOT NULL,
  lease_token        text,
  executor_id        text,
  lease_expires_at   timestamptz,
  available_at       timestamptz NOT NULL,
  created_at         timestamptz NOT NULL,
  claimed_at         timestamptz,
  completed_at       timestamptz,
  progress           double precision,
  progress_message   text,
  outcome            text,
  result             jsonb,
  cancel_requested   boolean NOT NULL DEFAULT false,
  UNIQUE (track_id, run_no),
  CHECK ((status = 'claimed') = (lease_token IS NOT NULL AND executor_id IS NOT NULL AND lease_expires_at IS NOT NULL) OR status <> 'claimed')
);
CREATE INDEX station_tasks_claimable ON station_tasks (capability, priority DESC, available_at, created_at) WHERE status = 'queued';
CREATE INDEX station_tasks_leases ON station_tasks (lease_expires_at) WHERE status = 'claimed';
CREATE INDEX station_tasks_track ON station_tasks (track_id);

CREATE TABLE interrupts (
  id            text PRIMARY KEY,
  project_id    text NOT NULL,
  track_id      text NOT NULL REFERENCES tracks (id),
  document_type text NOT NULL,
  type          text NOT NULL CHECK (type IN ('clarification', 'audit_review', 'constraint_conflict', 'approval')),
  station_index int NOT NULL,
  reason        text,
  payload       jsonb NOT NULL DEFAULT '{}',
  status        text NOT NULL CHECK (status IN ('open', 'resolved', 'escalated', 'withdrawn')),
  created_at    timestamptz NOT NULL,
  resolved_at   timestamptz,
  resolved_by   text,
  resolution    jsonb,
  CHECK ((status = 'open') = (resolved_at IS NULL))
);
CREATE UNIQUE INDEX interrupts_one_open_per_track ON interrupts (track_id) WHERE status = 'open';
CREATE INDEX interrupts_project ON interrupts (project_id, status);

CREATE TABLE audit_log (
  id     bigserial PRIMARY KEY,
  at     timestamptz NOT NULL,
  actor  text NOT NULL,
  action text NOT NULL,
  target text,
  detail jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE task_logs (
  id      bigserial PRIMARY KEY,
  task_id text NOT NULL REFERENCES station_tasks (id),
  at      timestamptz NOT NULL,
  level   text NOT NULL,
  message text NOT NULL,
  fields  jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX task_logs_task ON task_logs (task_id, id);

CREATE TABLE artifacts (
  id           bigserial PRIMARY KEY,
  task_id      text NOT NULL REFERENCES station_tasks (id),
  track_id     text NOT NULL,
  project_id   text NOT NULL,
  name         text NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('text', 'json', 'file', 'url')),
  content_type text,
  content      text,
  url          text,
  size_bytes   int NOT NULL,
  created_at   timestamptz NOT NULL,
  UNIQUE (task_id, name)
);
CREATE INDEX artifacts_track ON artifacts (track_id);
