package io.productionline.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The server under test: {@code io.productionline.Main serve} in its own JVM, configured by a
 * file the bench writes ({@code PL_CONF}), its output kept in files under the bench directory.
 */
final class BenchServer implements AutoCloseable {

  private static final String READY = "Production Line is running.";

  private final Process process;
  private final CompletableFuture<Void> ready = new CompletableFuture<>();

  private BenchServer(Process process) {
    this.process = process;
  }

  static BenchServer start(Path config, Path dir, List<String> jvmFlags, Map<String, String> env) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmFlags);
    // The server runs on the product's classpath: no test classes, so its own logback.xml applies.
    String classpath = java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
        .filter(e -> !e.contains("test-classes")).collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
    cmd.addAll(List.of("-cp", classpath, "io.productionline.Main", "serve"));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(dir.resolve("server.err").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("PL_"));
    pb.environment().putAll(env);
    pb.environment().put("PL_CONF", config.toString());
    pb.environment().put("PL_DATA_DIR", dir.resolve("data").toString());
    BenchServer server = new BenchServer(pb.start());
    Path out = dir.resolve("server.out");
    Thread pump = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(server.process.getInputStream(), StandardCharsets.UTF_8));
           PrintWriter file = new PrintWriter(Files.newBufferedWriter(out, StandardCharsets.UTF_8), true)) {
        String line;
        while ((line = in.readLine()) != null) {
          file.println(line);
          if (line.contains(READY)) {
            server.ready.complete(null);
          }
        }
      } catch (IOException ignored) {
        // The server stopped.
      } finally {
        server.ready.completeExceptionally(new IllegalStateException("the server exited before it was ready; see " + out));
      }
    }, "bench-server-out");
    pump.setDaemon(true);
    pump.start();
    return server;
  }

  void awaitReady(long seconds) throws Exception {
    ready.get(seconds, TimeUnit.SECONDS);
  }

  long pid() {
    return process.pid();
  }

  /** SIGTERM (graceful stop), then SIGKILL if it has not stopped within 30 s. */
  @Override
  public void close() throws InterruptedException {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
