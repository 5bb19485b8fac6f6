-- A project can be archived: it keeps its history but leaves the project list (and the dashboard's
-- selector). The demo archives its oldest finished projects, so the list stays short however long
-- the demo runs.
ALTER TABLE projects ADD COLUMN archived boolean NOT NULL DEFAULT false;
