package io.productionline;

import io.productionline.analytics.FlowWatch;
import io.productionline.analytics.LineAnalytics;
import io.productionline.auth.Tokens;
import io.productionline.cluster.Membership;
import io.productionline.events.Broadcast;
import io.productionline.executor.ExecutorRegistry;
import io.productionline.interrupt.SlaWatch;
import io.productionline.line.LineDefinition;
import io.productionline.line.Lines;
import io.productionline.line.Skill;
import io.productionline.line.Skills;
import io.productionline.metrics.Metrics;
import io.productionline.store.GroupCommit;
import io.productionline.store.Migrations;
import io.productionline.store.TableStatistics;
import io.productionline.track.LineCatalog;
import io.productionline.track.LineOrchestrator;
import io.productionline.track.LiveViews;
import io.productionline.track.Node;
import io.productionline.track.ProductionView;
import io.productionline.track.Reconciler;
import io.productionline.track.TrackSupervisor;
import io.productionline.web.WebVerticle;
import io.productionline.work.QueueWatch;
import io.productionline.work.RescueSweeper;
import io.productionline.work.WorkService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.RedisOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.time.Clock;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One server node, assembled: connections, migrations, line catalog, supervisor, work service,
 * rescue sweeper, line analytics (flow metrics push, SLA check) and the web verticle. {@link Main}
 * starts one on the embedded default; tests start them on a Vert.x of their own.
 */
public final class ProductionLine {

  private static final Logger log = LoggerFactory.getLogger(ProductionLine.class);

  private final Services services;
  private final TrackSupervisor supervisor;
  private final LineOrchestrator orchestrator;
  private final WorkService work;
  private final RescueSweeper sweeper;
  private final Reconciler reconciler;
  private final TableStatistics statistics;
  private final WebVerticle web;
  private final QueueWatch queueWatch;
  private final FlowWatch flowWatch;
  private final SlaWatch slaWatch;
  private final LiveViews liveViews;
  private final ProductionView view;
  private final Redis redisClient;
  /** Whether this node is part of a majority of the expected members; the subscription check after a merge. */
  private final Membership membership;
  /** This node's relay of {@link Broadcast} events to its own consumers. */
  private MessageConsumer<Object> relay;

  private ProductionLine(Services services, Redis redisClient, ClusterManager clusterManager) {
    this.services = services;
    this.redisClient = redisClient;
    this.membership = new Membership(services.vertx, clusterManager, services.node.id(), services.config, services.clock);
    // The tracks this node supervises answer on their own addresses: checked after a merge too.
    membership.alsoStanding(() -> services.pool.preparedQuery("SELECT id FROM tracks WHERE owner_node = $1 AND finalized_at IS NULL")
        .execute(io.vertx.sqlclient.Tuple.of(services.node.id()))
        .map(rows -> {
          java.util.List<String> out = new java.util.ArrayList<>();
          rows.forEach(r -> out.add(io.productionline.events.Addresses.track(r.getString(0))));
          return out;
        }));
    this.supervisor = new TrackSupervisor(services);
    this.orchestrator = new LineOrchestrator(services, supervisor);
    ExecutorRegistry registry = new ExecutorRegistry(services.redis,
        services.config.getJsonObject("redis", new JsonObject()).getString("prefix", "pl:"), services.clock, services.staleSeconds());
    this.work = new WorkService(services, registry, supervisor);
    this.sweeper = new RescueSweeper(services, registry, supervisor);
    this.reconciler = new Reconciler(services, supervisor);
    this.statistics = new TableStatistics(services.vertx, services.pool);
    LineAnalytics analytics = new LineAnalytics(services, registry);
    this.view = new ProductionView(services, registry, analytics);
    this.queueWatch = new QueueWatch(services, view);
    this.flowWatch = new FlowWatch(services, analytics);
    this.slaWatch = new SlaWatch(services, supervisor);
    this.liveViews = new LiveViews(services, view);
    this.web = new WebVerticle(services, supervisor, orchestrator, work, view, liveViews, membership);
  }

