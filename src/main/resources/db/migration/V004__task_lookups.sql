-- Every heartbeat renews the leases its executor holds and asks which of its tasks were cancelled;
-- a registration ends the leases of the executor's earlier run; the rescue sweep lists holders.
-- Without an index on executor_id each of those read the whole of station_tasks, which keeps
-- every station run ever made: with thousands of executors heartbeating over a long history they
-- were most of the database's work. Both indexes cover only the few rows they serve.
CREATE INDEX station_tasks_held ON station_tasks (executor_id) WHERE status = 'claimed';
CREATE INDEX station_tasks_cancelled_held ON station_tasks (executor_id, completed_at) WHERE status = 'cancelled';

-- The line view (GET /production) and the build-intent API read a project's tasks; without this
-- index that too read the whole table.
CREATE INDEX station_tasks_project ON station_tasks (project_id);

-- Every transition withdraws the track's open tasks of other station runs. By track_id alone that
-- visited every run the track ever had; open tasks are few (about one per active track).
CREATE INDEX station_tasks_open ON station_tasks (track_id) WHERE status IN ('queued', 'claimed');
