-- The line catalogue: every version of every line, stored through the API or imported from
-- conf/lines at start. A version is immutable once written (the trigger refuses UPDATE and DELETE);
-- lines.current_version names the one new projects take, and moves only by an UPDATE of the
-- line's row, whose lock orders two writers of the same line. content_hash is the SHA-256 of the
-- definition's canonical JSON: an import stores a definition only when no version has that content.

CREATE TABLE lines (
  name            text PRIMARY KEY,
  current_version int NOT NULL CHECK (current_version >= 1),
  current_hash    text NOT NULL,
  retired_at      timestamptz,
  retired_by      text,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  CHECK ((retired_at IS NULL) = (retired_by IS NULL))
);

CREATE TABLE line_versions (
  line         text NOT NULL REFERENCES lines (name),
  version      int NOT NULL CHECK (version >= 1),
  definition   jsonb NOT NULL,
  content_hash text NOT NULL,
  note         text NOT NULL DEFAULT '',
  source       text NOT NULL CHECK (source IN ('api', 'conf')),
  created_by   text NOT NULL,
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (line, version)
);
-- One import per content: two nodes starting together cannot both import the same file.
CREATE UNIQUE INDEX line_versions_conf_content ON line_versions (line, content_hash) WHERE source = 'conf';

CREATE FUNCTION pl_line_version_immutable() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'PL409', MESSAGE = 'a line version is immutable';
END
$$;
CREATE TRIGGER line_versions_immutable BEFORE UPDATE OR DELETE ON line_versions
  FOR EACH ROW EXECUTE FUNCTION pl_line_version_immutable();

-- The line version a project was created from (null for projects older than the catalogue).
ALTER TABLE projects ADD COLUMN line_version int;
