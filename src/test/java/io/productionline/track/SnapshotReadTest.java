package io.productionline.track;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.productionline.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A line view's rows are read in one read-only snapshot whose {@code BEGIN} goes out with the first
 * reads; whatever the reads do, the connection goes back to the operators' pool with the snapshot
 * ended, or the next view read on it would show the line as it was then.
 */
@DisplayName("Line views: one snapshot a read, ended whatever the read did")
class SnapshotReadTest {

  private TestNode node;

  @BeforeEach
  void start() {
    JsonObject config = TestNode.config();
    // One connection in the operators' pool: every read below runs on the same one.
    config.getJsonObject("pg").put("read_pool_size", 1);
    node = TestNode.start(config, Clock.systemUTC());
  }

  @AfterEach
  void stop() {
    node.close();
  }

  private String isolationOfNextRead() {
    return node.node.services().reads.query("SHOW transaction_isolation").execute().await().iterator().next().getString(0);
  }

  @Test
  @DisplayName("the reads run in one repeatable-read, read-only snapshot and the connection comes back out of it")
  void readsInOneSnapshot() {
    List<String> seen = ProductionView.inOneSnapshot(node.node.services(), db -> {
      Future<String> isolation = db.query("SHOW transaction_isolation").execute().map(r -> r.iterator().next().getString(0));
      Future<String> readOnly = db.query("SHOW transaction_read_only").execute().map(r -> r.iterator().next().getString(0));
      return Future.all(isolation, readOnly).map(x -> List.of(isolation.result(), readOnly.result()));
    }).await();
    assertEquals(List.of("repeatable read", "on"), seen);
    assertEquals("read committed", isolationOfNextRead());
  }

  @Test
  @DisplayName("a read that fails in PostgreSQL ends its snapshot: the next read on the connection is not inside it")
  void failedReadEndsItsSnapshot() {
    assertThrows(Exception.class, () -> ProductionView.inOneSnapshot(node.node.services(),
        db -> db.query("SELECT no_such_column FROM tracks").execute()).await());
    assertEquals("read committed", isolationOfNextRead());
  }

  @Test
  @DisplayName("a read that throws before it asks anything ends its snapshot too")
  void thrownReadEndsItsSnapshot() {
    IllegalStateException thrown = new IllegalStateException("the view's code failed");
    Exception e = assertThrows(Exception.class, () -> ProductionView.inOneSnapshot(node.node.services(), db -> {
      throw thrown;
    }).await());
    assertEquals(thrown, e);
    assertEquals("read committed", isolationOfNextRead());
  }
}
