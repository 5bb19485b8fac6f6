-- A task's row is written only by the statement of its track's move, which finds and locks the
-- track's row first (its compare-and-set: version, owner, epoch, lease; TrackWrite, MoveBatch): a
-- move of a track the database does not have is refused and queues nothing
-- (GroupCommitTest.aMoveOfAnUnknownTrackQueuesNothing). The foreign key checked the same again for
-- each queued task, one lookup and row lock of the track a task (about 20 microseconds of the
-- statement, docs/benchmarks.md). Nothing deletes a track.
ALTER TABLE station_tasks DROP CONSTRAINT station_tasks_track_id_fkey;
