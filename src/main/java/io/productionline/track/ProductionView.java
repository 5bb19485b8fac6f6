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

  public ProductionView(Services services, ExecutorRegistry executors, LineAnalytics analytics) {
    this.s = services;
    this.executors = executors;
    this.analytics = analytics;
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
   * executors and queue are always the whole project's.
   */
  public Future<JsonObject> project(String projectId, Integer limit, int offset) {
    return s.projects.find(s.reads, projectId).compose(p -> {
      ProjectRow project = p.orElseThrow(() -> Refusal.notFound("no project " + projectId));
      LineDefinition line = s.lines.ofProject(project);
      Future<List<TrackRow>> tracks = limit == null
          ? s.tracks.ofProject(s.reads, projectId)
          : s.tracks.pageOfProject(s.reads, projectId, limit, offset);
      Future<List<TaskRow>> tasks = limit == null
          ? s.tasks.viewOfProject(s.reads, projectId)
          : tracks.compose(page -> page.isEmpty()
              ? Future.succeededFuture(List.<TaskRow>of())
              : s.tasks.viewOfTracks(s.reads, page.stream().map(TrackRow::id).toList()));
      Future<List<InterruptRow>> interrupts = s.interrupts.openOfProject(s.reads, projectId);
      Future<JsonObject> floor = floor();
      // A page counts the whole project separately; the whole view counts the very rows it shows.
      Future<JsonObject> projectSummary = limit == null ? Future.succeededFuture(null) : s.tracks.summary(s.reads, projectId);
      Future<Long> lastSeq = s.reads.preparedQuery("SELECT last_seq FROM projects WHERE id = $1")
          .execute(io.vertx.sqlclient.Tuple.of(projectId)).map(rows -> rows.iterator().next().getLong(0));
      return Future.all(List.of(tracks, tasks, interrupts, floor, lastSeq, projectSummary)).map(all -> {
        Instant now = s.clock.instant();
        JsonObject summary = limit == null
            ? io.productionline.store.TrackRepository.summaryOf(tracks.result())
            : projectSummary.result();
        Map<String, List<TaskRow>> byTrack = tasks.result().stream().collect(Collectors.groupingBy(TaskRow::trackId));
        JsonArray trackJson = new JsonArray();
        for (TrackRow t : tracks.result()) {
          trackJson.add(track(line, t, byTrack.getOrDefault(t.id(), List.of()), now));
        }
        JsonArray interruptJson = new JsonArray();
        interrupts.result().forEach(i -> interruptJson.add(i.toJson()));
        JsonObject out = new JsonObject()
            .put("project_id", projectId).put("line", line.name()).put("line_version", project.lineVersion()).put("line_title", line.title())
            .put("line_state", TrackEvents.lineState(summary))
            .put("last_seq", lastSeq.result())
            .put("tracks", trackJson).put("interrupts", interruptJson).put("summary", summary);
        if (limit != null) {
          out.put("page", new JsonObject().put("offset", offset).put("limit", limit)
              .put("tracks_total", summary.getInteger("total")));
        }
        return out.mergeIn(floor.result());
      }).compose(out -> analytics.annotate(out, line, tracks.result(), tasks.result(), interrupts.result()));
    });
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
      out.add(new JsonObject().put("item", TrackVerticle.item(r)).put("task_id", r.id()).put("status", r.status())
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
        .put("replaces", t.replaces());
    if (type == null) {
      return out.put("stations", new JsonArray());
    }
    JsonArray stations = new JsonArray();
    for (int i = 0; i < type.stations().size(); i++) {
      StationDef def = type.station(i);
      int index = i;
      List<TaskRow> runs = tasks.stream().filter(r -> r.stationIndex() == index).toList();
      // A station run is one task, or one per work item at a multi-operator station.
      TreeMap<Integer, List<TaskRow>> byRun = new TreeMap<>(runs.stream().collect(Collectors.groupingBy(TaskRow::runNo)));
      long elapsed = 0;
      boolean completed = false;
      for (List<TaskRow> run : byRun.values()) {
        if (run.stream().allMatch(r -> "completed".equals(r.status()))) {
          completed = true;
          Instant start = run.stream().map(TaskRow::createdAt).min(Instant::compareTo).orElse(now);
          Instant end = run.stream().map(TaskRow::completedAt).max(Instant::compareTo).orElse(now);
          elapsed += Duration.between(start, end).toMillis();
        }
      }
      String state;
      if (i == t.stationIndex() && t.state().atStation()) {
        state = "active";
        elapsed = Duration.between(t.stateEnteredAt(), now).toMillis();
        out.put("current_station", def.id());
        runs.stream().filter(r -> "claimed".equals(r.status()) || "queued".equals(r.status())).findFirst().ifPresent(r -> out
            .put("current_task", new JsonObject().put("task_id", r.id()).put("status", r.status()).put("attempt", r.attempt())
                .put("executor_id", r.executorId()).put("progress", r.progress()).put("progress_message", r.progressMessage())
                .put("capability", r.capability())));
      } else if (i == t.stationIndex() && (t.state().wire().equals("awaiting_operator") || t.state().wire().equals("halted"))) {
        state = t.state().wire();
        out.put("current_station", def.id());
      } else if (completed) {
        state = "complete";
      } else if (def.stationKind() == StationKind.REMEDIATE) {
        state = "idle";
      } else {
        state = "queued";
      }
      JsonObject stationJson = new JsonObject().put("id", def.id()).put("kind", def.stationKind().wire())
          .put("short", def.stationKind().shortName()).put("state", state).put("elapsed_ms", elapsed)
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
