package io.productionline.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Await;
import io.productionline.support.ChildServers;
import io.productionline.support.EventStream;
import io.productionline.support.ServerProcess;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded default heals its Redis: killed mid-line (by pid, SIGKILL), the node starts it again
 * on the same port, executors' heartbeats resume, and the line finishes with every track
 * stabilized. Then a SIGTERM stops the node first and the embedded Redis and PostgreSQL after it,
 * with no stack trace in its output.
 */
@DisplayName("The embedded Redis killed mid-line")
class EmbeddedRedisKillTest {

  private static final String PROJECT = "demo";

  @TempDir
  Path dir;

  private ServerProcess server;
  private EventStream events;

  @AfterEach
  void stop() {
    if (events != null) {
      events.close();
    }
    if (server != null) {
      server.stop(Duration.ofSeconds(30));
    }
  }

  @Test
  @DisplayName("is started again by the node, the line finishes with nothing lost, and SIGTERM stops everything cleanly")
  void redisKilledMidLine() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    Path config = ChildServers.writeConfig(dir, ChildServers.crashLine(400, 2500), PROJECT, 4);
    Map<String, String> env = ChildServers.env(config, data);
    Path logs = ServerProcess.baseDir().resolve("target/embedded-redis-kill/" + dir.getFileName());
    server = ServerProcess.start("node", env, logs).awaitReady(Duration.ofSeconds(120));
    events = EventStream.open(server.port(), PROJECT, 0, server.operatorToken());
    events.awaitUntil(seen -> seen.stream().anyMatch(e -> "production_complete".equals(e.getString("type"))),
        Duration.ofSeconds(60), "the root track to stabilize (the leaves are then at work)");

    long first = redisPid(data).orElseThrow(() -> new AssertionError("no data/redis/pid"));
    int port = Integer.parseInt(Files.readString(data.resolve("redis/port")).trim());
    ProcessHandle redis = ProcessHandle.of(first).orElseThrow(() -> new AssertionError("redis-server " + first + " is not running"));
    redis.destroyForcibly();
    redis.onExit().get(10, TimeUnit.SECONDS);

    long second = Await.until(() -> redisPid(data).filter(p -> p != first).filter(p -> ProcessHandle.of(p).isPresent()),
        Optional::isPresent, Duration.ofSeconds(30), "the node to start Redis again").orElseThrow();
    assertEquals(port, Integer.parseInt(Files.readString(data.resolve("redis/port")).trim()), "Redis comes back on its port");

    JsonObject view = events.awaitState(() -> server.api().get("/production?project=" + PROJECT).json(),
        v -> "complete".equals(v.getString("line_state")), Duration.ofSeconds(90), "the line to finish after Redis came back");
    assertTrue(view.getJsonArray("tracks").stream().allMatch(t -> "stabilized".equals(((JsonObject) t).getString("state"))),
        "every track stabilized: " + view.encode());
    assertEquals(4, view.getJsonArray("tracks").size(), view.encode());
    JsonObject health = Await.until(() -> server.api().get("/health").json(), h -> "ok".equals(h.getString("status")),
        Duration.ofSeconds(30), "/health to say ok again");
    assertEquals("ok", health.getJsonObject("checks").getJsonObject("redis").getString("status"), health.encode());
    JsonObject floor = Await.until(() -> server.api().get("/api/v1/executors").json(),
        f -> f.getJsonArray("executors").stream().map(JsonObject.class::cast)
            .filter(e -> !"offline".equals(e.getString("status"))).count() == 3,
        Duration.ofSeconds(30), "the three demo executors to heartbeat into the new Redis");
    assertEquals(3, floor.getJsonArray("executors").size(), floor.encode());

    long pg = postmaster(data).orElseThrow(() -> new AssertionError("no postgres runs on the data directory"));
    server.stop(Duration.ofSeconds(60));
    assertEquals(143, server.exitValue(), "SIGTERM ends the JVM through its shutdown hook");
    // The child's output reaches its file through the test's reader: wait for the stop's last line.
    String all = Await.until(server::output, o -> o.contains("Stopped"), Duration.ofSeconds(30), "the stop's last line:\n" + server.tail());
    String stop = all.substring(all.indexOf("Stopping:"), all.indexOf("Stopped") + "Stopped".length());
    assertFalse(stop.contains("Exception") || stop.contains("\tat ") || stop.contains("WARN") || stop.contains("ERROR"),
        "a quiet stop, no stack trace:\n" + stop);
    assertFalse(all.contains("\tat "), "no stack trace anywhere in the node's output:\n" + server.tail());
    assertFalse(ProcessHandle.of(second).map(ProcessHandle::isAlive).orElse(false), "the embedded Redis stopped with the node");
    assertFalse(ProcessHandle.of(pg).map(ProcessHandle::isAlive).orElse(false), "the embedded PostgreSQL stopped with the node");
    assertNotEquals(first, second);
  }

  private static Optional<Long> redisPid(Path data) {
    try {
      Path f = data.resolve("redis/pid");
      return Files.exists(f) ? Optional.of(Long.parseLong(Files.readString(f).trim())) : Optional.empty();
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static Optional<Long> postmaster(Path data) throws IOException {
    Path pid = data.resolve("pg/pgdata/postmaster.pid");
    if (!Files.exists(pid)) {
      return Optional.empty();
    }
    List<String> lines = Files.readAllLines(pid);
    return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).trim()));
  }
}
