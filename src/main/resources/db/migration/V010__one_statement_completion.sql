-- A station's completion, the move it decides and the move's events are one statement
-- (TrackSql.COMPLETE_MOVE_AND_APPEND) that commits on its own, without BEGIN and COMMIT round trips.
-- A statement cannot roll itself back by returning less: when the task completed but the track's
-- compare-and-set lost, the statement calls this function, whose error undoes all of it. SQLSTATE
-- PL409 is read as a lost race (StaleWriteException), as the compare-and-set's zero rows are elsewhere.
CREATE FUNCTION pl_stale_write(detail text) RETURNS boolean
  LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'PL409', MESSAGE = detail;
END
$$;
