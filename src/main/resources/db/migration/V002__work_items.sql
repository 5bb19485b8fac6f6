-- Multi-operator stations: a station with work_items N runs as N tasks of one station run, one per
-- item (1..N). Still exactly one row, and so at most one completion, per station run item.

ALTER TABLE station_tasks ADD COLUMN item int NOT NULL DEFAULT 1 CHECK (item >= 1);
ALTER TABLE station_tasks DROP CONSTRAINT station_tasks_track_id_run_no_key;
ALTER TABLE station_tasks ADD CONSTRAINT station_tasks_track_run_item_key UNIQUE (track_id, run_no, item);
