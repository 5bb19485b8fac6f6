-- station_tasks_open (track_id) WHERE status IN ('queued', 'claimed') also matched the claim of
-- several tasks, which asks for queued tasks of a capability in claim order and is planned at each
-- call: its predicate is implied by the claim's. Planned after an ANALYZE that found no task open
-- (a line between batches), that index looks empty, and the claim read every open task of the line
-- and sorted them, for each claim (PostgreSQL at one and a half cores, the line at a third of its
-- speed until the next ANALYZE; docs/benchmarks.md, "A claim that read every open task"). With
-- track_id IS NOT NULL in the predicate only a statement that names tracks (a track's open tasks,
-- the move's withdrawal of other runs' tasks) or says track_id IS NOT NULL (the reads of every open
-- task: TaskSql.open) can use it; every task has its track (NOT NULL), so it holds the same rows.
-- The claim keeps station_tasks_claim_order, which yields its queue in claim order. As V021 did for
-- the index of held tasks.
DROP INDEX station_tasks_open;
CREATE INDEX station_tasks_open ON station_tasks (track_id) WHERE status IN ('queued', 'claimed') AND track_id IS NOT NULL;
