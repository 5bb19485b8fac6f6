package io.productionline;

import io.productionline.auth.Tokens;
import io.productionline.line.TrackMachine;
import io.productionline.metrics.Metrics;
import io.productionline.store.AuditRepository;
import io.productionline.store.InterruptRepository;
import io.productionline.store.ProjectRepository;
import io.productionline.store.TaskRepository;
import io.productionline.store.TrackRepository;
import io.productionline.track.LineCatalog;
import io.productionline.track.Node;
import io.productionline.track.NodeLease;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.RedisAPI;
import io.vertx.sqlclient.Pool;
import java.time.Clock;

/**
 * What the verticles of one node share: the connections, the repositories, the pure state machine,
 * the line catalog, the node's identity, its tokens and its metrics. Built once by {@link ProductionLine}.
 */
public final class Services {

  public final Vertx vertx;
  public final JsonObject config;
  public final Clock clock;
  public final Pool pool;
  /**
   * Connections for what operators read (the line view, analytics): a few of their own, so a view
   * does not queue behind hundreds of executors' claims and completions on {@link #pool}. The
   * same pool when {@code pg.read_pool_size} is 0.
   */
  public final Pool reads;
  public final RedisAPI redis;
  public final Node node;
  /** This node's lease in PostgreSQL: whether it may own tracks, under which epoch, until when. */
  public final NodeLease lease;
  public final LineCatalog lines;
  public final TrackMachine machine;
  public final ProjectRepository projects = new ProjectRepository();
  public final TrackRepository tracks = new TrackRepository();
  public final TaskRepository tasks = new TaskRepository();
  public final InterruptRepository interrupts = new InterruptRepository();
  public final AuditRepository audit = new AuditRepository();
  /** Bearer tokens: minting and verification with the cluster's signing secret. */
  public final Tokens tokens;
  public final Metrics metrics;

  public Services(Vertx vertx, JsonObject config, Clock clock, Pool pool, Pool reads, RedisAPI redis, Node node, LineCatalog lines,
                  Tokens tokens, Metrics metrics) {
    this.vertx = vertx;
    this.config = config;
    this.clock = clock;
    this.pool = pool;
    this.reads = reads;
    this.redis = redis;
    this.node = node;
    this.lease = new NodeLease(vertx, pool, node, config);
    this.lines = lines;
    this.machine = new TrackMachine(clock);
    this.tokens = tokens;
    this.metrics = metrics;
  }

  public int leaseSeconds() {
    return config.getJsonObject("work", new JsonObject()).getInteger("lease_seconds", 60);
  }

  public int staleSeconds() {
    return config.getJsonObject("executors", new JsonObject()).getInteger("stale_seconds", 60);
  }

  public int heartbeatSeconds() {
    return config.getJsonObject("executors", new JsonObject()).getInteger("heartbeat_seconds", 15);
  }
}
