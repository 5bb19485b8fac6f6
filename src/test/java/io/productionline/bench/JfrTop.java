package io.productionline.bench;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Reads a Flight Recorder file of the server ({@code scripts/bench --jfr} writes
 * {@code target/bench/server.jfr}) and prints where the CPU samples fall: the top methods by self
 * time, and the top project methods, packages and methods of any code by total time (on the stack
 * anywhere).
 * {@code java -cp … io.productionline.bench.JfrTop target/bench/server.jfr [rows]}
 */
public final class JfrTop {

  private JfrTop() {
  }

  public static void main(String[] args) throws Exception {
    int rows = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    Map<String, Integer> self = new HashMap<>();
    Map<String, Integer> total = new HashMap<>();
    Map<String, Integer> packages = new HashMap<>();
    Map<String, Integer> any = new HashMap<>();
    int samples = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(Path.of(args[0]))) {
      if (!e.getEventType().getName().equals("jdk.ExecutionSample") || e.getStackTrace() == null) {
        continue;
      }
      samples++;
      List<RecordedFrame> frames = e.getStackTrace().getFrames();
      if (frames.isEmpty()) {
        continue;
      }
      self.merge(name(frames.get(0)), 1, Integer::sum);
      Set<String> seen = new HashSet<>();
      Set<String> seenPkg = new HashSet<>();
      for (RecordedFrame f : frames) {
        String n = name(f);
        if (seen.add(n)) {
          any.merge(n, 1, Integer::sum);
          if (n.startsWith("io.productionline")) {
            total.merge(n, 1, Integer::sum);
          }
        }
        String pkg = pkg(f);
        if (seenPkg.add(pkg)) {
          packages.merge(pkg, 1, Integer::sum);
        }
      }
    }
    System.out.println("samples: " + samples);
    print("self", self, samples, rows);
    print("total (project methods)", total, samples, rows);
    print("total (packages)", packages, samples, rows);
    print("total (any method)", any, samples, rows * 2);
  }

  private static void print(String title, Map<String, Integer> m, int samples, int rows) {
    System.out.println("--- " + title);
    m.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(rows)
        .forEach(en -> System.out.printf("%5.1f%%  %s%n", 100.0 * en.getValue() / samples, en.getKey()));
  }

  private static String name(RecordedFrame f) {
    return f.getMethod().getType().getName() + "." + f.getMethod().getName();
  }

  private static String pkg(RecordedFrame f) {
    String t = f.getMethod().getType().getName();
    String[] parts = t.split("\\.");
    return String.join(".", java.util.Arrays.copyOf(parts, Math.min(3, parts.length - 1)));
  }
}
