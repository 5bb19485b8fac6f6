-- A station task's row is written three times (queued, claimed, completed) and none of those writes
-- can be a HOT update, so every write goes into each index whose predicate the new row meets: the
-- indexes of station_tasks were most of PostgreSQL's work per task. Two of them repeat others:
--  * station_tasks_leases (lease_expires_at) WHERE claimed: the rescue sweep reads every claimed
--    task anyway (expired lease OR holder gone), and the claimed tasks are few (one per busy
--    executor): station_tasks_held (executor_id) WHERE claimed serves that scan. Without it a
--    heartbeat's lease renewal changes no indexed column and can be a HOT update.
--  * station_tasks_open_by_project (project_id) WHERE open: reads of all open work use
--    station_tasks_open (track_id) WHERE open, reads of a project's tasks station_tasks_project.
-- Three index writes fewer per station task.
DROP INDEX station_tasks_leases;
DROP INDEX station_tasks_open_by_project;
