-- Ownership of tracks is fenced in PostgreSQL, not decided by a node's view of the cluster. Each
-- node holds a lease: one row per acquisition, its epoch taken from a sequence (so it grows on
-- every start and every re-acquisition, cluster-wide), its expiry computed with the database's
-- clock (now() + lease) and pushed on by the node's renewals. A lease is valid while
-- expires_at > now(). Rows of earlier acquisitions stay: they are the history of which node held
-- which epoch when.
CREATE SEQUENCE node_lease_epoch;

CREATE TABLE node_leases (
  epoch       bigint PRIMARY KEY DEFAULT nextval('node_lease_epoch'),
  node_id     text NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  released_at timestamptz
);
CREATE INDEX node_leases_node ON node_leases (node_id, epoch DESC);

-- A track records its owner node and the epoch of the lease it was taken under. Every write of the
-- track is conditioned on both and on that lease being valid (TrackSql), so a node whose lease
-- lapsed, or whose track was adopted by another node, writes nothing.
ALTER TABLE tracks ADD COLUMN owner_epoch bigint;
