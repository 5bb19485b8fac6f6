package io.productionline.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's Prometheus metrics ({@code GET /metrics}): Vert.x's own (HTTP server latency by route,
 * event bus, pools, JVM) when the Vert.x was built with {@link #enable}, and the line's:
 *
 * <pre>
 *   pl_queue_depth{capability}                 gauge     queued station tasks (cluster-wide, read at scrape)
 *   pl_tasks_claimed_total{capability}          counter   claims served by this node
 *   pl_tasks_completed_total{station_kind,outcome}  counter   completions served by this node
 *   pl_tasks_requeued_total{reason}             counter   lost (rescued) or handed back
 *   pl_station_duration_seconds{station_kind}   histogram claim to completion
 *   pl_transitions_total{state}                 counter   track moves made on this node, by the state entered
 *   pl_executors_alive                          gauge     executors not offline (read at scrape)
 *   pl_interrupts_open                          gauge     open operator interrupts (read at scrape)
 *   pl_event_delivery_seconds{channel}          histogram write to an SSE, WebSocket or bridge client minus the event's commit time
 *   pl_clients_connected{channel}               gauge     SSE, WebSocket and bridge clients of this node
 *   pl_line_views_total{how}                    counter   GET /production views sent: rendered, or sent again unchanged
 * </pre>
 *
 * A registry per Vert.x instance (several nodes may share a JVM in tests): {@link #enable} names
 * one after a random id and writes the name into the node's configuration.
 */
public final class Metrics {

  private static final Logger log = LoggerFactory.getLogger(Metrics.class);
  /** How late an event may be and still count as delivered live (replays of older history do not count). */
  private static final Duration LIVE = Duration.ofMinutes(10);
  /** Histogram buckets of station durations: 10 ms to 2 h. */
  private static final Duration[] STATION_BUCKETS = seconds(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200);
  /** Histogram buckets of event delivery: 1 ms to 10 s. */
  private static final Duration[] DELIVERY_BUCKETS = seconds(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10);

  private final PrometheusMeterRegistry registry;
  private final boolean withVertx;
  private final Clock clock;
  private final Map<String, AtomicLong> queueDepth = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> clients = new ConcurrentHashMap<>();
  private final Map<String, io.micrometer.core.instrument.Meter> meters = new ConcurrentHashMap<>();
  private final AtomicLong executorsAlive = new AtomicLong();
  private final AtomicLong interruptsOpen = new AtomicLong();

  private Metrics(PrometheusMeterRegistry registry, boolean withVertx, Clock clock) {
    this.registry = registry;
    this.withVertx = withVertx;
    this.clock = clock;
    Gauge.builder("pl.executors.alive", executorsAlive, AtomicLong::get)
        .description("Executors that are not offline").register(registry);
    Gauge.builder("pl.interrupts.open", interruptsOpen, AtomicLong::get)
        .description("Open operator interrupts").register(registry);
    for (String channel : new String[] {"sse", "websocket", "bridge"}) {
      AtomicLong n = clients.computeIfAbsent(channel, k -> new AtomicLong());
      Gauge.builder("pl.clients.connected", n, AtomicLong::get).tag("channel", channel)
          .description("Clients connected to this node for live events").register(registry);
    }
  }

  private static Duration[] seconds(double... s) {
    return java.util.Arrays.stream(s).mapToObj(x -> Duration.ofNanos((long) (x * 1e9))).toArray(Duration[]::new);
  }

  /**
   * Turns on Vert.x metrics (Micrometer, Prometheus, HTTP route labels) in {@code options} with a
   * registry of its own, and names that registry in {@code config} for {@link #of}. Call it before
   * the Vert.x is built.
   */
  public static VertxOptions enable(VertxOptions options, JsonObject config) {
    String name = "production-line-" + UUID.randomUUID();
    options.setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setRegistryName(name)
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))
        .addLabels(Label.HTTP_ROUTE)
        .setJvmMetricsEnabled(true));
    config.put("metrics", config.getJsonObject("metrics", new JsonObject()).copy().put("registry", name));
    return options;
  }

  /** The metrics of a node: in the Vert.x registry named by {@code metrics.registry}, or a registry of their own. */
  public static Metrics of(JsonObject config, Clock clock) {
    String name = config.getJsonObject("metrics", new JsonObject()).getString("registry");
    if (name != null && BackendRegistries.getNow(name) instanceof PrometheusMeterRegistry r) {
      return new Metrics(r, true, clock);
    }
    log.info("Vert.x metrics are not enabled on this Vert.x; /metrics serves the line's figures only");
    return new Metrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), false, clock);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** True when Vert.x's own metrics (HTTP, event bus, pools) are in the registry. */
  public boolean withVertx() {
    return withVertx;
  }

  /** The Prometheus text exposition of every meter. */
  public String scrape() {
    return registry.scrape();
  }

  /*
   * The meters of the hot path are looked up once per name and tags and kept: registering a meter
   * each time finds the same one again, but builds its id and searches the registry for it first.
   */

  /** A line view was sent: {@code rendered} for it, or the one rendered before sent again (nothing it shows changed). */
  public void lineViewServed(boolean rendered) {
    String how = rendered ? "rendered" : "sent_again";
    meter("line_view|" + how, () -> Counter.builder("pl.line.views").tag("how", how)
        .description("Line views (GET /production) sent by this node: rendered, or sent again unchanged").register(registry)).increment();
  }

  public void claimed(String capability) {
    meter("claimed|" + capability, () -> Counter.builder("pl.tasks.claimed").tag("capability", capability)
        .description("Station tasks claimed through this node").register(registry)).increment();
  }

  public void completed(String stationKind, String outcome, Duration took) {
    meter("completed|" + stationKind + "|" + outcome, () -> Counter.builder("pl.tasks.completed").tag("station_kind", stationKind)
        .tag("outcome", outcome).description("Station tasks completed through this node").register(registry)).increment();
    if (took != null && !took.isNegative()) {
      meter("duration|" + stationKind, () -> Timer.builder("pl.station.duration").tag("station_kind", stationKind)
          .description("Time from claim to completion of a station task")
          .serviceLevelObjectives(STATION_BUCKETS)
          .register(registry)).record(took);
    }
  }

  /** A task went back to the queue: {@code lost} (rescued) or {@code handed_back}. */
  public void requeued(String reason) {
    meter("requeued|" + reason, () -> Counter.builder("pl.tasks.requeued").tag("reason", reason)
        .description("Station tasks queued again").register(registry)).increment();
  }

  public void transition(String state) {
    meter("transition|" + state, () -> Counter.builder("pl.transitions").tag("state", state)
        .description("Track moves made on this node, by the state entered").register(registry)).increment();
  }

  @SuppressWarnings("unchecked")
  private <M extends io.micrometer.core.instrument.Meter> M meter(String key, java.util.function.Supplier<M> register) {
    return (M) meters.computeIfAbsent(key, k -> register.get());
  }

  /** The queue depth by capability, as read now; capabilities no longer queued read 0. */
  public void queueDepth(Map<String, Integer> byCapability) {
    queueDepth.forEach((cap, n) -> n.set(byCapability.getOrDefault(cap, 0)));
    byCapability.forEach((cap, depth) -> queueDepth.computeIfAbsent(cap, c -> {
      AtomicLong n = new AtomicLong();
      Gauge.builder("pl.queue.depth", n, AtomicLong::get).tag("capability", c)
          .description("Queued station tasks by capability").register(registry);
      return n;
    }).set(depth));
  }

  public void executorsAlive(long n) {
    executorsAlive.set(n);
  }

  public void interruptsOpen(long n) {
    interruptsOpen.set(n);
  }

  /** One more ({@code +1}) or one fewer ({@code -1}) client on {@code channel}: sse, websocket or bridge. */
  public void clients(String channel, int delta) {
    clients.computeIfAbsent(channel, k -> new AtomicLong()).addAndGet(delta);
  }

  /**
   * An event was written to a client on {@code channel}: records now minus its {@code at} (the time
   * of the move it reports), for events that carry one and are live (not a replay of old history).
   */
  public void delivered(String channel, JsonObject event) {
    delivered(channel, event, null);
  }

  /** As {@link #delivered(String, JsonObject)}, counting only events of moves made at or after {@code since} (when not null). */
  public void delivered(String channel, JsonObject event, Instant since) {
    Object at = event == null ? null : event.getValue("at");
    if (!(at instanceof String text)) {
      return;
    }
    try {
      Instant committed = Instant.parse(text);
      Duration late = Duration.between(committed, clock.instant());
      if ((since == null || !committed.isBefore(since)) && !late.isNegative() && late.compareTo(LIVE) < 0) {
        this.<Timer>meter("delivery|" + channel, () -> Timer.builder("pl.event.delivery").tag("channel", channel)
            .description("Write time to a live client minus the event's commit time")
            .serviceLevelObjectives(DELIVERY_BUCKETS)
            .register(registry)).record(late);
      }
    } catch (DateTimeParseException e) {
      // Not a time: nothing to measure.
    }
  }
}
