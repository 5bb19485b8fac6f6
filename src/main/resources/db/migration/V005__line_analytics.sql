-- Line analytics: the SLA breaches of operator interrupts (one row per interrupt, so a breach is
-- announced once however many nodes check and however often), and indexes for the flow metrics'
-- reads of recent history.

CREATE TABLE sla_breaches (
  interrupt_id   text PRIMARY KEY REFERENCES interrupts (id),
  project_id     text NOT NULL,
  track_id       text NOT NULL,
  document_type  text NOT NULL,
  interrupt_type text NOT NULL,
  sla_seconds    int NOT NULL CHECK (sla_seconds > 0),
  opened_at      timestamptz NOT NULL,
  breached_at    timestamptz NOT NULL,
  detected_at    timestamptz NOT NULL,
  CHECK (breached_at = opened_at + make_interval(secs => sla_seconds)),
  CHECK (detected_at >= breached_at)
);
CREATE INDEX sla_breaches_type ON sla_breaches (interrupt_type);

CREATE INDEX station_tasks_completed ON station_tasks (completed_at DESC) WHERE status = 'completed';
CREATE INDEX station_tasks_open_by_project ON station_tasks (project_id) WHERE status IN ('queued', 'claimed');
CREATE INDEX track_events_transitions ON track_events (project_id, created_at) WHERE type = 'station_transition';
