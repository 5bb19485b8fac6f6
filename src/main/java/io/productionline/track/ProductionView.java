package io.productionline.track;

import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.analytics.LineAnalytics;
import io.productionline.executor.ExecutorRegistry;
import io.productionline.line.AutomationLevel;
import io.productionline.line.DocumentType;
import io.productionline.line.LineDefinition;
import io.productionline.line.StationDef;
import io.productionline.line.StationKind;
import io.productionline.store.InterruptRepository.InterruptRow;
import io.productionline.store.ProjectRepository.ProjectRow;
import io.productionline.store.TaskRow;
import io.productionline.store.TaskStatus;
import io.productionline.store.TrackRow;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The read model behind {@code GET /production} and {@code GET /production/track/{id}}: every track
 * with its stations and elapsed times, open interrupts, summary counts, executors and queue; and,
 * from {@link LineAnalytics}, each track's {@code why} and {@code eta_at} and the project's ETA.
 */
public final class ProductionView {

  private final Services s;
  private final ExecutorRegistry executors;
  private final LineAnalytics analytics;
  private final ViewSnapshots snapshots;
  private static final long FLOOR_MS = 1000;
  private static final long FLOOR_STALE_MS = 10_000;
  private JsonObject floorLast;
  private long floorAt;
  private Instant floorClock;
  private Future<JsonObject> floorReading;

  public ProductionView(Services services, ExecutorRegistry executors, LineAnalytics analytics) {
    this.s = services;
    this.executors = executors;
    this.analytics = analytics;
    this.snapshots = new ViewSnapshots(services, this::read);
  }

  /** The rows of the views this node serves, kept current ({@link ViewSnapshots}). */
  ViewSnapshots snapshots() {
    return snapshots;
  }

  /** Flow metrics, forecast and "why is it waiting?" of the line this view shows. */
  public LineAnalytics analytics() {
    return analytics;
  }

  public Future<JsonObject> project(String projectId) {
    return project(projectId, null, 0);
  }

  /**
   * The line view of a project; with {@code limit}, only that page of its tracks (from
   * {@code offset}, in creation order) with their stations, while the summary counts, interrupts,
   * executors and queue are always the whole project's. The view {@code GET /production} sends
   * ({@link #projectJson}), read back.
   */
  public Future<JsonObject> project(String projectId, Integer limit, int offset) {
    return projectJson(projectId, limit, offset).map(JsonObject::new);
  }

  /**
   * {@link #project}'s view as the JSON {@code GET /production} sends. A view is rendered once for
   * what it shows and sent to every reader until that changes ({@link Served}): readers polling a
   * line do not render it again and again while it runs.
   */
  public Future<io.vertx.core.buffer.Buffer> projectJson(String projectId, Integer limit, int offset) {
    return snapshots.rows(projectId).compose(found -> {
      if (found.isEmpty()) {
        return Tracks.unknownProject(s, projectId);
      }
      Rows rows = found.get();
      return sharedInputs(rows).map(in -> {
        String key = projectId + (limit == null ? "" : "|" + limit + "|" + offset);
        long nanos = System.nanoTime();
        Instant now = s.clock.instant();
        Served last = served.get(key);
        if (last != null && last.serves(rows, in, nanos, now)) {
          s.metrics.lineViewServed(false);
          return io.vertx.core.buffer.Buffer.buffer(last.json());
        }
        JsonObject out = render(rows, limit == null ? null : all -> all.subList(Math.min(offset, all.size()), Math.min(all.size(), offset + limit)),
            in, now);
        if (limit != null) {
          out.put("page", new JsonObject().put("offset", offset).put("limit", limit)
              .put("tracks_total", out.getJsonObject("summary").getInteger("total")));
        }
        byte[] json = out.toBuffer().getBytes();
        keep(key, new Served(rows, in, nanos, now, json));
        s.metrics.lineViewServed(true);
        return io.vertx.core.buffer.Buffer.buffer(json);
      });
    });
  }

