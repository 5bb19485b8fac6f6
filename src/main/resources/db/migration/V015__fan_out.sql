-- Fan-out: a track of a document type with a fan_out creates one child track per item its station's
-- result lists, in the same statement as its own move to stabilized (TrackWrite's children part).
-- A child knows its parent, the round of the parent's fan-out (the parent's row version when it fanned
-- out: a parent sent back by a redesign fans out again, in a new round), its place in the list and its
-- item (handed to each of its station tasks). One child per (parent, round, index) — a qc_reject
-- replacement of a child, which carries the same three, is the exception — so a write that ran twice
-- could not create a child twice.
ALTER TABLE tracks ADD COLUMN parent_track_id text REFERENCES tracks (id);
ALTER TABLE tracks ADD COLUMN fan_out_round bigint;
ALTER TABLE tracks ADD COLUMN fan_out_index int CHECK (fan_out_index >= 0);
ALTER TABLE tracks ADD COLUMN fan_out_item jsonb;
ALTER TABLE tracks ADD CONSTRAINT tracks_fan_out_child
  CHECK ((parent_track_id IS NULL) = (fan_out_index IS NULL) AND (parent_track_id IS NULL) = (fan_out_round IS NULL));
CREATE UNIQUE INDEX tracks_fan_out_once ON tracks (parent_track_id, fan_out_round, fan_out_index) WHERE replaces IS NULL;
CREATE INDEX tracks_children ON tracks (parent_track_id) WHERE parent_track_id IS NOT NULL;
