-- A completion the track's node could not take yet (the track's owner was gone and its lease still held):
-- the executor's report is kept with its task, so the work is not lost and the executor is free; the
-- reconciliation hands it to the track once a node owns it. A task with a stored report is not lost work:
-- the rescue sweep, hand-backs and a new run's registration pass it by.
ALTER TABLE station_tasks ADD COLUMN report jsonb, ADD COLUMN reported_at timestamptz;
CREATE INDEX station_tasks_reported ON station_tasks (reported_at) WHERE report IS NOT NULL AND status = 'claimed';
