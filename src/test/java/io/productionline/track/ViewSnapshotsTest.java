package io.productionline.track;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.productionline.store.TaskRow;
import io.productionline.store.TaskStatus;
import io.productionline.support.Await;
import io.productionline.support.TestNode;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The rows a node keeps for line views, in the orders of events a busy node sees. */
@DisplayName("Kept view rows: a claim heard before the rows knew its task")
class ViewSnapshotsTest {

  private TestNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  @DisplayName("a claim heard while the rows that bring its task in are still being read shows once they arrive")
  void claimBeforeItsTaskArrived() {
    node = TestNode.start();
    node.createProject("late", "fast");
    assertEquals(200, node.api.post("/production/start?project=late", new JsonObject()).status());
    ProductionView view = node.node.view();
    // The rows as a read made before the claim returns them: the first task queued.
    ProductionView.Rows before = Await.until(() -> view.read("late").await().orElseThrow(),
        r -> r.tasks().stream().anyMatch(t -> t.status() == TaskStatus.QUEUED), Duration.ofSeconds(10), "a queued task");
    TaskRow task = before.tasks().stream().filter(t -> t.status() == TaskStatus.QUEUED).findFirst().orElseThrow();

    // The first read of the project is still on its way when the claim of that task is heard.
    Promise<Optional<ProductionView.Rows>> firstRead = Promise.promise();
    Promise<Void> asked = Promise.promise();
    ViewSnapshots kept = new ViewSnapshots(node.node.services(), id -> {
      asked.tryComplete();
      return firstRead.future();
    });
    var reading = kept.rows("late");
    // The read has looked at the project's head and asked for its rows: it is on its way (a claim heard before that,
    // with no read of the project begun, has nobody to tell, and the read that begins after it sees the claim).
    asked.future().await();
    node.sql("UPDATE station_tasks SET status = 'claimed', executor_id = 'late-x', lease_token = 'late-lease',"
        + " lease_expires_at = now() + interval '10 minutes', claimed_at = now() WHERE id = '" + task.id() + "'");
    kept.executorStatus(new JsonObject().put("status", "busy").put("current_task", task.id()));
    firstRead.complete(Optional.of(before));
    reading.await();

    // The claim has no sequence number and no event will follow it: only the claim heard early can bring it in.
    TaskRow shown = Await.until(() -> kept.rows("late").await().orElseThrow().tasks().stream()
            .filter(t -> t.id().equals(task.id())).findFirst().orElseThrow(),
        t -> t.status() == TaskStatus.CLAIMED, Duration.ofSeconds(10), "the kept rows to show the claim");
    assertEquals("late-x", shown.executorId());
  }
}
