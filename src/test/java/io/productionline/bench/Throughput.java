package io.productionline.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Station throughput with N simulated executors: each is a long-poll claim loop over HTTP that
 * completes every task it gets at once (a 0 ms sim step). A task counts when its completion has
 * been answered, which the server does only after the track's transition committed, the next
 * station's task was queued and the events were published. Window A measures tasks per second,
 * PostgreSQL commits per task, claim/complete latency, the buffers and index entries PostgreSQL read
 * per task, and what held PostgreSQL's horizon back from the phase's start ({@link Horizon}); window B, with the line still running,
 * measures {@code GET /production}: its first read of the project on its own (an operator opening the
 * page, which may wait for the line's first forecast; the line's throughput meanwhile is reported
 * apart), then, from the end of that read, the polling and the line's throughput while it runs.
 *
 * <p>With {@code chained}, an executor takes its next task with each completion
 * ({@code POST …/complete?next=1}: one call per station), and
 * claims on its own only when a completion brought none; otherwise every task is a claim and a
 * completion (two calls).
 *
 * <p>With {@code batch} K > 1 (an executor that runs K tasks at once), an executor claims up to K
 * tasks in one call ({@code GET …/work/next?max=K}) and completes all it holds in one call whose
 * reply brings its next K ({@code POST /api/v1/work/complete?next=1&max=K}): one call per K
 * stations. A task counts when its item of the batch is answered 200; the completion latency is
 * the batch call's.
 */
final class Throughput {

  private final Bench b;
  private final Load load;
  /** The operator's client, on its own event loop: {@code GET /production}'s latency is the server's, not the executors' queue. */
  private final Load operator;
  private final int n;
  private final String line;
  private final int tracksPerProject;
  private volatile boolean stop;
  private volatile long aStart = Long.MAX_VALUE;
  private volatile long aEnd = Long.MAX_VALUE;
  private volatile long bStart = Long.MAX_VALUE;
  private volatile long bEnd = Long.MAX_VALUE;
  private final AtomicLong doneA = new AtomicLong();
  /** Completions in each slice of window B ({@link #polled} says which slices were polled). */
  private volatile java.util.concurrent.atomic.AtomicLongArray doneInSlice = new java.util.concurrent.atomic.AtomicLongArray(0);
  /**
   * Window B's slices, polled or not: as many of each, in an order drawn at random. Alternating
   * polled and unpolled seconds lined the polled ones up with what recurs every two seconds on the
   * server (the lease sweep runs every 2 s), so a phase's slowdown could read 12% either way.
   */
  private volatile boolean[] polled = new boolean[0];
  /** The length of a slice of window B. */
  static final double SLICE_S = 0.5;
  private final AtomicLong doneFirst = new AtomicLong();
  private final AtomicLong emptyClaimsA = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final Samples claim = new Samples();
  private final Samples complete = new Samples();
  private final Samples production = new Samples();
  private final AtomicLong productionRefused = new AtomicLong();
  private volatile Double firstProductionMs;
  private volatile Integer productionBytes;
  private volatile String firstRefusal;

  private final boolean chained;
  private final int batch;

  Throughput(Bench b, Load load, Load operator, int n, String line, int tracksPerProject, boolean chained, int batch) {
    this.operator = operator;
    this.chained = chained;
    this.batch = batch;
    this.b = b;
    this.load = load;
    this.n = n;
    this.line = line;
    this.tracksPerProject = tracksPerProject;
  }

  JsonObject run(int tracks, double warmupS, double windowS, double apiWindowS) throws Exception {
    List<String> executors = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      executors.add(line + "-x" + i);
    }
    Bench.inBatches(executors, 32, id -> load.register(id, line));
    List<String> projects = new ArrayList<>();
    for (int p = 1; p <= Math.max(1, tracks / tracksPerProject); p++) {
      projects.add(line + "-p" + p);
    }
    // From the phase's start: a horizon held back during setup or warm-up leaves its mark in the window too.
    Horizon horizon = new Horizon(b.db).start();
    long setup0 = System.nanoTime();
    Bench.inBatches(projects, 4, id -> load.project(id, line, true));
    double setupS = (System.nanoTime() - setup0) / 1e9;
    b.log("throughput N=%d: %d projects, %d tracks started in %.1f s", n, projects.size(), projects.size() * tracksPerProject, setupS);

