package io.productionline.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The floor: what this machine's PostgreSQL allows for work shaped like the product's, measured
 * with pgbench and a claim-and-complete script on copies of the product's tables.
 */
final class Floor {

  private final Bench b;

  Floor(Bench b) {
    this.b = b;
  }

  JsonObject run(List<Integer> clients, int seconds, Path dir) throws Exception {
    b.db.exec(resource("floor_schema.sql"));
    Path script = dir.resolve("claim_complete.sql");
    Files.writeString(script, resource("claim_complete.sql"));
    JsonArray runs = new JsonArray();
    double best = 0;
    double bestTasks = 0;
    for (int c : clients) {
      long c0 = b.db.commits();
      long t0 = System.nanoTime();
      List<String> cmd = List.of("pgbench", "-n", "-M", "prepared", "-f", script.toString(), "-c", Integer.toString(c), "-j", "2",
          "-T", Integer.toString(seconds), "-h", b.db.host(), "-p", Integer.toString(b.db.port()), "-U", b.db.user(), b.db.name);
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out;
      if (!p.waitFor(seconds + 60L, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("pgbench did not stop");
      }
      out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      double secs = (System.nanoTime() - t0) / 1e9;
      long commits = b.db.commits() - c0;
      var m = Pattern.compile("tps = ([0-9.]+) \\(without initial connection time\\)").matcher(out);
      if (!m.find()) {
        throw new IllegalStateException("pgbench printed no tps:\n" + out);
      }
      double tasksPerS = Double.parseDouble(m.group(1));
      var lat = Pattern.compile("latency average = ([0-9.]+) ms").matcher(out);
      double commitsPerS = commits / secs;
      runs.add(new JsonObject().put("clients", c).put("tasks_per_s", Samples.round(tasksPerS))
          .put("commits_per_s", Samples.round(commitsPerS)).put("commits_per_task", Samples.round(commits / (tasksPerS * seconds)))
          .put("latency_avg_ms", lat.find() ? Double.parseDouble(lat.group(1)) : null));
      b.log("floor: pgbench -c %d: %.0f tasks/s, %.0f commits/s", c, tasksPerS, commitsPerS);
      best = Math.max(best, commitsPerS);
      bestTasks = Math.max(bestTasks, tasksPerS);
    }
    b.db.exec("DROP TABLE IF EXISTS bench_events, bench_tasks, bench_tracks, bench_projects");
    return new JsonObject().put("script", "claim_complete.sql (2 commits per task)").put("seconds", seconds).put("runs", runs)
        .put("best_commits_per_s", Samples.round(best)).put("best_tasks_per_s", Samples.round(bestTasks));
  }

  private static String resource(String name) throws Exception {
    try (var in = Floor.class.getResourceAsStream("/bench/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
