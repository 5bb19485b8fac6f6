package io.productionline.clients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.auth.Role;
import io.productionline.support.Await;
import io.productionline.support.ScriptProcess;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The Python client ({@code clients/python/production_line.py}) as a user runs it: the example
 * executor as a real {@code python3} process against a real server, with nothing but the
 * server's URL, an executor token and its id.
 */
@DisplayName("The Python executor client runs a line and stops gracefully")
class PythonClientTest {

  private static List<String> example() {
    return List.of("python3", "clients/python/example_executor.py");
  }

  private static Map<String, String> env(TestNode node, String id, String capabilities) {
    return Map.of("PL_SERVER", node.api.base(), "PL_TOKEN", node.token(Role.EXECUTOR, id, id), "PL_EXECUTOR_ID", id,
        "PL_CAPABILITIES", capabilities, "PL_WAIT_SECONDS", "2", "PL_SIM_SCALE", "0.1", "PL_GRACE_SECONDS", "0",
        "PYTHONUNBUFFERED", "1");
  }

  @Test
  @DisplayName("the example executor takes a gated assembly line to stabilized, meeting each audit's requirements, then leaves on SIGTERM")
  void runsALineToTheEnd() {
    try (TestNode node = TestNode.start(TestNode.config().put("lines_dir", "conf/lines"), Clock.systemUTC())) {
      node.createProject("py-build", "assembly");
      assertEquals(200, node.api.post("/production/start?project=py-build", (JsonObject) null).status());
      try (ScriptProcess py = ScriptProcess.start("python-example", example(), env(node, "py-1", "build"))) {
        JsonObject done = node.awaitProduction("py-build", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(120));
        JsonObject track = TestNode.track(done, "build");
        assertEquals(0, track.getInteger("remediation_count"), "every audit's gate was met the first time: " + track.encode());

        List<Row> tasks = node.sql("SELECT station_id, executor_id, outcome, result FROM station_tasks WHERE project_id = 'py-build'"
            + " ORDER BY created_at");
        assertEquals(8, tasks.size(), "spec, build, test and production, each assembled and audited once");
        for (Row t : tasks) {
          assertEquals("py-1", t.getString("executor_id"), t.getString("station_id"));
          assertEquals("stabilized", t.getString("outcome"), t.getString("station_id"));
        }
        Row productionAudit = tasks.get(7);
        assertEquals("production_audit", productionAudit.getString("station_id"));
        assertEquals(6, ((JsonObject) productionAudit.getValue("result")).getInteger("verification_level"),
            "the level the production audit's gate requires, read from the task's requirements");
        JsonObject artifacts = node.api.get("/api/v1/tracks/" + track.getString("track_id") + "/artifacts").json();
        assertTrue(artifacts.encode().contains("Assembled by py-1"), artifacts.encode());

        assertEquals(0, py.terminate(Duration.ofSeconds(30)), py.output());
        assertTrue(py.output().contains("py-1 left after 8 completions"), py.output());
        assertEquals("offline", node.api.get("/api/v1/executors/py-1").json().getString("status"), "it left: offline at once");
      }
    }
  }

  @Test
  @DisplayName("given a node that refuses connections and a live one, the example executor turns to the live one and runs the line")
  void turnsToTheNextNode() {
    try (TestNode node = TestNode.start()) {
      node.createProject("py-two", "single");
      assertEquals(200, node.api.post("/production/start?project=py-two", (JsonObject) null).status());
      Map<String, String> env = new java.util.HashMap<>(env(node, "py-3", "sim"));
      env.put("PL_SERVER", "http://127.0.0.1:" + io.productionline.support.TestServers.freePort() + "," + node.api.base());
      try (ScriptProcess py = ScriptProcess.start("python-two", example(), env)) {
        node.awaitProduction("py-two", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(60));
        assertEquals("py-3", node.sql("SELECT DISTINCT executor_id FROM station_tasks WHERE project_id = 'py-two'").get(0)
            .getString("executor_id"));
        assertEquals(0, py.terminate(Duration.ofSeconds(30)), py.output());
        assertTrue(py.output().contains("turning to " + node.api.base()), py.output());
      }
    }
  }

  @Test
  @DisplayName("on SIGTERM past its grace the task in hand is handed back to the queue, same attempt, and the executor leaves")
  void handsBackOnStop() {
    try (TestNode node = TestNode.start()) {
      node.createProject("py-slow", "slowjob");
      assertEquals(200, node.api.post("/production/start?project=py-slow&doc=job", (JsonObject) null).status());
      try (ScriptProcess py = ScriptProcess.start("python-stop", example(), env(node, "py-2", "slow"))) {
        Await.until(() -> node.sql("SELECT status, executor_id FROM station_tasks WHERE project_id = 'py-slow'"),
            rows -> rows.size() == 1 && "claimed".equals(rows.get(0).getString("status")), Duration.ofSeconds(60),
            "the python executor to claim the slow task");
        // In hand: the claim's reply reached it (a claim whose reply never did is RescueTest's leavingHandsBackWhatItHolds).
        Await.until(py::output, out -> out.contains("py-2 claimed"), Duration.ofSeconds(30), "the python executor to have the task in hand");
        assertEquals(0, py.terminate(Duration.ofSeconds(30)), py.output());
        Row task = node.sql("SELECT status, attempt, executor_id FROM station_tasks WHERE project_id = 'py-slow'").get(0);
        assertEquals("queued", task.getString("status"), "handed back, not lost");
        assertEquals(1, task.getInteger("attempt"), "a hand-back keeps the attempt");
        assertTrue(py.output().contains("handed"), py.output());
        assertEquals("offline", node.api.get("/api/v1/executors/py-2").json().getString("status"));
      }
    }
  }
}
