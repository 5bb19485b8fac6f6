-- station_tasks_project (project_id) took an entry at each of a task's three writes (queued, claimed,
-- ended): three of the fourteen index entries a task wrote, for reads of a project's tasks, which
-- its tracks serve as well (tracks_project, then the unique (track_id, run_no, item) index:
-- TaskSql.ofProject). Every task has its track, and a track's tasks are of its project.
DROP INDEX station_tasks_project;
