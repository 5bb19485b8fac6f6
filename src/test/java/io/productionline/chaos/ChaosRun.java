package io.productionline.chaos;

import io.productionline.support.Api;
import io.productionline.support.ChildServers;
import io.productionline.support.ServerProcess;
import io.productionline.support.TestServers;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import redis.embedded.RedisServer;

/**
 * One chaos run: three server nodes (their own HTTP ports, cluster ports and cluster name) over one
 * PostgreSQL database and one Redis server that the run owns, reference executors as separate
 * processes, a line with a DAG and remediation loops. First the line runs without faults (the
 * baseline), then again while faults are injected: executors killed with -9 and started again,
 * nodes killed with -9 and started again, an executor stopped (SIGSTOP) past its lease and resumed,
 * a node stopped longer than the failure detector's window and resumed, every PostgreSQL
 * connection of the database terminated, the Redis server restarted. Then {@link Invariants} are
 * checked in PostgreSQL. Every process it stops or signals is one it started, by pid.
 */
final class ChaosRun {

  /** The size and the faults of a run. */
  record Plan(String name, String line, int executors, int leaseSeconds, int executorKills, int nodeKills, int executorPauses,
              int nodePauses, int pgTerminations, int redisRestarts, int nodePauseSeconds, boolean baseline, Duration lineBound,
              Duration total) {

    /** scripts/chaos: the 24-type line, five executors, every fault at the counts the issue asks for, baseline first. */
    static Plan full() {
      return new Plan("full", "chaos", 5, 8, 20, 5, 2, 2, 1, 1, 13, true, Duration.ofSeconds(330), Duration.ofMinutes(10));
    }

    /** The variant in scripts/test: a seven-type line, three executors, one fault of each kind, no baseline. */
    static Plan quick() {
      return new Plan("quick", "chaos_small", 3, 6, 1, 1, 1, 1, 1, 1, 13, false, Duration.ofSeconds(300), Duration.ofMinutes(8));
    }
  }

  private static final Path LINES = Path.of("src/test/resources/chaos/lines");
  /** How long an executor may go without a heartbeat before it counts as gone (see {@link #writeConfig}). */
  private static final int STALE_SECONDS = 5;
  private static final int NODES = 3;
  /** The application name of the run's own connections to the database. */
  private static final String DRIVER = "pl-chaos";

  private final Plan plan;
  private final Path dir;
  private final Random random = new Random();
  private final long deadline;
  private final List<String> log = new CopyOnWriteArrayList<>();
  private final List<Double> rejoinSeconds = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> faults = new LinkedHashMap<>();
  private final ServerProcess[] nodes = new ServerProcess[NODES];
  private final Map<String, String>[] envs;
  /** Nodes that must not be chosen for a fault or as an executor's server right now (stopped, restarting). */
  private final boolean[] down = new boolean[NODES];
  private final List<ExecutorProcess> executors = new ArrayList<>();
  /** Set at tear-down: no fault is injected and nothing is started after it. */
  private volatile boolean stopping;
  /** Executors stopped (SIGSTOP) now: a kill passes them by, so each pause lasts past its lease. */
  private final Set<ExecutorProcess> paused = ConcurrentHashMap.newKeySet();
  private String pg;
  private int redisPort;
  private RedisServer redis;

  @SuppressWarnings("unchecked")
  ChaosRun(Plan plan, Path dir) {
    this.plan = plan;
    this.dir = dir;
    this.deadline = System.nanoTime() + plan.total().toNanos();
    this.envs = new Map[NODES];
    for (String f : List.of("executor_kill9", "node_kill9", "executor_pause", "node_pause", "pg_terminate", "redis_restart")) {
      faults.put(f, new AtomicInteger());
    }
  }

