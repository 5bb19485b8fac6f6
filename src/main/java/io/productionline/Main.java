package io.productionline;

import com.hazelcast.config.Config;
import com.hazelcast.config.FileSystemXmlConfig;
import io.productionline.agent.ExecutorAgent;
import io.productionline.auth.Role;
import io.productionline.auth.Tokens;
import io.productionline.embedded.EmbeddedPostgres;
import io.productionline.embedded.EmbeddedRedis;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point. {@code serve} (the default) starts a clustered server node — on the embedded default
 * when {@code PL_PG_URL} / {@code PL_REDIS_URL} are not set — with the demo line unless
 * {@code PL_DEMO=off}. {@code executor} runs the reference executor against a server.
 */
public final class Main {

  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {
  }

  public static void main(String[] args) throws Exception {
    String command = args.length == 0 ? "serve" : args[0];
    switch (command) {
      case "serve" -> serve(System.getenv());
      case "executor" -> executor(Arrays.copyOfRange(args, 1, args.length), System.getenv());
      default -> {
        System.err.println("usage: production-line [serve | executor --server URL --token T --id ID --capabilities a,b]");
        System.exit(2);
      }
    }
  }

  static void serve(Map<String, String> env) throws Exception {
    JsonObject config = io.productionline.Config.load(env);
    Path data = Path.of(config.getString("data_dir", "data"));
    List<AutoCloseable> embedded = new ArrayList<>();
    JsonObject pg = config.getJsonObject("pg", new JsonObject());
    if (pg.getString("url") == null) {
      EmbeddedPostgres server = EmbeddedPostgres.start(data.resolve("pg"));
      embedded.add(server);
      config.put("pg", pg.copy().put("url", server.url()));
    }
    JsonObject redis = config.getJsonObject("redis", new JsonObject());
    if (redis.getString("url") == null) {
      EmbeddedRedis server = EmbeddedRedis.start(data.resolve("redis"));
      embedded.add(server);
      config.put("redis", redis.copy().put("url", server.url()));
    }

    HazelcastClusterManager cluster = new HazelcastClusterManager(hazelcast(config));
    JsonObject c = config.getJsonObject("cluster", new JsonObject());
    VertxOptions options = Metrics.enable(new VertxOptions(), config);
    options.getEventBusOptions().setHost(c.getString("host", "127.0.0.1")).setClusterPublicHost(c.getString("host", "127.0.0.1"));
    Vertx vertx = Vertx.builder().with(options).withClusterManager(cluster).buildClustered().await();

    ProductionLine node = ProductionLine.start(vertx, config, cluster, Clock.systemUTC()).await();
    JsonObject auth = config.getJsonObject("auth", new JsonObject());
    Path tokens = data.resolve("tokens");
    String operatorToken = writeTokens(node.services().tokens, tokens, Duration.ofDays(auth.getInteger("token_days", 30)));
    List<ExecutorAgent> agents = new ArrayList<>();
    JsonObject demo = config.getJsonObject("demo", new JsonObject());
    if (demo.getBoolean("enabled", true)) {
      agents.addAll(startDemo(vertx, node, demo).await());
    }
    String url = "http://" + config.getJsonObject("http").getString("host", "127.0.0.1") + ":" + node.port() + "/";
    List<String> query = new ArrayList<>();
    if (demo.getBoolean("enabled", true)) {
      query.add("project=" + demo.getString("project", "demo"));
    }
    if (auth.getBoolean("print_token", true)) {
      query.add("token=" + operatorToken);
    }
    System.out.println();
    System.out.println("  Production Line is running.");
    System.out.println("  Dashboard: " + url + (query.isEmpty() ? "" : "?" + String.join("&", query)));
    System.out.println("  Tokens:    " + tokens.resolve("operator.token") + " and " + tokens.resolve("admin.token")
        + " (curl -H \"Authorization: Bearer $(cat " + tokens.resolve("operator.token") + ")\" …)");
    System.out.println("  Health:    " + url + "health");
    System.out.println();

    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("Stopping: finishing executors' tasks in hand, then leaving the cluster");
      try {
        Future.all(agents.stream().map(ExecutorAgent::stop).toList()).await();
        node.close().await();
        vertx.close().await();
      } catch (Exception e) {
        log.warn("Stop did not complete cleanly: {}", e.toString());
      }
      for (AutoCloseable a : embedded) {
        try {
          a.close();
        } catch (Exception e) {
          log.warn("Embedded server did not stop cleanly: {}", e.toString());
        }
      }
    }, "production-line-stop"));
  }

  /** The demo project on the documents line, created and started once; resumed as it stands after a restart. */
  static Future<List<ExecutorAgent>> startDemo(Vertx vertx, ProductionLine node, JsonObject demo) {
    String project = demo.getString("project", "demo");
    String line = demo.getString("line", "documents");
    String review = demo.getString("review_project", "demo-review");
    return startOnce(node, project, line)
        .compose(v -> review.isEmpty() || node.services().lines.find("review").isEmpty()
            ? Future.succeededFuture() : startOnce(node, review, "review"))
        .compose(v -> {
          List<ExecutorAgent> agents = new ArrayList<>();
          List<Future<Void>> started = new ArrayList<>();
          for (int i = 1; i <= demo.getInteger("executors", 3); i++) {
            String id = "sim-" + i;
            String token = node.services().tokens.mint(Role.EXECUTOR, id, id, Tokens.MAX_TTL);
            ExecutorAgent agent = new ExecutorAgent(vertx, new ExecutorAgent.Settings("http://127.0.0.1:" + node.port(),
                token, id, List.of("sim", "build"), "server", "simulated", 20));
            agents.add(agent);
            started.add(agent.start());
          }
          return Future.all(started).map(agents);
        });
  }

  /** Creates and starts a demo project the first time; after a restart it resumes as it stands. */
  private static Future<Void> startOnce(ProductionLine node, String project, String line) {
    return node.orchestrator().create(project, line, new JsonObject(), "demo-project:" + project, "demo")
        .compose(created -> created.created()
            ? node.orchestrator().start(project, null, "demo").mapEmpty()
            : Future.succeededFuture());
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
      log.warn("Cannot restrict {} to its owner on this file system; keep the directory private", p);
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
    Config hz = new FileSystemXmlConfig(c.getString("config", "conf/cluster.xml"));
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
