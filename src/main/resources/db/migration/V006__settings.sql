-- Settings every node of a cluster shares, such as the token signing secret (auth.secret) when
-- it is not configured. A value is written once (INSERT … ON CONFLICT DO NOTHING) and read back,
-- so nodes starting together agree on it.

CREATE TABLE settings (
  key        text PRIMARY KEY,
  value      text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- The audit log is read newest first and by action (GET /api/v1/audit).
CREATE INDEX audit_log_action ON audit_log (action, id);
