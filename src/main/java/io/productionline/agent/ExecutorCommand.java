package io.productionline.agent;

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
 * {@code scripts/executor} (and {@code production-line executor}): the reference executor from the
 * command line. Options, each with an environment fallback:
 * <pre>
 *   --server URL           PL_SERVER         default http://127.0.0.1:8950
 *   --token T              PL_TOKEN          the executor token of this id (scripts/token executor --executor-id ID)
 *   --id ID                PL_EXECUTOR_ID    default executor-&lt;pid&gt;
 *   --capabilities a,b     PL_CAPABILITIES   default sim
 *   --environment E        PL_ENVIRONMENT    local or server, default local
 *   --type T               PL_EXECUTOR_TYPE  default reference
 *   --wait S               PL_WAIT_SECONDS   long-poll wait, default 20
 *   --grace S              PL_GRACE_SECONDS  on SIGTERM, how long the task in hand may take before it is handed back, default 30
 *   --concurrency N        PL_CONCURRENCY    how many tasks it runs at once (1 to 64), default 1; above 1 it claims and
 *                                            completes in batches
 *   --cluster              PL_CLUSTER=on     join the Hazelcast cluster as a member and reach the work API over the
 *                                            event bus (cluster settings: PL_CLUSTER_NAME, PL_CLUSTER_MEMBERS, …)
 * </pre>
 */
public final class ExecutorCommand {

  private static final Logger log = LoggerFactory.getLogger(ExecutorCommand.class);
  private static final Set<String> OPTIONS = Set.of("server", "token", "id", "capabilities", "environment", "type", "wait", "grace",
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
        usage(null);
      }
      if (name.equals("cluster")) {
        cluster = true;
        continue;
      }
      if (!OPTIONS.contains(name) || i + 1 >= args.length) {
        usage("unknown or incomplete option " + args[i]);
      }
      opts.put(name, args[++i]);
    }
    String server = opts.getOrDefault("server", env.getOrDefault("PL_SERVER", "http://127.0.0.1:8950"));
    String id = opts.getOrDefault("id", env.getOrDefault("PL_EXECUTOR_ID", "executor-" + ProcessHandle.current().pid()));
    List<String> caps = Arrays.stream(opts.getOrDefault("capabilities", env.getOrDefault("PL_CAPABILITIES", "sim")).split(","))
        .map(String::trim).filter(c -> !c.isEmpty()).toList();
    String token = opts.getOrDefault("token", env.get("PL_TOKEN"));
    String environment = opts.getOrDefault("environment", env.getOrDefault("PL_ENVIRONMENT", "local"));
    String type = opts.getOrDefault("type", env.getOrDefault("PL_EXECUTOR_TYPE", "reference"));
    int wait = Integer.parseInt(opts.getOrDefault("wait", env.getOrDefault("PL_WAIT_SECONDS", "20")));
    int grace = Integer.parseInt(opts.getOrDefault("grace", env.getOrDefault("PL_GRACE_SECONDS", "30")));
    int concurrency = Integer.parseInt(opts.getOrDefault("concurrency", env.getOrDefault("PL_CONCURRENCY", "1")));
    if (concurrency < 1 || concurrency > io.productionline.work.WorkService.MAX_BATCH) {
      usage("--concurrency must be from 1 to " + io.productionline.work.WorkService.MAX_BATCH);
    }
    Vertx vertx = cluster ? clusterMember(env) : Vertx.vertx();
    ExecutorAgent agent = new ExecutorAgent(vertx, new ExecutorAgent.Settings(server, token, id, caps, environment, type, wait, grace, concurrency),
        cluster);
    agent.start().await();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        agent.stop(Duration.ofSeconds(grace)).await();
        vertx.close().await();
      } catch (Exception e) {
        log.warn("Executor stop did not complete cleanly: {}", e.toString());
      }
    }, "executor-stop"));
  }

  /** A Vert.x that joins the servers' Hazelcast cluster as a lite member (it holds no cluster data). */
  static Vertx clusterMember(Map<String, String> env) throws Exception {
    JsonObject config = io.productionline.Config.load(env);
    com.hazelcast.config.Config hz = io.productionline.Main.hazelcast(config).setLiteMember(true);
    var manager = new io.vertx.spi.cluster.hazelcast.HazelcastClusterManager(hz);
    VertxOptions options = new VertxOptions();
    String host = config.getJsonObject("cluster", new JsonObject()).getString("host", "127.0.0.1");
    options.getEventBusOptions().setHost(host).setClusterPublicHost(host);
    return Vertx.builder().with(options).withClusterManager(manager).buildClustered().await();
  }

  private static void usage(String problem) {
    if (problem != null) {
      System.err.println(problem);
    }
    System.err.println("usage: scripts/executor --server URL [--token T] --id ID --capabilities a,b "
        + "[--environment local|server] [--type T] [--wait S] [--grace S] [--concurrency N] [--cluster]");
    System.exit(problem == null ? 0 : 2);
  }
}
