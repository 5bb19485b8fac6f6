-- The line analytics read, every analytics.refresh_seconds for each line that changed, the line's
-- station tasks that are open or ended within the window (FlowSql.LINE_TASKS and WORK_SINCE, a
-- window of analytics.window_seconds). A task ends completed, cancelled or dropped, each time with
-- its completed_at; only completed ones had an index on it, so those reads read the whole table, the
-- line's whole history, at every refresh (123 ms and 69 ms of PostgreSQL with 112,000 tasks, growing
-- with every task; docs/benchmarks.md, "Analytics that read a line's whole history"). One index of
-- every ended task by completed_at replaces the index of completed ones: a task still gets one entry
-- when it ends, and the reads of recent completions use it as they used the old one.

DROP INDEX station_tasks_completed;
CREATE INDEX station_tasks_ended ON station_tasks (completed_at) WHERE completed_at IS NOT NULL;
