-- The value sets of a track's state, a station task's status and a task's environment are domains
-- instead of CHECK constraints of their tables. Same rule, cheaper to keep: PostgreSQL reads a table's
-- CHECK constraints back from their stored text (stringToNode) in every statement that writes a row
-- of it, and plans them again, however few columns the statement changes: 14% of PostgreSQL's CPU
-- while the line ran (docs/benchmarks.md, "Checks as domains"), most of it these three lists. A
-- domain's constraint is parsed once per connection (PostgreSQL's type cache) and checked only where
-- a value is assigned to the column.
--
-- Each domain is created without its constraint, the column changed to it (text to a domain over
-- text: no table rewrite), then the constraint added, which checks the rows there are.

CREATE DOMAIN track_state AS text;
ALTER TABLE tracks DROP CONSTRAINT tracks_state_check;
ALTER TABLE tracks ALTER COLUMN state TYPE track_state;
ALTER DOMAIN track_state ADD CONSTRAINT track_state_known CHECK (VALUE IN ('queued', 'blocked', 'binding', 'assembling',
  'auditing', 'remediating', 'awaiting_operator', 'stabilized', 'halted', 'escalated', 'cancelled'));

CREATE DOMAIN task_status AS text;
ALTER TABLE station_tasks DROP CONSTRAINT station_tasks_status_check;
ALTER TABLE station_tasks ALTER COLUMN status TYPE task_status;
ALTER DOMAIN task_status ADD CONSTRAINT task_status_known CHECK (VALUE IN ('queued', 'claimed', 'completed', 'cancelled',
  'dropped'));

CREATE DOMAIN task_environment AS text;
ALTER TABLE station_tasks DROP CONSTRAINT station_tasks_environment_check;
ALTER TABLE station_tasks ALTER COLUMN environment TYPE task_environment;
ALTER DOMAIN task_environment ADD CONSTRAINT task_environment_known CHECK (VALUE IN ('local', 'server', 'either'));

-- A held task has its lease: the same rule as V001's, said once ("not claimed, or leased") instead of
-- as an equality and its negation.
ALTER TABLE station_tasks DROP CONSTRAINT station_tasks_check;
ALTER TABLE station_tasks ADD CONSTRAINT station_tasks_held_under_lease
  CHECK (status <> 'claimed' OR (lease_token IS NOT NULL AND executor_id IS NOT NULL AND lease_expires_at IS NOT NULL));
