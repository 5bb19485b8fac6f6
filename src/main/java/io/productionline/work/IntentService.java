package io.productionline.work;

import io.productionline.store.TaskStatus;
import io.productionline.track.StationReport;
import io.productionline.Json;
import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.analytics.LineAnalytics;
import io.productionline.executor.ExecutorInfo;
import io.productionline.line.DocumentType;
import io.productionline.line.LineDefinition;
import io.productionline.line.StationDef;
import io.productionline.line.StationKind;
import io.productionline.line.TrackState;
import io.productionline.store.Ids;
import io.productionline.store.ProjectRepository.ProjectRow;
import io.productionline.store.TaskRow;
import io.productionline.store.TrackRow;
import io.productionline.track.LineOrchestrator;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Build intents: the build-intent queue of the {@code unified-assembly-line} design on top of the
 * line. An intent is a one-document project on the {@code assembly} line (document type
 * {@code build}, phases spec → build → test → production, each an assemble station followed by
 * an audit) whose priority and environment preference go to every station task it queues.
 *
 * <p>An intent client pulls with its executor id only: it is registered on first contact
 * (capability {@code build}), every call counts as a heartbeat, and the server finds the task the
 * executor holds for an intent, so the client never handles a lease token.
 */
public final class IntentService {

  /** The line intents run on, and the capability its stations need. */
  public static final String LINE = "assembly";
  public static final String DOCUMENT = "build";
  public static final String CAPABILITY = "build";

  private static final Set<String> ENVIRONMENTS = Set.of("server", "local", "either");
  private static final Map<String, String> STATUS_TO_OUTCOME = Map.of(
      "completed", "stabilized", "stabilized", "stabilized", "audit_rejected", "audit_rejected",
      "needs_input", "needs_input", "halted", "halted");

  private final Services s;
  private final WorkService work;
  private final LineOrchestrator orchestrator;
  private final LineAnalytics analytics;

  public IntentService(Services services, WorkService work, LineOrchestrator orchestrator) {
    this.s = services;
    this.work = work;
    this.orchestrator = orchestrator;
    this.analytics = new LineAnalytics(services, work.executors());
  }

  /** A submitted intent: what to build, how urgent (1–10), where it may run. */
  public record Submission(String title, String specPath, int priority, String environment) {

    public Submission {
      if (title == null || title.isBlank() || title.length() > 200) {
        throw Refusal.badRequest("title is required: 1 to 200 characters");
      }
      if (specPath == null || specPath.isBlank() || specPath.length() > 500) {
        throw Refusal.badRequest("spec_path is required: 1 to 500 characters");
      }
      if (priority < 1 || priority > 10) {
        throw Refusal.badRequest("priority must be a whole number from 1 to 10");
      }
      if (!ENVIRONMENTS.contains(environment)) {
        throw Refusal.badRequest("environment_preference must be server, local or either");
      }
    }
  }

  /** Submits an intent and starts it; a repeat with the same idempotency key returns the first one. */
  public Future<JsonObject> submit(Submission in, String idempotencyKey, String actor) {
    if (s.lines.find(LINE).isEmpty()) {
      return Future.failedFuture(new Refusal(503, "Unavailable", "the " + LINE + " line is not loaded; add conf/lines/" + LINE + ".json"));
    }
    JsonObject params = new JsonObject().put("intent", true).put("title", in.title()).put("spec_path", in.specPath())
        .put("priority", in.priority()).put("environment", in.environment());
    String key = idempotencyKey == null ? null : "intent:" + idempotencyKey;
    return orchestrator.create(Ids.next("intent"), LINE, params, key, actor).compose(created -> {
      String id = created.project().id();
      Future<JsonObject> started = created.created() ? orchestrator.start(id, null, actor) : Future.succeededFuture(new JsonObject());
      return started.compose(v -> estimate(created.project()))
          .compose(estimate -> intent(id).map(intent -> new JsonObject()
              .put("intent_id", id).put("status", intent.getString("status")).put("estimated_start", estimate.getString("estimated_start"))
              .put("created", created.created())
              .put("title", in.title()).put("spec_path", in.specPath()).put("priority", in.priority())
              .put("environment_preference", in.environment()).put("current_phase", intent.getString("current_phase"))
              .mergeIn(estimate)));
    });
  }