  /** Runs, checks and stops everything it started; the summary says what happened and what was violated. */
  JsonObject run() {
    Instant started = Instant.now();
    JsonObject summary = new JsonObject().put("run", plan.name()).put("started_at", started.toString()).put("line", plan.line());
    JsonArray violations = new JsonArray();
    try {
      setUp();
      summary.put("database", pg.replaceFirst("^.*/", "")).put("executors", plan.executors());
      Double baseline = null;
      if (plan.baseline()) {
        baseline = runLine("calm", false, null);
        summary.put("baseline_seconds", baseline);
        if (baseline == null) {
          violations.add("the line without faults did not finish within " + plan.lineBound().toSeconds() + " s");
        }
      }
      Double chaos = runLine("storm", true, baseline);
      summary.put("chaos_seconds", chaos);
      if (chaos == null) {
        violations.add("the line under chaos did not finish within " + plan.lineBound().toSeconds() + " s");
      }
      if (baseline != null && chaos != null) {
        double ratio = Math.round(chaos / baseline * 100) / 100.0;
        summary.put("chaos_over_baseline", ratio);
        if (ratio > 2.0) {
          violations.add("the line under chaos took " + ratio + "× its time without faults (more than 2×)");
        }
      }
      summary.put("faults", faultCounts());
      checkFaultCounts(violations);
      summary.put("cluster_whole_after_pause_seconds", new JsonArray(new ArrayList<>(rejoinSeconds)));
      rejoinSeconds.stream().filter(s -> s < 0 || s > 30).forEach(s ->
          violations.add(s < 0 ? "the cluster was not whole again within 60 s of a pause" : "the cluster took " + s + " s to be whole after a pause"));
      heal();
      JsonObject checks = new Invariants(pg).check();
      int refused = Invariants.staleCompletionsRefused(executors.stream().map(ExecutorProcess::output).toList());
      checks.put("stale_completions_refused", new JsonObject().put("count", refused));
      summary.put("checks", checks);
      for (String name : checks.fieldNames()) {
        if (!name.equals("stale_completions_refused") && checks.getJsonObject(name).getInteger("count", 0) > 0) {
          violations.add(name + ": " + checks.getJsonObject(name).getInteger("count"));
        }
      }
      if (faults.get("executor_pause").get() > 0 && refused == 0) {
        summary.put("note", "no executor held a completion across its pause; no stale completion to refuse");
      }
    } catch (RuntimeException | Error e) {
      violations.add("the run could not go on: " + e);
      log("aborted: " + e);
    } finally {
      tearDown();
    }
    summary.put("violations", violations).put("ok", violations.isEmpty())
        .put("elapsed_seconds", Duration.between(started, Instant.now()).toSeconds())
        .put("log_dir", dir.toString()).put("timeline", new JsonArray(new ArrayList<>(log)));
    return summary;
  }

  // --- set-up and tear-down ----------------------------------------------------------------------

  private void setUp() {
    pg = TestServers.freshDatabase();
    redisPort = TestServers.freePort();
    startRedis();
    String cluster = "pl-chaos-" + UUID.randomUUID().toString().substring(0, 8);
    String secret = UUID.randomUUID() + "-" + UUID.randomUUID();
    int[] clusterPorts = new int[NODES];
    for (int i = 0; i < NODES; i++) {
      clusterPorts[i] = TestServers.freePort();
    }
    StringBuilder members = new StringBuilder();
    for (int p : clusterPorts) {
      members.append(members.isEmpty() ? "" : ",").append("127.0.0.1:").append(p);
    }
    Path config = writeConfig();
    for (int i = 0; i < NODES; i++) {
      Map<String, String> env = new LinkedHashMap<>();
      env.put("PL_CONF", config.toString());
      env.put("PL_DATA_DIR", dir.resolve("node" + i).toString());
      env.put("PL_HTTP_PORT", Integer.toString(TestServers.freePort()));
      env.put("PL_CLUSTER_NAME", cluster);
      env.put("PL_CLUSTER_PORT", Integer.toString(clusterPorts[i]));
      env.put("PL_CLUSTER_MEMBERS", members.toString());
      env.put("PL_CLUSTER_EXPECTED_MEMBERS", Integer.toString(NODES));
      env.put("PL_PG_URL", pg);
      env.put("PL_REDIS_URL", "redis://127.0.0.1:" + redisPort);
      env.put("PL_AUTH_SECRET", secret);
      env.put("PL_DEMO", "off");
      envs[i] = env;
    }
    for (int i = 0; i < NODES; i++) {
      nodes[i] = ServerProcess.start("node" + i + "-0", envs[i], dir.resolve("logs"));
    }
    for (ServerProcess n : nodes) {
      n.awaitReady(Duration.ofSeconds(180));
    }
    awaitWhole(Duration.ofSeconds(60));
    log("three nodes up and whole");
    Api admin = new Api(nodes[0].port()).withToken(nodes[0].adminToken());
    for (int i = 1; i <= plan.executors(); i++) {
      String id = "chaos-exec-" + i;
      Api.Reply minted = admin.post("/api/v1/tokens", new JsonObject().put("role", "executor").put("executor_id", id)
          .put("ttl_seconds", 7200));
      if (minted.status() != 201 && minted.status() != 200) {
        throw new IllegalStateException("no executor token for " + id + ": " + minted.status() + " " + minted.text());
      }
      ExecutorProcess e = new ExecutorProcess(id, minted.json().getString("token"), dir.resolve("exec-" + i));
      executors.add(e);
      e.start(nodes[i % NODES].port(), nodePorts());
    }
    log(plan.executors() + " executors started");
  }

