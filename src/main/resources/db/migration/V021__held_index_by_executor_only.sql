-- station_tasks_held (executor_id) WHERE status = 'claimed' also matched every statement that names
-- one task by its id and requires it claimed (a completion's write, progress, a hand-back, a drop):
-- its predicate is implied by theirs. Planned after an ANALYZE that found no task held (a line
-- between batches, a phase whose tracks had just started), that index looks empty and cheaper than
-- the primary key, and those statements then read every held task for each task (1,545 entries a
-- task at 64 executors holding 32 each: the line at half speed for as long as the plan stood;
-- docs/benchmarks.md, "A plan that read every held task for each task"). With executor_id IS NOT
-- NULL in the predicate only a statement that names an executor (or says executor_id IS NOT NULL,
-- as the reads of all held tasks do: TaskSql.held) can use the index; a claimed task always has its
-- executor (station_tasks_held_under_lease), so the index holds the same rows.
-- The index of cancelled tasks by executor gets the same guard.
DROP INDEX station_tasks_held;
CREATE INDEX station_tasks_held ON station_tasks (executor_id) WHERE status = 'claimed' AND executor_id IS NOT NULL;
DROP INDEX station_tasks_cancelled_held;
CREATE INDEX station_tasks_cancelled_held ON station_tasks (executor_id, completed_at) WHERE status = 'cancelled' AND executor_id IS NOT NULL;
