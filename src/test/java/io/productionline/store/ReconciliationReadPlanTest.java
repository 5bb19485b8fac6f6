package io.productionline.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Plans;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The reconciliation reads the tracks a lost command would strand every 5 s, cluster-wide. On a busy
 * line (4,000 tracks at their stations, each moving every second or two) that read looked for every
 * track's open task, reading every open task of the line, and its plan cost more than PostgreSQL's
 * {@code jit_above_cost}, so PostgreSQL compiled it again at every pass: about 50 ms of CPU for the
 * compilation and 190 ms for the read, every 5 s (docs/benchmarks.md, "The reconciliation's read").
 */
@DisplayName("The reconciliation's read on a busy line")
class ReconciliationReadPlanTest {

  private static final int TRACKS = 4_000;
  private static TestNode node;

  @BeforeAll
  static void start() {
    node = Plans.nodeWithJobAtWork("busy");
    // 4,000 more tracks at their station that have just moved, as on a line running a few thousand tasks a second.
    Plans.copyRows(node, "tracks", "t.project_id = 'busy'", "'id', t.id || '-' || g, 'state_entered_at', now()", 1, TRACKS);
    node.sql("ANALYZE tracks");
    node.sql("ANALYZE station_tasks");
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  /** The reconciliation's read as the product's own session runs it: tracks still since 5 s ago. */
  private static JsonObject explained() {
    String statement = TrackSql.STRANDED.replace("$1", "'{binding,assembling,auditing,remediating}'::text[]")
        .replace("$2", "now() - interval '5 seconds'");
    return new JsonArray(node.sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement).get(0).getValue(0).toString()).getJsonObject(0);
  }

  @Test
  @DisplayName("tracks that have just moved are not looked up for open work: no task is read")
  void movingTracksAreNotLookedUp() {
    JsonObject plan = explained().getJsonObject("Plan");
    assertEquals(0, Plans.rowsRead(plan, "station_tasks"), "the read looked for open tasks: " + plan.encode());
    assertTrue(Plans.rowsRead(plan, "tracks") > TRACKS, "every unfinished track is looked at: " + plan.encode());
  }

  @Test
  @DisplayName("PostgreSQL does not compile the read with JIT at every pass, though its plan costs more than jit_above_cost")
  void notCompiled() {
    assertEquals("off", node.sql("SHOW jit").get(0).getString(0), "the product's sessions run without JIT");
    JsonObject explained = explained();
    double cost = explained.getJsonObject("Plan").getDouble("Total Cost");
    double above = Double.parseDouble(node.sql("SHOW jit_above_cost").get(0).getString(0));
    assertTrue(cost > above, "the plan costs " + cost + ", under jit_above_cost " + above + ": this case shows nothing");
    assertFalse(explained.containsKey("JIT"), "compiled: " + explained.getValue("JIT"));
  }
}
