-- A project's events are found by (project_id, seq), never by the surrogate id: the unique index
-- on (project_id, seq) becomes the primary key, and the id column, its sequence and its index go.
-- Each transition appends two events, so this saves two index writes and two sequence calls per
-- station task.
ALTER TABLE track_events DROP CONSTRAINT track_events_pkey;
ALTER TABLE track_events ADD CONSTRAINT track_events_pkey PRIMARY KEY USING INDEX track_events_project_seq;
ALTER TABLE track_events DROP COLUMN id;
