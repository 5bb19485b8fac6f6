-- The line analytics read a line's tracks that are unfinished or finished within the window
-- (FlowSql.LINE_TRACKS) at every refresh. Unfinished ones have their index (tracks_unfinished);
-- finished ones had none by finalized_at, so the read went through every track the line ever ran
-- (25 ms with 7,000 tracks, growing with each). A track gets this index's one entry when it
-- finishes, in the update that sets finalized_at (never a HOT update: it leaves tracks_unfinished).

CREATE INDEX tracks_finalized ON tracks (finalized_at) WHERE finalized_at IS NOT NULL;
