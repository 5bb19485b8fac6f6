package io.productionline.analytics;

import io.productionline.store.TaskStatus;
import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.executor.ExecutorRegistry;
import io.productionline.line.DocumentType;
import io.productionline.line.LineDefinition;
import io.productionline.line.StationDef;
import io.productionline.line.StationKind;
import io.productionline.line.TrackState;
import io.productionline.store.FlowRepository;
import io.productionline.store.InterruptRepository.InterruptRow;
import io.productionline.store.ProjectRepository.ProjectRow;
import io.productionline.store.TaskRow;
import io.productionline.store.TrackRow;
import io.productionline.track.LineCatalog;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Line analytics on one node: flow metrics of a project's line ({@link FlowMetrics}), the forecast
 * of every unfinished track ({@link Forecast}) and why each one waits ({@link Why}), read from
 * PostgreSQL and the executor registry. The forecast covers all work in the system (executors are
 * shared by every project) and is kept for a second, so a burst of readers costs one replay; line
 * views take the newest one without waiting ({@link #forecastForView}).
 *
 * <p>Configuration ({@code analytics}): {@code window_seconds} (300), the recent window of the
 * metrics; {@code sla_seconds} per interrupt type; ({@code work}) {@code default_station_seconds}
 * (60), a station's time before any run of it or its capability completed.
 */
public final class LineAnalytics {

  /**
   * The forecast and what it was made from, shared by readers for {@link #CACHE_MS}; {@code changes}
   * is how many line changes this node had heard of when it was started.
   */
  public record Snapshot(Instant at, long madeNanos, long changes, Forecast.Input input, Forecast.Result result, StationTimes times,
                         List<TaskRow> openTasks, QueueOrder queues, List<JsonObject> executors) {
  }

  /**
   * The queued tasks of a snapshot by capability, each in claim order (priority, then age, then id),
   * made once with the snapshot: how many are ahead of a task is then a binary search, where it was
   * a pass over every open task of the line for each track a view shows (5% of the node's CPU samples
   * while {@code GET /production} was polled on a line of 4,000 open tasks; docs/benchmarks.md). The
   * order is the claim's ({@code TaskSql.claim}'s and {@code FlowSql.OPEN_TASKS}' {@code ORDER BY}).
   */
  public static final class QueueOrder {

    private static final Comparator<TaskRow> CLAIM_ORDER = Comparator.comparingInt((TaskRow x) -> -x.priority())
        .thenComparing(TaskRow::createdAt).thenComparing(TaskRow::id);
    private final Map<String, List<TaskRow>> byCapability;

    private QueueOrder(Map<String, List<TaskRow>> byCapability) {
      this.byCapability = byCapability;
    }

    public static QueueOrder of(List<TaskRow> open) {
      Map<String, List<TaskRow>> by = new HashMap<>();
      for (TaskRow t : open) {
        if (t.status() == TaskStatus.QUEUED) {
          by.computeIfAbsent(t.capability(), c -> new ArrayList<>()).add(t);
        }
      }
      by.values().forEach(q -> q.sort(CLAIM_ORDER));
      return new QueueOrder(by);
    }

    /** The queued tasks of {@code task}'s capability that a claim takes before it ({@code task} not counted). */
    public long ahead(TaskRow task) {
      int at = java.util.Collections.binarySearch(byCapability.getOrDefault(task.capability(), List.of()), task, CLAIM_ORDER);
      return at >= 0 ? at : -at - 1;
    }
  }

  private static final long CACHE_MS = 1000;
  private static final int SAMPLES = 2000;

  private final Services s;
  private final ExecutorRegistry executors;
  private final FlowRepository flow = new FlowRepository();
  private final Duration window;
  private final long defaultStationMs;
  private final Map<String, Integer> slaSeconds;
  private Future<Snapshot> cached;
  /** The newest forecast made on this node, and what it cost (for {@link #forecastForView}). */
  private Snapshot latest;
  private long latestCostNanos;
  private static final int SPACING = 20;
  /** A forecast this old by the node's clock (the clock moved, or the line stood) is not served without waiting. */
  private static final long STALE_MS = 10_000;
  private long cachedChanges = -1;
  private final java.util.concurrent.atomic.AtomicLong changes = new java.util.concurrent.atomic.AtomicLong();
  private volatile java.util.function.Consumer<String> interest = project -> { };

  public LineAnalytics(Services services, ExecutorRegistry executors) {
    this.s = services;
    this.executors = executors;
    JsonObject conf = services.config.getJsonObject("analytics", new JsonObject());
    this.window = Duration.ofSeconds(conf.getLong("window_seconds", 300L));
    this.defaultStationMs = Math.round(services.config.getJsonObject("work", new JsonObject())
        .getDouble("default_station_seconds", 60.0) * 1000);
    this.slaSeconds = slaSeconds(conf);
  }

  /** The SLA per interrupt type, from {@code analytics.sla_seconds} over the defaults. */
  public static Map<String, Integer> slaSeconds(JsonObject analytics) {
    Map<String, Integer> out = new LinkedHashMap<>(Map.of("approval", 900, "clarification", 1800, "audit_review", 3600,
        "constraint_conflict", 1800));
    JsonObject conf = analytics.getJsonObject("sla_seconds", new JsonObject());
    for (String k : conf.fieldNames()) {
      Object v = conf.getValue(k);
      if (v instanceof Number n && n.intValue() > 0) {
        out.put(k, n.intValue());
      }
    }
    return new LinkedHashMap<>(new java.util.TreeMap<>(out));
  }

  public Map<String, Integer> slaSeconds() {
    return slaSeconds;
  }

  /** Who wants to hear that a project's metrics were asked for ({@link FlowWatch} keeps them current from then on). */
  public void onInterest(java.util.function.Consumer<String> listener) {
    this.interest = listener;
  }

  /** A reader asked for a project's metrics. */
  public void interest(String projectId) {
    interest.accept(projectId);
  }

  // --- the forecast -----------------------------------------------------------------------------

  /** The forecast, made at most once a second on this node (readers in between share it). */
  public Future<Snapshot> forecast() {
    return forecast(0);
  }

  /**
   * The shared forecast if it was started after this node heard of change {@code afterChange}
   * ({@link #noteChange()}) and is fresh; otherwise a new one.
   */
  public synchronized Future<Snapshot> forecast(long afterChange) {
    Future<Snapshot> f = cached;
    if (f != null && cachedChanges >= afterChange && (!f.isComplete() || (f.succeeded() && fresh(f.result())))) {
      return f;
    }
    cachedChanges = changes.get();
    Future<Snapshot> made = forecastNow();
    cached = made;
    return made;
  }

  /** The line moved somewhere (a track, an executor): returns the number of this change. */
  public long noteChange() {
    return changes.incrementAndGet();
  }

  private boolean fresh(Snapshot snap) {
    long ageMs = (System.nanoTime() - snap.madeNanos()) / 1_000_000;
    long clockMs = Math.abs(Duration.between(snap.at(), s.clock.instant()).toMillis());
    return ageMs < CACHE_MS && clockMs < CACHE_MS;
  }

  /** What a forecast is made from that PostgreSQL holds: the open tasks, the active projects' tracks, recent completions. */
  private record LineReads(List<TaskRow> open, List<TrackRow> tracks, List<FlowRepository.Completed> recent) {
  }

  /**
   * A forecast made now from what PostgreSQL and Redis hold. The replay runs on a worker thread:
   * with thousands of tracks it takes longer than an event loop may be held.
   */
  public Future<Snapshot> forecastNow() {
    long started = System.nanoTime();
    // The line's three big reads go one after another on one connection of the operators' pool (pipelined, so no
    // more round trips): at the same time, they took every connection of it and the small reads of the line views
    // (a project's head, a catch-up) waited behind them.
    Future<LineReads> read = s.reads.withConnection(db -> {
      Future<List<TaskRow>> open = flow.openTasks(db);
      Future<List<TrackRow>> tracks = flow.activeProjectTracks(db);
      Future<List<FlowRepository.Completed>> recent = flow.recentCompleted(db, SAMPLES);
      return Future.all(open, tracks, recent).map(x -> new LineReads(open.result(), tracks.result(), recent.result()));
    });
    Future<List<JsonObject>> live = executors.list();
    return Future.all(read, live).compose(all -> {
      LineReads r = read.result();
      List<String> ids = r.tracks().stream().map(TrackRow::projectId).distinct().toList();
      return s.lines.linesOf(s.reads, s.projects, ids).compose(projects -> offLoop(() -> {
        Instant now = s.clock.instant();
        StationTimes times = new StationTimes(r.recent(), defaultStationMs);
        Forecast.Input input = input(now, r.open(), r.tracks(), projects, live.result(), times);
        long heard = changes.get();
        Forecast.Result result = Forecast.run(input);
        // Made when the replay is done: what it cost (the spacing of forecastForView) includes the replay itself.
        return new Snapshot(now, System.nanoTime(), heard, input, result, times, r.open(), QueueOrder.of(r.open()), live.result());
      }));
    }).onSuccess(snap -> {
      synchronized (this) {
        if (latest == null || snap.madeNanos() - latest.madeNanos() > 0) {
          latest = snap;
          latestCostNanos = snap.madeNanos() - started;
        }
      }
    });
  }

  /**
   * The forecast for a line view whose newest track was created at {@code newestTrack}: the newest
   * forecast made on this node, without waiting, unless it was made before that track existed (it
   * cannot say its ETA), is stale by the node's clock ({@value #STALE_MS} ms old, or twice the
   * spacing below when that is longer), or none was made yet. When it is older than {@link #CACHE_MS}, or than
   * {@value #SPACING} times what it cost to make, a new one is started in the background for the
   * next readers: readers never wait for a replay, and a line watched by many costs at most one
   * replay a second and never more than a {@value #SPACING}th of a core. (With a stale limit shorter
   * than the spacing, a line whose replay takes a second would make a reader wait for one every
   * 10 s.)
   */
  public Future<Snapshot> forecastForView(Instant newestTrack) {
    Snapshot last;
    long cost;
    synchronized (this) {
      last = latest;
      cost = latestCostNanos;
    }
    long spacingNanos = Math.max(CACHE_MS * 1_000_000, SPACING * cost);
    long staleMs = Math.max(STALE_MS, 2 * spacingNanos / 1_000_000);
    if (last == null || (newestTrack != null && last.at().isBefore(newestTrack))
        || Math.abs(Duration.between(last.at(), s.clock.instant()).toMillis()) >= staleMs) {
      return forecast();
    }
    long ageNanos = System.nanoTime() - last.madeNanos();
    if (ageNanos >= spacingNanos) {
      forecast();
    }
    return Future.succeededFuture(last);
  }

  /** Runs a pure computation on a worker thread (unordered: computations do not wait for each other). */
  private <T> Future<T> offLoop(java.util.concurrent.Callable<T> computation) {
    return s.vertx.executeBlocking(computation, false);
  }

  private Forecast.Input input(Instant now, List<TaskRow> open, List<TrackRow> tracks, Map<String, LineCatalog.ProjectLine> projects,
                               List<JsonObject> executorViews, StationTimes times) {
    Map<String, List<TrackRow>> byProject = tracks.stream().collect(Collectors.groupingBy(TrackRow::projectId));
    List<Forecast.Track> out = new ArrayList<>();
    for (TrackRow t : tracks) {
      if (t.state().terminal()) {
        continue;
      }
      LineCatalog.ProjectLine pl = projects.get(t.projectId());
      if (pl == null) {
        continue;
      }
      ProjectRow p = pl.row();
      LineDefinition line = pl.line();
      Optional<DocumentType> type = line.type(t.documentType());
      if (type.isEmpty() || type.get().stations().isEmpty()) {
        continue;
      }
      List<String> waitsFor = new ArrayList<>();
      String cannot = null;
      for (String dep : type.get().dependsOn()) {
        io.productionline.track.Tracks.Dependency d = io.productionline.track.Tracks.dependency(byProject.getOrDefault(t.projectId(), List.of()), dep);
        if (d.current() == null) {
          cannot = "its dependency " + dep + " has no track";
        } else if (d.current().state() == TrackState.CANCELLED) {
          cannot = "its dependency " + dep + " was cancelled for good";
        } else if (!d.current().state().clearsDependents()) {
          waitsFor.add(d.current().id());
        } else {
          // A join: the fan-out's track is done, its children are not; it enters its first station after the last of them.
          for (TrackRow child : d.awaited()) {
            if (child.state() == TrackState.CANCELLED) {
              cannot = "a child of its dependency " + dep + " was cancelled";
            } else {
              waitsFor.add(child.id());
            }
          }
        }
      }
      JsonObject params = p.params() == null ? new JsonObject() : p.params();
      int priority = params.getValue("priority") instanceof Integer pr && pr >= 1 && pr <= 10 ? pr : type.get().priority();
      String env = params.getValue("environment") instanceof String e && Set.of("local", "server", "either").contains(e) ? e : null;
      out.add(new Forecast.Track(t.id(), t.projectId(), p.line(), type.get(), t.state(), t.stationIndex(), t.runs(), waitsFor, cannot,
          priority, env));
    }
    List<Forecast.Task> tasks = open.stream().map(x -> new Forecast.Task(x.id(), x.trackId(), x.runNo(), x.stationIndex(),
        x.capability(), x.environment(), x.priority(), x.createdAt(), x.availableAt(), x.status(), x.executorId(), x.claimedAt(),
        x.attempt(), x.maxAttempts())).toList();
    List<Forecast.Executor> online = new ArrayList<>();
    for (JsonObject e : executorViews) {
      if ("offline".equals(e.getString("status"))) {
        continue;
      }
      Set<String> caps = new HashSet<>();
      e.getJsonArray("capabilities", new JsonArray()).forEach(c -> caps.add(c.toString()));
      online.add(new Forecast.Executor(e.getString("executor_id"), caps, e.getString("environment", "either")));
    }
    return new Forecast.Input(now, online, tasks, out, times, times.turnaroundMs());
  }

  // --- a project's metrics ----------------------------------------------------------------------

  /**
   * What the metrics of several projects made together share: one forecast and one read of each
   * line's window. {@link FlowWatch} makes a round of pushes with one; a reader's request has its own.
   */
  public static final class Batch {
    private final long afterChange;
    private Future<Snapshot> forecast;
    private final Map<String, Future<LineWindow>> lines = new HashMap<>();

    /** A batch whose forecast is started after change {@code afterChange} ({@link #noteChange()}). */
    public Batch(long afterChange) {
      this.afterChange = afterChange;
    }
  }

  /** A line's work in the window: what its flow metrics are computed from. */
  private record LineWindow(List<TaskRow> tasks, List<TrackRow> tracks, List<FlowRepository.Transition> transitions,
                            List<FlowRepository.Work> work) {
  }

  private Future<LineWindow> lineWindow(String line, Instant since) {
    Future<List<TaskRow>> tasks = flow.lineTasks(s.reads, line, since);
    Future<List<TrackRow>> tracks = flow.lineTracks(s.reads, line, since);
    Future<List<FlowRepository.Transition>> transitions = flow.lineTransitions(s.reads, line, since);
    Future<List<FlowRepository.Work>> work = flow.workSince(s.reads, since);
    return Future.all(tasks, tracks, transitions, work)
        .map(all -> new LineWindow(tasks.result(), tracks.result(), transitions.result(), work.result()));
  }

  /** {@code GET /production/metrics?project=}: the line's flow metrics, the bottleneck, and the project's forecast. */
  public Future<JsonObject> metrics(String projectId) {
    return metrics(projectId, new Batch(0));
  }

  /**
   * The same, as part of {@code batch}: on its forecast (started after its change, so a push is
   * never behind the line) and its read of the line's window. The computing runs on a worker thread.
   */
  public Future<JsonObject> metrics(String projectId, Batch batch) {
    return s.projects.find(s.reads, projectId).compose(found -> {
      ProjectRow project = found.orElseThrow(() -> Refusal.notFound("no project " + projectId));
      LineDefinition line = s.lines.ofProject(project);
      Instant since = s.clock.instant().minus(window);
      Future<LineWindow> lineWindow = batch.lines.computeIfAbsent(project.line(), l -> lineWindow(l, since));
      Future<List<TrackRow>> ownTracks = s.tracks.ofProject(s.reads, projectId);
      Future<List<TaskRow>> ownTasks = s.tasks.ofProject(s.reads, projectId);
      Future<List<InterruptRow>> interrupts = s.interrupts.openOfProject(s.reads, projectId);
      if (batch.forecast == null) {
        batch.forecast = forecast(batch.afterChange);
      }
      Future<Snapshot> snapshot = batch.forecast;
      return Future.all(List.of(lineWindow, ownTracks, ownTasks, interrupts, snapshot)).compose(all -> offLoop(() -> {
        Snapshot snap = snapshot.result();
        LineWindow lw = lineWindow.result();
        Instant now = s.clock.instant();
        JsonObject metrics = FlowMetrics.compute(new FlowMetrics.Input(now, window, line, project.line(), lw.tasks(),
            lw.tracks(), lw.transitions(), lw.work(), snap.executors(), snap.times()));
        long projectsInScope = lw.tasks().stream().map(TaskRow::projectId).distinct().count();
        JsonObject out = new JsonObject().put("project_id", projectId).put("line", project.line())
            .put("line_title", line.title()).put("as_of", now.toString())
            .put("scope", new JsonObject().put("line", project.line()).put("projects", projectsInScope)
                .put("note", "station, type and line figures cover every project on this line in the window; the forecast covers this project"));
        out.mergeIn(metrics);
        List<TrackRow> own = ownTracks.result();
        List<JsonObject> whys = explainAll(line, own, ownTasks.result(), interrupts.result(), snap);
        JsonArray trackJson = new JsonArray();
        for (int i = 0; i < own.size(); i++) {
          trackJson.add(trackOutlook(own.get(i), line, snap, whys.get(i)));
        }
        out.put("tracks", trackJson);
        out.put("forecast", projectForecast(projectId, line, own, snap));
        return out;
      }));
    });
  }

  private static JsonObject trackOutlook(TrackRow t, LineDefinition line, Snapshot snap, JsonObject why) {
    Forecast.Outlook o = snap.result().track(t.id());
    JsonObject out = new JsonObject().put("track_id", t.id()).put("document_type", t.documentType())
        .put("title", line.type(t.documentType()).map(DocumentType::title).orElse(t.documentType()))
        .put("state", t.state().wire()).put("why", why);
    if (t.state().terminal()) {
      return out.put("eta_at", null).put("finished_at", t.finalizedAt() == null ? null : t.finalizedAt().toString());
    }
    return out.put("eta_at", o == null || o.finish() == null ? null : o.finish().toString())
        .put("next_start_at", o == null || o.nextStart() == null ? null : o.nextStart().toString())
        .put("eta_stop", o == null ? "not in the forecast" : o.stop());
  }

  /** When the project finishes, what stops it, capacity per capability, and what one more executor would change. */
  private JsonObject projectForecast(String projectId, LineDefinition line, List<TrackRow> own, Snapshot snap) {
    Instant now = snap.at();
    ProjectEta eta = projectEta(own, snap.result());
    JsonObject out = new JsonObject()
        .put("as_of", now.toString())
        .put("eta_at", eta.finish == null ? null : eta.finish.toString())
        .put("finish_at_moving", eta.moving == null ? null : eta.moving.toString())
        .put("remaining_ms", eta.finish == null ? null : Math.max(0, Duration.between(now, eta.finish).toMillis()))
        .put("unfinished", eta.unfinished)
        .put("stopped", eta.stopped)
        .put("basis", "a replay of the queue from now: every open task and the stations left, each at its recent mean time, "
            + "taken by the " + snap.input().executors().size() + " executors online as the claim does");
    // Capacity per capability the project still needs, and one more executor of each.
    Set<String> needed = new TreeSet<>();
    for (TrackRow t : own) {
      if (t.state().terminal()) {
        continue;
      }
      line.type(t.documentType()).ifPresent(type -> type.stations().stream()
          .filter(st -> st.automationLevel() != io.productionline.line.AutomationLevel.MANUAL)
          .forEach(st -> needed.add(st.capability())));
    }
    JsonArray capacity = new JsonArray();
    JsonArray whatIf = new JsonArray();
    for (String cap : needed) {
      long online = snap.input().executors().stream().filter(e -> e.capabilities().contains(cap)).count();
      long busy = snap.executors().stream().filter(e -> "busy".equals(e.getString("status"))
          && e.getJsonArray("capabilities", new JsonArray()).contains(cap)).count();
      long queued = snap.openTasks().stream().filter(t -> t.status() == TaskStatus.QUEUED && t.capability().equals(cap)).count();
      long workMs = snap.result().workMs().getOrDefault(cap, 0L);
      capacity.add(new JsonObject().put("capability", cap).put("executors", online).put("busy", busy).put("queued", queued)
          .put("work_ahead_ms", workMs)
          .put("drain_ms", online == 0 ? null : Math.round((double) workMs / online))
          .put("mean_service_ms", snap.times().capabilityMs(cap)));
      if (eta.unfinished == 0) {
        continue;
      }
      Forecast.Result more = Forecast.run(snap.input().plusExecutor(cap));
      ProjectEta plus = projectEta(own, more);
      Instant base = eta.finish != null ? eta.finish : eta.moving;
      Instant then = plus.finish != null ? plus.finish : plus.moving;
      JsonObject w = new JsonObject().put("capability", cap).put("add_executors", 1)
          .put("eta_at", plus.finish == null ? null : plus.finish.toString())
          .put("finish_at_moving", plus.moving == null ? null : plus.moving.toString())
          .put("saves_ms", base == null || then == null ? null : Math.max(0, Duration.between(then, base).toMillis()))
          .put("unblocks", eta.finish == null && plus.finish != null);
      whatIf.add(w);
    }
    out.put("capacity", capacity).put("what_if", whatIf);
    JsonArray model = new JsonArray();
    for (DocumentType type : line.documentTypes()) {
      for (StationDef st : type.stations()) {
        JsonObject m = new JsonObject().put("document_type", type.name()).put("station", st.id()).put("capability", st.capability())
            .put("mean_service_ms", snap.times().serviceMs(line.name(), type.name(), st))
            .put("samples", snap.times().samples(line.name(), type.name(), st.id()));
        if (st.stationKind() == StationKind.AUDIT) {
          m.put("reject_share", FlowMetrics.round(snap.times().rejectShare(line.name(), type.name(), st)));
        }
        model.add(m);
      }
    }
    out.put("model", new JsonObject().put("turnaround_ms", snap.times().turnaroundMs()).put("default_station_ms", defaultStationMs)
        .put("stations", model));
    return out;
  }

  private record ProjectEta(Instant finish, Instant moving, int unfinished, JsonArray stopped) {
  }

  private static ProjectEta projectEta(List<TrackRow> own, Forecast.Result result) {
    Instant latest = null;
    boolean all = true;
    int unfinished = 0;
    JsonArray stopped = new JsonArray();
    for (TrackRow t : own) {
      if (t.state().terminal() || isSuperseded(t, own)) {
        continue;
      }
      unfinished++;
      Forecast.Outlook o = result.track(t.id());
      if (o == null || o.finish() == null) {
        all = false;
        stopped.add(new JsonObject().put("track_id", t.id()).put("document_type", t.documentType())
            .put("state", t.state().wire()).put("stop", o == null ? "not in the forecast" : o.stop()));
        continue;
      }
      if (latest == null || o.finish().isAfter(latest)) {
        latest = o.finish();
      }
    }
    return new ProjectEta(all && unfinished > 0 ? latest : null, latest, unfinished, stopped);
  }

  private static boolean isSuperseded(TrackRow t, List<TrackRow> all) {
    return all.stream().anyMatch(o -> t.id().equals(o.replaces()));
  }

  // --- why --------------------------------------------------------------------------------------

  /** {@code GET /production/track/{id}/why}: the exact cause, with its facts, read fresh. */
  public Future<JsonObject> why(String trackId) {
    return s.tracks.find(s.reads, trackId).compose(found -> {
      TrackRow t = found.orElseThrow(() -> Refusal.notFound("no track " + trackId));
      Future<Optional<ProjectRow>> project = s.projects.find(s.reads, t.projectId());
      Future<List<TaskRow>> tasks = s.tasks.ofTrack(s.reads, trackId);
      Future<List<TrackRow>> projectTracks = s.tracks.ofProject(s.reads, t.projectId());
      Future<List<InterruptRow>> interrupts = s.interrupts.openOfProject(s.reads, t.projectId());
      Future<List<JsonObject>> live = executors.list();
      Future<Snapshot> snapshot = forecast();
      return Future.all(List.of(project, tasks, projectTracks, interrupts, live, snapshot)).compose(all -> {
        LineDefinition line = s.lines.ofProject(project.result().orElseThrow());
        DocumentType type = line.type(t.documentType()).orElseThrow(() -> Refusal.notFound("line " + line.name()
            + " has no document type " + t.documentType()));
        TaskRow queued = tasks.result().stream().filter(x -> x.runNo() == t.runs() && x.status() == TaskStatus.QUEUED).findFirst().orElse(null);
        Future<Long> ahead = queued == null ? Future.succeededFuture(null) : flow.aheadInQueue(s.reads, queued);
        return ahead.map(n -> {
          InterruptRow open = interrupts.result().stream().filter(i -> i.trackId().equals(trackId)).findFirst().orElse(null);
          Why.Answer a = Why.explain(new Why.Context(s.clock.instant(), t, type, tasks.result(), open, projectTracks.result(),
              live.result(), s.heartbeatSeconds(), s.staleSeconds(), sweepIntervalMs(), n, snapshot.result().result().tracks(),
              slaSeconds));
          Forecast.Outlook o = snapshot.result().result().track(trackId);
          return a.toJson().put("track_id", trackId).put("project_id", t.projectId()).put("document_type", t.documentType())
              .put("state", t.state().wire()).put("station", type.stations().isEmpty() ? null : type.station(t.stationIndex()).id())
              .put("eta_at", o == null || o.finish() == null ? null : o.finish().toString())
              .put("eta_stop", o == null || t.state().terminal() ? null : o.stop())
              .put("as_of", s.clock.instant().toString());
        });
      });
    });
  }

  /** The why of every track, from rows already read and the shared forecast (no query per track). */
  public List<JsonObject> explainAll(LineDefinition line, List<TrackRow> tracks, List<TaskRow> tasks, List<InterruptRow> interrupts,
                                     Snapshot snap) {
    return explainAll(line, tracks, tracks, tasks, interrupts, snap);
  }

  /** The why of each of {@code shown}, in the context of all the project's {@code tracks}. */
  public List<JsonObject> explainAll(LineDefinition line, List<TrackRow> tracks, List<TrackRow> shown, List<TaskRow> tasks,
                                     List<InterruptRow> interrupts, Snapshot snap) {
    Instant now = s.clock.instant();
    Map<String, List<TaskRow>> byTrack = tasks.stream().collect(Collectors.groupingBy(TaskRow::trackId));
    List<JsonObject> out = new ArrayList<>();
    for (TrackRow t : shown) {
      Optional<DocumentType> type = line.type(t.documentType());
      if (type.isEmpty() || type.get().stations().isEmpty()) {
        out.add(new JsonObject().put("cause", "finished").put("moving", false).put("text", t.state().wire()));
        continue;
      }
      List<TaskRow> own = byTrack.getOrDefault(t.id(), List.of());
      TaskRow queued = own.stream().filter(x -> x.runNo() == t.runs() && x.status() == TaskStatus.QUEUED).findFirst().orElse(null);
      Long ahead = queued == null ? null : snap.queues().ahead(queued);
      InterruptRow open = interrupts.stream().filter(i -> i.trackId().equals(t.id())).findFirst().orElse(null);
      out.add(Why.explain(new Why.Context(now, t, type.get(), own, open, tracks, snap.executors(), s.heartbeatSeconds(),
          s.staleSeconds(), sweepIntervalMs(), ahead, snap.result().tracks(), slaSeconds)).summary());
    }
    return out;
  }

  /**
   * The shared forecast a line view of {@code tracks} is annotated with ({@link #forecastForView}),
   * or null when none could be made (the view is then shown without its {@code why} and ETAs).
   */
  public Future<Snapshot> forecastFor(List<TrackRow> tracks) {
    Instant newest = tracks.stream().map(TrackRow::createdAt).max(Instant::compareTo).orElse(null);
    return forecastForView(newest).otherwise((Snapshot) null);
  }

  /**
   * Adds {@code why} and {@code eta_at} to each track of a {@code GET /production} view, and the
   * project's {@code eta_at}, from the rows the view read and the shared forecast {@code shared}
   * ({@link #forecastFor}; with none, the view stays as it is).
   */
  public JsonObject annotate(JsonObject view, LineDefinition line, List<TrackRow> tracks, List<TrackRow> shown,
                             List<TaskRow> tasks, List<InterruptRow> interrupts, Snapshot shared) {
    if (shared == null) {
      return view;
    }
    // The executors the view shows (its floor, at most a second old), not the forecast's older copy: whether
    // an executor stopped beating is judged against now.
    List<JsonObject> floor = new ArrayList<>();
    view.getJsonArray("executors", new JsonArray()).forEach(e -> floor.add((JsonObject) e));
    Snapshot snap = new Snapshot(shared.at(), shared.madeNanos(), shared.changes(), shared.input(), shared.result(), shared.times(),
        shared.openTasks(), shared.queues(), floor);
    List<JsonObject> whys = explainAll(line, tracks, shown, tasks, interrupts, snap);
    Map<String, JsonObject> byId = new HashMap<>();
    for (int i = 0; i < shown.size(); i++) {
      byId.put(shown.get(i).id(), whys.get(i));
    }
    for (Object o : view.getJsonArray("tracks", new JsonArray())) {
      JsonObject t = (JsonObject) o;
      t.put("why", byId.get(t.getString("track_id")));
      Forecast.Outlook out = snap.result().track(t.getString("track_id"));
      t.put("eta_at", out == null || out.finish() == null ? null : out.finish().toString());
    }
    ProjectEta eta = projectEta(tracks, snap.result());
    return view.put("eta_at", eta.finish == null ? null : eta.finish.toString())
        .put("finish_at_moving", eta.moving == null ? null : eta.moving.toString());
  }

  // --- build intents ----------------------------------------------------------------------------

  /**
   * When the first open task of {@code projectId} is expected to start, from a fresh forecast. With
   * no executor online for {@code capability}, as if one connected now ({@code assumed_executor}).
   */
  public Future<JsonObject> expectedStart(String projectId, String capability) {
    return forecastNow().map(snap -> {
      TaskRow first = snap.openTasks().stream().filter(t -> t.projectId().equals(projectId))
          .min(Comparator.comparing(TaskRow::createdAt)).orElse(null);
      boolean none = snap.input().executors().stream().noneMatch(e -> e.capabilities().contains(capability));
      Forecast.Result result = none ? Forecast.run(snap.input().plusExecutor(capability)) : snap.result();
      Instant start = first == null ? null : result.taskStarts().get(first.id());
      if (start == null && first != null && first.status() == TaskStatus.CLAIMED) {
        start = snap.at();
      }
      return new JsonObject().put("estimated_start", (start == null ? snap.at() : start).toString())
          .put("assumed_executor", none)
          .put("station_seconds", FlowMetrics.round(snap.times().capabilityMs(capability) / 1000.0))
          .put("turnaround_ms", snap.times().turnaroundMs());
    });
  }

  private long sweepIntervalMs() {
    return s.config.getJsonObject("work", new JsonObject()).getLong("sweep_interval_ms", 2000L);
  }
}
