package io.productionline.support;

import io.productionline.ProductionLine;
import io.productionline.agent.ExecutorAgent;
import io.productionline.auth.Role;
import io.productionline.events.Addresses;
import io.productionline.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real server node for a test: its own Vert.x (with its own metrics registry), a fresh database
 * on the test PostgreSQL, its own Redis key prefix, real HTTP on a free port. Close it after the
 * test.
 *
 * <p>Tokens: {@link #api} carries an operator token (subject {@code operator}, as the audit log
 * names it); {@link #apiAs} gives a client of any role, {@link #executorApi} one with the executor
 * token of one executor id, and the in-process executors of {@link #executor} get theirs.
 */
public final class TestNode implements AutoCloseable {

  public final Vertx vertx;
  public final ProductionLine node;
  public final Api api;
  public final JsonObject config;
  private final List<ExecutorAgent> agents = new ArrayList<>();
  private final List<EventStream> streams = new ArrayList<>();
  private final java.util.Map<String, List<EventStream>> recorders = new java.util.concurrent.ConcurrentHashMap<>();

  private TestNode(Vertx vertx, ProductionLine node, JsonObject config) {
    this.vertx = vertx;
    this.node = node;
    this.config = config;
    this.api = new Api(node.port()).withToken(token(Role.OPERATOR, "operator", null));
  }

  /** A token of this node's cluster: {@code role} for {@code name}; executor tokens name their executor. */
  public String token(Role role, String name, String executorId) {
    return node.services().tokens.mint(role, name, executorId, Duration.ofHours(4));
  }

  /** A token of {@code role} (admin, operator, viewer) whose subject is the role's name. */
  public String token(String role) {
    Role r = Role.parse(role).orElseThrow(() -> new IllegalArgumentException("no role " + role));
    if (r == Role.EXECUTOR) {
      throw new IllegalArgumentException("an executor token names its executor: use executorApi(id)");
    }
    return token(r, role, null);
  }

  /** A client of this node with a token of {@code role} (admin, operator, viewer). */
  public Api apiAs(String role) {
    return new Api(node.port()).withToken(token(role));
  }

  /** A client of this node with the executor token of {@code executorId}. */
  public Api executorApi(String executorId) {
    return new Api(node.port()).withToken(token(Role.EXECUTOR, executorId, executorId));
  }

  /** The operator token {@link #api} carries. */
  public String operatorToken() {
    return api.token();
  }

  /**
   * The configuration a test node starts with: the test lines, no demo, slow automatic sweeps and
   * reconciliation (tests call {@code runOnce()}), a node lease of 20 s renewed every 3 s.
   */
  public static JsonObject config() {
    return new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0))
        .put("pg", new JsonObject().put("url", TestServers.freshDatabase()).put("pool_size", 8))
        .put("redis", new JsonObject().put("url", TestServers.redisUrl()).put("prefix", TestServers.redisPrefix()))
        .put("executors", new JsonObject().put("heartbeat_seconds", 15).put("stale_seconds", 60))
        .put("work", new JsonObject().put("lease_seconds", 60).put("sweep_interval_ms", 3_600_000L)
            .put("long_poll_max_seconds", 30).put("max_body_bytes", 1_048_576).put("max_artifact_bytes", 65_536))
        .put("cluster", new JsonObject().put("lease_seconds", 20).put("lease_renew_ms", 3000).put("reconcile_ms", 3_600_000L))
        .put("lines_dir", "src/test/resources/lines")
        .put("demo", new JsonObject().put("enabled", false));
  }

  public static TestNode start() {
    return start(config(), Clock.systemUTC());
  }

  public static TestNode start(JsonObject config, Clock clock) {
    Vertx vertx = Vertx.builder().with(Metrics.enable(new VertxOptions(), config)).build();
    ProductionLine node = ProductionLine.start(vertx, config, null, clock).await();
    return new TestNode(vertx, node, config);
  }

  /**
   * A clustered node: Hazelcast on loopback (TCP-IP join, the product's conf/cluster.xml) in a
   * cluster of its own name, so tests never join another run's members.
   */
  public static TestNode startClustered(JsonObject config, String clusterName) {
    try {
      JsonObject c = config.copy().put("cluster", config.getJsonObject("cluster", new JsonObject()).copy().put("name", clusterName)
          .put("host", "127.0.0.1").put("port", 5701).put("members", new JsonArray().add("127.0.0.1")).put("config", "conf/cluster.xml"));
      var cluster = new io.vertx.spi.cluster.hazelcast.HazelcastClusterManager(io.productionline.Main.hazelcast(c));
      var options = Metrics.enable(new VertxOptions(), c);
      options.getEventBusOptions().setHost("127.0.0.1").setClusterPublicHost("127.0.0.1");
      Vertx vertx = Vertx.builder().with(options).withClusterManager(cluster).buildClustered().await();
      ProductionLine node = ProductionLine.start(vertx, c, cluster, Clock.systemUTC()).await();
      return new TestNode(vertx, node, c);
    } catch (Exception e) {
      throw new IllegalStateException("clustered node did not start", e);
    }
  }

  public Pool pool() {
    return node.services().pool;
  }

  /** Starts an in-process reference executor on this node's HTTP API. */
  public ExecutorAgent executor(String id, String... capabilities) {
    ExecutorAgent agent = new ExecutorAgent(vertx, new ExecutorAgent.Settings(api.base(), token(Role.EXECUTOR, id, id), id,
        List.of(capabilities.length == 0 ? new String[] {"sim"} : capabilities), "server", "test", 5));
    agent.start().await();
    agents.add(agent);
    return agent;
  }

  /**
   * Records every event of {@code project} as a client of the event stream gets them (SSE, in
   * history order); the returned list keeps growing as events arrive.
   */
  public List<JsonObject> record(String project) {
    EventStream stream = EventStream.open(node.port(), project, 0, operatorToken());
    streams.add(stream);
    recorders.computeIfAbsent(project, k -> new ArrayList<>()).add(stream);
    return stream.live();
  }

  /** Creates a project on {@code line} through the API; returns its id. */
  public String createProject(String id, String line) {
    Api.Reply r = api.post("/api/v1/projects", new JsonObject().put("project_id", id).put("line", line));
    if (r.status() != 201) {
      throw new IllegalStateException("create project: " + r.status() + " " + r.text());
    }
    return id;
  }

  public JsonObject production(String project) {
    return api.get("/production?project=" + project).json();
  }

  /**
   * Waits until the project's view satisfies {@code done}: the view is read again each time the
   * project publishes an event, never on a timer; the bound ends a test that never gets there.
   */
  public JsonObject awaitProduction(String project, Predicate<JsonObject> done, Duration timeout) {
    LinkedBlockingQueue<Object> signals = new LinkedBlockingQueue<>();
    MessageConsumer<JsonObject> c = vertx.eventBus().consumer(Addresses.project(project), m -> signals.offer(m.body()));
    c.completion().await();
    try {
      long deadline = System.nanoTime() + timeout.toNanos();
      JsonObject view = production(project);
      while (!done.test(view)) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || signals.poll(left, TimeUnit.NANOSECONDS) == null) {
          throw new AssertionError("timed out after " + timeout + " waiting for production of " + project + "; last seen: " + view.encode());
        }
        signals.clear();
        view = production(project);
      }
      long lastSeq = view.getLong("last_seq", 0L);
      for (EventStream recorder : recorders.getOrDefault(project, List.of())) {
        recorder.awaitUntil(seen -> seen.stream().anyMatch(e -> e.getLong("seq", 0L) >= lastSeq), timeout,
            "the recorded event stream to reach seq " + lastSeq);
      }
      return view;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      c.unregister();
    }
  }

  /** Waits for the first recorded event that matches, as events arrive. */
  public static JsonObject awaitEvent(List<JsonObject> recorded, Predicate<JsonObject> match, Duration timeout) {
    return Await.until(() -> recorded.stream().filter(match).findFirst().orElse(null), e -> e != null, timeout, "an event");
  }

  public static boolean allTracks(JsonObject production, String state) {
    JsonArray tracks = production.getJsonArray("tracks", new JsonArray());
    return !tracks.isEmpty() && tracks.stream().allMatch(t -> state.equals(((JsonObject) t).getString("state")));
  }

  public static JsonObject track(JsonObject production, String documentType) {
    return production.getJsonArray("tracks").stream().map(JsonObject.class::cast)
        .filter(t -> t.getString("document_type").equals(documentType))
        .reduce((a, b) -> b).orElseThrow(() -> new AssertionError("no track " + documentType));
  }

  /** Rows of a query on this node's database. */
  public List<Row> sql(String query) {
    List<Row> out = new ArrayList<>();
    pool().query(query).execute().await().forEach(out::add);
    return out;
  }

  @Override
  public void close() {
    try {
      Future.all(agents.stream().map(ExecutorAgent::stop).toList()).await(20, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("executors did not stop within 20 s", e);
    }
    streams.forEach(EventStream::close);
    node.close().await();
    vertx.close().await();
  }
}