  /**
   * How long a rendered view is sent again while nothing it shows changed: what it works out from the
   * clock ({@code as_of}, {@code elapsed_ms}, a {@code why} that turns on the time) is at most this old.
   */
  static final long REUSE_MS = 1000;
  /** Rendered views kept at most (a project's whole view and the pages read of it), all forgotten when more are asked for. */
  private static final int MAX_SERVED = 4 * ViewSnapshots.MAX_PROJECTS;
  /**
   * The bytes of the rendered views kept at most, all forgotten when more are asked for; a view
   * larger than an eighth of it (a project of thousands of tracks read whole) is rendered for each
   * read and not kept.
   */
  static final long MAX_SERVED_BYTES = 64L << 20;
  private final Map<String, Served> served = new java.util.concurrent.ConcurrentHashMap<>();
  private long servedBytes;

  private synchronized void keep(String key, Served view) {
    if (view.json().length > MAX_SERVED_BYTES / 8) {
      Served old = served.remove(key);
      servedBytes -= old == null ? 0 : old.json().length;
      return;
    }
    if (served.size() >= MAX_SERVED || servedBytes + view.json().length > MAX_SERVED_BYTES) {
      served.clear();
      servedBytes = 0;
    }
    Served old = served.put(key, view);
    servedBytes += view.json().length - (old == null ? 0 : old.json().length);
  }

  /**
   * A view as rendered from these very rows, floor and forecast (each kept, and replaced when it
   * changes, so the same object means the same content) at {@code nanos}, by the node's clock
   * {@code at}. It is sent again only for the same three and within {@link #REUSE_MS} by both clocks
   * (a clock set or moved by a test renders anew): the view is then what rendering would give but for its times.
   */
  private record Served(Rows rows, SharedInputs in, long nanos, Instant at, byte[] json) {
    boolean serves(Rows r, SharedInputs now, long nanosNow, Instant clockNow) {
      long ageMs = (nanosNow - nanos) / 1_000_000;
      long clockMs = Duration.between(at, clockNow).toMillis();
      return r == rows && now.floor() == in.floor() && now.forecast() == in.forecast() && ageMs < REUSE_MS && clockMs >= 0
          && clockMs < REUSE_MS && Math.abs(clockMs - ageMs) < 50;
    }
  }

  /**
   * What a live event of {@code projectId} carries (the snapshot events of {@link LiveViews}): the
   * views of {@code trackIds} exactly as {@code GET /production} renders them, and the project's
   * head (summary, line state, ETA, open interrupts, last sequence number); a fan-out child's view
   * comes with its parent's (whose progress it changes). Built by the same code
   * as {@link #project}, so the page that shows an event shows what a reload would.
   */
  public Future<JsonObject> tracks(String projectId, java.util.Collection<String> trackIds) {
    return snapshots.rows(projectId).compose(found -> {
      if (found.isEmpty()) {
        return Tracks.unknownProject(s, projectId);
      }
      Set<String> wanted = new HashSet<>(trackIds);
      // A fan-out child's move changes its parent's progress: the parent's view comes with it.
      return view(found.get(), all -> {
        Set<String> with = new HashSet<>(wanted);
        all.stream().filter(t -> wanted.contains(t.id()) && t.child()).forEach(t -> with.add(t.parentTrackId()));
        return all.stream().filter(t -> with.contains(t.id())).toList();
      });
    });
  }

  /**
   * The rows a project's view is built from: the project, its last sequence number, every track (in
   * creation order), their tasks as the view reads them, and the open interrupts. Read whole from
   * PostgreSQL ({@link #read}) or kept current by the project's history ({@link ViewSnapshots}); the
   * view is the same function of them either way.
   */
  public record Rows(ProjectRow project, long lastSeq, List<TrackRow> tracks, List<TaskRow> tasks, List<InterruptRow> interrupts) {
  }

