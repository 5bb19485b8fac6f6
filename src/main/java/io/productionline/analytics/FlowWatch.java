package io.productionline.analytics;

import io.productionline.Services;
import io.productionline.events.Addresses;
import io.productionline.events.Broadcast;
import io.productionline.events.EventType;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes line analytics as the line moves. A project's {@code flow_metrics} (what
 * {@code GET /production/metrics} answers) is published on its project address, folded to at most
 * one a second, neither stored nor numbered; and the operator inbox hears of every interrupt that
 * opens or closes, on {@link Addresses#INBOX}.
 *
 * <p>Pushes go out in rounds: every project that moved since the last round and that someone
 * hears (a consumer of its address on any member: a dashboard, an SSE or WebSocket client), one
 * after another, on one shared forecast and one read of each line's window. A project nobody hears
 * is forgotten until it moves again or a reader asks for its metrics. A round starts at least a second
 * after the one before, and at least {@value #COST_FACTOR} times as long after as that round took,
 * so analytics never take more than a small share of what the node (and PostgreSQL) can do, however
 * fast the line runs or however many projects move.
 *
 * <pre>
 *  any node: a track publishes for pl.project.P ──(outbound interceptor)──▶ pl.analytics.changed {P}
 *                                               └──▶ pl.inbox: inbox_opened / inbox_closed (once, by the sender)
 *  every node hears pl.analytics.changed; the one {@link io.productionline.track.Node#placeFor} names for P
 *  folds the changes and publishes flow_metrics on pl.project.P at most once a second
 * </pre>
 *
 * <p>Nothing else in the line changes for this: the interceptor only watches what this node
 * publishes. A project that changed recently is refreshed every {@code analytics.refresh_seconds}
 * while it has work in progress (its rates and waits age), and forgotten once it is finished.
 */
public final class FlowWatch {

  private static final Logger log = LoggerFactory.getLogger(FlowWatch.class);
  private static final long FOLD_MS = 200;
  private static final long MIN_GAP_MS = 1000;
  private static final long COST_FACTOR = 20;
  /** Events of a project that change its metrics. */
  private static final Set<String> MOVES = Set.of(EventType.STATION_TRANSITION, EventType.LINE_STOPPED, EventType.INTERRUPT_RESOLVED,
      EventType.PRODUCTION_COMPLETE, EventType.TASK_REQUEUED, EventType.WORK_ITEM_COMPLETE);

  private final Services s;
  private final LineAnalytics analytics;
  private final long refreshMs;
  private final Map<String, Watched> watched = new HashMap<>();
  private final Map<String, Boolean> executorOnline = new HashMap<>();
  /** Projects this node has told the cluster about and not yet sent (folded per {@link #FOLD_MS}). */
  private final Set<String> toAnnounce = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final io.vertx.core.Handler<DeliveryContext<Object>> interceptor = this::intercept;
  private Context ctx;
  private MessageConsumer<JsonObject> changes;
  private MessageConsumer<JsonObject> executorEvents;
  private long refreshTimer = -1;
  private long announceTimer = -1;
  private volatile boolean running = true;
  private long published;
  private final io.productionline.interrupt.Inbox inbox;
  private Future<Void> inboxTail = Future.succeededFuture();

  /** A project this node publishes metrics for. */
  private static final class Watched {
    boolean active = true;
    /** When its metrics were last published (System.nanoTime()), 0 before. */
    long publishedNanos;
  }

  /** Projects whose metrics are due in the next round. */
  private final Set<String> due = new java.util.LinkedHashSet<>();
  private long roundTimer = -1;
  private boolean inRound;
  /** When the next round may start (System.nanoTime()). */
  private long nextRoundNanos;
  private long change;

  public FlowWatch(Services services, LineAnalytics analytics) {
    this.s = services;
    this.analytics = analytics;
    this.inbox = new io.productionline.interrupt.Inbox(services);
    this.refreshMs = services.config.getJsonObject("analytics", new JsonObject()).getLong("refresh_seconds", 10L) * 1000;
    analytics.onInterest(this::interest);
  }

  public Future<Void> start() {
    ctx = s.vertx.getOrCreateContext();
    Promise<Void> started = Promise.promise();
    ctx.runOnContext(v -> {
      s.vertx.eventBus().addOutboundInterceptor(interceptor);
      changes = s.vertx.eventBus().consumer(Addresses.FLOW_CHANGED, m -> changed(m.body().getString("project"), false));
      executorEvents = s.vertx.eventBus().consumer(Addresses.EXECUTORS, m -> executorEvent(m.body()));
      if (refreshMs > 0) {
        refreshTimer = s.vertx.setPeriodic(refreshMs, t -> refresh());
      }
      Future.all(changes.completion(), executorEvents.completion()).<Void>mapEmpty().onComplete(started);
    });
    return started.future();
  }

  public Future<Void> stop() {
    running = false;
    if (ctx == null) {
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    ctx.runOnContext(v -> {
      s.vertx.eventBus().removeOutboundInterceptor(interceptor);
      s.vertx.cancelTimer(refreshTimer);
      s.vertx.cancelTimer(announceTimer);
      s.vertx.cancelTimer(roundTimer);
      watched.clear();
      due.clear();
      Future.all(changes.unregister(), executorEvents.unregister()).<Void>mapEmpty().onComplete(done);
    });
    return done.future();
  }

  /** How many {@code flow_metrics} events this node published (for a metrics registry). */
  public long published() {
    return published;
  }

  // --- what this node publishes -----------------------------------------------------------------

  /**
   * Sees every message this node sends or publishes; notes the projects whose line moved. Project
   * events go out as {@link Broadcast}s, so the event each node's relay hands on is not seen again.
   */
  private void intercept(DeliveryContext<Object> dc) {
    try {
      String address = Broadcast.addressOf(dc.message().address(), dc.message().headers());
      if (running && address != null && address.startsWith(Addresses.project("")) && dc.message().body() instanceof JsonObject e) {
        String type = e.getString("type");
        if (type != null && MOVES.contains(type)) {
          String project = e.getString("project", address.substring(Addresses.project("").length()));
          boolean inbox = EventType.LINE_STOPPED.equals(type) || EventType.INTERRUPT_RESOLVED.equals(type);
          // One hop to this watch's context per project and fold, not one per event.
          if (toAnnounce.add(project) || inbox) {
            ctx.runOnContext(v -> moved(project, type, e));
          }
        }
      }
    } finally {
      dc.next();
    }
  }

  /** On {@link #ctx}: tell the inbox at once; tell the cluster's metrics node, folded. */
  private void moved(String project, String type, JsonObject e) {
    if (EventType.LINE_STOPPED.equals(type)) {
      inboxNews(new JsonObject().put("type", EventType.INBOX_OPENED).put("project", project)
          .put("interrupt_id", e.getString("interrupt_id")).put("interrupt_type", e.getString("interrupt_type"))
          .put("track_id", e.getString("track_id")).put("document_type", e.getString("document_type"))
          .put("station", e.getString("station")).put("reason", e.getString("reason")).put("created_at", e.getString("at"))
          .put("sla_seconds", analytics.slaSeconds().get(e.getString("interrupt_type"))));
    } else if (EventType.INTERRUPT_RESOLVED.equals(type)) {
      inboxNews(new JsonObject().put("type", EventType.INBOX_CLOSED).put("project", project)
          .put("interrupt_id", e.getString("interrupt_id")).put("how", e.getString("how"))
          .put("track_id", e.getString("track_id")).put("at", e.getString("at")));
    }
    if (announceTimer < 0) {
      announceTimer = s.vertx.setTimer(FOLD_MS, t -> {
        announceTimer = -1;
        for (String p : List.copyOf(toAnnounce)) {
          toAnnounce.remove(p);
          s.vertx.eventBus().publish(Addresses.FLOW_CHANGED, new JsonObject().put("project", p));
        }
      });
    }
  }

  /** Inbox news goes out one after another, each with the whole inbox read after the change before it. */
  private void inboxNews(JsonObject event) {
    inboxTail = inboxTail.transform(v -> inbox.publish(event));
  }

  /** Executors that come online, go offline or change capabilities change every forecast. */
  private void executorEvent(JsonObject e) {
    if (e == null || !EventType.EXECUTOR_STATUS.equals(e.getString("type"))) {
      return;
    }
    String id = e.getString("executor_id");
    boolean online = !"offline".equals(e.getString("status"));
    Boolean before = executorOnline.put(id, online);
    if (before == null || before != online) {
      for (String p : List.copyOf(watched.keySet())) {
        changed(p, false);
      }
    }
  }

  // --- the projects this node publishes for ------------------------------------------------------

  /** Also called when someone asks for a project's metrics: from then on it is kept current. */
  public void interest(String project) {
    if (ctx != null) {
      ctx.runOnContext(v -> changed(project, true));
    }
  }

  private void changed(String project, boolean asked) {
    if (!running || project == null || !s.node.id().equals(s.node.placeFor("flow:" + project))) {
      return;
    }
    watched.computeIfAbsent(project, p -> new Watched()).active = true;
    change = analytics.noteChange();
    due.add(project);
    scheduleRound();
  }

  private void scheduleRound() {
    if (inRound || roundTimer >= 0 || due.isEmpty()) {
      return;
    }
    long waitMs = Math.max(FOLD_MS, (nextRoundNanos - System.nanoTime()) / 1_000_000);
    roundTimer = s.vertx.setTimer(waitMs, t -> {
      roundTimer = -1;
      round();
    });
  }

  /** Publishes the metrics of every project due, one after another, on one forecast. */
  private void round() {
    if (!running || due.isEmpty()) {
      return;
    }
    inRound = true;
    long started = System.nanoTime();
    List<String> projects = List.copyOf(due);
    due.clear();
    publishEach(projects, 0, new LineAnalytics.Batch(change)).onComplete(v -> {
      inRound = false;
      long took = System.nanoTime() - started;
      nextRoundNanos = started + Math.max(MIN_GAP_MS * 1_000_000, COST_FACTOR * took);
      scheduleRound();
    });
  }

  private Future<Void> publishEach(List<String> projects, int i, LineAnalytics.Batch batch) {
    if (i >= projects.size() || !running) {
      return Future.succeededFuture();
    }
    String project = projects.get(i);
    Watched w = watched.get(project);
    if (w != null && w.publishedNanos != 0 && System.nanoTime() - w.publishedNanos < MIN_GAP_MS * 1_000_000) {
      // Its last push was late in the round before: this one waits for the next round.
      due.add(project);
      return publishEach(projects, i + 1, batch);
    }
    // Metrics nobody hears are not worth computing: a reader who connects fetches them once, then hears the pushes.
    return s.node.hasConsumers(Addresses.project(project))
        .compose(heard -> {
          if (!heard) {
            watched.remove(project);
            return Future.<Void>succeededFuture();
          }
          return analytics.metrics(project, batch).map(m -> {
            publish(project, w, m);
            return (Void) null;
          });
        })
        .recover(e -> {
          log.debug("Flow metrics of {} not published: {}", project, e.toString());
          return Future.succeededFuture();
        })
        .compose(v -> {
          if (w != null && !w.active && !due.contains(project)) {
            watched.remove(project);
          }
          return publishEach(projects, i + 1, batch);
        });
  }

  private void publish(String project, Watched w, JsonObject m) {
    if (!running) {
      return;
    }
    published++;
    Broadcast.publish(s.vertx.eventBus(), Addresses.project(project), m.copy().put("type", EventType.FLOW_METRICS).put("project", project));
    if (w != null) {
      w.publishedNanos = System.nanoTime();
      w.active = m.getJsonObject("line_metrics", new JsonObject()).getInteger("wip", 0) > 0
          || activeTracks(m.getJsonArray("tracks", new JsonArray()));
    }
  }

  private static boolean activeTracks(JsonArray tracks) {
    for (Object o : tracks) {
      String st = ((JsonObject) o).getString("state");
      if (!"stabilized".equals(st) && !"escalated".equals(st) && !"cancelled".equals(st) && !"queued".equals(st)) {
        return true;
      }
    }
    return false;
  }

  /** Projects with work in progress age: their metrics are published again now and then. */
  private void refresh() {
    for (Map.Entry<String, Watched> e : watched.entrySet()) {
      if (e.getValue().active) {
        due.add(e.getKey());
      }
    }
    scheduleRound();
  }
}
