package io.productionline;

import com.hazelcast.config.Config;
import com.hazelcast.config.XmlConfigBuilder;
import io.productionline.cli.Help;
import io.productionline.auth.Role;
import io.productionline.auth.Tokens;
import io.productionline.embedded.EmbeddedPostgres;
import io.productionline.embedded.EmbeddedRedis;
import io.productionline.line.LineDefinition;
import io.productionline.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of {@code production-line.jar}: {@code serve} (the default) starts a clustered server
 * node — on the embedded default when {@code PL_PG_URL} / {@code PL_REDIS_URL} are not set — with
 * the demo unless {@code PL_DEMO=off}; {@code executor} runs the reference executor against a
 * server; {@code token} mints a token through the admin API. Each takes {@code --help}.
 */
public final class Main {

  /** How long the stop waits for the node to leave before it stops the embedded servers regardless. */
  private static final long STOP_SECONDS = 60;
  static final String USAGE = "java -jar production-line.jar serve | executor | token | --help";
  static final String SERVE_USAGE = "production-line serve [--http-port N] [--data-dir DIR] [--pg-url URL] ...";

  /** Created on first use, after {@code --data-dir} has set where the JSON log goes. */
  private static final class Log {
    static final Logger log = LoggerFactory.getLogger(Main.class);
  }

  private Main() {
  }

  /** What the JVM's stop runs, in order, before the log is drained ({@link #atExit}). */
  private static final List<Runnable> AT_EXIT = new java.util.concurrent.CopyOnWriteArrayList<>();