  /** A project's rows read whole from PostgreSQL; empty when there is no such project. */
  public Future<java.util.Optional<Rows>> read(String projectId) {
    // All five reads go out at once (pipelined, one round trip); a project that is not there has no rows either.
    return inOneSnapshot(s, db -> {
      Future<java.util.Optional<ProjectRow>> project = s.projects.find(db, projectId);
      Future<java.util.Optional<io.productionline.store.TrackRepository.Head>> head = s.tracks.head(db, projectId);
      Future<List<TrackRow>> tracks = s.tracks.ofProject(db, projectId);
      Future<List<TaskRow>> tasks = s.tasks.viewOfProject(db, projectId);
      Future<List<InterruptRow>> interrupts = s.interrupts.openOfProject(db, projectId);
      return Future.all(List.of(project, head, tracks, tasks, interrupts)).map(x -> project.result().isEmpty()
          ? java.util.Optional.<Rows>empty()
          : java.util.Optional.of(new Rows(project.result().get(), head.result().orElseThrow().lastSeq(), tracks.result(), tasks.result(),
              interrupts.result())));
    });
  }

  /**
   * Runs {@code reads} on one connection of the operators' pool in one read-only snapshot
   * (REPEATABLE READ), so the rows they return belong to one moment: the project's {@code last_seq}
   * and every row read with it, nothing committed after it.
   *
   * <p>The {@code BEGIN} goes out with the first reads, pipelined on the connection, rather than
   * being waited for (and then the isolation level) as a transaction of the pool begins; and the
   * reads are answered as soon as they are read, while the snapshot is ended ({@code COMMIT}, or
   * {@code ROLLBACK} after a failure) behind the answer: a read-only snapshot's rows are whole once
   * read. The connection goes back to the pool only with the snapshot ended. On a busy machine each
   * round trip was 20–75 ms of a line view's read (docs/benchmarks.md).
   */
  static <T> Future<T> inOneSnapshot(Services s, java.util.function.Function<io.vertx.sqlclient.SqlConnection, Future<T>> reads) {
    return s.reads.getConnection().compose(conn -> {
      Future<?> begin = conn.query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute();
      Future<T> read;
      try {
        read = reads.apply(conn);
      } catch (RuntimeException e) {
        read = Future.failedFuture(e);
      }
      Future<T> done = read;
      Future<?> both = Future.all(begin, done);
      both.onComplete(ar -> conn.query(ar.succeeded() ? "COMMIT" : "ROLLBACK").execute().onComplete(end -> conn.close()));
      return both.map(x -> done.result());
    });
  }

  /** The view rendered from rows read whole from PostgreSQL now (what the kept rows must always equal). */
  public Future<JsonObject> projectFromDatabase(String projectId) {
    return read(projectId).compose(found -> found.isEmpty() ? Tracks.unknownProject(s, projectId) : view(found.get(), null));
  }

  /**
   * The view of a project from its rows; {@code shown} picks the tracks whose stations are rendered
   * (all when null). The summary always counts every track.
   */
  private Future<JsonObject> view(Rows rows, java.util.function.UnaryOperator<List<TrackRow>> shown) {
    return sharedInputs(rows).map(in -> render(rows, shown, in, s.clock.instant()));
  }

  /** What a view takes besides its project's rows, each kept and shared by every view: the floor, and the forecast (null: none). */
  private record SharedInputs(JsonObject floor, LineAnalytics.Snapshot forecast) {
  }

  private Future<SharedInputs> sharedInputs(Rows rows) {
    Future<JsonObject> floor = floorForView();
    Future<LineAnalytics.Snapshot> forecast = analytics.forecastFor(rows.tracks());
    return Future.all(floor, forecast).map(x -> new SharedInputs(floor.result(), forecast.result()));
  }

