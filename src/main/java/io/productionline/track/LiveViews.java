package io.productionline.track;

import io.productionline.Services;
import io.productionline.events.Addresses;
import io.productionline.events.Broadcast;
import io.productionline.events.EventType;
import io.productionline.store.ProjectRepository;
import io.productionline.store.TaskRow;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard's channel: every event of a project, each carrying what it changed exactly as
 * {@code GET /production} renders it. An event about a track carries that track's whole view
 * ({@code track_view}: state, every station with its state, work and wait time, runs, why, ETA,
 * open interrupt), and an event about a fan-out's child its parent's view too ({@code parent_view},
 * with the fan-out's progress); every event carries the project's head ({@code project_view}: summary, line
 * state, ETA, open interrupts, {@code last_seq}). Both are built by {@link ProductionView}, the code
 * that answers {@code GET /production}, so the page never has to work anything out.
 *
 * <p>Every project event the relay hands to {@link #tap} also brings the rows this node keeps for
 * views ({@link ViewSnapshots}) up to date, and every claim marks its track there.
 *
 * <p>Views cost reads, so they are built only for projects a dashboard watches on this node (a
 * bridge socket registered on {@code pl.view.P}): this node's {@link io.productionline.events.Broadcast}
 * relay hands each project event it delivers to {@link #tap}; nothing on the line's write path
 * changes. A project's events are handled one batch at a time, in the order they arrived: the events
 * that arrive while a batch is read wait for the next, whose one read covers all their tracks. A view
 * is read after its event, so it may already show a later move of the same track, never an earlier
 * one. A claim changes a track's view (its station starts working) but is no project event: the
 * {@code executor_status} of a claim makes a {@code task_claimed} event here.
 */
public final class LiveViews {

  private static final Logger log = LoggerFactory.getLogger(LiveViews.class);
  private static final String VIEW = "pl.view.";
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  private final Services s;
  private final ProductionView view;
  /** Addresses watched on this node ({@code pl.view.P}, {@code pl.projects}): how many bridge registrations each has. */
  private final Map<String, Integer> watched = new ConcurrentHashMap<>();
  /** The projects each bridge socket watches, to forget them when it closes. */
  private final Map<Object, List<String>> bySocket = new ConcurrentHashMap<>();
  /** Per project, on {@link #ctx}: events waiting for their views, and whether a batch is being read. */
  private final Map<String, List<JsonObject>> pending = new HashMap<>();
  private final Set<String> reading = new java.util.HashSet<>();
  private Context ctx;
  private MessageConsumer<JsonObject> executors;
  private long forget = -1;

  public LiveViews(Services services, ProductionView view) {
    this.s = services;
    this.view = view;
  }

  /** The address of a project's dashboard channel. */
  public static String address(String projectId) {
    return VIEW + projectId;
  }

  /** The regex the bridge uses to let dashboard channels out. */
  public static String addressPattern() {
    return "pl\\.view\\.[A-Za-z0-9_.-]+";
  }

  /** The project a dashboard channel is for, or null. */
  public static String projectOf(String address) {
    return address != null && address.startsWith(VIEW) ? address.substring(VIEW.length()) : null;
  }

  public Future<Void> start() {
    ctx = s.vertx.getOrCreateContext();
    io.vertx.core.Promise<Void> started = io.vertx.core.Promise.promise();
    ctx.runOnContext(v -> {
      executors = s.vertx.eventBus().consumer(Addresses.EXECUTORS, m -> {
        view.snapshots().executorStatus(m.body());
        claimed(m.body());
      });
      forget = s.vertx.setPeriodic(ViewSnapshots.KEEP_MS / 4, t -> view.snapshots().forgetUnread());
      executors.completion().onComplete(started);
    });
    return started.future();
  }

  public Future<Void> stop() {
    s.vertx.cancelTimer(forget);
    return executors == null ? Future.succeededFuture() : executors.unregister();
  }

  // --- who watches --------------------------------------------------------------------------------

  /** A bridge socket registered on {@code address}. */
  public void registered(Object socket, String address) {
    if (address != null && (projectOf(address) != null || Addresses.PROJECTS.equals(address))) {
      watched.merge(address, 1, Integer::sum);
      bySocket.computeIfAbsent(socket, k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(address);
    }
  }

  /** A bridge socket unregistered from {@code address}. */
  public void unregistered(Object socket, String address) {
    List<String> own = bySocket.get(socket);
    if (address != null && own != null && own.remove(address)) {
      forget(address);
    }
  }

  /** A bridge socket closed: it watches nothing any more. */
  public void closed(Object socket) {
    List<String> own = bySocket.remove(socket);
    if (own != null) {
      List.copyOf(own).forEach(this::forget);
    }
  }

  private void forget(String address) {
    watched.computeIfPresent(address, (p, n) -> n <= 1 ? null : n - 1);
  }

  /** Whether a dashboard on this node watches the project. */
  public boolean watched(String projectId) {
    return watched.containsKey(address(projectId));
  }

  // --- events --------------------------------------------------------------------------------------

  /** This node's relay delivered {@code body} on {@code address}. */
  public void tap(String address, Object body) {
    if (!(body instanceof JsonObject event) || !address.startsWith(Addresses.project(""))) {
      return;
    }
    String project = address.substring(Addresses.project("").length());
    view.snapshots().heard(project, event);
    if (watched(project)) {
      ctx.runOnContext(v -> add(project, event));
    }
    if (EventType.LINE_PROGRESS.equals(event.getString("type")) && event.containsKey("summary") && watched.containsKey(Addresses.PROJECTS)) {
      s.vertx.eventBus().publish(Addresses.PROJECTS, projectNews(project, event.getJsonObject("summary"), event.getString("line_state"),
          event.getLong("seq")), LOCAL);
    }
  }

  /** A {@code projects} event: one project's counts and line state, as of its event {@code seq}. */
  public static JsonObject projectNews(String projectId, JsonObject summary, String lineState, Long seq) {
    return new JsonObject().put("type", EventType.PROJECTS).put("project_id", projectId).put("summary", summary)
        .put("line_state", lineState).put("last_seq", seq);
  }

  /**
   * A project archived (committed): its own channel hears {@code project_archived}, and the project
   * selectors a {@code projects} event that carries {@code archived_at}, on which an open page drops
   * it from the list (it stays readable by its id). One announcement for every way a project is
   * archived: an operator's {@code POST /api/v1/projects/{id}/archive} and the demo's bound.
   */
  public static void archived(io.vertx.core.eventbus.EventBus bus, ProjectRepository.ProjectRow p, String by, java.time.Instant at) {
    JsonObject out = p.toJson();
    Broadcast.publish(bus, Addresses.project(p.id()), new JsonObject().put("type", "project_archived")
        .put("project", p.id()).put("archived_at", out.getString("archived_at")).put("by", by).put("at", at.toString()));
    bus.publish(Addresses.PROJECTS, new JsonObject().put("type", EventType.PROJECTS).mergeIn(out));
  }

  /** A claim: the task's station starts working. */
  private void claimed(JsonObject e) {
    if (e == null || bySocket.isEmpty() || !"busy".equals(e.getString("status")) || !(e.getValue("current_task") instanceof String task)) {
      return;
    }
    s.tasks.find(s.reads, task).onSuccess(found -> found.filter(t -> watched(t.projectId())).ifPresent((TaskRow t) ->
        add(t.projectId(), new JsonObject().put("type", EventType.TASK_CLAIMED).put("project", t.projectId())
            .put("track_id", t.trackId()).put("document_type", t.documentType()).put("task_id", t.id())
            .put("station", t.stationId()).put("executor_id", e.getString("executor_id")))));
  }

  private void add(String project, JsonObject event) {
    pending.computeIfAbsent(project, p -> new ArrayList<>()).add(event);
    next(project);
  }

  private void next(String project) {
    if (reading.contains(project)) {
      return;
    }
    List<JsonObject> batch = pending.remove(project);
    if (batch == null || batch.isEmpty()) {
      return;
    }
    reading.add(project);
    Set<String> tracks = new LinkedHashSet<>();
    for (JsonObject e : batch) {
      if (e.getValue("track_id") instanceof String id && !EventType.TASK_PROGRESS.equals(e.getString("type"))) {
        tracks.add(id);
      }
    }
    view.tracks(project, tracks).onComplete(ar -> {
      Map<String, JsonObject> byId = new HashMap<>();
      JsonObject head = null;
      if (ar.succeeded()) {
        JsonObject v = ar.result();
        for (Object o : v.getJsonArray("tracks", new JsonArray())) {
          byId.put(((JsonObject) o).getString("track_id"), (JsonObject) o);
        }
        head = head(v);
      } else {
        log.debug("Views of project {} not read: {}", project, ar.cause().toString());
      }
      for (JsonObject e : batch) {
        JsonObject out = e.copy();
        JsonObject tv = byId.get(e.getString("track_id"));
        if (tv != null && !EventType.TASK_PROGRESS.equals(e.getString("type"))) {
          out.put("track_view", tv);
          JsonObject parent = tv.getString("parent_track_id") == null ? null : byId.get(tv.getString("parent_track_id"));
          if (parent != null) {
            out.put("parent_view", parent);
          }
        }
        if (head != null) {
          out.put("project_view", head);
        }
        s.vertx.eventBus().publish(address(project), out, LOCAL);
      }
      reading.remove(project);
      next(project);
    });
  }

  /** The project's part of a view: what the status bar, the counts and the inbox of the project show. */
  static JsonObject head(JsonObject v) {
    JsonObject head = new JsonObject();
    for (String k : List.of("project_id", "line", "line_version", "line_title", "line_state", "last_seq", "as_of", "summary", "interrupts", "eta_at",
        "finish_at_moving", "executors", "queue", "no_executors_for", "no_executors")) {
      head.put(k, v.getValue(k));
    }
    return head;
  }
}
