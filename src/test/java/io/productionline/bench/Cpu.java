package io.productionline.bench;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU time of the processes in a measurement, read from {@code /proc}: the server JVM, this load
 * client, every {@code postgres} process and {@code redis-server}, and the whole machine's idle time.
 * On this 2-core machine "200 %" is everything.
 */
final class Cpu {

  private static final double HZ = 100.0;
  private final long serverPid;
  private long t0;
  private double server0;
  private double serverSys0;
  private double self0;
  private double pg0;
  private double redis0;
  private long[] machine0;

  Cpu(long serverPid) {
    this.serverPid = serverPid;
  }

  void start() {
    t0 = System.nanoTime();
    server0 = ticks(serverPid);
    serverSys0 = sysTicks(serverPid);
    self0 = ticks(ProcessHandle.current().pid());
    pg0 = named("postgres");
    redis0 = named("redis-server");
    machine0 = machine();
  }

  JsonObject stop() {
    double secs = (System.nanoTime() - t0) / 1e9;
    long[] m = machine();
    double total = 0;
    for (int i = 0; i < m.length; i++) {
      total += m[i] - machine0[i];
    }
    double idle = (m[3] - machine0[3]) + (m.length > 4 ? m[4] - machine0[4] : 0);
    double server = pct(ticks(serverPid) - server0, secs);
    double client = pct(ticks(ProcessHandle.current().pid()) - self0, secs);
    double pg = pct(named("postgres") - pg0, secs);
    double redis = pct(named("redis-server") - redis0, secs);
    double busy = total == 0 ? 0 : Samples.round(100.0 * Runtime.getRuntime().availableProcessors() * (1 - idle / total));
    return new JsonObject()
        .put("server_pct", server).put("server_kernel_pct", pct(sysTicks(serverPid) - serverSys0, secs)).put("load_client_pct", client).put("postgres_pct", pg).put("redis_pct", redis)
        .put("machine_busy_pct", busy)
        // Whatever else ran on the machine meanwhile (other users' builds and tests share these cores).
        .put("other_processes_pct", Samples.round(Math.max(0, busy - server - client - pg - redis)));
  }

  private static double pct(double ticks, double secs) {
    return Samples.round(100.0 * ticks / HZ / secs);
  }

  /** utime + stime of a process and its threads, in clock ticks. */
  static double ticks(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** stime of a process: its CPU time in the kernel (system calls: sockets, files). */
  static double sysTicks(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[12]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** Ticks of every process whose command name is {@code comm}. */
  static double named(String comm) {
    double sum = 0;
    try (var dirs = Files.list(Path.of("/proc"))) {
      for (Path p : (Iterable<Path>) dirs::iterator) {
        String n = p.getFileName().toString();
        if (!n.chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          if (Files.readString(p.resolve("comm")).trim().equals(comm)) {
            sum += ticks(Long.parseLong(n));
          }
        } catch (IOException | RuntimeException ignored) {
          // The process ended meanwhile.
        }
      }
    } catch (IOException ignored) {
      // No /proc: report zero.
    }
    return sum;
  }

  private static long[] machine() {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/stat"));
      String[] f = lines.get(0).trim().split("\\s+");
      long[] out = new long[f.length - 1];
      for (int i = 1; i < f.length; i++) {
        out[i - 1] = Long.parseLong(f[i]);
      }
      return out;
    } catch (IOException | RuntimeException e) {
      return new long[8];
    }
  }
}
