package io.productionline.chaos;

import io.productionline.support.ServerProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One reference executor as a child JVM ({@code io.productionline.Main executor}, what
 * {@code scripts/executor} runs), talking HTTP to one server node. Each start appends to the
 * executor's own output file, so the refusals it was given survive its kill -9s.
 */
final class ExecutorProcess {

  final String id;
  private final String token;
  private final Path dir;
  private volatile Process process;
  private volatile int port;
  /** When the current process was started: a task it claimed after this is its own work in hand. */
  private volatile java.time.Instant startedAt = java.time.Instant.EPOCH;

  ExecutorProcess(String id, String token, Path dir) {
    this.id = id;
    this.token = token;
    this.dir = dir;
  }

  /**
   * Starts (or starts again) against the node on {@code serverPort} first, and the other nodes of
   * {@code allPorts} after it: the executor turns to the next when the one in use cannot be reached.
   */
  synchronized void start(int serverPort, List<Integer> allPorts) {
    try {
      Files.createDirectories(dir);
      this.port = serverPort;
      List<String> servers = new ArrayList<>(List.of("http://127.0.0.1:" + serverPort));
      allPorts.stream().filter(p -> p != serverPort).forEach(p -> servers.add("http://127.0.0.1:" + p));
      List<String> cmd = new ArrayList<>(List.of(Signals.java(), "-XX:TieredStopAtLevel=1", "-Xmx128m", "-XX:+UseSerialGC",
          "-cp", ServerProcess.classpath(), "io.productionline.Main", "executor",
          "--server", String.join(",", servers), "--token", token, "--id", id, "--capabilities", "sim",
          "--environment", "server", "--wait", "5", "--grace", "1"));
      ProcessBuilder pb = new ProcessBuilder(cmd).directory(ServerProcess.baseDir().toFile())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(output().toFile()));
      pb.environment().keySet().removeIf(k -> k.startsWith("PL_"));
      pb.environment().put("PL_DATA_DIR", dir.toString());
      startedAt = java.time.Instant.now();
      process = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Path output() {
    return dir.resolve("executor.out");
  }

  int port() {
    return port;
  }

  java.time.Instant startedAt() {
    return startedAt;
  }

  long pid() {
    return process.pid();
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  /** SIGKILL, and waits for the exit. */
  void kill9() {
    Process p = process;
    if (p == null) {
      return;
    }
    p.destroyForcibly();
    try {
      p.waitFor(20, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** SIGTERM with a short grace, then SIGKILL: the end of a run. */
  void stop() {
    Process p = process;
    if (p == null || !p.isAlive()) {
      return;
    }
    Signals.send("CONT", p.pid());
    p.destroy();
    try {
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
  }
}
