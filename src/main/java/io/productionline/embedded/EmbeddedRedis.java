package io.productionline.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.RedisServer;

/**
 * The embedded default's Redis (a Redis 6.2 binary from Maven Central), on a port kept per data
 * directory, its pid in {@code <dir>/pid}. It runs in a session of its own ({@code setsid}), so the
 * Ctrl-C a terminal sends to the whole process group does not reach it: the node stops it last,
 * from its shutdown hook. A watch pings it every second and starts it again when it is gone; Redis
 * holds only executor liveness, which executors' next heartbeats write again. A server left
 * running by a killed JVM is adopted (and stopped at the end like one of ours).
 */
public final class EmbeddedRedis implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedRedis.class);

  private final Path dir;
  private final int port;
  private final List<String> command;
  private volatile ProcessHandle process;
  private volatile boolean closing;
  private final ScheduledExecutorService watch = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "embedded-redis-watch");
    t.setDaemon(true);
    return t;
  });

  private EmbeddedRedis(Path dir, int port, List<String> command) {
    this.dir = dir;
    this.port = port;
    this.command = command;
  }

  public static EmbeddedRedis start(Path dataDir) throws IOException {
    int port = EmbeddedPostgres.portFor(dataDir);
    List<String> command = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
      command.add("/usr/bin/setsid");
    }
    command.addAll(RedisServer.newRedisServer()
        .port(port)
        .bind("127.0.0.1")
        .setting("save \"\"")
        .setting("appendonly no")
        .buildCommandArgs());
    EmbeddedRedis redis = new EmbeddedRedis(dataDir, port, command);
    if (answersPing(port)) {
      redis.process = redis.recordedPid().orElse(null);
      log.info("Reusing the Redis already answering on 127.0.0.1:{}", port);
    } else {
      redis.launch();
    }
    redis.watch.scheduleWithFixedDelay(redis::keepRunning, 1, 1, TimeUnit.SECONDS);
    return redis;
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** The pid of the redis-server this node runs (or adopted), if known. */
  public Optional<Long> pid() {
    ProcessHandle p = process;
    return p == null ? Optional.empty() : Optional.of(p.pid());
  }

  private void launch() throws IOException {
    Files.createDirectories(dir);
    Process p = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile()))
        .start();
    for (int i = 0; i < 100 && p.isAlive() && !answersPing(port); i++) {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (!answersPing(port)) {
      p.destroyForcibly();
      throw new IOException("embedded Redis did not start on 127.0.0.1:" + port + "; see " + dir.resolve("redis.log"));
    }
    process = p.toHandle();
    Files.writeString(dir.resolve("pid"), Long.toString(p.pid()));
    log.info("Embedded Redis runs on 127.0.0.1:{} (pid {})", port, p.pid());
  }

  /** The watch: when Redis no longer answers, start it again on the same port. */
  private void keepRunning() {
    if (closing || answersPing(port)) {
      return;
    }
    synchronized (this) {
      if (closing || answersPing(port)) {
        return;
      }
      log.warn("Embedded Redis on 127.0.0.1:{} stopped answering; starting it again", port);
      ProcessHandle old = process;
      if (old != null && old.isAlive()) {
        old.destroyForcibly();
      }
      try {
        launch();
      } catch (IOException e) {
        log.warn("Embedded Redis could not be started again ({}); trying again in a second", e.getMessage());
      }
    }
  }

  private Optional<ProcessHandle> recordedPid() {
    try {
      Path pid = dir.resolve("pid");
      if (!Files.exists(pid)) {
        return Optional.empty();
      }
      return ProcessHandle.of(Long.parseLong(Files.readString(pid).trim()))
          .filter(p -> p.info().command().map(c -> c.contains("redis")).orElse(false));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  @Override
  public synchronized void close() {
    closing = true;
    watch.shutdownNow();
    ProcessHandle p = process;
    if (p == null || !p.isAlive()) {
      return;
    }
    p.destroy();
    try {
      p.onExit().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      p.destroyForcibly();
    }
  }

  static boolean answersPing(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 300);
      s.setSoTimeout(500);
      OutputStream out = s.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[16];
      int n = in.read(buf);
      return n > 0 && new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }
}
