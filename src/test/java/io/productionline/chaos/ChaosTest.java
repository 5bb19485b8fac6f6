package io.productionline.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.ServerProcess;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The short variant of {@code scripts/chaos}: three node processes, three executor processes, a
 * seven-type line with remediation loops, and one fault of each kind while it runs. Nothing is
 * lost, completed twice, moved illegally or written out of sequence; the cluster is whole again
 * after the pause. (Finishing times are measured by {@code scripts/chaos}, not asserted here.)
 */
@DisplayName("Chaos, one fault of each kind: nothing lost, nothing done twice")
class ChaosTest {

  @Test
  @DisplayName("executor and node kill -9, executor and node SIGSTOP, PostgreSQL connections terminated, Redis restarted")
  void oneFaultOfEachKind() {
    Path dir = ServerProcess.baseDir().resolve("target/chaos/test-" + UUID.randomUUID().toString().substring(0, 8));
    JsonObject summary = new ChaosRun(ChaosRun.Plan.quick(), dir).run();
    String said = summary.encodePrettily();
    JsonObject faults = summary.getJsonObject("faults", new JsonObject());
    for (String fault : new String[] {"executor_kill9", "node_kill9", "executor_pause", "node_pause", "pg_terminate", "redis_restart"}) {
      assertTrue(faults.getInteger(fault, 0) >= 1, fault + " was injected: " + said);
    }
    JsonObject checks = summary.getJsonObject("checks", new JsonObject());
    for (String check : new String[] {"tracks_lost", "tasks_open", "illegal_moves", "runs_completed_twice", "completions_not_applied", "tracks_completed_twice",
        "sequence_holes", "moves_by_other_than_owner"}) {
      assertEquals(0, checks.getJsonObject(check, new JsonObject().put("count", -1)).getInteger("count"), check + ": " + said);
    }
    assertTrue(summary.getValue("chaos_seconds") != null, "the line finished under chaos: " + said);
    assertTrue(summary.getJsonArray("cluster_whole_after_pause_seconds").stream().allMatch(s -> ((Number) s).doubleValue() >= 0),
        "the cluster was whole again after the pause: " + said);
    assertEquals(true, summary.getBoolean("ok"), said);
  }
}
