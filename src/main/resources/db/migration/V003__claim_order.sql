-- Claims take the best queued task of a capability: highest priority, then oldest. This index
-- holds the queue in exactly that order (id breaks ties), so a claim of one capability reads
-- the first unlocked entry instead of sorting every queued task of it: the cost of a claim no
-- longer grows with the depth of the queue. It replaces the earlier claim index, whose
-- available_at column sat between priority and created_at and so could not give that order.
CREATE INDEX station_tasks_claim_order ON station_tasks (capability, priority DESC, created_at, id) WHERE status = 'queued';
DROP INDEX station_tasks_claimable;