  /**
   * When an intent's first task should start: the line's forecast ({@link LineAnalytics}), the same
   * model as the dashboard's ETAs — every open task and the stations left, at their recent mean
   * times, taken by the executors online as the claim does. With nobody online who can build, as if
   * one connected now.
   */
  private Future<JsonObject> estimate(ProjectRow project) {
    int priority = project.params().getInteger("priority", 5);
    Future<Long> ahead = s.tasks.aheadOf(s.pool, CAPABILITY, priority, project.id());
    Future<JsonObject> expected = analytics.expectedStart(project.id(), CAPABILITY);
    Future<List<JsonObject>> executors = work.executors().list();
    return Future.all(ahead, expected, executors).map(all -> {
      long live = executors.result().stream().filter(IntentService::canBuild).count();
      JsonObject e = expected.result();
      JsonObject out = new JsonObject()
          .put("estimated_start", e.getString("estimated_start"))
          .put("queue_ahead", ahead.result()).put("live_executors", live)
          .put("average_station_seconds", e.getDouble("station_seconds"))
          .put("estimate_basis", "forecast");
      if (live == 0) {
        out.put("message", noExecutors());
      }
      return out;
    });
  }

  private static boolean canBuild(JsonObject executor) {
    return !"offline".equals(executor.getString("status")) && executor.getJsonArray("capabilities").contains(CAPABILITY);
  }

  private static String noExecutors() {
    return "No executors available for " + CAPABILITY + "; the intent starts as soon as one connects";
  }

  /**
   * The next intent task for an executor, registering it on first contact. Every pull also counts
   * as the executor's heartbeat.
   */
  public Future<JsonObject> next(String executorId, String environment, String type, Duration wait, Future<Void> clientGone) {
    return work.executors().known(executorId).compose(known -> known
            ? work.heartbeat(executorId, null, null).mapEmpty()
            : work.register(ExecutorInfo.from(new JsonObject().put("executor_id", executorId)
                .put("environment", environment == null ? "server" : environment)
                .put("type", type == null ? "intent_client" : type)
                .put("capabilities", new JsonArray().add(CAPABILITY)))).mapEmpty())
        .compose(v -> work.claim(executorId, wait, LINE, clientGone))
        .compose(task -> {
          if (task.isEmpty()) {
            return Future.succeededFuture(new JsonObject().put("assigned", false));
          }
          JsonObject t = task.get();
          if (clientGone.isComplete()) {
            work.handBack(t, "its executor left before the reply");
            return Future.succeededFuture(new JsonObject().put("assigned", false));
          }
          return intent(t.getString("project_id")).map(intent -> new JsonObject().put("assigned", true)
              .put("intent", intent.put("task", new JsonObject().put("task_id", t.getString("task_id"))
                  .put("lease_token", t.getString("lease_token")).put("attempt", t.getInteger("attempt"))
                  .put("lease_expires_at", t.getString("lease_expires_at")).put("station", t.getString("station"))
                  .put("station_kind", t.getString("station_kind")).put("timeout_seconds", t.getInteger("timeout_seconds"))
                  .put("step", t.getJsonObject("step")).put("input", t.getJsonObject("input"))
                  .put("requirements", t.getJsonArray("requirements")))));
        });
  }

  /** Progress on the intent task the executor holds; refused (409) when it holds none, or for another phase. */
  public Future<JsonObject> progress(String intentId, String executorId, String phase, Double progress, String message,
                                     String idempotencyKey) {
    return heldTask(intentId, executorId, phase).compose(held -> {
      if (held.isEmpty()) {
        return nothingHeld(intentId, executorId);
      }
      TaskRow t = held.get();
      return work.heartbeat(executorId, "busy", t.id())
          .compose(v -> work.progress(t.id(), t.leaseToken(), executorId, progress, message, idempotencyKey))
          .compose(reply -> intent(intentId).map(intent -> new JsonObject()
              .put("updated", reply.getBoolean("updated", false)).put("current_state", intent.getString("state"))
              .put("status", intent.getString("status")).put("phase", intent.getString("current_phase"))
              .put("station", intent.getString("station")).put("cancel", reply.getBoolean("cancel", false))
              .put("repeated", reply.getBoolean("repeated", false))));
    });
  }