    List<Future<Void>> loops = new ArrayList<>();
    long t0 = System.nanoTime();
    for (String id : executors) {
      Promise<Void> ended = Promise.promise();
      load.vertx.runOnContext(v -> loop(id, ended));
      loops.add(ended.future());
    }
    Bench.sleep(warmupS);
    Cpu cpu = new Cpu(b.serverPid());
    long c0 = b.db.commits();
    long w0 = b.db.walSyncs();
    JsonObject rel0 = b.db.relations();
    cpu.start();
    jfr("", windowS);
    aStart = System.nanoTime();
    aEnd = aStart + (long) (windowS * 1e9);
    Bench.sleepUntil(aEnd);
    long c1 = b.db.commits();
    long w1 = b.db.walSyncs();
    JsonObject rel1 = b.db.relations();
    JsonObject cpuA = cpu.stop();
    JsonObject held = horizon.stop();
    String watched = projects.get(0);
    // The first read of the project is an operator opening the page: the server may read it whole and wait for a
    // forecast that knows its tracks. Reported on its own; the polling after it is what the latency figures say.
    long f0 = System.nanoTime();
    try {
      productionBytes = operator.read("/production?project=" + watched).await();
      firstProductionMs = (System.nanoTime() - f0) / 1e6;
    } catch (Exception e) {
      productionRefused.incrementAndGet();
      if (firstRefusal == null) {
        firstRefusal = e.getMessage();
      }
    }
    // Window B starts once the page is open: the line's throughput while it is polled, apart from its first read.
    Cpu cpuPolled = new Cpu(b.serverPid());
    cpuPolled.start();
    jfr("-polled", 2 * apiWindowS);
    // Window B: polled slices (apiWindowS in all) mixed with unpolled ones of the same length. Throughput drifts
    // over a phase (its tables grow; this machine's PostgreSQL runs without autovacuum), and an unpolled window B read
    // anywhere from 7% below to 35% above window A: a control taken between the polled slices cancels that drift.
    int slices = Math.max(1, (int) Math.round(apiWindowS / SLICE_S));
    polled = shuffledHalves(slices);
    double rendered0 = views("rendered");
    double again0 = views("sent_again");
    doneInSlice = new java.util.concurrent.atomic.AtomicLongArray(2 * slices);
    bStart = System.nanoTime();
    bEnd = bStart + (long) (2 * slices * SLICE_S * 1e9);
    while (System.nanoTime() < bEnd) {
      long s0 = System.nanoTime();
      if (!polledSlice(s0)) {
        Bench.sleep(0.01);
        continue;
      }
      try {
        operator.read("/production?project=" + watched).await();
        production.addNanos(System.nanoTime() - s0);
      } catch (Exception e) {
        // Refused, or not answered in time (a timeout is a checked exception): counted, the run goes on.
        productionRefused.incrementAndGet();
        if (firstRefusal == null) {
          firstRefusal = e.getMessage();
        }
      }
      Bench.sleep(0.05);
    }
    JsonObject cpuB = cpuPolled.stop();
    Slowdown slowdown = Slowdown.of(polled, doneInSlice, SLICE_S);
    double rendered1 = views("rendered");
    double again1 = views("sent_again");
    boolean counted = rendered0 >= 0 && again0 >= 0 && rendered1 >= 0 && again1 >= 0;
    stop = true;
    Future.all(loops).await();
    long left = b.db.scalar("SELECT count(*) FROM station_tasks WHERE capability = '" + line + "' AND status = 'queued'");
    double teardownS = clear(projects, executors);
    double tasksPerS = doneA.get() / windowS;
    long commits = c1 - c0;
    JsonObject out = new JsonObject()
        .put("executors", n).put("claims", chained ? "with_completion" : "separate").put("batch", batch).put("projects", projects.size()).put("tracks", projects.size() * tracksPerProject)
        .put("setup_s", Samples.round(setupS)).put("window_s", windowS)
        .put("tasks", doneA.get()).put("tasks_per_s", Samples.round(tasksPerS))
        .put("commits", commits).put("commits_per_task", doneA.get() == 0 ? null : Samples.round((double) commits / doneA.get()))
        .put("wal_syncs_per_task_server_wide", doneA.get() == 0 ? null : Samples.round((double) (w1 - w0) / doneA.get()))
        .put("empty_claims_in_window", emptyClaimsA.get())
        .put("queued_left_after", left)
        .put("refused_calls", refused.get())
        .put("claim_latency", claim.summary())
        .put("complete_latency", complete.summary())
        .put("get_production_first_ms", firstProductionMs == null ? null : Samples.round(firstProductionMs))
        .put("tasks_per_s_during_first_get_production", firstProductionMs == null || firstProductionMs <= 0 ? null
            : Samples.round(doneFirst.get() / (firstProductionMs / 1000)))
        .put("get_production_bytes", productionBytes)
        .put("get_production_latency", production.summary())
        .put("get_production_refused", productionRefused.get()).put("first_refusal", firstRefusal)
        .put("tasks_per_s_during_get_production", Samples.round(slowdown.polledPerS()))
        .put("tasks_per_s_between_get_production", Samples.round(slowdown.unpolledPerS()))
        .put("get_production_slowdown", slowdown.unpolledPerS() == 0 ? null : Samples.round(slowdown.slowdown()))
        .put("get_production_slowdown_stderr", slowdown.unpolledPerS() == 0 ? null : Samples.round(slowdown.stderr()))
        .put("get_production_slices", 2 * slices)
        // How the polled reads were answered: rendered, or the view rendered before sent again (pl_line_views_total).
        .put("get_production_rendered", counted ? Math.round(rendered1 - rendered0) : null)
        .put("get_production_sent_again", counted ? Math.round(again1 - again0) : null)
        .put("cpu_during_get_production", cpuB)
        .put("cpu", cpuA)
        .put("snapshots_held", held)
        .put("relations_per_task", Db.perTask(rel0, rel1, doneA.get()))
        // CPU per task moves less with the machine's other load than tasks per second do.
        .put("server_cpu_ms_per_task", doneA.get() == 0 ? null : Samples.round(cpuA.getDouble("server_pct") * 10 / tasksPerS))
        .put("postgres_cpu_ms_per_task", doneA.get() == 0 ? null : Samples.round(cpuA.getDouble("postgres_pct") * 10 / tasksPerS))
        .put("teardown_s", Samples.round(teardownS))
        .put("total_s", Samples.round((System.nanoTime() - t0) / 1e9));
    b.log("throughput N=%d: %.0f tasks/s, %.2f commits/task, claim p50 %.1f ms, complete p50 %.1f ms", n, tasksPerS,
        out.getDouble("commits_per_task", 0.0), claim.summary().getDouble("p50_ms", 0.0), complete.summary().getDouble("p50_ms", 0.0));
    return out;
  }

  /**
   * Takes the phase's line off the floor as an operator and its executors would, before the next phase starts: its
   * unfinished tracks are cancelled through {@code POST /production/tracks/cancel} and its executors leave. Before,
   * the bench marked the queued tasks cancelled in the database behind the server's back; the server then found
   * about a thousand tracks whose task was lost and halted each with an interrupt during the next phase's windows,
   * and the forecast kept replaying the old line for the executors still listed. Returns the seconds it took.
   */
  private double clear(List<String> projects, List<String> executors) throws Exception {
    long c0 = System.nanoTime();
    String ids = String.join(",", projects.stream().map(id -> "'" + id + "'").toList());
    List<String> open = b.db.texts("SELECT id FROM tracks WHERE project_id IN (" + ids + ")"
        + " AND state NOT IN ('stabilized', 'escalated', 'cancelled') ORDER BY id");
    for (int i = 0; i < open.size(); i += 200) {
      load.json(HttpMethod.POST, "/production/tracks/cancel", new JsonObject()
          .put("track_ids", new io.vertx.core.json.JsonArray(open.subList(i, Math.min(open.size(), i + 200))))
          .put("kind", "permanent").put("reason", "the bench phase is over")).await();
    }
    Bench.inBatches(executors, 32, id -> load.jsonAsExecutor(id, HttpMethod.DELETE, "/api/v1/executors/" + id, null));
    return (System.nanoTime() - c0) / 1e9;
  }

  /**
   * Flight Recorder on the server for the next {@code seconds} ({@code scripts/bench --jfr}, then JfrTop on the file):
   * window A in {@code server-<line>.jfr}, window B in {@code server-<line>-polled.jfr}.
   */
  private void jfr(String suffix, double seconds) throws java.io.IOException {
    if (!b.opts.containsKey("jfr")) {
      return;
    }
    String jcmd = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    new ProcessBuilder(jcmd, Long.toString(b.serverPid()), "JFR.start", "name=" + line + suffix,
        "settings=" + b.opts.getOrDefault("jfr-settings", "profile"), "duration=" + Math.max(1, (int) seconds) + "s",
        "filename=" + b.dir.resolve("server-" + line + suffix + ".jfr").toAbsolutePath())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
  }

  private void loop(String executor, Promise<Void> ended) {
    if (stop) {
      ended.complete();
      return;
    }
    long s0 = System.nanoTime();
    (batch > 1 ? load.claimSome(executor, 1, batch) : load.claim(executor, 1)).onComplete(ar -> {
      if (ar.failed() || ar.result().statusCode() != 200) {
        refused(ar);
        load.vertx.setTimer(50, t -> loop(executor, ended));
        return;
      }
      JsonObject body = ar.result().bodyAsJsonObject();
      long s1 = System.nanoTime();
      JsonArray tasks = batch > 1 ? body.getJsonArray("tasks")
          : body.getBoolean("assigned", false) ? new JsonArray().add(body.getJsonObject("task")) : new JsonArray();
      if (tasks.isEmpty()) {
        if (inA(s1)) {
          emptyClaimsA.incrementAndGet();
        }
        loop(executor, ended);
        return;
      }
      if (inA(s1)) {
        claim.addNanos(s1 - s0);
      }
      if (batch > 1) {
        workAll(executor, tasks, s1, ended);
      } else {
        work(executor, tasks.getJsonObject(0), s1, ended);
      }
    });
  }

  /** Completes {@code task} (claimed at {@code s1}); a chained completion's next task is worked on at once. */
  private void work(String executor, JsonObject task, long s1, Promise<Void> ended) {
    load.complete(executor, task.getString("task_id"), task.getString("lease_token"), chained).onComplete(cr -> {
      long s2 = System.nanoTime();
      if (cr.failed() || cr.result().statusCode() != 200) {
        refused(cr);
        loop(executor, ended);
        return;
      }
      if (inA(s2)) {
        complete.addNanos(s2 - s1);
        doneA.incrementAndGet();
      } else if (s2 >= bStart && s2 < bEnd) {
        doneInSlice.incrementAndGet(slice(s2));
      } else if (s2 >= aEnd && s2 < bStart) {
        doneFirst.incrementAndGet();
      }
      JsonObject next = chained ? cr.result().bodyAsJsonObject().getJsonObject("next") : null;
      if (!stop && next != null && next.getBoolean("assigned", false)) {
        work(executor, next.getJsonObject("task"), s2, ended);
      } else {
        loop(executor, ended);
      }
    });
  }

  /** Completes every task of {@code tasks} (claimed at {@code s1}) in one call; the next tasks that came with it at once. */
  private void workAll(String executor, JsonArray tasks, long s1, Promise<Void> ended) {
    load.completeAll(executor, tasks, batch).onComplete(cr -> {
      long s2 = System.nanoTime();
      if (cr.failed() || cr.result().statusCode() != 200) {
        refused(cr);
        loop(executor, ended);
        return;
      }
      JsonObject reply = cr.result().bodyAsJsonObject();
      long ok = reply.getJsonArray("results").stream().filter(r -> ((JsonObject) r).getInteger("status") == 200).count();
      if (ok < tasks.size()) {
        refused.addAndGet(tasks.size() - ok);
      }
      if (inA(s2)) {
        complete.addNanos(s2 - s1);
        doneA.addAndGet(ok);
      } else if (s2 >= bStart && s2 < bEnd) {
        doneInSlice.addAndGet(slice(s2), (int) ok);
      } else if (s2 >= aEnd && s2 < bStart) {
        doneFirst.addAndGet(ok);
      }
      JsonArray next = reply.getJsonObject("next", new JsonObject()).getJsonArray("tasks");
      if (!stop && next != null && !next.isEmpty()) {
        workAll(executor, next, s2, ended);
      } else {
        loop(executor, ended);
      }
    });
  }

  /** A claim or completion that was not answered 200: counted, and the first one kept for the summary. */
  private void refused(io.vertx.core.AsyncResult<io.vertx.ext.web.client.HttpResponse<io.vertx.core.buffer.Buffer>> ar) {
    refused.incrementAndGet();
    if (firstRefusal == null) {
      firstRefusal = ar.failed() ? ar.cause().toString() : ar.result().statusCode() + " " + ar.result().bodyAsString();
    }
  }

  private boolean inA(long t) {
    return t >= aStart && t < aEnd;
  }

  /** {@code pl_line_views_total{how}} on the server now; -1 when it cannot be read (the figures are then null). */
  private double views(String how) {
    try {
      return operator.metric("pl_line_views_total", "how=\"" + how + "\"").await();
    } catch (Exception e) {
      return -1;
    }
  }

  /** The slice of window B that {@code t} falls in. */
  private int slice(long t) {
    return Math.min(polled.length - 1, (int) ((t - bStart) / (SLICE_S * 1e9)));
  }

  /** Whether {@code t} (in window B) falls in one of its polled slices. */
  private boolean polledSlice(long t) {
    return polled[slice(t)];
  }

  /** {@code 2 × n} slices, {@code n} of them polled, in a random order. */
  static boolean[] shuffledHalves(int n) {
    List<Boolean> order = new ArrayList<>();
    for (int i = 0; i < 2 * n; i++) {
      order.add(i < n);
    }
    java.util.Collections.shuffle(order);
    boolean[] out = new boolean[2 * n];
    for (int i = 0; i < out.length; i++) {
      out[i] = order.get(i);
    }
    return out;
  }

  /**
   * The line's tasks a second in window B's polled and unpolled slices, how much slower the polled
   * ones ran, and that figure's standard error from the slices' spread (two independent means).
   */
  record Slowdown(double polledPerS, double unpolledPerS, double slowdown, double stderr) {
    static Slowdown of(boolean[] polled, java.util.concurrent.atomic.AtomicLongArray done, double sliceS) {
      List<Double> on = new ArrayList<>();
      List<Double> off = new ArrayList<>();
      for (int i = 0; i < polled.length; i++) {
        (polled[i] ? on : off).add(done.get(i) / sliceS);
      }
      double p = mean(on);
      double u = mean(off);
      if (u == 0) {
        return new Slowdown(p, u, 0, 0);
      }
      double se = Math.sqrt(variance(on, p) / on.size() + variance(off, u) / off.size()) / u;
      return new Slowdown(p, u, 1 - p / u, se);
    }

    private static double mean(List<Double> xs) {
      return xs.stream().mapToDouble(Double::doubleValue).average().orElse(0);
    }

    private static double variance(List<Double> xs, double mean) {
      return xs.size() < 2 ? 0 : xs.stream().mapToDouble(x -> (x - mean) * (x - mean)).sum() / (xs.size() - 1);
    }
  }
}
