package io.productionline.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Api;
import io.productionline.support.ChildServers;
import io.productionline.support.EventStream;
import io.productionline.support.ServerProcess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded default (no {@code PL_PG_URL}, no {@code PL_REDIS_URL}) survives the kill -9 trap:
 * the killed JVM leaves its {@code postgres} and {@code redis-server} running on the data
 * directory's ports, and the next start must stop or adopt them and resume the same data.
 */
@DisplayName("The embedded default after a kill -9")
class EmbeddedDefaultTest {

  private static final String PROJECT = "demo";

  private final List<ServerProcess> children = new ArrayList<>();
  private final List<EventStream> streams = new ArrayList<>();

  @TempDir
  Path dir;

  private Path data;

  @AfterEach
  void stopEverything() throws Exception {
    streams.forEach(EventStream::close);
    children.forEach(c -> c.stop(Duration.ofSeconds(30)));
    if (data != null) {
      postmaster(data).ifPresent(p -> stop(p, Duration.ofSeconds(20)));
      redisPort(data).ifPresent(EmbeddedDefaultTest::shutdownRedis);
    }
  }

  @Test
  @DisplayName("Killed with -9 and started again on the same data directory, it comes up, resumes the same demo project and finishes it")
  void killAndRestartOnEmbeddedServers() throws Exception {
    data = Files.createDirectories(dir.resolve("data"));
    Path config = ChildServers.writeConfig(dir, ChildServers.crashLine(400, 1500), PROJECT, 4);
    Map<String, String> env = ChildServers.env(config, data);
    Path logs = ServerProcess.baseDir().resolve("target/embedded-default/" + dir.getFileName());

    ServerProcess first = child("first", env, logs).awaitReady(Duration.ofSeconds(90));
    JsonObject health = first.api().get("/health").json();
    assertEquals("ok", health.getString("status"), health.encode());
    assertTokens(first);
    EventStream events = stream(first);
    events.awaitUntil(seen -> seen.stream().anyMatch(e -> "production_complete".equals(e.getString("type"))),
        Duration.ofSeconds(30), "the first track to stabilize");
    JsonObject before = first.api().get("/production?project=" + PROJECT).json();
    JsonObject projectBefore = first.api().get("/api/v1/projects/" + PROJECT).json();

    assertEquals(137, first.kill9(), "killed with SIGKILL: no shutdown hook stopped the embedded servers");
    ProcessHandle orphanPg = postmaster(data).orElseThrow(() -> new AssertionError("no postgres left behind by the killed JVM"));
    int redisPort = redisPort(data).orElseThrow();
    assertTrue(answersPing(redisPort), "the killed JVM's redis-server still answers on " + redisPort);

    ServerProcess second = child("second", env, logs).awaitReady(Duration.ofSeconds(90));
    JsonObject checks = second.api().get("/health").json();
    assertEquals("ok", checks.getString("status"), "PostgreSQL and Redis are up after the restart: " + checks.encode());
    ProcessHandle pgNow = postmaster(data).orElseThrow(() -> new AssertionError("no postgres runs on the data directory"));
    assertTrue(!orphanPg.isAlive() || orphanPg.pid() == pgNow.pid(), "the orphaned postgres was stopped (or adopted), not left beside a second one");
    assertEquals(redisPort, redisPort(data).orElseThrow(), "Redis keeps its port per data directory");

    assertTokens(second);
    JsonObject view = stream(second).awaitState(() -> second.api().get("/production?project=" + PROJECT).json(),
        v -> "complete".equals(v.getString("line_state")), Duration.ofSeconds(45), "the demo line to complete after the restart");
    assertEquals(trackIds(before), trackIds(view), "the same tracks resumed: the demo project was not created again");
    assertEquals(projectBefore.getString("created_at"), second.api().get("/api/v1/projects/" + PROJECT).json().getString("created_at"));
    JsonArray projects = second.api().get("/api/v1/projects").json().getJsonArray("projects");
    assertEquals(1, projects.size(), "one project: " + projects.encode());
    assertTrue(view.getJsonArray("tracks").stream().allMatch(t -> "stabilized".equals(((JsonObject) t).getString("state"))),
        view.encode());
  }

  private ServerProcess child(String name, Map<String, String> env, Path logs) {
    ServerProcess p = ServerProcess.start(name, env, logs);
    children.add(p);
    return p;
  }

  /**
   * The server printed a dashboard URL with the operator token, wrote that token and an admin token
   * to {@code data/tokens} readable by the owner only, and refuses a call without a token.
   */
  private void assertTokens(ServerProcess server) throws IOException {
    Path tokens = data.resolve("tokens");
    assertEquals(server.operatorToken(), Files.readString(tokens.resolve("operator.token")).trim(),
        "the printed URL carries the operator token of data/tokens/operator.token");
    for (String f : List.of("operator.token", "admin.token")) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokens.resolve(f))), f + " is the owner's only");
    }
    assertEquals(401, new Api(server.port()).get("/production?project=" + PROJECT).status(), "no token, no line");
    assertEquals(200, new Api(server.port()).withToken(server.adminToken()).get("/api/v1/audit").status(), "the admin token reads the audit log");
  }

  private EventStream stream(ServerProcess server) {
    EventStream s = EventStream.open(server.port(), PROJECT, 0, server.operatorToken());
    streams.add(s);
    return s;
  }

  private static List<String> trackIds(JsonObject production) {
    return production.getJsonArray("tracks").stream().map(t -> ((JsonObject) t).getString("track_id")).sorted().toList();
  }

  /** The postgres that holds the data directory, from its {@code postmaster.pid}, if it runs. */
  private static Optional<ProcessHandle> postmaster(Path data) throws IOException {
    Path pid = data.resolve("pg/pgdata/postmaster.pid");
    if (!Files.exists(pid)) {
      return Optional.empty();
    }
    List<String> lines = Files.readAllLines(pid);
    if (lines.isEmpty()) {
      return Optional.empty();
    }
    return ProcessHandle.of(Long.parseLong(lines.get(0).trim())).filter(ProcessHandle::isAlive);
  }

  private static Optional<Integer> redisPort(Path data) throws IOException {
    Path port = data.resolve("redis/port");
    return Files.exists(port) ? Optional.of(Integer.parseInt(Files.readString(port).trim())) : Optional.empty();
  }

  private static void stop(ProcessHandle p, Duration grace) {
    p.destroy();
    try {
      p.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      p.destroyForcibly();
    }
  }

  private static boolean answersPing(int port) {
    return redis(port, "PING\r\n").startsWith("+PONG");
  }

  /** Stops a redis-server left on {@code port} (the embedded default reuses one and never stops it). */
  private static void shutdownRedis(int port) {
    redis(port, "SHUTDOWN NOSAVE\r\n");
  }

  private static String redis(int port, String command) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 500);
      s.setSoTimeout(2000);
      OutputStream out = s.getOutputStream();
      out.write(command.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      byte[] buf = new byte[64];
      int n = s.getInputStream().read(buf);
      return n <= 0 ? "" : new String(buf, 0, n, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      return "";
    }
  }
}