  /**
   * The executor's outcome for the intent task it holds. {@code status} {@code completed} (or
   * {@code stabilized}), {@code audit_rejected}, {@code needs_input} or {@code halted};
   * {@code artifacts} maps a file name to its content (a string, JSON, or an http(s) URL). A repeat
   * after the task completed is answered again ({@code repeated: true}) and changes nothing.
   */
  public Future<JsonObject> complete(String intentId, String executorId, String status, JsonObject artifacts, JsonObject detail,
                                     String phase, String idempotencyKey) {
    String outcome = STATUS_TO_OUTCOME.get(status);
    if (outcome == null) {
      return Future.failedFuture(Refusal.badRequest("status must be one of completed, audit_rejected, needs_input, halted"));
    }
    JsonArray list;
    try {
      list = artifactList(artifacts);
    } catch (Refusal r) {
      return Future.failedFuture(r);
    }
    return heldTask(intentId, executorId, phase).compose(held -> {
      if (held.isEmpty()) {
        return s.tasks.lastHeldInProject(s.pool, intentId, executorId).compose(last -> {
          if (last.isPresent() && last.get().status() == TaskStatus.COMPLETED) {
            return intent(intentId).map(intent -> completion(intent, last.get().stationIndex(), true));
          }
          return nothingHeld(intentId, executorId);
        });
      }
      TaskRow t = held.get();
      StationReport report = StationReport.of(detail.copy().put("outcome", outcome));
      return work.heartbeat(executorId, "busy", t.id())
          .compose(v -> work.complete(t.id(), t.leaseToken(), executorId, report, list.isEmpty() ? null : list, idempotencyKey))
          .compose(reply -> intent(intentId).map(intent -> completion(intent, t.stationIndex(), reply.getBoolean("repeated", false))
              .put("audit", reply.getJsonObject("audit"))));
    });
  }

  /**
   * {@code auto_advanced}: the intent moved on by itself (its next station queued, or it
   * stabilized); false when it went to remediation or waits for an operator. The caller adds
   * {@code audit} (at an audit station: the verdict, who decided it, the reason, each gate's finding).
   */
  private static JsonObject completion(JsonObject intent, int fromStation, boolean repeated) {
    String state = intent.getString("state");
    TrackState st = TrackState.parse(state).orElse(TrackState.QUEUED);
    boolean advanced = st == TrackState.STABILIZED || (st.atStation() && st != TrackState.REMEDIATING);
    return new JsonObject().put("completed", true).put("auto_advanced", advanced)
        .put("next_phase", st.atStation() ? intent.getString("current_phase") : null)
        .put("next_station", st.atStation() ? intent.getString("station") : null)
        .put("current_state", state).put("status", intent.getString("status"))
        .put("intent_id", intent.getString("intent_id")).put("repeated", repeated);
  }

  private Future<JsonObject> nothingHeld(String intentId, String executorId) {
    return intent(intentId).compose(intent -> Future.failedFuture(Refusal.conflict("no task of intent " + intentId
            + " is assigned to executor " + executorId + "; pull work first")
        .with("current_state", intent.getString("state")).with("status", intent.getString("status"))
        .with("assigned_to", intent.getString("assigned_to"))));
  }

  private Future<Optional<TaskRow>> heldTask(String intentId, String executorId, String phase) {
    return project(intentId).compose(p -> s.tasks.heldInProject(s.pool, intentId, executorId)).map(held -> {
      if (held.isPresent() && phase != null && !phase.equals(phaseOf(held.get().stationId()))) {
        throw Refusal.conflict("intent " + intentId + " is at phase " + phaseOf(held.get().stationId()) + " (station "
            + held.get().stationId() + "), not " + phase).with("current_phase", phaseOf(held.get().stationId()));
      }
      return held;
    });
  }

