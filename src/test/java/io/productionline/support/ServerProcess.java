package io.productionline.support;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real server as a child JVM: {@code java -cp <test classpath> io.productionline.Main serve}
 * with the environment a test gives it (and none of the parent's {@code PL_*} variables). Its
 * stdout and stderr go to files for diagnosis; readiness is the banner {@code Main} prints once the
 * node is up and the demo's projects exist (the demo's executors start right after it), read from
 * the child's stdout as it is written.
 */
public final class ServerProcess {

  /** The banner's first line: what {@code Main} prints when the node serves. */
  public static final String READY = "Production Line is running.";
  /** The dashboard URL's token in what {@code Main} prints. */
  private static final Pattern DASHBOARD_TOKEN = Pattern.compile("Dashboard: http\\S*[?&]token=([A-Za-z0-9_.-]+)");

  private final String name;
  private final Process process;
  private final CompletableFuture<Void> ready = new CompletableFuture<>();
  /** The operator token of the dashboard URL {@code Main} prints. */
  private volatile String operatorToken;
  private final Path dataDir;
  private final Path stdout;
  private final Path stderr;
  private final int port;

  private ServerProcess(String name, Process process, Path stdout, Path stderr, int port, Path dataDir) {
    this.name = name;
    this.dataDir = dataDir;
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
    this.port = port;
  }