  static {
    // One hook: the commands' stops run first and log what they do; then the log's ring buffer is
    // written out (logback.xml writes from a thread of its own), so no line of a stop, or of a start
    // that failed and exited, is lost.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        for (Runnable r : AT_EXIT) {
          try {
            r.run();
          } catch (RuntimeException e) {
            Log.log.warn("A stop did not complete: {}", e.toString());
          }
        }
      } finally {
        if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext logs) {
          logs.stop();
        }
      }
    }, "production-line-stop"));
  }

  /** Runs {@code stop} when the JVM stops (a signal or an exit), before the log is drained. */
  public static void atExit(Runnable stop) {
    AT_EXIT.add(stop);
  }

  public static void main(String[] args) throws Exception {
    String command = args.length == 0 ? "serve" : args[0];
    String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
    switch (command) {
      case "serve" -> serve(rest);
      case "executor" -> executor(rest, System.getenv());
      case "token" -> System.exit(io.productionline.cli.TokenCommand.run(rest, System.getenv()));
      case "--help", "-h", "help" -> {
        System.out.println("usage: " + USAGE);
        System.out.println();
        System.out.println("  serve      a server node (the embedded PostgreSQL and Redis unless PL_PG_URL / PL_REDIS_URL name others)");
        System.out.println("  executor   the reference executor: claims station tasks of a server and runs their steps");
        System.out.println("  token      mints a bearer token through a server's admin API");
        System.out.println();
        System.out.println("Each command takes --help: its options and the PL_* variable of each.");
      }
      default -> Help.refuse("unknown command " + command, USAGE);
    }
  }

  private static void serve(String[] args) throws Exception {
    if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
      serveHelp();
      return;
    }
    Map<String, String> env;
    JsonObject config;
    try {
      env = io.productionline.Config.withOptions(args, System.getenv());
      config = io.productionline.Config.load(env);
    } catch (IllegalArgumentException e) {
      Help.refuse(e.getMessage(), SERVE_USAGE);
      return;
    }
    // The JSON log's file names the data directory (logback.xml reads PL_DATA_DIR); an option sets it too.
    System.setProperty("PL_DATA_DIR", config.getString("data_dir", "data"));
    serve(config);
  }

  private static void serveHelp() throws IOException {
    JsonObject defaults = io.productionline.Config.load(Map.of());
    List<Help.Row> rows = new ArrayList<>();
    rows.add(new Help.Row("--conf FILE", "PL_CONF", "another configuration file (default <conf dir>/config.json)"));
    for (io.productionline.Config.Setting s : io.productionline.Config.SETTINGS) {
      Object d = io.productionline.Config.get(defaults, s.pointer());
      rows.add(new Help.Row(s.option() + " V", s.env(), s.meaning() + (d == null ? "" : " [" + d + "]")));
    }
    Help.print(System.out, SERVE_USAGE, rows);
  }

  static void serve(JsonObject config) throws Exception {
    Logger log = Log.log;
    Path data = Path.of(config.getString("data_dir", "data"));
    List<AutoCloseable> embedded = new ArrayList<>();
    List<String> stores = new ArrayList<>();
    JsonObject pg = config.getJsonObject("pg", new JsonObject());
    if (pg.getString("url") == null) {
      EmbeddedPostgres server = EmbeddedPostgres.start(data.resolve("pg"));
      embedded.add(server);
      config.put("pg", pg.copy().put("url", server.url()));
      stores.add(data.resolve("pg") + " (embedded PostgreSQL on port " + server.port() + ")");
    } else {
      stores.add("PostgreSQL at " + hostOf(pg.getString("url")));
    }
    JsonObject redis = config.getJsonObject("redis", new JsonObject());
    if (redis.getString("url") == null) {
      EmbeddedRedis server = EmbeddedRedis.start(data.resolve("redis"));
      embedded.add(0, server);
      config.put("redis", redis.copy().put("url", server.url()));
      stores.add(data.resolve("redis") + " (embedded Redis on port " + server.port() + ")");
    } else {
      stores.add("Redis at " + hostOf(redis.getString("url")));
    }
    Runnable stopEmbedded = () -> {
      for (AutoCloseable a : embedded) {
        try {
          a.close();
        } catch (Exception e) {
          log.warn("Embedded server did not stop cleanly: {}", e.toString());
        }
      }
    };

    Vertx vertx;
    ProductionLine node;
    try {
      HazelcastClusterManager cluster = new HazelcastClusterManager(hazelcast(config));
      JsonObject c = config.getJsonObject("cluster", new JsonObject());
      // Linux's epoll where it loads (fewer system calls per request, docs/benchmarks.md), java.nio elsewhere.
      VertxOptions options = Metrics.enable(new VertxOptions(), config).setPreferNativeTransport(true);
      options.getEventBusOptions().setHost(c.getString("host", "127.0.0.1")).setClusterPublicHost(c.getString("host", "127.0.0.1"));
      vertx = Vertx.builder().with(options).withClusterManager(cluster).buildClustered().await();
      if (vertx.isNativeTransportEnabled()) {
        log.info("Sockets on Linux's epoll");
      } else {
        Throwable why = vertx.unavailableNativeTransportCause();
        log.info("Sockets on java.nio (no native transport here: {})", why == null ? "none for this system" : why.getMessage());
      }
      node = ProductionLine.start(vertx, config, cluster, Clock.systemUTC()).await();
    } catch (Exception e) {
      System.err.println("Production Line did not start: " + e.getMessage());
      stopEmbedded.run();
      System.exit(1);
      return;
    }
    JsonObject auth = config.getJsonObject("auth", new JsonObject());
    Path tokens = data.resolve("tokens");
    String operatorToken = writeTokens(node.services().tokens, tokens, Duration.ofDays(auth.getInteger("token_days", 30)));
    JsonObject demoConf = config.getJsonObject("demo", new JsonObject());
    DemoLine demo = demoConf.getBoolean("enabled", true) ? new DemoLine(vertx, node, demoConf) : null;
    if (demo != null) {
      // Its projects exist before the banner names the page; they start, with its executors, after it.
      demo.prepare().await();
    }

    atExit(() -> {
      log.info("Stopping: executors hand back their work, this node releases its tracks, then the embedded servers stop");
      // Bounded: a node that cannot leave (a wedged cluster) still stops its embedded servers and exits.
      Future<Void> leave = (demo == null ? Future.<Void>succeededFuture() : demo.stop())
          .compose(v -> node.close())
          .compose(v -> vertx.close());
      try {
        leave.toCompletionStage().toCompletableFuture().get(STOP_SECONDS, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        log.warn("The node did not leave within {} s; stopping the embedded servers anyway", STOP_SECONDS);
      } catch (Exception e) {
        log.warn("Stop did not complete cleanly: {}", e.getMessage());
      }
      stopEmbedded.run();
      log.info("Stopped");
    });

    String url = "http://" + config.getJsonObject("http").getString("host", "127.0.0.1") + ":" + node.port() + "/";
    List<String> query = new ArrayList<>();
    if (auth.getBoolean("print_token", true)) {
      query.add("token=" + operatorToken);
    }
    Path logFile = data.resolve("logs").resolve("production-line.jsonl");
    String lines = String.join(", ", node.services().lines.rows().await().stream().map(r -> r.name()).sorted().toList());
    String nl = System.lineSeparator();
    // One write, so no log line of another thread lands inside it; the last thing the start prints.
    System.out.print(nl
        + "  Production Line is running. Lines: " + lines + (demo == null ? "" : "; the demo starts a new project every few minutes") + nl
        + "  Dashboard: " + url + (query.isEmpty() ? "" : "?" + String.join("&", query)) + nl
        + "  Tokens:    " + tokens.resolve("operator.token") + " and " + tokens.resolve("admin.token")
        + " (curl -H \"Authorization: Bearer $(cat " + tokens.resolve("operator.token") + ")\" " + url + "api/v1/lines)" + nl
        + "  Logs:      this console, and " + logFile + " (JSON, one event per line)" + nl
        + "  Data:      " + String.join("; ", stores) + nl
        + "  Health:    " + url + "health" + nl
        + "  Stop:      Ctrl-C (or kill " + ProcessHandle.current().pid() + "); started again, it resumes where it stood" + nl
        + nl);
    System.out.flush();
    if (demo != null) {
      // The line starts moving after the banner: its moves follow it on the console.
      demo.run().onFailure(e -> log.warn("The demo did not start: {}", e.getMessage()));
    }
  }

  /** host:port/db of a connection URL, without user or password. */
  private static String hostOf(String url) {
    return url.replaceFirst("^[a-z]+://([^@/]*@)?", "");
  }

  /**
   * Mints the development tokens of this start, {@code admin.token} and {@code operator.token} in
   * {@code dir}, readable by the owner only; returns the operator's, for the dashboard URL. Tokens
   * of earlier starts stay valid until they expire (the signing secret is kept in PostgreSQL).
   */
  static String writeTokens(Tokens tokens, Path dir, Duration ttl) throws IOException {
    Files.createDirectories(dir);
    ownerOnly(dir, "rwx------");
    String operator = tokens.mint(Role.OPERATOR, "operator", null, ttl);
    writeOwnerOnly(dir.resolve("admin.token"), tokens.mint(Role.ADMIN, "admin", null, ttl));
    writeOwnerOnly(dir.resolve("operator.token"), operator);
    return operator;
  }

  private static void writeOwnerOnly(Path file, String content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp);
    ownerOnly(tmp, "rw-------");
    Files.writeString(tmp, content + "\n");
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void ownerOnly(Path p, String perms) throws IOException {
    try {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
    } catch (UnsupportedOperationException e) {
      Log.log.warn("Cannot restrict {} to its owner on this file system; keep the directory private", p);
    }
  }

  /** The failure-detector and merge settings of conf/cluster.xml, the floor for any cluster file. */
  static final Map<String, String> HEALING = Map.of(
      "hazelcast.heartbeat.interval.seconds", "1",
      "hazelcast.max.no.heartbeat.seconds", "10",
      "hazelcast.merge.first.run.delay.seconds", "5",
      "hazelcast.merge.next.run.delay.seconds", "3");

  public static Config hazelcast(JsonObject config) throws Exception {
    JsonObject c = config.getJsonObject("cluster", new JsonObject());
    Path file = c.getString("config") != null ? Path.of(c.getString("config"))
        : io.productionline.Config.confDir(config.getString("conf_dir")).resolve("cluster.xml");
    Config hz;
    try (var in = Files.newInputStream(file)) {
      hz = new XmlConfigBuilder(in).build();
    }
    hz.setClusterName(c.getString("name", "production-line"));
    hz.getNetworkConfig().setPort(c.getInteger("port", 5701));
    var tcp = hz.getNetworkConfig().getJoin().getTcpIpConfig();
    JsonArray members = c.getJsonArray("members", new JsonArray().add("127.0.0.1"));
    tcp.setMembers(members.stream().map(Object::toString).toList());
    hz.getNetworkConfig().getInterfaces().setInterfaces(List.of(c.getString("host", "127.0.0.1")));
    // Healing after a split within seconds, and a failure detector of seconds, even when a replacement
    // cluster file leaves them out (Hazelcast's defaults: 300 s / 120 s before merging, 60 s of silence).
    HEALING.forEach((property, value) -> {
      if (hz.getProperty(property) == null) {
        hz.setProperty(property, value);
      }
    });
    return hz;
  }

  static void executor(String[] args, Map<String, String> env) throws Exception {
    io.productionline.agent.ExecutorCommand.run(args, env);
  }

}
