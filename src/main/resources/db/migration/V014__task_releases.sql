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
