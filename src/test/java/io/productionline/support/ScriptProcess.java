package io.productionline.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A program a user would run against the server (an executor in Python or bash), started as a
 * child process from the project directory with the environment a test gives it; stdout and
 * stderr go to one file under {@code target/} for the assertions and for diagnosis.
 */
public final class ScriptProcess implements AutoCloseable {

  private final Process process;
  private final Path output;

  private ScriptProcess(Process process, Path output) {
    this.process = process;
    this.output = output;
  }

  public static ScriptProcess start(String name, List<String> command, Map<String, String> env) {
    try {
      Path dir = ServerProcess.baseDir().resolve("target/scripts");
      Files.createDirectories(dir);
      Path out = dir.resolve(name + ".out");
      ProcessBuilder pb = new ProcessBuilder(command).directory(ServerProcess.baseDir().toFile())
          .redirectErrorStream(true).redirectOutput(out.toFile());
      pb.environment().keySet().removeIf(k -> k.startsWith("PL_"));
      pb.environment().putAll(env);
      return new ScriptProcess(pb.start(), out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public boolean alive() {
    return process.isAlive();
  }

  public long pid() {
    return process.pid();
  }

  /** SIGTERM, as Ctrl-C or a service manager would stop it; returns the exit status, or fails when it does not stop in time. */
  public int terminate(Duration within) {
    process.destroy();
    return awaitExit(within);
  }

  public int awaitExit(Duration within) {
    try {
      if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("the process did not stop within " + within + "\n" + output());
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** What it printed so far (stdout and stderr). */
  public String output() {
    try {
      return Files.exists(output) ? Files.readString(output, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Ends it (SIGKILL) if a failed test left it running. */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
    }
  }
}
