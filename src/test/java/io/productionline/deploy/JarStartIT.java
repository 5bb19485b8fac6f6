package io.productionline.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Await;
import io.productionline.support.ServerProcess;
import io.productionline.support.TestServers;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What ships, and the first minutes of a new user on it. The built jar holds no test-only class,
 * names its main class and Hazelcast's add-opens, and carries the default {@code conf/} and
 * {@code webroot/}. {@code java -jar target/production-line.jar serve} in a directory of its own (the jar's {@code conf/} and {@code webroot/}), on the embedded
 * default with the demo. Its start prints no warning and ends with the banner (the demo line moves
 * only after it); Ctrl-C stops it with no stack trace, the embedded servers last; started again on
 * the same data by {@code scripts/run} (which runs the same jar) it is as quiet, and SIGTERM stops
 * it as cleanly.
 *
 * <p>It needs the jar, so it runs after {@code package}: {@code mvn verify} (scripts/test) runs it
 * through the failsafe plugin; alone: {@code mvn -B verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@DisplayName("java -jar production-line.jar serve")
class JarStartIT {

  /** The banner's lines, in order: what {@code Main} prints last at start. */
  private static final List<String> BANNER = List.of(ServerProcess.READY, "Dashboard:", "Tokens:", "Logs:", "Data:", "Health:", "Stop:");
  /** A warning or worse on the console (logback's level column, or a JVM's or library's own "WARNING"). */
  private static final Pattern WARNING = Pattern.compile("\\b(WARN|WARNING|ERROR|SEVERE)\\b", Pattern.CASE_INSENSITIVE);
  /** The loggers of the line at work: the demo's moves, claims and executors. */
  private static final Pattern LINE_AT_WORK = Pattern.compile(" (TrackVerticle|WorkService|ExecutorAgent|DemoLine) - ");
  /** The loggers of the start itself. */
  private static final Pattern START = Pattern.compile(" (EmbeddedPostgres|EmbeddedRedis|Migrations|NodeLease|LineCatalog|WebVerticle|ProductionLine) - ");

  @TempDir
  Path dir;

  private ServerProcess server;
  private Path data;

  @AfterEach
  void stopEverything() throws IOException {
    if (server != null) {
      server.stop(Duration.ofSeconds(30));
    }
    if (data != null) {
      // A run cut short leaves no embedded server behind.
      pid(data.resolve("pg/pgdata/postmaster.pid")).flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroy);
      pid(data.resolve("redis/pid")).flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroy);
    }
  }

  @Test
  @DisplayName("The jar holds no test-only class, names its main class and Hazelcast's add-opens, and carries conf/ and webroot/")
  void builtJarHoldsWhatShips() throws IOException {
    Path jar = builtJar();
    try (JarFile j = new JarFile(jar.toFile())) {
      List<String> found = j.stream().map(e -> e.getName())
          .filter(n -> n.startsWith("org/junit/") || n.startsWith("org/openqa/") || n.startsWith("io/opentelemetry/")
              || n.startsWith("net/bytebuddy/") || n.startsWith("io/vertx/junit5/"))
          .limit(5).toList();
      assertEquals(List.of(), found, "test-only classes in " + jar);
      var main = j.getManifest().getMainAttributes();
      assertEquals("io.productionline.Main", main.getValue("Main-Class"));
      assertTrue(String.valueOf(main.getValue("Add-Opens")).contains("java.base/java.lang"), "Hazelcast's add-opens are in the manifest");
      assertTrue(j.getEntry("conf/config.json") != null && j.getEntry("webroot/index.html") != null, "the default conf/ and webroot/ ride inside");
    }
  }

  @Test
  @DisplayName("starts quietly and ends its start with the banner; Ctrl-C stops it cleanly; started again by scripts/run, the same, and SIGTERM stops it cleanly")
  void quietStartBannerLastCleanStop() throws Exception {
    builtJar();
    data = dir.resolve("data");
    int clusterPort = TestServers.freePort();
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PL_HTTP_PORT", Integer.toString(TestServers.freePort()));
    env.put("PL_DATA_DIR", data.toString());
    env.put("PL_CLUSTER_NAME", "pl-jar-" + UUID.randomUUID().toString().substring(0, 8));
    env.put("PL_CLUSTER_PORT", Integer.toString(clusterPort));
    env.put("PL_CLUSTER_MEMBERS", "127.0.0.1:" + clusterPort);
    Path logs = ServerProcess.baseDir().resolve("target/jar-start/" + dir.getFileName());

    server = ServerProcess.startJar("first", env, dir, logs).awaitReady(Duration.ofSeconds(180));
    assertQuietStartEndingWithBanner(server);
    JsonObject projects = server.api().get("/api/v1/projects").json();
    assertTrue(projects.encode().contains("\"demo\""), "the dashboard's token reads the demo project: " + projects.encode());
    stopCleanly(server, server::interrupt, 130, "Ctrl-C");

    // Started again by scripts/run (the same jar, from the project's directory) on the same data.
    server = ServerProcess.startRunScript("second", env, logs).awaitReady(Duration.ofSeconds(180));
    assertQuietStartEndingWithBanner(server);
    ServerProcess second = server;
    stopCleanly(second, () -> second.stop(Duration.ofSeconds(90)), 143, "SIGTERM");
  }

  /**
   * What the start printed, up to the banner, holds no warning (on stdout nor stderr) and none of the
   * line at work; the banner's lines follow one another with nothing between them; the line at work
   * prints after it, and nothing of the start does.
   */
  private static void assertQuietStartEndingWithBanner(ServerProcess server) {
    List<String> lines = Await.until(server::stdoutLines, l -> l.stream().anyMatch(x -> x.startsWith("  Stop:")),
        Duration.ofSeconds(30), "the banner's last line\n" + server.tail());
    int first = indexOf(lines, "  " + ServerProcess.READY);
    for (int i = 0; i < BANNER.size(); i++) {
      assertTrue(lines.get(first + i).startsWith("  " + BANNER.get(i)),
          "the banner's lines follow one another; line " + (first + i) + " is not '" + BANNER.get(i) + "':\n" + String.join("\n", lines));
    }
    List<String> start = lines.subList(0, first + BANNER.size());
    assertEquals(List.of(), start.stream().filter(l -> WARNING.matcher(l).find()).toList(), "no warning in the start");
    String err = server.stderr();
    assertFalse(WARNING.matcher(err).find(), "no warning on stderr during the start:\n" + err);
    assertEquals(List.of(), start.stream().filter(l -> LINE_AT_WORK.matcher(l).find()).toList(),
        "the demo line moves only after the banner");
    if (System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64")) {
      assertTrue(start.stream().anyMatch(l -> l.endsWith("Main - Sockets on Linux's epoll")),
          "the jar carries Netty's epoll library and the node's sockets run on it:\n" + String.join("\n", start));
    }

    // The demo's line starts after the banner; nothing of the start comes after it.
    List<String> after = Await.until(() -> {
      List<String> all = server.stdoutLines();
      return all.subList(first + BANNER.size(), all.size());
    }, a -> a.stream().anyMatch(l -> l.contains("TrackVerticle - ") && l.contains(" moved ")), Duration.ofSeconds(60),
        "a move of the demo line after the banner\n" + server.tail());
    assertEquals(List.of(), after.stream().filter(l -> START.matcher(l).find()).toList(), "the banner is the start's last output");
  }

  /**
   * After {@code signal} the child ends by itself with {@code exit}; its stop ("Stopping:" to
   * "Stopped") printed no warning and no exception, nothing it printed holds a stack trace, and the
   * embedded PostgreSQL and Redis are gone with it.
   */
  private void stopCleanly(ServerProcess server, Runnable signal, int exit, String how) throws IOException {
    Optional<Long> pg = pid(data.resolve("pg/pgdata/postmaster.pid"));
    Optional<Long> redis = pid(data.resolve("redis/pid"));
    signal.run();
    assertEquals(exit, server.awaitExit(Duration.ofSeconds(90)), how + " ends the JVM through its shutdown hook");
    String all = Await.until(server::output, o -> o.contains(" Main - Stopped"), Duration.ofSeconds(30),
        "the stop's last line\n" + server.tail());
    String stop = all.substring(all.indexOf(" Main - Stopping:"), all.indexOf(" Main - Stopped"));
    assertFalse(WARNING.matcher(stop).find() || stop.contains("Exception") || stop.contains("\tat "),
        "a quiet stop on " + how + ":\n" + stop);
    assertFalse(all.contains("\tat "), "no stack trace anywhere in the output:\n" + server.tail());
    assertTrue(pg.isPresent() && redis.isPresent(), "the embedded default ran PostgreSQL and Redis");
    assertFalse(ProcessHandle.of(pg.get()).map(ProcessHandle::isAlive).orElse(false), "the embedded PostgreSQL stopped with the node");
    assertFalse(ProcessHandle.of(redis.get()).map(ProcessHandle::isAlive).orElse(false), "the embedded Redis stopped with the node");
  }

  /** The jar {@code package} built, and not older than the sources it is built from. */
  private static Path builtJar() throws IOException {
    Path jar = ServerProcess.baseDir().resolve("target/production-line.jar");
    assertTrue(Files.exists(jar), "no " + jar + ": it runs after package (mvn verify; scripts/test does)");
    Optional<Path> newer = newerThan(Files.getLastModifiedTime(jar));
    assertTrue(newer.isEmpty(), jar + " is older than " + newer.orElse(null) + ": build it again (mvn -q -DskipTests package)");
    return jar;
  }

  private static int indexOf(List<String> lines, String prefix) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith(prefix)) {
        return i;
      }
    }
    throw new AssertionError("no line starts with '" + prefix + "':\n" + String.join("\n", lines));
  }

  /** A source the jar is built from that changed after it (what scripts/run rebuilds for), if any. */
  private static Optional<Path> newerThan(FileTime built) throws IOException {
    Path base = ServerProcess.baseDir();
    for (String root : List.of("src/main", "conf", "webroot", "pom.xml")) {
      try (Stream<Path> files = Files.walk(base.resolve(root))) {
        Optional<Path> found = files.filter(Files::isRegularFile).filter(f -> modified(f).compareTo(built) > 0).findFirst();
        if (found.isPresent()) {
          return found;
        }
      }
    }
    return Optional.empty();
  }

  private static FileTime modified(Path f) {
    try {
      return Files.getLastModifiedTime(f);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The pid in the first line of {@code file}, if the file exists. */
  private static Optional<Long> pid(Path file) throws IOException {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    List<String> lines = Files.readAllLines(file);
    return lines.isEmpty() || lines.get(0).isBlank() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).trim()));
  }
}
