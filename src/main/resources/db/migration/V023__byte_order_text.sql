-- Every text column of the line's tables (text, its arrays and the value domains over it) compares
-- in byte order (COLLATE "C"). They compared by the database's default collation: on a database
-- made with a libc locale (C.UTF-8, en_US.UTF-8) PostgreSQL compares each pair of strings through
-- the locale's rules, in every index descent of every write and lookup, in every sort and in every
-- join by id. Ids and the line's vocabulary are ASCII, and in byte order they compare as under
-- C.UTF-8 (code point order is byte order in UTF-8). On the bench's line a database made with
-- LC_COLLATE C took 9% and 20% less PostgreSQL CPU a task in two alternating pairs; an index lookup
-- by id took 27% less (docs/benchmarks.md, "Text compared in byte order"). Every column, not some:
-- two columns of different collations cannot be compared. A case-blind search of free text says
-- COLLATE "default" (byte order lowers ASCII letters only: RunRepository's log search). A table or
-- column added later says COLLATE "C" for each text column (ByteOrderTextTest checks it).
DO $$
DECLARE
  t record;
BEGIN
  FOR t IN
    SELECT a.attrelid::regclass AS tbl,
           string_agg(format('ALTER COLUMN %I TYPE %s COLLATE "C"', a.attname, format_type(a.atttypid, a.atttypmod)), ', '
                      ORDER BY a.attnum) AS alters
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid
     WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
       AND a.attcollation <> 0 AND a.attcollation <> (SELECT oid FROM pg_collation WHERE collname = 'C' AND collnamespace = 'pg_catalog'::regnamespace)
     GROUP BY a.attrelid
  LOOP
    EXECUTE format('ALTER TABLE %s %s', t.tbl, t.alters);
  END LOOP;
END $$;