  /**
   * Starts {@code Main serve} with {@code env} (which must name {@code PL_HTTP_PORT}); output goes
   * to {@code logDir/name.out} and {@code .err}.
   */
  public static ServerProcess start(String name, Map<String, String> env, Path logDir) {
    try {
      Files.createDirectories(logDir);
      Path out = logDir.resolve(name + ".out");
      Path err = logDir.resolve(name + ".err");
      List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-XX:TieredStopAtLevel=1", "-Xmx512m", "-XX:+UseSerialGC",
          "-cp", classpath(), "io.productionline.Main", "serve"));
      ProcessBuilder pb = new ProcessBuilder(cmd).directory(baseDir().toFile())
          .redirectErrorStream(false)
          .redirectError(err.toFile());
      pb.environment().keySet().removeIf(k -> k.startsWith("PL_"));
      pb.environment().putAll(env);
      Process p = pb.start();
      ServerProcess server = new ServerProcess(name, p, out, err, Integer.parseInt(env.get("PL_HTTP_PORT")),
          baseDir().resolve(env.getOrDefault("PL_DATA_DIR", "data")));
      server.pumpStdout();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts {@code java -jar target/production-line.jar serve} as a user at a terminal would: in
   * {@code workDir} (without a {@code conf/} there, the jar's own is read), with no JVM option but a
   * small heap, as the leader of a process group of its own ({@code setsid}) so that
   * {@link #interrupt} reaches it as a terminal's Ctrl-C does, and with SIGINT at its default: a
   * test runner started in the background passes SIGINT on ignored, and a JVM keeps ignoring it.
   */
  public static ServerProcess startJar(String name, Map<String, String> env, Path workDir, Path logDir) {
    Path jar = baseDir().resolve("target/production-line.jar");
    return startAtTerminal(name, env, workDir, logDir, List.of(javaBinary(), "-Xmx512m", "-XX:+UseSerialGC", "-jar", jar.toString(), "serve"));
  }

  /**
   * {@code scripts/run} as a user at a terminal starts it (see {@link #startJar}): the script
   * {@code exec}s {@code java -jar}, so the child is the server itself. {@code PL_JAVA_OPTS} gives
   * the same small heap.
   */
  public static ServerProcess startRunScript(String name, Map<String, String> env, Path logDir) {
    Map<String, String> withHeap = new java.util.LinkedHashMap<>(env);
    withHeap.put("PL_JAVA_OPTS", "-Xmx512m -XX:+UseSerialGC");
    return startAtTerminal(name, withHeap, baseDir(), logDir, List.of(baseDir().resolve("scripts/run").toString()));
  }

  private static ServerProcess startAtTerminal(String name, Map<String, String> env, Path workDir, Path logDir, List<String> command) {
    try {
      Files.createDirectories(logDir);
      Path out = logDir.resolve(name + ".out");
      Path err = logDir.resolve(name + ".err");
      List<String> cmd = new ArrayList<>(List.of("/usr/bin/setsid", "/usr/bin/env", "--default-signal=INT"));
      cmd.addAll(command);
      ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectError(err.toFile());
      pb.environment().keySet().removeIf(k -> k.startsWith("PL_"));
      pb.environment().putAll(env);
      Process p = pb.start();
      ServerProcess server = new ServerProcess(name, p, out, err, Integer.parseInt(env.get("PL_HTTP_PORT")),
          workDir.resolve(env.getOrDefault("PL_DATA_DIR", "data")));
      server.pumpStdout();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Ctrl-C: SIGINT to the child's process group, as a terminal sends it to its foreground job (the
   * child leads its group when started by {@link #startJar}).
   */
  public void interrupt() {
    try {
      Process kill = new ProcessBuilder("kill", "-INT", "--", "-" + process.pid()).inheritIO().start();
      if (kill.waitFor() != 0) {
        throw new AssertionError("kill -INT -- -" + process.pid() + " did not reach the server's process group");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Waits for the child to end by itself; its exit status, or an error with its output's tail after {@code timeout}. */
  public int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("server " + name + " still runs " + timeout + " after it was told to stop\n" + tail());
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** What the child wrote to stdout so far, line by line. */
  public List<String> stdoutLines() {
    try {
      return Files.exists(stdout) ? Files.readAllLines(stdout, StandardCharsets.UTF_8) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What the child wrote to stderr so far. */
  public String stderr() {
    try {
      return Files.exists(stderr) ? Files.readString(stderr, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Copies the child's stdout to its file line by line and completes {@link #ready} on the ready line. */
  private void pumpStdout() {
    Thread t = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
           BufferedWriter file = Files.newBufferedWriter(stdout, StandardCharsets.UTF_8)) {
        String line;
        while ((line = in.readLine()) != null) {
          file.write(line);
          file.newLine();
          file.flush();
          Matcher token = DASHBOARD_TOKEN.matcher(line);
          if (token.find()) {
            operatorToken = token.group(1);
          }
          if (line.contains("Health:") && operatorToken != null) {
            ready.complete(null);
          }
        }
      } catch (IOException e) {
        // The child went away mid-line (kill -9); what was read is in the file.
      } finally {
        ready.completeExceptionally(new IllegalStateException("server " + name + " ended its output before it was ready"));
      }
    }, "server-" + name + "-stdout");
    t.setDaemon(true);
    t.start();
  }

  /** Waits for the ready line; fails with the tail of the child's output when it exits first or takes too long. */
  public ServerProcess awaitReady(Duration timeout) {
    try {
      ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return this;
    } catch (TimeoutException e) {
      throw new AssertionError("server " + name + " was not ready within " + timeout + "\n" + tail());
    } catch (ExecutionException e) {
      throw new AssertionError("server " + name + " exited before it was ready (exit "
          + (process.isAlive() ? "?" : process.exitValue()) + ")\n" + tail());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public int port() {
    return port;
  }

  public long pid() {
    return process.pid();
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** A client with the operator token the server printed in its dashboard URL. */
  public Api api() {
    return new Api(port).withToken(operatorToken());
  }

  /** The operator token of the printed dashboard URL (known once the server is ready). */
  public String operatorToken() {
    if (operatorToken == null) {
      throw new IllegalStateException("server " + name + " printed no dashboard token (not ready yet?)");
    }
    return operatorToken;
  }

  /** The admin token the server wrote to {@code <data>/tokens/admin.token}. */
  public String adminToken() {
    try {
      return Files.readString(dataDir.resolve("tokens/admin.token")).trim();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * kill -9: {@link Process#destroyForcibly()} is SIGKILL on Linux, so no shutdown hook runs. Returns
   * the exit status, 137 (128 + 9) when the signal was SIGKILL.
   */
  public int kill9() {
    process.destroyForcibly();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        throw new AssertionError("server " + name + " still runs 20 s after SIGKILL");
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** SIGTERM and a graceful stop within {@code grace}; SIGKILL after that. Safe to call on a dead process. */
  public void stop(Duration grace) {
    if (!process.isAlive()) {
      return;
    }
    // SIGTERM through the handle: Process.destroy() would also close our end of the child's stdout,
    // and what the child prints while it stops would be lost.
    process.toHandle().destroy();
    try {
      if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(20, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  /** The exit status of the child, once it has ended. */
  public int exitValue() {
    return process.exitValue();
  }

  /** Everything the child wrote to stdout, then to stderr. */
  public String output() {
    try {
      return (Files.exists(stdout) ? Files.readString(stdout, StandardCharsets.UTF_8) : "")
          + (Files.exists(stderr) ? Files.readString(stderr, StandardCharsets.UTF_8) : "");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The last lines of the child's stdout and stderr, for a failure message. */
  public String tail() {
    return "--- " + stdout + " ---\n" + lastLines(stdout, 40) + "--- " + stderr + " ---\n" + lastLines(stderr, 40);
  }

  private static String lastLines(Path file, int n) {
    try {
      if (!Files.exists(file)) {
        return "";
      }
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size())) + "\n";
    } catch (IOException | UncheckedIOException e) {
      return "(unreadable: " + e + ")\n";
    }
  }

  /**
   * The test classpath. Surefire forks with a manifest-only jar, so {@code java.class.path} may be
   * only its booter; it names the real classpath in {@code surefire.test.class.path}.
   */
  public static String classpath() {
    String cp = System.getProperty("surefire.test.class.path");
    if (cp == null || cp.isBlank()) {
      cp = System.getProperty("java.class.path");
    }
    if (!cp.contains("target" + java.io.File.separator + "classes")) {
      throw new IllegalStateException("the test classpath does not name target/classes; cannot start the server as a child: " + cp);
    }
    return cp;
  }

  /** The project directory (surefire's {@code basedir}), where {@code conf/} and {@code webroot/} are. */
  public static Path baseDir() {
    return Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
  }

  private static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
