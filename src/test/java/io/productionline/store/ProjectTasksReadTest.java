package io.productionline.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Plans;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * station_tasks has no index by project (V024): each of a task's three writes went into it. A
 * project's tasks (the line view, an intent's work, the runs an operator filters by project) are
 * read through the project's tracks instead; those reads must still read the project's tasks only,
 * not every task of every project.
 */
@DisplayName("A project's tasks are read through its tracks, not from every project's tasks")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProjectTasksReadTest {

  private static final int OTHER_TRACKS = 500;
  private static final int OTHER_TASKS = 5_000;
  private TestNode node;

  /** Project "mine" with its one job at work beside project "others": 500 tracks, 5,000 ended tasks. */
  @BeforeAll
  void start() {
    node = Plans.nodeWithJobAtWork("mine");
    Plans.copyRows(node, "projects", "t.id = 'mine'", "'id', 'others', 'idempotency_key', NULL", 1, 1);
    Plans.copyRows(node, "tracks", "t.project_id = 'mine'", "'id', t.id || '-' || g, 'project_id', 'others'", 1, OTHER_TRACKS);
    Plans.copyTask(node, "mine", "'project_id', 'others', 'track_id', t.track_id || '-' || (1 + g % " + OTHER_TRACKS + "),"
        + " 'status', 'completed', 'completed_at', now()", 1, OTHER_TASKS);
    node.sql("ANALYZE station_tasks");
    node.sql("ANALYZE tracks");
  }

  @AfterAll
  void stop() {
    node.close();
  }

  private long tasksOf(String project) {
    return node.sql("SELECT count(*) FROM station_tasks WHERE project_id = '" + project + "'").get(0).getLong(0);
  }

  /** {@code statement} returns {@code expected} rows and its plan reads at most three rows of station_tasks for each. */
  private void readsItsOwn(String statement, long expected) {
    assertEquals(expected, node.sql("SELECT count(*) FROM (" + statement + ") x").get(0).getLong(0), statement);
    JsonObject plan = Plans.explainAnalyze(node, statement);
    long read = Plans.rowsRead(plan, "station_tasks");
    assertTrue(read <= 3 * Math.max(1, expected), "read " + read + " tasks to return " + expected + ": " + plan.encodePrettily());
  }

  @Test
  @DisplayName("the line view of a small project beside a large one reads the small project's tasks only")
  void smallProject() {
    long mine = tasksOf("mine");
    assertTrue(mine >= 1 && mine < 5, "mine has its job's tasks: " + mine);
    readsItsOwn(TaskSql.VIEW_OF_PROJECT.replace("$1", "'mine'"), mine);
    readsItsOwn(TaskSql.OF_PROJECT.replace("$1", "'mine'"), mine);
  }

  @Test
  @DisplayName("the line view of the large project returns its 5,000 tasks, reading no other project's")
  void largeProject() {
    assertEquals(OTHER_TASKS, tasksOf("others"));
    readsItsOwn(TaskSql.VIEW_OF_PROJECT.replace("$1", "'others'"), OTHER_TASKS);
  }

  @Test
  @DisplayName("the runs an operator filters by project: the project's runs, newest first, one page")
  void runsOfAProject() {
    // Status, project, document type, station, executor, created from and to, cursor, page size.
    String[] values = {"NULL::text", "'mine'", "NULL::text", "NULL::text", "NULL::text", "NULL::timestamptz", "NULL::timestamptz",
        "NULL::timestamptz", "NULL::text", "50"};
    String page = java.util.regex.Pattern.compile("\\$(\\d+)").matcher(RunRepository.list(RunRepository.Sort.CREATED_AT_DESC))
        .replaceAll(m -> values[Integer.parseInt(m.group(1)) - 1]);
    readsItsOwn(page, tasksOf("mine"));
  }

  @Test
  @DisplayName("the last task an executor held in an intent is looked for among the intent's tasks")
  void lastHeldInAProject() {
    String executor = node.sql("SELECT executor_id FROM station_tasks WHERE project_id = 'mine' AND executor_id IS NOT NULL LIMIT 1")
        .stream().map(r -> r.getString(0)).findFirst().orElse("nobody");
    long held = node.sql("SELECT count(*) FROM station_tasks WHERE project_id = 'mine' AND executor_id = '" + executor + "'").get(0).getLong(0);
    readsItsOwn(TaskSql.LAST_HELD_IN_PROJECT.replace("$1", "'mine'").replace("$2", "'" + executor + "'"), Math.min(1, held));
  }
}