  /** The view of a project from its rows and the shared floor and forecast, at {@code now}. */
  private JsonObject render(Rows rows, java.util.function.UnaryOperator<List<TrackRow>> shown, SharedInputs in, Instant now) {
    ProjectRow project = rows.project();
    String projectId = project.id();
    LineDefinition line = s.lines.ofProject(project);
    List<TrackRow> all = rows.tracks();
    List<TrackRow> rendered = shown == null ? all : shown.apply(all);
    JsonObject summary = io.productionline.store.TrackRepository.summaryOf(all);
    Map<String, List<TaskRow>> byTrack = rows.tasks().stream().collect(Collectors.groupingBy(TaskRow::trackId));
    Map<String, InterruptRow> openByTrack = new java.util.HashMap<>();
    rows.interrupts().forEach(i -> openByTrack.put(i.trackId(), i));
    JsonArray trackJson = new JsonArray();
    for (TrackRow t : rendered) {
      InterruptRow open = openByTrack.get(t.id());
      trackJson.add(fanOut(line, t, all, track(line, t, byTrack.getOrDefault(t.id(), List.of()), now))
          .put("interrupt", open == null ? null : open.toJson()));
    }
    JsonArray interruptJson = new JsonArray();
    rows.interrupts().forEach(i -> interruptJson.add(i.toJson()));
    JsonObject out = new JsonObject()
        .put("project_id", projectId).put("line", line.name()).put("line_version", project.lineVersion()).put("line_title", line.title())
        .put("line_state", io.productionline.store.TrackRepository.lineState(summary))
        .put("last_seq", rows.lastSeq())
        .put("as_of", now.toString())
        .put("tracks", trackJson).put("interrupts", interruptJson).put("summary", summary)
        .mergeIn(in.floor().copy());
    return analytics.annotate(out, line, all, rendered, rows.tasks(), rows.interrupts(), in.forecast());
  }

  /**
   * The floor as line views show it: read at most once a {@value #FLOOR_MS} ms and shared by every
   * view in between, read again behind the reader once it is a second old; a reader waits for it only
   * when none was read in the last {@value #FLOOR_STALE_MS} ms, or the node's clock
   * moved by a second since (executors' liveness is judged against it). The kept floor itself, not
   * a copy: a new read replaces it, so views rendered from the same floor show the same floor.
   */
  private Future<JsonObject> floorForView() {
    long now = System.nanoTime();
    Future<JsonObject> reading;
    JsonObject last;
    synchronized (this) {
      // How far the node's clock moved apart from the monotonic one since the last read (a clock set, a test's clock
      // moved): not the read's age, which alone made every view a second after a read wait for the next one.
      long clockMoved = floorLast == null ? 0
          : Math.abs(java.time.Duration.between(floorClock, s.clock.instant()).toMillis() - (now - floorAt) / 1_000_000);
      if (floorReading == null && (floorLast == null || now - floorAt >= FLOOR_MS * 1_000_000 || clockMoved >= FLOOR_MS)) {
        Instant clockAt = s.clock.instant();
        Future<JsonObject> f = floor();
        floorReading = f;
        f.onComplete(ar -> {
          synchronized (this) {
            floorReading = null;
            if (ar.succeeded()) {
              floorLast = ar.result();
              floorAt = now;
              floorClock = clockAt;
            }
          }
        });
      }
      reading = floorReading;
      last = floorLast;
      if (last != null && now - floorAt < FLOOR_STALE_MS * 1_000_000 && clockMoved < FLOOR_MS) {
        return Future.succeededFuture(last);
      }
    }
    return reading != null ? reading : Future.succeededFuture(last);
  }

  /**
   * A track's place in a fan-out, computed here once so the page shows it as it is: a child names
   * its parent, its index and its item; a track of a type with a fan-out carries {@code fan_out}
   * (child type, the children's count by state, {@code progress} "12 of 30 stabilized", {@code done}).
   */
  private static JsonObject fanOut(LineDefinition line, TrackRow t, List<TrackRow> all, JsonObject view) {
    if (t.child()) {
      view.put("parent_track_id", t.parentTrackId()).put("fan_out_index", t.fanOutIndex()).put("fan_out_item", t.fanOutItem());
    }
    DocumentType type = line.type(t.documentType()).orElse(null);
    if (type != null && type.fanOut() != null) {
      view.put("fan_out", Tracks.fanOutProgress(all, t.id()).toJson().put("child_type", type.fanOut().childType())
          .put("station", type.fanOut().station()).put("items", type.fanOut().items()));
    }
    return view;
  }