  /** The configuration of the nodes: the chaos lines, a short lease, frequent sweeps and heartbeats. */
  private Path writeConfig() {
    try {
      JsonObject conf = new JsonObject(Files.readString(ServerProcess.baseDir().resolve("conf/config.json")));
      conf.put("lines_dir", ServerProcess.baseDir().resolve(LINES).toString());
      conf.put("redis", conf.getJsonObject("redis").copy().put("prefix", "chaos:"));
      conf.put("work", conf.getJsonObject("work").copy().put("lease_seconds", plan.leaseSeconds()).put("sweep_interval_ms", 500));
      // Heartbeats every second, each waiting at most 2 s before the executor turns to another node: a live executor's
      // beats are at most about 4 s apart even behind a stalled node, so 5 s without one means it is gone.
      conf.put("executors", conf.getJsonObject("executors").copy().put("heartbeat_seconds", 1).put("stale_seconds", STALE_SECONDS));
      conf.getJsonObject("cluster").put("config", ServerProcess.baseDir().resolve("conf/cluster.xml").toString());
      Files.createDirectories(dir);
      Path file = dir.resolve("config.json");
      Files.writeString(file, conf.encodePrettily());
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts the run's Redis on its port, trying again for up to 10 s: just after a stop the port can
   * still be held by the stopped server, and a Redis left down would stop the line for a reason
   * that is the harness's, not the product's.
   */
  private void startRedis() {
    IOException last = null;
    for (int attempt = 0; attempt < 20; attempt++) {
      try {
        redis = RedisServer.newRedisServer().port(redisPort).bind("127.0.0.1").setting("save \"\"").setting("appendonly no").build();
        redis.start();
        return;
      } catch (IOException e) {
        last = e;
        log("Redis did not start (" + e.getMessage() + "); trying again");
        Signals.sleep(500);
      }
    }
    throw new UncheckedIOException(last);
  }

  /** Everything the faults left stopped is resumed or started again, so the checks see a settled line. */
  private void heal() {
    if (redis != null && !redis.isActive()) {
      startRedis();
      log("Redis started again");
    }
    for (int i = 0; i < NODES; i++) {
      if (nodes[i] != null && !nodes[i].alive()) {
        restartNode(i);
      }
    }
    for (ExecutorProcess e : executors) {
      Signals.send("CONT", e.pid());
      if (!e.alive()) {
        e.start(liveNodePort(), nodePorts());
      }
    }
  }

  private void tearDown() {
    stopping = true;
    executors.forEach(ExecutorProcess::stop);
    for (ServerProcess n : nodes) {
      if (n != null) {
        Signals.send("CONT", n.pid());
        n.stop(Duration.ofSeconds(15));
      }
    }
    if (redis != null) {
      try {
        redis.stop();
      } catch (IOException e) {
        log("redis did not stop: " + e);
      }
    }
  }

  // --- the line ----------------------------------------------------------------------------------

  /**
   * Creates and starts a project on the plan's line; returns the seconds until every track finished, or null past the bound.
   * {@code baseline}, when known, is the line's time without faults: the executor faults are spread over it.
   */
  private Double runLine(String project, boolean withFaults, Double baseline) {
    Api api = nodes[0].api();
    // The same Idempotency-Key each time: a create that is asked again (after a 503) makes one project.
    Api.Reply created = askAgainOn503(() -> api.post("/api/v1/projects",
        new JsonObject().put("project_id", project).put("line", plan.line()).encode(), Map.of("Idempotency-Key", "chaos-" + project)));
    if (created.status() != 201 && created.status() != 200) {
      throw new IllegalStateException("project " + project + " not created: " + created.status() + " " + created.text());
    }
    long t0 = System.nanoTime();
    Api.Reply start = askAgainOn503(() -> api.post("/production/start?project=" + project, new JsonObject()));
    if (start.status() != 200 && !(start.status() == 409 && trackCount(project) > 0)) {
      throw new IllegalStateException("project " + project + " not started: " + start.status() + " " + start.text());
    }
    log("line " + project + " started" + (withFaults ? " with faults" : " without faults"));
    List<Thread> injectors = new ArrayList<>();
    if (withFaults) {
      injectors.add(thread("node-faults", this::nodeFaults));
      injectors.add(thread("executor-faults", () -> executorFaults(project, baseline)));
    }
    long bound = t0 + plan.lineBound().toNanos();
    Double seconds = null;
    while (System.nanoTime() < Math.min(bound, deadline - Duration.ofSeconds(60).toNanos())) {
      Map<String, Object> r = sql("SELECT count(*) AS total, count(*) FILTER (WHERE state NOT IN "
          + "('stabilized', 'escalated', 'cancelled')) AS open FROM tracks WHERE project_id = '" + project + "'").get(0);
      if (((Number) r.get("open")).longValue() == 0 && ((Number) r.get("total")).longValue() > 0) {
        seconds = Math.round((System.nanoTime() - t0) / 1e7) / 100.0;
        break;
      }
      Signals.sleep(500);
    }
    log("line " + project + (seconds == null ? " did not finish" : " finished in " + seconds + " s"));
    for (Thread t : injectors) {
      try {
        t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000 - 50_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      t.interrupt();
    }
    return seconds;
  }

  /** A 503 says "ask again": up to five times, a second apart (a node under load may not answer in time). */
  private static Api.Reply askAgainOn503(java.util.function.Supplier<Api.Reply> call) {
    Api.Reply r = call.get();
    for (int i = 0; i < 5 && r.status() == 503; i++) {
      Signals.sleep(1000);
      r = call.get();
    }
    return r;
  }

  private long trackCount(String project) {
    return ((Number) sql("SELECT count(*) AS n FROM tracks WHERE project_id = '" + project + "' AND state <> 'queued'")
        .get(0).get("n")).longValue();
  }

  /**
   * The run's own reads of the database: with an application name of their own, which the
   * terminations spare, and asked again (three times) if a connection is cut under them anyway.
   */
  private List<Map<String, Object>> sql(String query) {
    String url = pg + "?ApplicationName=" + DRIVER;
    for (int i = 1; ; i++) {
      try {
        return ChildServers.sql(url, query);
      } catch (IllegalStateException e) {
        if (i >= 3) {
          throw e;
        }
        Signals.sleep(500);
      }
    }
  }

  private Thread thread(String name, Runnable r) {
    Thread t = new Thread(() -> {
      try {
        r.run();
      } catch (RuntimeException e) {
        log(name + " stopped: " + e);
      }
    }, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  // --- faults ------------------------------------------------------------------------------------

  /**
   * The node faults, one at a time (a node is killed or paused only while the other two are up):
   * kills with restarts, pauses past the failure detector's window, every PostgreSQL connection
   * terminated, Redis restarted.
   */
  private void nodeFaults() {
    // The pauses first (the hardest fault for the cluster), while the line is surely running; then the
    // rest, so every fault meets work in flight. Kills last: a restart under load is the slowest step.
    List<String> script = new ArrayList<>();
    for (int i = 0; i < plan.nodePauses(); i++) {
      script.add("pause");
      if (i == 0) {
        script.add("pg");
        script.add("kill");
        script.add("redis");
      }
    }
    for (int i = script.contains("kill") ? 1 : 0; i < plan.nodeKills(); i++) {
      script.add("kill");
    }
    for (int i = 1; i < plan.pgTerminations(); i++) {
      script.add("pg");
    }
    for (int i = 1; i < plan.redisRestarts(); i++) {
      script.add("redis");
    }
    int next = 0;
    for (String step : script) {
      Signals.sleep(2000);
      if (stopping) {
        return;
      }
      int node = next++ % NODES;
      switch (step) {
        case "kill" -> killNode(node);
        case "pause" -> pauseNode(node);
        case "pg" -> terminatePg();
        case "redis" -> restartRedis();
        default -> throw new IllegalStateException(step);
      }
    }
    log("node faults done");
  }

  /**
   * Executor kills spread over the run, and the executor pauses past their lease (each on a thread
   * of its own, so the kills go on meanwhile). With the line's time without faults known, the faults
   * fall within its first three quarters, while the line surely runs (at least 1.5 s apart); without
   * it, 3.5 s apart, then 5 s.
   */
  private void executorFaults(String project, Double baseline) {
    int kills = plan.executorKills();
    int pauses = plan.executorPauses();
    long spread = baseline == null ? -1 : Math.max(1500, Math.min(5000, Math.round(baseline * 750 / Math.max(1, kills + pauses))));
    List<Thread> pausing = new ArrayList<>();
    int step = 0;
    while ((kills > 0 || pauses > 0) && !stopping) {
      Signals.sleep(spread > 0 ? spread : kills > 8 ? 3500 : 5000);
      if (pauses > 0 && (step % 6 == 2 || kills == 0)) {
        pausing.add(thread("executor-pause-" + step, () -> pauseExecutor(project)));
        pauses--;
      } else if (kills > 0) {
        killExecutor();
        kills--;
      }
      step++;
    }
    for (Thread t : pausing) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    log("executor faults done");
  }

  private void killNode(int i) {
    int exit = nodes[i].kill9();
    down[i] = true;
    faults.get("node_kill9").incrementAndGet();
    log("node" + i + " killed with -9 (exit " + exit + ")");
    Signals.sleep(1000);
    restartNode(i);
  }

  private void restartNode(int i) {
    if (stopping) {
      return;
    }
    down[i] = true;
    nodes[i] = ServerProcess.start("node" + i + "-" + System.currentTimeMillis() % 100000, envs[i], dir.resolve("logs"));
    nodes[i].awaitReady(Duration.ofSeconds(180));
    down[i] = false;
    log("node" + i + " started again");
  }

  private void pauseNode(int i) {
    down[i] = true;
    Signals.send("STOP", nodes[i].pid());
    faults.get("node_pause").incrementAndGet();
    log("node" + i + " stopped (SIGSTOP) for " + plan.nodePauseSeconds() + " s");
    Signals.sleep(plan.nodePauseSeconds() * 1000L);
    Signals.send("CONT", nodes[i].pid());
    long resumed = System.nanoTime();
    log("node" + i + " resumed (SIGCONT)");
    boolean whole = awaitWhole(Duration.ofSeconds(60));
    double s = whole ? Math.round((System.nanoTime() - resumed) / 1e7) / 100.0 : -1;
    rejoinSeconds.add(s);
    down[i] = false;
    log(whole ? "cluster whole again " + s + " s after node" + i + " resumed" : "cluster not whole 60 s after node" + i + " resumed");
  }

  private void terminatePg() {
    String db = pg.replaceFirst("^.*/", "");
    Object n = sql("SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = '" + db
        + "' AND pid <> pg_backend_pid() AND application_name <> '" + DRIVER + "'").get(0).get("n");
    faults.get("pg_terminate").incrementAndGet();
    log("every PostgreSQL connection of the database terminated (" + n + ")");
  }

  private void restartRedis() {
    try {
      redis.stop();
      faults.get("redis_restart").incrementAndGet();
      log("Redis stopped");
      Signals.sleep(1000);
      startRedis();
      log("Redis started again");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Kills a live executor chosen at random (most are mid-task while the line runs). Not a holder of
   * the project's work by preference: when the line narrows to one task, that would put every kill
   * on the one executor running it, again and again (one assemble was killed seven times in a row).
   */
  private void killExecutor() {
    ExecutorProcess e;
    synchronized (paused) {
      List<ExecutorProcess> live = executors.stream().filter(ExecutorProcess::alive).filter(x -> !paused.contains(x)).toList();
      e = (live.isEmpty() ? executors : live).get(random.nextInt(live.isEmpty() ? executors.size() : live.size()));
      e.kill9();
    }
    faults.get("executor_kill9").incrementAndGet();
    log(e.id + " killed with -9");
    Signals.sleep(500);
    if (!stopping) {
      e.start(liveNodePort(), nodePorts());
    }
  }

  private void pauseExecutor(String project) {
    ExecutorProcess e;
    synchronized (paused) {
      e = holder(project);
      paused.add(e);
    }
    Signals.send("STOP", e.pid());
    faults.get("executor_pause").incrementAndGet();
    int seconds = plan.leaseSeconds() + 5;
    log(e.id + " stopped (SIGSTOP) for " + seconds + " s, past its " + plan.leaseSeconds() + " s lease");
    Signals.sleep(seconds * 1000L);
    Signals.send("CONT", e.pid());
    paused.remove(e);
    log(e.id + " resumed (SIGCONT)");
  }

  /**
   * An executor with a task of the project in hand now (claimed by its current process, not a task
   * its killed predecessor left claimed while this one is still starting), if one has; else any.
   */
  private ExecutorProcess holder(String project) {
    List<Map<String, Object>> held = sql("SELECT executor_id, (extract(epoch FROM max(claimed_at)) * 1000)::bigint AS claimed_ms FROM station_tasks"
        + " WHERE status = 'claimed' AND project_id = '" + project + "' GROUP BY executor_id");
    List<ExecutorProcess> holding = executors.stream().filter(ExecutorProcess::alive).filter(e -> !paused.contains(e))
        .filter(e -> held.stream().anyMatch(r -> e.id.equals(r.get("executor_id"))
            && r.get("claimed_ms") instanceof Number ms
            && ms.longValue() > e.startedAt().toEpochMilli())).toList();
    List<ExecutorProcess> from = holding.isEmpty() ? executors : holding;
    return from.get(random.nextInt(from.size()));
  }

  /** The HTTP port of every node (a node started again keeps its port). */
  private List<Integer> nodePorts() {
    List<Integer> ports = new ArrayList<>();
    for (ServerProcess n : nodes) {
      ports.add(n.port());
    }
    return ports;
  }

  private int liveNodePort() {
    List<Integer> up = new ArrayList<>();
    for (int i = 0; i < NODES; i++) {
      if (!down[i] && nodes[i].alive()) {
        up.add(nodes[i].port());
      }
    }
    return up.isEmpty() ? nodes[0].port() : up.get(random.nextInt(up.size()));
  }

  /** Waits until every node's /health sees all three members; false after {@code bound}. */
  private boolean awaitWhole(Duration bound) {
    long until = System.nanoTime() + bound.toNanos();
    while (System.nanoTime() < until) {
      boolean whole = true;
      for (ServerProcess n : nodes) {
        try {
          JsonObject c = new Api(n.port()).get("/health").json().getJsonObject("checks", new JsonObject())
              .getJsonObject("cluster", new JsonObject());
          whole &= c.getInteger("member_count", 0) == NODES;
        } catch (RuntimeException e) {
          whole = false;
        }
      }
      if (whole) {
        return true;
      }
      Signals.sleep(250);
    }
    return false;
  }

  private JsonObject faultCounts() {
    JsonObject o = new JsonObject();
    faults.forEach((k, v) -> o.put(k, v.get()));
    return o;
  }

  private void checkFaultCounts(JsonArray violations) {
    Map<String, Integer> planned = Map.of("executor_kill9", plan.executorKills(), "node_kill9", plan.nodeKills(),
        "executor_pause", plan.executorPauses(), "node_pause", plan.nodePauses(), "pg_terminate", plan.pgTerminations(),
        "redis_restart", plan.redisRestarts());
    planned.forEach((k, n) -> {
      if (faults.get(k).get() < n) {
        violations.add("only " + faults.get(k).get() + " of " + n + " " + k + " faults were injected");
      }
    });
  }

  private void log(String what) {
    String line = String.format("%6.1f %s", (System.nanoTime() - (deadline - plan.total().toNanos())) / 1e9, what);
    log.add(line);
    System.err.println("chaos: " + line);
  }
}
