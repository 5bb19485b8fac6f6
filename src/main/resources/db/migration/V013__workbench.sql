-- The operator's workbench (issue 18).
--
-- A finished project can be archived: it leaves the project list (the dashboard's selector) and
-- stays readable by its id.
ALTER TABLE projects ADD COLUMN archived_at timestamptz;
ALTER TABLE projects ADD COLUMN archived_by text;

-- An operator reserves a queued task for one named executor: until reserved_until passes or the
-- reservation is released, only that executor's claim may take it (TaskSql's claim). The claim
-- clears it. No index: the claim reads these columns on the rows its queue scan already visits.
ALTER TABLE station_tasks ADD COLUMN reserved_for text;
ALTER TABLE station_tasks ADD COLUMN reserved_until timestamptz;
ALTER TABLE station_tasks ADD COLUMN reserved_by text;
ALTER TABLE station_tasks ADD CONSTRAINT station_tasks_reservation
  CHECK ((reserved_for IS NULL) = (reserved_until IS NULL));

-- What the SLA policy did when an interrupt's SLA passed: alert (nothing but the alarm),
-- escalate (acknowledged and continued) or answer (resolved with the configured default), and
-- whether it took effect (an operator may have answered first).
ALTER TABLE sla_breaches ADD COLUMN action text NOT NULL DEFAULT 'alert' CHECK (action IN ('alert', 'escalate', 'answer'));
ALTER TABLE sla_breaches ADD COLUMN action_result text;
UPDATE sla_breaches SET action_result = 'alerted';
