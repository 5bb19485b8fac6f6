package io.productionline;

import com.hazelcast.config.Config;
import com.hazelcast.config.FileSystemXmlConfig;
import io.productionline.agent.ExecutorAgent;
import io.productionline.embedded.EmbeddedPostgres;
import io.productionline.embedded.EmbeddedRedis;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.file.Path;
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
        System.err.println("usage: production-line [serve | executor --server URL --id ID --capabilities a,b [--token T]]");
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
    VertxOptions options = new VertxOptions();
    options.getEventBusOptions().setHost(c.getString("host", "127.0.0.1")).setClusterPublicHost(c.getString("host", "127.0.0.1"));
    Vertx vertx = Vertx.builder().with(options).withClusterManager(cluster).buildClustered().await();

    ProductionLine node = ProductionLine.start(vertx, config, cluster, Clock.systemUTC()).await();
    List<ExecutorAgent> agents = new ArrayList<>();
    JsonObject demo = config.getJsonObject("demo", new JsonObject());
    if (demo.getBoolean("enabled", true)) {
      agents.addAll(startDemo(vertx, node, demo).await());
    }
    String url = "http://" + config.getJsonObject("http").getString("host", "127.0.0.1") + ":" + node.port() + "/";
    String project = demo.getBoolean("enabled", true) ? "?project=" + demo.getString("project", "demo") : "";
    System.out.println();
    System.out.println("  Production Line is running.");
    System.out.println("  Dashboard: " + url + project);
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
            ExecutorAgent agent = new ExecutorAgent(vertx, new ExecutorAgent.Settings("http://127.0.0.1:" + node.port(),
                demo.getString("token"), "sim-" + i, List.of("sim", "build"), "server", "simulated", 20));
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

  public static Config hazelcast(JsonObject config) throws Exception {
    JsonObject c = config.getJsonObject("cluster", new JsonObject());
    Config hz = new FileSystemXmlConfig(c.getString("config", "conf/cluster.xml"));
    hz.setClusterName(c.getString("name", "production-line"));
    hz.getNetworkConfig().setPort(c.getInteger("port", 5701));
    var tcp = hz.getNetworkConfig().getJoin().getTcpIpConfig();
    JsonArray members = c.getJsonArray("members", new JsonArray().add("127.0.0.1"));
    tcp.setMembers(members.stream().map(Object::toString).toList());
    hz.getNetworkConfig().getInterfaces().setInterfaces(List.of(c.getString("host", "127.0.0.1")));
    return hz;
  }

  static void executor(String[] args, Map<String, String> env) throws Exception {
    io.productionline.agent.ExecutorCommand.run(args, env);
  }

}
