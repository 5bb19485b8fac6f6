-- An operator's release of a claimed task (issue 18, item 6): one row per released claim. The
-- executor that held the task learns it on its next heartbeat (cancel_tasks and released_tasks),
-- and a call with the released lease token is refused naming the release. Written in the release's
-- own statement (RunRepository.RELEASE); station_tasks, the line's hot table, gets no column.
CREATE TABLE task_releases (
  task_id     text NOT NULL,
  lease_token text NOT NULL,
  executor_id text NOT NULL,
  attempt     integer NOT NULL,
  released_at timestamptz NOT NULL,
  released_by text NOT NULL,
  reason      text,
  PRIMARY KEY (task_id, lease_token)
);
CREATE INDEX task_releases_executor ON task_releases (executor_id, released_at);

-- When the SLA policy took (or tried) its action on a breach (escalate, answer): the operator
-- inbox lists the latest of them (sla_actions) beside what still waits.
ALTER TABLE sla_breaches ADD COLUMN acted_at timestamptz;
CREATE INDEX sla_breaches_acted ON sla_breaches (acted_at DESC) WHERE acted_at IS NOT NULL;