  /** Executors, queue depth by capability, and the capabilities with queued work and nobody to do it. */
  public Future<JsonObject> floor() {
    return Future.all(executors.list(), s.tasks.queueDepth(s.reads)).map(all -> {
      List<JsonObject> list = all.resultAt(0);
      Map<String, Integer> depth = all.resultAt(1);
      Set<String> live = new HashSet<>();
      list.stream().filter(e -> !"offline".equals(e.getString("status")))
          .forEach(e -> e.getJsonArray("capabilities").forEach(c -> live.add(c.toString())));
      JsonArray missing = new JsonArray();
      JsonArray warnings = new JsonArray();
      new TreeMap<>(depth).forEach((c, n) -> {
        if (!c.equals("manual") && !live.contains(c)) {
          missing.add(c);
          warnings.add(new JsonObject().put("capability", c).put("queued", n)
              .put("message", "No executors available for " + c + " (" + n + " queued)"));
        }
      });
      JsonObject byCap = new JsonObject();
      depth.forEach(byCap::put);
      return new JsonObject()
          .put("executors", new JsonArray(list))
          .put("queue", new JsonObject().put("depth", depth.values().stream().mapToInt(Integer::intValue).sum()).put("by_capability", byCap))
          .put("no_executors_for", missing)
          .put("no_executors", warnings);
    });
  }

  public Future<JsonObject> track(String trackId) {
    return s.tracks.find(s.reads, trackId).compose(found -> {
      TrackRow t = found.orElseThrow(() -> Refusal.notFound("no track " + trackId));
      return Future.all(s.projects.find(s.reads, t.projectId()), s.tasks.ofTrack(s.reads, trackId),
              s.tasks.artifactsOfTrack(s.reads, trackId, false))
          .map(all -> {
            ProjectRow p = all.<java.util.Optional<ProjectRow>>resultAt(0).orElseThrow();
            List<TaskRow> tasks = all.resultAt(1);
            JsonObject view = track(s.lines.ofProject(p), t, tasks, s.clock.instant());
            JsonArray runs = new JsonArray();
            tasks.forEach(task -> runs.add(task.toJson()));
            return view.put("runs", runs).put("artifacts", all.resultAt(2));
          });
    });
  }

  /** The work items of a station's latest run: who holds each, where it stands, what it reported. */
  private static JsonArray items(TreeMap<Integer, List<TaskRow>> byRun) {
    JsonArray out = new JsonArray();
    if (byRun.isEmpty()) {
      return out;
    }
    List<TaskRow> latest = new ArrayList<>(byRun.lastEntry().getValue());
    latest.sort(java.util.Comparator.comparingInt(TrackVerticle::item));
    for (TaskRow r : latest) {
      out.add(new JsonObject().put("item", TrackVerticle.item(r)).put("task_id", r.id()).put("status", r.status().wire())
          .put("executor_id", r.executorId()).put("progress", r.progress()).put("outcome", r.outcome()));
    }
    return out;
  }