  private Future<ProjectRow> project(String intentId) {
    return s.projects.find(s.pool, intentId).map(p -> p.filter(r -> LINE.equals(r.line()) && r.params().getBoolean("intent", false))
        .orElseThrow(() -> Refusal.notFound("no intent " + intentId)));
  }

  /** One intent as the seed's BuildIntent, from its project, track and station tasks. */
  public Future<JsonObject> intent(String intentId) {
    return project(intentId).compose(p -> Future.all(s.tracks.ofProject(s.pool, intentId), s.tasks.ofProject(s.pool, intentId))
        .map(all -> {
          List<TrackRow> tracks = all.resultAt(0);
          List<TaskRow> tasks = all.resultAt(1);
          return view(p, tracks.get(tracks.size() - 1), tasks);
        }));
  }

  private static JsonObject view(ProjectRow p, TrackRow track, List<TaskRow> allTasks) {
    LineDefinition line = Json.line(p.lineDefinition());
    DocumentType type = line.type(track.documentType()).orElseThrow();
    List<TaskRow> tasks = allTasks.stream().filter(t -> t.trackId().equals(track.id())).toList();
    TaskRow current = tasks.stream().filter(t -> t.id().equals(track.currentTaskId())).findFirst().orElse(null);
    StationDef station = type.stations().isEmpty() ? null : type.station(track.stationIndex());
    String status = switch (track.state()) {
      case QUEUED, BLOCKED -> "queued";
      case BINDING, ASSEMBLING, AUDITING, REMEDIATING -> current == null || current.status() == TaskStatus.QUEUED ? "queued"
          : current.progress() == null || current.progress() == 0 ? "assigned" : "in_progress";
      default -> track.state().wire();
    };
    int level = 0;
    Double score = null;
    for (TaskRow t : tasks) {
      if (t.status() == TaskStatus.COMPLETED && "audit".equals(t.stationKind()) && t.result() != null) {
        if ("stabilized".equals(t.outcome())) {
          level = Math.max(level, t.result().getInteger("verification_level", 0));
        }
        if (t.result().getValue("score") instanceof Number n) {
          score = n.doubleValue();
        }
      }
    }
    Map<String, double[]> phases = new LinkedHashMap<>();
    for (int i = 0; i < type.stations().size(); i++) {
      StationDef def = type.station(i);
      if (def.stationKind() == StationKind.REMEDIATE) {
        continue;
      }
      double[] done = phases.computeIfAbsent(phaseOf(def.id()), k -> new double[2]);
      done[1]++;
      int index = i;
      boolean passed = track.state() == TrackState.STABILIZED || tasks.stream().anyMatch(t -> t.stationIndex() == index
          && t.status() == TaskStatus.COMPLETED && "stabilized".equals(t.outcome()) && index < track.stationIndex());
      if (passed) {
        done[0]++;
      } else if (current != null && current.stationIndex() == index && current.progress() != null) {
        done[0] += current.progress();
      }
    }
    JsonObject phaseProgress = new JsonObject();
    phases.forEach((k, v) -> phaseProgress.put(k, round(Math.min(1.0, v[0] / v[1]))));
    JsonObject params = p.params();
    boolean holder = current != null && current.status() == TaskStatus.CLAIMED;
    return new JsonObject()
        .put("intent_id", p.id()).put("title", params.getString("title")).put("spec_path", params.getString("spec_path"))
        .put("priority", params.getInteger("priority", 5)).put("environment_preference", params.getString("environment", "either"))
        .put("created_by", p.createdBy()).put("created_at", p.createdAt().toString())
        .put("status", status).put("state", track.state().wire())
        .put("current_phase", station == null ? null : phaseOf(station.id())).put("station", station == null ? null : station.id())
        .put("station_kind", station == null ? null : station.stationKind().wire())
        .put("assigned_to", holder ? current.executorId() : null)
        .put("assigned_at", holder && current.claimedAt() != null ? current.claimedAt().toString() : null)
        .put("progress", current == null ? null : current.progress())
        .put("progress_message", current == null ? null : current.progressMessage())
        .put("phase_progress", phaseProgress).put("verification_level", level).put("quality_score", score)
        .put("remediation_count", track.remediationCount()).put("reason", track.reason()).put("track_id", track.id())
        .put("requires_human_review", track.state() == TrackState.HALTED || track.state() == TrackState.AWAITING_OPERATOR);
  }

