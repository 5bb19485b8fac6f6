package io.productionline.agent;

import io.productionline.cli.Help;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code production-line executor} (and {@code scripts/executor}): the reference executor from the
 * command line. Every option has an environment fallback; {@code --help} lists them ({@link #OPTIONS}).
 */
public final class ExecutorCommand {

  private static final Logger log = LoggerFactory.getLogger(ExecutorCommand.class);
  static final String USAGE = "production-line executor [--server URL[,URL…]] [--token T] --id ID --capabilities a,b "
      + "[--environment local|server] [--type T] [--wait S] [--grace S] [--concurrency N] [--cluster]";
  /** Option name (without --) → its variable and meaning. */
  static final List<Help.Row> OPTIONS = List.of(
      new Help.Row("--server URL[,URL…]", "PL_SERVER", "the server, or several nodes of one cluster, comma-separated: when the one in use "
          + "cannot be reached the executor turns to the next (default http://127.0.0.1:$PL_HTTP_PORT, port 8950)"),
      new Help.Row("--token T", "PL_TOKEN", "the executor token of this id (production-line token executor --executor-id ID)"),
      new Help.Row("--id ID", "PL_EXECUTOR_ID", "this executor's id (default executor-<pid>)"),
      new Help.Row("--capabilities a,b", "PL_CAPABILITIES", "what it can run (default sim)"),
      new Help.Row("--environment E", "PL_ENVIRONMENT", "local or server (default local)"),
      new Help.Row("--type T", "PL_EXECUTOR_TYPE", "its type, shown on the dashboard (default reference)"),
      new Help.Row("--wait S", "PL_WAIT_SECONDS", "long-poll wait of a claim (default 20)"),
      new Help.Row("--grace S", "PL_GRACE_SECONDS", "on SIGTERM, how long the task in hand may take before it is handed back (default 30)"),
      new Help.Row("--concurrency N", "PL_CONCURRENCY", "how many tasks it runs at once (1 to 64, default 1); above 1 it claims and completes in batches"),
      new Help.Row("--cluster", "PL_CLUSTER=on", "join the Hazelcast cluster as a member and reach the work API over the event bus "
          + "(PL_CLUSTER_NAME, PL_CLUSTER_MEMBERS, ...)"));
  private static final Set<String> VALUED = Set.of("server", "token", "id", "capabilities", "environment", "type", "wait", "grace",
      "concurrency");

  private ExecutorCommand() {
  }

  /** Starts the executor and returns; a shutdown hook stops it (SIGTERM, Ctrl-C). */
  public static void run(String[] args, Map<String, String> env) throws Exception {
    Map<String, String> opts = new HashMap<>();
    boolean cluster = "on".equalsIgnoreCase(env.getOrDefault("PL_CLUSTER", "off"));
    for (int i = 0; i < args.length; i++) {
      String name = args[i].replaceFirst("^--", "");
      if (name.equals("help") || name.equals("h")) {
        Help.print(System.out, USAGE, OPTIONS);
        System.exit(0);
      }
      if (name.equals("cluster")) {
        cluster = true;
        continue;
      }
      if (!VALUED.contains(name) || i + 1 >= args.length) {
        Help.refuse("unknown or incomplete option " + args[i], USAGE);
      }
      opts.put(name, args[++i]);
    }
    String server = opts.getOrDefault("server", io.productionline.Config.serverUrl(env));
    String id = opts.getOrDefault("id", env.getOrDefault("PL_EXECUTOR_ID", "executor-" + ProcessHandle.current().pid()));
    List<String> caps = Arrays.stream(opts.getOrDefault("capabilities", env.getOrDefault("PL_CAPABILITIES", "sim")).split(","))
        .map(String::trim).filter(c -> !c.isEmpty()).toList();
    String token = opts.getOrDefault("token", env.get("PL_TOKEN"));
    String environment = opts.getOrDefault("environment", env.getOrDefault("PL_ENVIRONMENT", "local"));
    String type = opts.getOrDefault("type", env.getOrDefault("PL_EXECUTOR_TYPE", "reference"));
    int wait = 0;
    int grace = 0;
    int concurrency = 1;
    try {
      wait = Integer.parseInt(opts.getOrDefault("wait", env.getOrDefault("PL_WAIT_SECONDS", "20")));
      grace = Integer.parseInt(opts.getOrDefault("grace", env.getOrDefault("PL_GRACE_SECONDS", "30")));
      concurrency = Integer.parseInt(opts.getOrDefault("concurrency", env.getOrDefault("PL_CONCURRENCY", "1")));
    } catch (NumberFormatException e) {
      Help.refuse("--wait, --grace and --concurrency are whole numbers", USAGE);
    }
    if (concurrency < 1 || concurrency > io.productionline.work.WorkService.MAX_BATCH) {
      Help.refuse("--concurrency must be from 1 to " + io.productionline.work.WorkService.MAX_BATCH, USAGE);
    }
    try {
      new Servers(server);
    } catch (IllegalArgumentException e) {
      Help.refuse("--server: " + e.getMessage(), USAGE);
    }
    int graceSeconds = grace;
    // Linux's epoll where it loads, as the server's sockets (Main); java.nio elsewhere.
    Vertx vertx = cluster ? clusterMember(env) : Vertx.builder().with(new VertxOptions().setPreferNativeTransport(true)).build();
    ExecutorAgent agent = new ExecutorAgent(vertx, new ExecutorAgent.Settings(server, token, id, caps, environment, type, wait, grace, concurrency),
        cluster);
    try {
      agent.start().await();
    } catch (ExecutorAgent.Refused e) {
      System.err.println("production-line executor: " + server + " refused to register " + id + ": " + e.status + " "
          + e.body.getString("detail", e.body.encode()));
      vertx.close();
      System.exit(1);
    }
    io.productionline.Main.atExit(() -> {
      try {
        agent.stop(Duration.ofSeconds(graceSeconds)).await();
        vertx.close().await();
      } catch (Exception e) {
        log.warn("Executor stop did not complete cleanly: {}", e.toString());
      }
    });
  }

  /** A Vert.x that joins the servers' Hazelcast cluster as a lite member (it holds no cluster data). */
  static Vertx clusterMember(Map<String, String> env) throws Exception {
    JsonObject config = io.productionline.Config.load(env);
    com.hazelcast.config.Config hz = io.productionline.Main.hazelcast(config).setLiteMember(true);
    var manager = new io.vertx.spi.cluster.hazelcast.HazelcastClusterManager(hz);
    VertxOptions options = new VertxOptions().setPreferNativeTransport(true);
    String host = config.getJsonObject("cluster", new JsonObject()).getString("host", "127.0.0.1");
    options.getEventBusOptions().setHost(host).setClusterPublicHost(host);
    return Vertx.builder().with(options).withClusterManager(manager).buildClustered().await();
  }

}