  static JsonObject track(LineDefinition line, TrackRow t, List<TaskRow> tasks, Instant now) {
    DocumentType type = line.type(t.documentType()).orElse(null);
    JsonObject out = new JsonObject()
        .put("track_id", t.id()).put("document_type", t.documentType())
        .put("title", type == null ? t.documentType() : type.title())
        .put("state", t.state().wire())
        .put("depends_on", new JsonArray(type == null ? List.of() : type.dependsOn()))
        .put("station_index", t.stationIndex())
        .put("remediation_count", t.remediationCount())
        .put("max_remediations", type == null ? 0 : type.maxRemediations())
        .put("reason", t.reason())
        .put("state_entered_at", t.stateEnteredAt().toString())
        .put("elapsed_ms", Duration.between(t.stateEnteredAt(), t.finalizedAt() == null ? now : t.finalizedAt()).toMillis())
        .put("replaces", t.replaces())
        .put("version", t.version())
        .put("as_of", now.toString());
    if (type == null) {
      return out.put("stations", new JsonArray());
    }
    JsonArray stations = new JsonArray();
    // The track's tasks by station, once (a 50-station track that ran every station has 50 or more).
    Map<Integer, List<TaskRow>> byStation = tasks.stream().collect(Collectors.groupingBy(TaskRow::stationIndex));
    for (int i = 0; i < type.stations().size(); i++) {
      StationDef def = type.station(i);
      List<TaskRow> runs = byStation.getOrDefault(i, List.of());
      // A station run is one task, or one per work item at a multi-operator station.
      TreeMap<Integer, List<TaskRow>> byRun = new TreeMap<>(runs.stream().collect(Collectors.groupingBy(TaskRow::runNo)));
      long elapsed = 0;
      boolean completed = false;
      // Work: an executor held the run (claimed -> completed). Wait: the run was queued for an executor.
      long work = 0;
      long wait = 0;
      boolean working = false;
      for (List<TaskRow> run : byRun.values()) {
        boolean done = run.stream().allMatch(r -> r.status() == TaskStatus.COMPLETED);
        boolean open = run.stream().anyMatch(r -> r.status().open());
        if (!done && !open) {
          continue; // a run withdrawn or dropped: it did no work for this station
        }
        Instant created = run.stream().map(TaskRow::createdAt).min(Instant::compareTo).orElse(now);
        Instant claimed = run.stream().map(TaskRow::claimedAt).filter(java.util.Objects::nonNull).min(Instant::compareTo).orElse(null);
        if (done) {
          completed = true;
          Instant end = run.stream().map(TaskRow::completedAt).filter(java.util.Objects::nonNull).max(Instant::compareTo).orElse(now);
          elapsed += Duration.between(created, end).toMillis();
          Instant start = claimed == null ? end : claimed;
          work += Math.max(0, Duration.between(start, end).toMillis());
          wait += Math.max(0, Duration.between(created, start).toMillis());
        } else if (claimed != null) {
          working = true;
          work += Math.max(0, Duration.between(claimed, now).toMillis());
          wait += Math.max(0, Duration.between(created, claimed).toMillis());
        } else {
          wait += Math.max(0, Duration.between(created, now).toMillis());
        }
      }
      StationState st;
      if (i == t.stationIndex() && (t.state().atStation() || t.state().stopsLine())) {
        st = StationState.current(t.state());
        out.put("current_station", def.id());
        if (st == StationState.ACTIVE) {
          elapsed = Duration.between(t.stateEnteredAt(), now).toMillis();
          runs.stream().filter(r -> r.status().open()).findFirst().ifPresent(r -> out
              .put("current_task", new JsonObject().put("task_id", r.id()).put("status", r.status().wire()).put("attempt", r.attempt())
                  .put("executor_id", r.executorId()).put("progress", r.progress()).put("progress_message", r.progressMessage())
                  .put("capability", r.capability())));
        }
      } else if (completed) {
        st = StationState.COMPLETE;
      } else if (def.stationKind() == StationKind.REMEDIATE) {
        st = StationState.IDLE;
      } else {
        st = StationState.QUEUED;
      }
      String state = st.wire();
      JsonObject stationJson = new JsonObject().put("id", def.id()).put("kind", def.stationKind().wire())
          .put("short", def.stationKind().shortName()).put("state", state).put("elapsed_ms", elapsed)
          .put("work_ms", work).put("wait_ms", wait).put("working", state.equals("active") && working)
          .put("runs", byRun.size()).put("capability", def.capability()).put("automation", def.automation());
      if (def.workItems() > 1) {
        stationJson.put("work_items", def.workItems()).put("items", items(byRun));
      }
      if (state.equals("active") && def.automationLevel() == AutomationLevel.MANUAL) {
        stationJson.put("awaiting", "operator outcome");
      }
      stations.add(stationJson);
    }
    return out.put("stations", stations);
  }

}