  /** The phase a station belongs to: its id up to the first underscore ({@code spec_audit} → {@code spec}). */
  static String phaseOf(String stationId) {
    int cut = stationId.indexOf('_');
    return cut < 0 ? stationId : stationId.substring(0, cut);
  }

  /**
   * The intent queue as the seed's dashboard shows it: {@code queued} (oldest first, each with its
   * {@code estimated_start} and {@code waiting_for}), {@code in_progress} (phase, executor,
   * progress) and {@code completed} (newest first, with the {@code evidence} of its verification:
   * level, quality score, the audit's checks and findings). Up to 500 intents not archived; the
   * first 20 queued get a forecast each.
   */
  public Future<JsonObject> queue() {
    return s.projects.ofLine(s.reads, LINE, 500).compose(projects -> {
      List<ProjectRow> intents = projects.stream().filter(p -> p.params().getBoolean("intent", false)).toList();
      List<Future<JsonObject>> views = new ArrayList<>();
      for (ProjectRow p : intents) {
        views.add(Future.all(s.tracks.ofProject(s.reads, p.id()), s.tasks.ofProject(s.reads, p.id())).map(all -> {
          List<TrackRow> tracks = all.resultAt(0);
          List<TaskRow> tasks = all.resultAt(1);
          return tracks.isEmpty() ? null : view(p, tracks.get(tracks.size() - 1), tasks).put("evidence", evidence(tasks));
        }));
      }
      return Future.all(views).compose(v -> {
        JsonArray queued = new JsonArray();
        JsonArray inProgress = new JsonArray();
        JsonArray completed = new JsonArray();
        List<Future<Void>> estimates = new ArrayList<>();
        for (int i = 0; i < intents.size(); i++) {
          JsonObject intent = views.get(i).result();
          if (intent == null) {
            continue;
          }
          switch (intent.getString("status")) {
            case "queued" -> {
              queued.add(intent);
              intent.remove("evidence");
              if (estimates.size() < 20) {
                estimates.add(estimate(intents.get(i)).map(e -> {
                  intent.put("estimated_start", e.getString("estimated_start")).put("queue_ahead", e.getLong("queue_ahead"))
                      .put("waiting_for", waitingFor(intent, e));
                  return null;
                }));
              } else {
                intent.put("estimated_start", null).put("waiting_for", "the intents before it");
              }
            }
            case "stabilized", "escalated", "cancelled" -> completed.add(intent);
            default -> {
              // assigned, in progress, or stopped for an operator (requires_human_review says which)
              intent.remove("evidence");
              inProgress.add(intent);
            }
          }
        }
        return Future.all(estimates).map(x -> {
          List<Object> done = new ArrayList<>(completed.getList());
          java.util.Collections.reverse(done);
          return new JsonObject().put("queued", queued).put("in_progress", inProgress)
              .put("completed", new JsonArray(done)).put("as_of", s.clock.instant().toString());
        });
      });
    });
  }

  /** What a queued intent waits for, in words. */
  private static String waitingFor(JsonObject intent, JsonObject estimate) {
    if ("blocked".equals(intent.getString("state"))) {
      return "the documents it depends on";
    }
    if (estimate.getLong("live_executors", 0L) == 0) {
      return "an executor that can build (none is online)";
    }
    long ahead = estimate.getLong("queue_ahead", 0L);
    return ahead == 0 ? "the next free executor" : ahead + " task" + (ahead == 1 ? "" : "s") + " ahead of it";
  }

  /** The verification evidence of an intent: its audits, newest last (outcome, level, score, checks, findings). */
  private static JsonArray evidence(List<TaskRow> tasks) {
    JsonArray out = new JsonArray();
    for (TaskRow t : tasks) {
      if (t.status() != TaskStatus.COMPLETED || !"audit".equals(t.stationKind())) {
        continue;
      }
      JsonObject r = t.result() == null ? new JsonObject() : t.result();
      out.add(new JsonObject().put("station", t.stationId()).put("phase", phaseOf(t.stationId())).put("outcome", t.outcome())
          .put("verification_level", r.getValue("verification_level")).put("score", r.getValue("score"))
          .put("checks", r.getValue("checks")).put("findings", r.getValue("findings")).put("summary", r.getValue("summary"))
          .put("audit", r.getValue("audit")).put("executor_id", t.executorId())
          .put("completed_at", t.completedAt() == null ? null : t.completedAt().toString()));
    }
    return out;
  }

