package io.productionline.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.auth.Role;
import io.productionline.auth.Tokens;
import io.productionline.support.TestNode;
import io.productionline.support.TestServers;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The reference executor when its server cannot be reached: it turns to the next node it was
 * given, and it waits for a server that is not up yet instead of giving up.
 */
@DisplayName("The reference executor turns to another node, and waits for a server that is not up yet")
class ExecutorFailoverTest {

  private static final String SECRET = "failover-test-secret-of-at-least-32-chars";
  private final Vertx vertx = Vertx.vertx();
  private ExecutorAgent agent;

  @AfterEach
  void stop() {
    if (agent != null) {
      agent.stop(Duration.ofSeconds(1)).await();
    }
    vertx.close().await();
  }

  private static JsonObject config(int port) {
    JsonObject c = TestNode.config().put("auth", new JsonObject().put("secret", SECRET));
    c.getJsonObject("http").put("port", port);
    return c;
  }

  private ExecutorAgent agent(String servers, String id) {
    String token = Tokens.withSecret(vertx, SECRET).mint(Role.EXECUTOR, id, id, Duration.ofHours(1));
    return new ExecutorAgent(vertx, new ExecutorAgent.Settings(servers, token, id, List.of("sim"), "server", "test", 2));
  }

  @Test
  @DisplayName("given a node that refuses connections and a live one, it registers with the live one and takes a line to stabilized")
  void turnsToTheNextNode() {
    try (TestNode node = TestNode.start(config(0), Clock.systemUTC())) {
      int gone = TestServers.freePort();
      agent = agent("http://127.0.0.1:" + gone + "," + node.api.base(), "two-nodes");
      agent.start().await();
      node.createProject("fo", "single");
      assertEquals(200, node.api.post("/production/start?project=fo", (JsonObject) null).status());
      JsonObject done = node.awaitProduction("fo", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(60));
      assertEquals("two-nodes", node.sql("SELECT DISTINCT executor_id FROM station_tasks WHERE project_id = 'fo'").get(0)
          .getString("executor_id"), done.encode());
    }
  }

  @Test
  @DisplayName("started before its server, it keeps asking to register and starts work once the server is up")
  void waitsForItsServer() {
    int port = TestServers.freePort();
    agent = agent("http://127.0.0.1:" + port, "early");
    Future<Void> started = agent.start();
    assertFalse(started.isComplete(), "no server yet: not registered, and not given up either");
    try (TestNode node = TestNode.start(config(port), Clock.systemUTC())) {
      started.await();
      assertEquals("idle", node.api.get("/api/v1/executors/early").json().getString("status"));
      node.createProject("late", "single");
      assertEquals(200, node.api.post("/production/start?project=late", (JsonObject) null).status());
      node.awaitProduction("late", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(60));
    }
  }

  @Test
  @DisplayName("a --server that is not an http(s) URL is refused with the reason and the usage, exit code 2")
  void refusesABadServer() throws Exception {
    Process p = new ProcessBuilder("scripts/executor", "--server", "http://127.0.0.1:8950,ftp://files", "--token", "t", "--id", "x")
        .redirectErrorStream(true).start();
    assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "it ends by itself");
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(2, p.exitValue(), out);
    assertTrue(out.contains("--server: not an http(s) server URL: ftp://files") && out.contains("usage:"), out);
    assertFalse(out.contains("Exception"), out);
  }
}