  /**
   * Starts a node on {@code vertx}. {@code config} must name {@code pg.url} and {@code redis.url};
   * {@code clusterManager} is null on a Vert.x that is not clustered.
   */
  public static Future<ProductionLine> start(Vertx vertx, JsonObject config, ClusterManager clusterManager, Clock clock) {
    Map<String, LineDefinition> lines;
    Map<String, Skill> skills;
    try {
      skills = Skills.loadDirectory(Json.MAPPER, Config.confPath(config, "skills_dir", "skills"));
      lines = Lines.loadDirectory(Json.MAPPER, Config.confPath(config, "lines_dir", "lines"), skills);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    JsonObject pg = config.getJsonObject("pg", new JsonObject());
    Pool pool = PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(pg.getInteger("pool_size", 8)).setName("pl-writes"))
        .connectingTo(connectOptions(pg))
        .withConnectHandler(ProductionLine::withoutJit)
        .using(vertx)
        .build();
    JsonObject group = pg.getJsonObject("group_commit", new JsonObject());
    GroupCommit.enable(vertx, pool, group.getInteger("max_in_flight", 2), group.getInteger("max_writes", 64));
    int readPoolSize = pg.getInteger("read_pool_size", 2);
    Pool reads = readPoolSize <= 0 ? pool : PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(readPoolSize).setName("pl-reads"))
        .connectingTo(connectOptions(pg))
        .withConnectHandler(ProductionLine::withoutJit)
        .using(vertx)
        .build();
    Redis redisClient = Redis.createClient(vertx, new RedisOptions()
        .setConnectionString(config.getJsonObject("redis", new JsonObject()).getString("url"))
        .setMaxPoolSize(16).setMaxPoolWaiting(1024));
    Metrics metrics = Metrics.of(config, clock);
    return Migrations.apply(pool)
        .compose(v -> Tokens.load(vertx, config, pool))
        .map(tokens -> new ProductionLine(new Services(vertx, config, clock, pool, reads, RedisAPI.api(redisClient), new Node(clusterManager),
            new LineCatalog(vertx, pool, clock, skills), tokens, metrics), redisClient, clusterManager))
        .onFailure(e -> {
          GroupCommit.disable(pool);
          pool.close();
          if (reads != pool) {
            reads.close();
          }
          redisClient.close();
        })
        .compose(node -> start(node, config, lines));
  }

  /**
   * Every statement is prepared once per connection and kept, the line's longest too: the client
   * keeps none longer than 2,048 characters by default, and the one-statement completion
   * ({@code store.TrackWrite}, built from named parts) is longer, so it would be parsed and planned anew
   * each time.
   */
  private static PgConnectOptions connectOptions(JsonObject pg) {
    return PgConnectOptions.fromUri(pg.getString("url")).setCachePreparedStatements(true).setPreparedStatementCacheSqlLimit(16_384);
  }

  /**
   * Each new connection of a pool runs without JIT compilation before the pool lends it: the line's
   * statements are short, and a read whose plan PostgreSQL costs above {@code jit_above_cost} (the
   * reconciliation's look at every unfinished track, an analytics read of a busy line) was compiled
   * again at every execution, about 50 ms of CPU each time on a busy machine, more than the read
   * saves. A {@code SET}, not a startup parameter, so that a connection pooler in front, which
   * refuses startup parameters it does not know, still lets the product connect.
   */
  private static void withoutJit(io.vertx.sqlclient.SqlConnection conn) {
    conn.query("SET jit = off").execute().onComplete(done -> conn.close());
  }

  private static Future<ProductionLine> start(ProductionLine node, JsonObject config, Map<String, LineDefinition> lines) {
    Services services = node.services;
    Vertx vertx = services.vertx;
    JsonObject cluster = config.getJsonObject("cluster", new JsonObject());
    return services.lease.start()
        .compose(lease -> services.lines.listen())
        .compose(v -> services.lines.importConf(lines))
        .compose(imported -> node.liveViews.start())
        .compose(v -> Broadcast.relay(services.vertx.eventBus(), node.liveViews::tap))
        .compose(relay -> {
          node.relay = relay;
          return node.work.start();
        })
        .compose(v -> node.queueWatch.start())
        .compose(v -> node.flowWatch.start())
        .compose(v -> node.supervisor.listen())
        .compose(v -> vertx.deployVerticle(node.web))
        .compose(v -> node.supervisor.adoptOrphans())
        .map(adopted -> {
          node.sweeper.start(config.getJsonObject("work", new JsonObject()).getLong("sweep_interval_ms", 2000L));
          node.membership.start();
          node.reconciler.start(cluster.getLong("reconcile_ms", 5000L));
          node.statistics.start(config.getJsonObject("pg", new JsonObject()).getLong("analyze_check_ms", 5000L));
          node.slaWatch.start(config.getJsonObject("analytics", new JsonObject()).getLong("sla_check_seconds", 15L) * 1000);
          log.info("Node {} ready on port {} (lines in conf/lines: {})", services.node.id(), node.port(), String.join(", ", lines.keySet()));
          return node;
        });
  }

  public int port() {
    return web.port();
  }

  /** Whether this node is part of a whole cluster, and its subscription check after a merge. */
  public Membership membership() {
    return membership;
  }

  /** The line views this node serves ({@code GET /production}, the dashboard's channel). */
  public ProductionView view() {
    return view;
  }

  /** The HTTP face of this node. */
  public WebVerticle web() {
    return web;
  }

  public Services services() {
    return services;
  }

  public LineOrchestrator orchestrator() {
    return orchestrator;
  }

  public TrackSupervisor supervisor() {
    return supervisor;
  }

  public WorkService work() {
    return work;
  }

  public RescueSweeper sweeper() {
    return sweeper;
  }

  /** The cluster-wide adoption of tracks whose owner's lease expired, and the wake-ups a lost message would miss. */
  /** The check that keeps the busiest tables' planner statistics current. */
  public TableStatistics statistics() {
    return statistics;
  }

  public Reconciler reconciler() {
    return reconciler;
  }

  /** The SLA check of operator interrupts; {@link SlaWatch#breachCounts()} is its counter. */
  public SlaWatch slaWatch() {
    return slaWatch;
  }

  /** The node's push of flow metrics. */
  public FlowWatch flowWatch() {
    return flowWatch;
  }

  /**
   * Leaves gracefully: stops claiming and sweeping, hands this node's tracks to the other members,
   * ends its lease, then closes the HTTP server and the connections.
   */
  public Future<Void> close() {
    sweeper.stop();
    reconciler.stop();
    statistics.stop();
    slaWatch.stop();
    work.stopClaiming();
    return supervisor.handOver().<Void>mapEmpty().recover(e -> Future.succeededFuture())
        .compose(v -> services.lease.release()).recover(e -> Future.succeededFuture())
        .compose(v -> flowWatch.stop()).recover(e -> Future.succeededFuture())
        .compose(v -> liveViews.stop()).recover(e -> Future.succeededFuture())
        .compose(v -> services.vertx.undeploy(web.deploymentID())).recover(e -> Future.succeededFuture())
        .compose(v -> services.lines.stop()).recover(e -> Future.succeededFuture())
        .compose(v -> relay == null ? Future.succeededFuture() : relay.unregister()).recover(e -> Future.succeededFuture())
        .compose(v -> services.reads == services.pool ? Future.succeededFuture() : services.reads.close())
        .recover(e -> Future.succeededFuture())
        .compose(v -> {
          GroupCommit.disable(services.pool);
          return services.pool.close();
        })
        .eventually(() -> {
          redisClient.close();
          return Future.succeededFuture();
        });
  }
}
