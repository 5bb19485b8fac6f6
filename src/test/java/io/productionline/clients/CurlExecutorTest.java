package io.productionline.clients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.auth.Role;
import io.productionline.support.ScriptProcess;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** {@code scripts/examples/curl-executor.sh}, the executor of docs/executors.md, run as a user runs it: bash, curl and jq. */
@DisplayName("The curl-only executor runs a line to the end")
class CurlExecutorTest {

  @Test
  @DisplayName("it takes a small line (bind, assemble, audit) to stabilized, handing in its artifact, and leaves on SIGTERM")
  void runsALineToTheEnd() {
    try (TestNode node = TestNode.start()) {
      node.createProject("curl-build", "single");
      assertEquals(200, node.api.post("/production/start?project=curl-build", (JsonObject) null).status());
      Map<String, String> env = Map.of("PL_SERVER", node.api.base(), "PL_TOKEN", node.token(Role.EXECUTOR, "bash-1", "bash-1"),
          "PL_EXECUTOR_ID", "bash-1", "PL_CAPABILITIES", "sim", "PL_WAIT_SECONDS", "1");
      try (ScriptProcess sh = ScriptProcess.start("curl-executor", List.of("bash", "scripts/examples/curl-executor.sh"), env)) {
        JsonObject done = node.awaitProduction("curl-build", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(120));
        JsonObject track = TestNode.track(done, "doc");
        assertEquals(0, track.getInteger("remediation_count"), "the audit stabilized at once");
        List<Row> tasks = node.sql("SELECT station_id, executor_id, outcome, result FROM station_tasks WHERE project_id = 'curl-build'"
            + " ORDER BY created_at");
        assertEquals(List.of("bind", "asm", "aud"), tasks.stream().map(t -> t.getString("station_id")).toList());
        for (Row t : tasks) {
          assertEquals("bash-1", t.getString("executor_id"), t.getString("station_id"));
          assertEquals("stabilized", t.getString("outcome"), t.getString("station_id"));
        }
        assertEquals(0.9, ((JsonObject) tasks.get(2).getValue("result")).getDouble("score"), "the audit's report");
        String artifacts = node.api.get("/api/v1/tracks/" + track.getString("track_id") + "/artifacts").text();
        assertTrue(artifacts.contains("Assembled by bash-1"), artifacts);

        assertEquals(0, sh.terminate(Duration.ofSeconds(30)), sh.output());
        assertTrue(sh.output().contains("bash-1 left"), sh.output());
        assertEquals("offline", node.api.get("/api/v1/executors/bash-1").json().getString("status"));
      }
    }
  }
}
