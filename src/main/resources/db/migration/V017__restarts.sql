-- The cluster address (host:port) a node's lease was taken from. Two live processes cannot listen on
-- one address, so a node that starts at the address of an earlier lease proves that lease's process
-- gone: it ends that lease as it takes its own, and the tracks it held are adopted at once instead
-- of after the lease runs out (store.LeaseRepository.ACQUIRE).
ALTER TABLE node_leases ADD COLUMN address text;
CREATE INDEX node_leases_address ON node_leases (address) WHERE address IS NOT NULL;

-- When Run Full Line or Start Production asked a queued track to start: written before the start
-- commands are sent, so a start lost with its node (killed as it started the line) is found by the
-- reconciliation (TrackSql.STRANDED) and the track starts all the same.
ALTER TABLE tracks ADD COLUMN start_requested_at timestamptz;