  /** The intent queue at a glance, in the seed's AssemblyLineState shape. */
  public Future<JsonObject> state() {
    Future<JsonObject> counts = s.tasks.intentCounts(s.pool, LINE);
    Future<Optional<Double>> mean = s.tasks.recentStationSeconds(s.pool, CAPABILITY);
    Future<List<JsonObject>> executors = work.executors().list();
    return Future.all(counts, mean, executors).map(all -> {
      JsonObject c = counts.result();
      JsonObject byId = new JsonObject();
      long live = 0;
      for (JsonObject e : executors.result()) {
        if (!e.getJsonArray("capabilities").contains(CAPABILITY)) {
          continue;
        }
        boolean online = !"offline".equals(e.getString("status"));
        live += online ? 1 : 0;
        byId.put(e.getString("executor_id"), new JsonObject()
            .put("executor_id", e.getString("executor_id")).put("executor_type", e.getString("type"))
            .put("environment", e.getString("environment")).put("status", e.getString("status"))
            .put("current_work", e.getString("current_task")).put("capabilities", e.getJsonArray("capabilities"))
            .put("availability", "always").put("builds_completed", e.getLong("stations_completed"))
            .put("avg_build_time", round(e.getLong("average_station_ms") / 1000.0))
            .put("stabilized_share", e.getDouble("stabilized_share"))
            .put("last_heartbeat", e.getString("last_heartbeat")).put("is_healthy", online));
      }
      long queued = c.getLong("waiting") + c.getLong("not_started");
      JsonObject metrics = new JsonObject()
          .put("intents_total", c.getLong("total")).put("queued", queued).put("in_progress", c.getLong("at_executor"))
          .put("stabilized", c.getLong("stabilized")).put("stopped", c.getLong("stopped")).put("closed", c.getLong("closed"))
          .put("average_station_seconds", mean.result().map(IntentService::round).orElse(null))
          .put("live_executors", live);
      JsonObject out = new JsonObject().put("queue_depth", queued).put("in_progress", c.getLong("at_executor"))
          .put("executors", byId).put("metrics", metrics).put("last_sync", s.clock.instant().toString());
      JsonArray missing = new JsonArray();
      if (live == 0) {
        missing.add(CAPABILITY);
        out.put("message", noExecutors());
        out.put("no_executors", new JsonArray().add(new JsonObject().put("capability", CAPABILITY).put("queued", queued)
            .put("message", "No executors available for " + CAPABILITY + " (" + queued + " queued)")));
      }
      metrics.put("no_executors_for", missing);
      return out;
    });
  }

  /** {@code {"name": content}} → the work API's artifact list (text, JSON, or URL by the value). */
  private static JsonArray artifactList(JsonObject artifacts) {
    JsonArray out = new JsonArray();
    if (artifacts == null) {
      return out;
    }
    List<String> names = new ArrayList<>(artifacts.fieldNames());
    for (String name : names) {
      Object v = artifacts.getValue(name);
      JsonObject a = new JsonObject().put("name", name);
      if (v instanceof String str && (str.startsWith("http://") || str.startsWith("https://")) && !str.contains("\n")) {
        a.put("kind", "url").put("url", str);
      } else if (v instanceof String str) {
        a.put("kind", "text").put("content_type", name.endsWith(".md") ? "text/markdown" : "text/plain").put("content", str);
      } else if (v instanceof JsonObject || v instanceof JsonArray || v instanceof Number || v instanceof Boolean) {
        a.put("kind", "json").put("content_type", "application/json").put("content", v);
      } else {
        throw Refusal.badRequest("artifact " + name + ": give text, JSON or an http(s) URL");
      }
      out.add(a);
    }
    return out;
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
