package io.productionline.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.productionline.line.LineValidator;
import io.productionline.line.TrackState;
import io.productionline.support.Await;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The value sets the database keeps (V018's domains) are the ones the server writes: a state the
 * server knows but the database refused would stop every track that reached it, and a value the
 * database let through would be a row no reader understands.
 */
@DisplayName("The states, statuses and environments the database keeps")
class ValueDomainsTest {

  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start();
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static void keeps(String domain, List<String> values) {
    for (String v : values) {
      assertEquals(v, node.sql("SELECT '" + v + "'::" + domain).get(0).getString(0), domain + " keeps " + v);
    }
  }

  private static void refuses(String domain, String value) {
    PgException refused = assertThrows(PgException.class, () -> node.sql("SELECT '" + value + "'::" + domain));
    assertEquals("23514", refused.getSqlState(), domain + " refuses " + value + " as a check violation");
  }

  @Test
  @DisplayName("every track state the line moves through is kept, and no other")
  void trackStates() {
    keeps("track_state", Arrays.stream(TrackState.values()).map(TrackState::wire).toList());
    refuses("track_state", "stabilised");
  }

  @Test
  @DisplayName("every station task status is kept, and no other")
  void taskStatuses() {
    keeps("task_status", Arrays.stream(TaskStatus.values()).map(TaskStatus::wire).toList());
    refuses("task_status", "running");
  }

  @Test
  @DisplayName("every environment a line may name is kept, and no other")
  void environments() {
    keeps("task_environment", LineValidator.ENVIRONMENTS);
    refuses("task_environment", "cloud");
  }

  @Test
  @DisplayName("a task marked held without a lease is refused, and stays queued")
  void heldTaskHasALease() {
    node.createProject("domains-lease", "wide");
    assertEquals(200, node.api.post("/production/start?project=domains-lease", new JsonObject()).status());
    String task = Await.until(() -> node.sql("SELECT id FROM station_tasks WHERE project_id = 'domains-lease' AND status = 'queued' LIMIT 1"),
        rows -> !rows.isEmpty(), Duration.ofSeconds(30), "a queued task of the started line").get(0).getString(0);
    PgException refused = assertThrows(PgException.class,
        () -> node.sql("UPDATE station_tasks SET status = 'claimed' WHERE id = '" + task + "' AND status = 'queued'"));
    assertEquals("23514", refused.getSqlState(), "a held task without lease token, executor and expiry is a check violation");
    assertEquals("queued", node.sql("SELECT status FROM station_tasks WHERE id = '" + task + "'").get(0).getString(0));
  }
}
