-- Every station task is written three times (queued, claimed, completed), and neither a claim nor a
-- completion can be a HOT update (both change the status that the partial indexes select on), so
-- each write goes into every index of the table. station_tasks_track (track_id) repeated the
-- leading column of the unique (track_id, run_no, item) index, which serves every lookup by track
-- as well; dropping it saves three index writes per station task.
DROP INDEX station_tasks_track;
