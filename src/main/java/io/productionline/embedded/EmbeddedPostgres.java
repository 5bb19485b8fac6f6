package io.productionline.embedded;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default's PostgreSQL: real binaries (zonky) in a persistent data directory, so a
 * restart resumes the same data. The port is chosen once per data directory and kept beside it.
 * A {@code postgres} left running by a JVM that was killed with -9 keeps the data directory; it
 * is stopped before the new start (see FACTS: the kill -9 trap).
 */
public final class EmbeddedPostgres implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgres.class);

  private final io.zonky.test.db.postgres.embedded.EmbeddedPostgres pg;
  private final int port;
  private final Path pgData;

  private EmbeddedPostgres(io.zonky.test.db.postgres.embedded.EmbeddedPostgres pg, int port, Path pgData) {
    this.pg = pg;
    this.pgData = pgData;
    this.port = port;
  }

  /** Starts (or restarts) PostgreSQL on {@code dataDir}; blocking, call it before Vert.x starts. */
  public static EmbeddedPostgres start(Path dataDir) throws IOException {
    return start(dataDir, java.util.Map.of());
  }

  /**
   * The same server with some of its settings replaced. Only the bench uses it, to measure what a
   * setting of the embedded default costs ({@code scripts/bench --embedded --synchronous-commit off});
   * the product always starts with the settings below.
   */
  public static EmbeddedPostgres start(Path dataDir, java.util.Map<String, String> overrides) throws IOException {
    Files.createDirectories(dataDir.getParent());
    Path pgData = dataDir.resolve("pgdata");
    int port = portFor(dataDir);
    stopOrphan(pgData);
    log.info("Starting embedded PostgreSQL on 127.0.0.1:{} with data in {}", port, pgData);
    var pg = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
        .setDataDirectory(pgData)
        .setCleanDataDirectory(false)
        .setPort(port)
        .setPGStartupWait(Duration.ofSeconds(30))
        // The node stops PostgreSQL itself, last, from its own shutdown hook (zonky's would race it).
        .setRegisterShutdownHook(false)
        .setServerConfig("listen_addresses", "127.0.0.1")
        .setServerConfig("max_connections", "200")
        .setServerConfig("fsync", "on")
        // zonky turns synchronous_commit off by default; a commit the line announces must be on disk first.
        .setServerConfig("synchronous_commit", "on");
    overrides.forEach(pg::setServerConfig);
    return new EmbeddedPostgres(pg.start(), port, pgData);
  }

  public int port() {
    return port;
  }

  /** A URL for the Vert.x PG client. */
  public String url() {
    return "postgresql://postgres@127.0.0.1:" + port + "/postgres";
  }

  @Override
  public void close() throws IOException {
    Optional<ProcessHandle> postmaster = postmaster(pgData);
    pg.close();
    // pg_ctl gives up waiting after a few seconds; the shutdown checkpoint may take longer on a busy
    // disk. Return only once PostgreSQL has ended, so it is the last thing to stop.
    postmaster.ifPresent(p -> {
      try {
        p.onExit().get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.warn("PostgreSQL (pid {}) is still shutting down", p.pid());
      }
    });
  }

  /** The running postmaster of {@code pgData}, from its {@code postmaster.pid}. */
  private static Optional<ProcessHandle> postmaster(Path pgData) {
    try {
      List<String> lines = Files.readAllLines(pgData.resolve("postmaster.pid"));
      return lines.isEmpty() ? Optional.empty() : ProcessHandle.of(Long.parseLong(lines.get(0).trim())).filter(ProcessHandle::isAlive);
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  static int portFor(Path dataDir) throws IOException {
    Files.createDirectories(dataDir);
    Path portFile = dataDir.resolve("port");
    if (Files.exists(portFile)) {
      return Integer.parseInt(Files.readString(portFile).trim());
    }
    int port = freePort();
    Files.writeString(portFile, Integer.toString(port));
    return port;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Stops a postgres that still holds {@code pgData} after its JVM died. */
  private static void stopOrphan(Path pgData) {
    Optional<ProcessHandle> orphan = postmaster(pgData)
        .filter(p -> p.info().command().map(c -> c.contains("postgres")).orElse(false));
    if (orphan.isEmpty()) {
      return;
    }
    long pid = orphan.get().pid();
    log.warn("Stopping PostgreSQL left running by an earlier run (pid {})", pid);
    ProcessHandle p = orphan.get();
    p.destroy();
    try {
      p.onExit().get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      p.destroyForcibly();
    }
  }
}
