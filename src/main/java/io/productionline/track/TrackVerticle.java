package io.productionline.track;

import io.productionline.Json;
import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.events.Addresses;
import io.productionline.events.Broadcast;
import io.productionline.events.EventType;
import io.productionline.line.AutomationLevel;
import io.productionline.line.CancelKind;
import io.productionline.line.DocumentType;
import io.productionline.line.Gates;
import io.productionline.line.Gates.Verdict;
import io.productionline.line.IllegalMoveException;
import io.productionline.line.InterruptType;
import io.productionline.line.LineDefinition;
import io.productionline.line.Outcome;
import io.productionline.line.StationDef;
import io.productionline.line.StationKind;
import io.productionline.line.TrackMachine;
import io.productionline.line.TrackMachine.Decision;
import io.productionline.line.TrackMachine.Input;
import io.productionline.line.TrackState;
import io.productionline.line.WorkItems;
import io.productionline.store.Ids;
import io.productionline.store.InterruptRepository.InterruptRow;
import io.productionline.store.TaskRow;
import io.productionline.store.TrackRepository.Move;
import io.productionline.store.TrackRepository.NewEvent;
import io.productionline.store.TrackRepository.NextRun;
import io.productionline.store.StaleWriteException;
import io.productionline.store.TrackRow;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Supervises one track: the only writer of its row. Commands arrive at {@code pl.track.<id>} and
 * are handled one at a time, in order. Each command is decided by the pure {@link TrackMachine},
 * written in one transaction (task, track row, interrupt, history) and only then published.
 *
 * <p>Commands ({@code type}): {@code start}, {@code dependency_cleared}, {@code dependency_cancelled},
 * {@code task_completed}, {@code task_lost}, {@code manual_outcome}, {@code resolve}, {@code escalate},
 * {@code cancel}.
 *
 * <p>At an audit station the verticle evaluates the station's gates ({@link Gates}) on the track's
 * artifacts and the completion before the machine decides: a gate that is not met turns a
 * stabilized audit into {@code audit_rejected}. A station with {@code work_items: N} moves only
 * when all N items of its run have completed ({@link WorkItems}).
 */
public final class TrackVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(TrackVerticle.class);

  private final String trackId;
  private final Services s;
  private final TrackSupervisor supervisor;
  private TrackRow track;
  private LineDefinition line;
  private MessageConsumer<JsonObject> consumer;
  private Future<?> tail = Future.succeededFuture();
  /** A write was refused: the supervisor retires this verticle, and it handles nothing more. */
  private boolean retired;

  TrackVerticle(String trackId, Services services, TrackSupervisor supervisor) {
    this.trackId = trackId;
    this.s = services;
    this.supervisor = supervisor;
  }

  @Override
  public Future<?> start() {
    if (!s.lease.held()) {
      return Future.failedFuture(new OwnedElsewhereException(trackId));
    }
    return s.tracks.takeOwnership(s.pool, trackId, s.node.id(), s.lease.epoch())
        .compose(owned -> owned.isPresent()
            ? Future.succeededFuture(owned.get())
            : s.tracks.find(s.pool, trackId).compose(row -> Future.failedFuture(row.isPresent()
                ? new OwnedElsewhereException(trackId) : TrackSupervisor.unknownTrack(trackId))))
        .compose(row -> s.projects.find(s.pool, row.projectId()).map(p -> {
          track = row;
          line = s.lines.ofProject(p.orElseThrow());
          return row;
        }))
        .compose(row -> row.state().terminal() ? Future.succeededFuture(row) : recordSupervision(row))
        .compose(row -> {
          consumer = vertx.eventBus().consumer(Addresses.track(trackId), this::onCommand);
          return consumer.completion();
        })
        .onSuccess(v -> {
          log.debug("Supervising track {} ({}) in state {}", trackId, track.documentType(), track.state());
          if (track.state() == TrackState.BLOCKED) {
            enqueue(new JsonObject().put("type", "dependency_cleared")).onFailure(e -> log.warn("Dependency check of {} refused: {}", trackId, e.getMessage()));
          }
        });
  }

  /**
   * Writes who supervises the track from now on (node and lease epoch) into its history, so
   * ownership can be audited: every {@code station_transition} after it names the same node and
   * epoch, until the next {@code track_supervised}.
   */
  private Future<TrackRow> recordSupervision(TrackRow row) {
    NewEvent supervised = new NewEvent(EventType.TRACK_SUPERVISED, new JsonObject().put("project", row.projectId())
        .put("track_id", row.id()).put("document_type", row.documentType()).put("node", s.node.id())
        .put("epoch", row.ownerEpoch()).put("at", s.clock.instant().toString()));
    return fenced(conn -> s.tracks.append(conn, row.projectId(), row.id(), List.of(supervised), s.clock.instant()))
        .map(events -> {
          events.forEach(e -> Broadcast.publish(vertx.eventBus(), Addresses.project(row.projectId()), e));
          return row;
        });
  }

  @Override
  public Future<?> stop() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  private void onCommand(Message<JsonObject> message) {
    enqueue(message.body()).onComplete(ar -> {
      if (ar.failed() && refused(ar.cause())) {
        // A write was refused: this verticle may have been superseded. It answers nothing more; the supervisor
        // retires it and hands the command to the track's owner.
        supervisor.superseded(track, deploymentID(), message, ar.cause());
        return;
      }
      if (track.state().terminal()) {
        supervisor.retire(trackId, deploymentID());
      }
      if (ar.succeeded()) {
        message.reply(ar.result());
      } else {
        Refusal.reply(message, ar.cause());
      }
    });
  }

  /** Whether {@code e} says this verticle may not write its track any more (and so retires). */
  private static boolean refused(Throwable e) {
    return e instanceof Retired || e instanceof StaleWriteException || e instanceof StaleRun;
  }

  /** Runs commands strictly one after another; none after a refused write (they go on to the track's owner). */
  private Future<JsonObject> enqueue(JsonObject command) {
    Future<JsonObject> result = tail.transform(ignored -> handle(command)).onFailure(e -> retired |= refused(e));
    tail = result.otherwiseEmpty();
    return result;
  }

  private Future<JsonObject> handle(JsonObject cmd) {
    if (retired) {
      return Future.failedFuture(new Retired());
    }
    String type = cmd.getString("type", "");
    return switch (type) {
      case "start", "dependency_cleared" -> start(type.equals("start"));
      case "reconcile" -> reconcile();
      case "dependency_cancelled" -> dependencyCancelled(cmd);
      case "task_completed" -> taskCompleted(cmd);
      case "task_lost" -> taskLost(cmd);
      case "manual_outcome" -> manualOutcome(cmd);
      case "resolve", "escalate" -> answer(cmd, type.equals("escalate"));
      case "cancel" -> cancel(cmd);
      default -> Future.failedFuture(Refusal.badRequest("unknown track command " + type));
    };
  }

  private DocumentType type() {
    return line.type(track.documentType()).orElseThrow(() -> new IllegalStateException(
        "line " + line.name() + " has no document type " + track.documentType()));
  }

  private Future<JsonObject> start(boolean explicit) {
    if (!explicit && track.state() != TrackState.BLOCKED) {
      return Future.succeededFuture(view());
    }
    return openDependencies().compose(open -> {
      var d = s.machine.decide(type(), snapshot(), new TrackMachine.Start(open.isEmpty(), open));
      if (d.isEmpty()) {
        return Future.succeededFuture(view());
      }
      return fenced(conn -> persist(conn, d.get(), List.of(), "line")).compose(this::afterCommit);
    });
  }

  /** A document this one waits for was cancelled for good: a blocked track says so in its reason. */
  private Future<JsonObject> dependencyCancelled(JsonObject cmd) {
    var input = new TrackMachine.DependencyCancelled(cmd.getString("dependency", "a dependency"), cmd.getString("reason"));
    var d = s.machine.decide(type(), snapshot(), input);
    if (d.isEmpty()) {
      return Future.succeededFuture(view());
    }
    return fenced(conn -> persist(conn, d.get(), List.of(), "line")).compose(this::afterCommit);
  }

  private Future<JsonObject> taskCompleted(JsonObject cmd) {
    String taskId = cmd.getString("task_id");
    String token = cmd.getString("lease_token");
    Outcome outcome = Outcome.parse(cmd.getString("outcome", "")).orElse(null);
    if (taskId == null || token == null || outcome == null) {
      return Future.failedFuture(Refusal.badRequest("task_id, lease_token and outcome (stabilized, audit_rejected, needs_input, halted) are required"));
    }
    JsonObject result = cmd.getJsonObject("result", new JsonObject());
    String actor = cmd.getString("executor_id", "executor");
    Decision quick = decidedBeforehand(taskId, outcome, result);
    if (quick == null) {
      return completeThenDecide(taskId, token, outcome, result, actor);
    }
    // The common station (one task, no audit, no interrupt): completion, move and events in one statement.
    return completeAndPersist(quick, taskId, token, outcome, result, actor)
        .compose(w -> w == null ? completeThenDecide(taskId, token, outcome, result, actor) : afterCommit(w));
  }

  /** The general completion: the task completed, then its run's items read, the gates checked, the machine asked. */
  private Future<JsonObject> completeThenDecide(String taskId, String token, Outcome outcome, JsonObject result, String actor) {
    Instant now = s.clock.instant();
    return fenced(conn -> s.tasks.complete(conn, taskId, token, outcome.wire(), result, now)
        .compose(done -> done.isEmpty()
            ? s.tasks.find(conn, taskId).compose(this::refuseCompletion).map(repeat -> (Written) null)
            : itemDone(conn, done.get(), actor, now)))
        .compose(w -> w == null ? Future.succeededFuture(view().put("repeated", true)) : afterCommit(w));
  }

  /**
   * The move a completion of {@code taskId} makes, decided before anything is written, when nothing
   * but the report itself decides it: the track's current task at a station with one work item, no
   * audit (gates read artifacts) and no notice, a move that opens no interrupt and queues at most one
   * task. Null otherwise (and for anything the general path refuses).
   */
  private Decision decidedBeforehand(String taskId, Outcome outcome, JsonObject result) {
    if (!track.state().atStation() || !taskId.equals(track.currentTaskId()) || outcome == Outcome.AUDIT_REJECTED) {
      return null;
    }
    StationDef station = type().station(track.stationIndex());
    if (station.stationKind() == StationKind.AUDIT || Math.max(1, station.workItems()) != 1
        || station.automationLevel() == AutomationLevel.AUTO_NOTIFY) {
      return null;
    }
    Verdict v = Gates.passThrough(outcome, plain(result));
    Decision d = s.machine.decide(type(), snapshot(), new TrackMachine.TaskOutcome(track.stationIndex(), v.outcome(), v.reason(),
        v.detail())).orElse(null);
    if (d == null || d.interrupt() != null || (d.run() != null && Math.max(1, d.run().station().workItems()) != 1)) {
      return null;
    }
    return d;
  }

  /**
   * Writes {@code d} with the completion it follows from, and its events, in one statement that
   * commits on its own. Null when the lease did not hold the task in the current run: nothing was
   * written, and the general path answers.
   */
  private Future<Written> completeAndPersist(Decision d, String taskId, String token, Outcome outcome, JsonObject result,
                                             String actor) {
    int runs = track.runs() + (d.run() != null ? 1 : 0);
    String next = d.run() != null ? Ids.next("task") : d.to().atStation() ? track.currentTaskId() : null;
    var queued = d.run() == null ? null
        : new NextRun(next, type(), d.run(), runs, d.remediationCount());
    int keepRun = d.to().atStation() ? runs : -1;
    // The statement adds the project's summary after the move to the line_progress event.
    List<NewEvent> events = events(d, List.of(), List.of(), null, next, null, null);
    return s.tracks.completeMoveAndAppend(s.pool, track, move(d, runs, next), keepRun, d.at(), taskId, token, outcome.wire(), result,
            queued, events)
        .map(done -> done.isEmpty() ? null : moved(d, actor, actor, done.get().attempt(), runs, next, done.get().events()));
  }

  /**
   * A task of the current station run has completed (its row is written, in {@code conn}'s
   * transaction). While other work items of the run are open, only that is recorded. When it was the
   * last: the items' verdicts (with the gates at an audit) are combined, the machine decides, and the
   * move is written.
   */
  private Future<Written> itemDone(SqlConnection conn, TaskRow task, String actor, Instant now) {
    if (!trackId.equals(task.trackId()) || !track.state().atStation() || task.runNo() != track.runs()
        || task.stationIndex() != track.stationIndex()) {
      // The run this verticle knows is not the task's: another node may have moved the track since.
      return Future.failedFuture(new StaleRun(Refusal.conflict("task " + task.id() + " is not a task of the track's current station run")
          .with("current_state", track.state().wire())));
    }
    StationDef station = type().station(track.stationIndex());
    Outcome outcome = Outcome.parse(task.outcome()).orElseThrow();
    if (outcome == Outcome.AUDIT_REJECTED && station.stationKind() != StationKind.AUDIT) {
      return Future.failedFuture(new IllegalMoveException(track.state(), "report audit_rejected at a " + station.stationKind().wire() + " station"));
    }
    // A station with one work item has one task per run: the one that just completed. Only a
    // multi-operator station reads its run's other items (never the track's earlier runs).
    Future<List<TaskRow>> ofRun = Math.max(1, station.workItems()) == 1 && item(task) == 1
        ? Future.succeededFuture(List.of(task))
        : s.tasks.ofRun(conn, trackId, task.runNo());
    return ofRun.compose(all -> {
      List<TaskRow> run = all.stream().sorted(Comparator.comparingInt(TrackVerticle::item)).toList();
      long complete = run.stream().filter(t -> "completed".equals(t.status())).count();
      if (complete < run.size()) {
        NewEvent e = TrackEvents.workItemComplete(track, station, item(task), (int) complete, run.size(), outcome.wire(), actor, now);
        return s.tracks.append(conn, track.projectId(), trackId, List.of(e), now).map(events -> new Written(track, events));
      }
      boolean audit = station.stationKind() == StationKind.AUDIT;
      Future<List<Gates.Artifact>> artifacts = audit && !station.gates().isEmpty()
          ? s.tasks.artifactsOfTrack(conn, trackId, true).map(TrackVerticle::artifacts)
          : Future.succeededFuture(List.of());
      return artifacts.compose(arts -> {
        List<Verdict> verdicts = run.stream().map(t -> verdict(station, t, arts)).toList();
        Verdict v = WorkItems.combine(verdicts);
        Decision d = s.machine.decide(type(), snapshot(), new TrackMachine.TaskOutcome(track.stationIndex(), v.outcome(), v.reason(),
            v.detail())).orElseThrow();
        Future<Void> kept = Future.succeededFuture();
        for (int i = 0; i < run.size() && audit; i++) {
          TaskRow t = run.get(i);
          Verdict own = verdicts.get(i);
          kept = kept.compose(x -> s.tracks.annotateTask(conn, t.id(), own.outcome().wire(), new JsonObject(own.audit())));
        }
        List<NewEvent> after = station.automationLevel() == AutomationLevel.AUTO_NOTIFY
            ? List.of(TrackEvents.operatorNotice(track, station, v.outcome().wire(), d)) : List.of();
        JsonObject auditJson = v.audit() == null ? null : new JsonObject(v.audit());
        if (auditJson != null && "gate".equals(auditJson.getString("decided_by"))) {
          log.info("Audit {} of track {} rejected by a gate: {}", station.id(), trackId, v.reason());
        }
        return kept.compose(x -> persist(conn, d, List.of(), after, actor, auditJson, task));
      });
    });
  }

  /** One item's verdict: at an audit, the executor's outcome combined with the station's gates. */
  private static Verdict verdict(StationDef station, TaskRow t, List<Gates.Artifact> artifacts) {
    Outcome o = Outcome.parse(t.outcome()).orElseThrow();
    Map<String, Object> completion = plain(t.result());
    if (station.stationKind() != StationKind.AUDIT) {
      return Gates.passThrough(o, completion);
    }
    List<Gates.Check> checks = o == Outcome.STABILIZED || o == Outcome.AUDIT_REJECTED
        ? Gates.evaluate(station.gates(), Gates.Evidence.of(artifacts, completion)) : List.of();
    return Gates.audit(o, completion, checks);
  }

  private static List<Gates.Artifact> artifacts(JsonArray rows) {
    List<Gates.Artifact> out = new ArrayList<>();
    for (Object o : rows) {
      JsonObject a = (JsonObject) o;
      out.add(new Gates.Artifact(a.getString("name"), a.getString("kind"), a.getString("content")));
    }
    return out;
  }

  /** A task's item number (1 for a station without work items). */
  static int item(TaskRow t) {
    return t.input() == null ? 1 : t.input().getInteger("item", 1);
  }

  /** A JSON object as plain Java maps and lists, all the way down. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> plain(JsonObject o) {
    return o == null ? Map.of() : (Map<String, Object>) io.vertx.core.json.Json.decodeValue(o.encode(), Map.class);
  }

  /** A completion that matched no claimed task: a harmless repeat, or a stale lease (409). */
  private Future<Boolean> refuseCompletion(Optional<TaskRow> task) {
    if (task.isEmpty()) {
      return Future.failedFuture(Refusal.notFound("no station task with that id"));
    }
    TaskRow t = task.get();
    if ("completed".equals(t.status()) && t.leaseToken() != null) {
      return Future.succeededFuture(true);
    }
    String why = switch (t.status()) {
      case "cancelled" -> "the task was cancelled by an operator";
      case "dropped" -> "the task was dropped after its attempts ran out";
      case "queued" -> "the lease expired and the task was queued again";
      default -> "the lease token does not hold this task (attempt " + t.attempt() + " holds it)";
    };
    return Future.failedFuture(Refusal.conflict("stale lease: " + why).with("task_status", t.status()));
  }

  /**
   * The reconciliation found this track where a lost command would leave it: blocked (its
   * dependencies may have cleared), a queued qc_reject replacement (its start may have been lost),
   * or at a station whose current run has no open task (its loss was never taken: the track halts
   * with an interrupt, so an operator sees it). Anything else: nothing to do.
   */
  private Future<JsonObject> reconcile() {
    if (track.state() == TrackState.BLOCKED) {
      return start(false);
    }
    if (track.state() == TrackState.QUEUED && track.replaces() != null) {
      return start(true);
    }
    if (!track.state().atStation()) {
      return Future.succeededFuture(view());
    }
    return fenced(conn -> s.tasks.ofRun(conn, trackId, track.runs()).compose(run -> {
      if (run.stream().anyMatch(t -> "queued".equals(t.status()) || "claimed".equals(t.status()))) {
        return Future.succeededFuture((Written) null);
      }
      int attempts = run.stream().mapToInt(TaskRow::attempt).max().orElse(0);
      log.warn("Track {} is at station {} with no open task in run {}; it halts for an operator", trackId, track.stationIndex(), track.runs());
      var input = new TrackMachine.TaskLost(track.stationIndex(), attempts, "its station run has no open task");
      return persist(conn, s.machine.decide(type(), snapshot(), input).orElseThrow(), List.of(), List.of(), "reconciliation", null, null);
    })).compose(w -> w == null ? Future.succeededFuture(view()) : afterCommit(w));
  }

  private Future<JsonObject> taskLost(JsonObject cmd) {
    String taskId = cmd.getString("task_id");
    String token = cmd.getString("lease_token");
    int attempts = cmd.getInteger("attempt", 0);
    if (!track.state().atStation() || taskId == null) {
      return Future.succeededFuture(view());
    }
    return s.tasks.find(s.pool, taskId).compose(found -> {
      if (found.isEmpty() || !trackId.equals(found.get().trackId()) || found.get().runNo() != track.runs()) {
        return Future.succeededFuture(view());
      }
      return fenced(conn -> s.tasks.drop(conn, taskId, token, s.clock.instant()).compose(dropped -> {
        if (!dropped) {
          return Future.succeededFuture((Written) null);
        }
        var input = new TrackMachine.TaskLost(track.stationIndex(), attempts, cmd.getString("reason", "executor stopped answering"));
        Decision d = s.machine.decide(type(), snapshot(), input).orElseThrow();
        return persist(conn, d, List.of(), List.of(), "rescue", null, found.get());
      })).compose(w -> w == null ? Future.succeededFuture(view()) : afterCommit(w));
    });
  }

  /**
   * An operator reports the outcome of the current station, which must be {@code manual}: its open
   * task (or the given work item's) completes with that outcome, artifacts the operator sent are
   * kept, and the track moves as it would on an executor's report (gates included).
   */
  private Future<JsonObject> manualOutcome(JsonObject cmd) {
    Outcome outcome = Outcome.parse(cmd.getString("outcome", "")).orElse(null);
    if (outcome == null) {
      return Future.failedFuture(Refusal.badRequest("outcome must be one of stabilized, audit_rejected, needs_input, halted"));
    }
    if (!track.state().atStation()) {
      return Future.failedFuture(new IllegalMoveException(track.state(), "report a manual station outcome"));
    }
    StationDef station = type().station(track.stationIndex());
    if (station.automationLevel() != AutomationLevel.MANUAL) {
      return Future.failedFuture(Refusal.conflict("station " + station.id() + " runs " + station.automation()
              + "; its executor reports the outcome, not an operator")
          .with("station", station.id()).with("automation", station.automation()));
    }
    String actor = cmd.getString("actor", "operator");
    Integer item = cmd.getInteger("item");
    JsonObject result = cmd.getJsonObject("result", new JsonObject());
    JsonArray sent = cmd.getJsonArray("artifacts", new JsonArray());
    Instant now = s.clock.instant();
    return fenced(conn -> s.tasks.ofTrack(conn, trackId).compose(all -> {
      List<TaskRow> open = all.stream()
          .filter(t -> t.runNo() == track.runs() && "queued".equals(t.status()) && (item == null || item(t) == item))
          .sorted(Comparator.comparingInt(TrackVerticle::item)).toList();
      if (open.isEmpty()) {
        return Future.failedFuture(Refusal.conflict("no open task at manual station " + station.id()
            + (item == null ? "" : " for work item " + item)));
      }
      Future<TaskRow> last = Future.succeededFuture();
      for (TaskRow t : open) {
        last = last.compose(x -> s.tracks.completeManual(conn, t.id(), actor, outcome.wire(), result, now)
            .map(r -> r.orElseThrow(() -> Refusal.conflict("task " + t.id() + " was reported meanwhile"))));
      }
      return last.compose(done -> {
        Future<Void> stored = Future.succeededFuture();
        for (Object o : sent) {
          JsonObject a = (JsonObject) o;
          Object c = a.getValue("content");
          String content = c == null ? null : c instanceof String str ? str : io.vertx.core.json.Json.encode(c);
          int size = content == null ? 0 : content.getBytes(StandardCharsets.UTF_8).length;
          stored = stored.compose(x -> s.tasks.putArtifact(conn, done, a.getString("name"), a.getString("kind"),
              a.getString("content_type"), content, a.getString("url"), size, now));
        }
        return stored.compose(x -> itemDone(conn, done, actor, now))
            .compose(w -> s.tracks.audit(conn, actor, "manual_outcome", trackId, new JsonObject()
                .put("document_type", track.documentType()).put("station", station.id()).put("outcome", outcome.wire())
                .put("reason", result.getString("reason")).put("item", item), now).map(w));
      });
    })).compose(this::afterCommit);
  }

  private Future<JsonObject> answer(JsonObject cmd, boolean escalate) {
    String interruptId = cmd.getString("interrupt_id");
    String actor = cmd.getString("actor", "operator");
    JsonObject resolution = cmd.getJsonObject("resolution", new JsonObject());
    String notes = cmd.getString("notes", resolution.getString("notes"));
    Instant now = s.clock.instant();
    return s.interrupts.find(s.pool, interruptId).compose(found -> {
      InterruptRow it = found.filter(i -> i.trackId().equals(trackId))
          .orElseThrow(() -> Refusal.notFound("no interrupt " + interruptId + " on track " + trackId));
      if (!"open".equals(it.status())) {
        return Future.failedFuture(Refusal.conflict("interrupt " + interruptId + " is already " + it.status()).with("interrupt_status", it.status()));
      }
      String expected = cmd.getString("expected_type");
      if (expected != null && !expected.equals(it.type())) {
        return Future.failedFuture(Refusal.conflict("interrupt " + interruptId + " is " + article(it.type()) + " " + it.type()
                + " interrupt, not " + article(expected) + " " + expected + "; nothing was changed")
            .with("interrupt_type", it.type()).with("attempted", expected));
      }
      InterruptType itType = InterruptType.parse(it.type()).orElseThrow();
      if (!escalate && (itType == InterruptType.CLARIFICATION || itType == InterruptType.CONSTRAINT_CONFLICT)
          && resolution.fieldNames().stream().noneMatch(k -> !k.equals("notes") && !isEmpty(resolution.getValue(k)))) {
        return Future.failedFuture(Refusal.badRequest("a " + it.type() + " interrupt needs an answer: send answers (an object) or a resolution")
            .with("interrupt_type", it.type()).with("payload", it.payload()));
      }
      if (!escalate && itType == InterruptType.AUDIT_REVIEW && isEmpty(notes)) {
        return Future.failedFuture(Refusal.badRequest("an audit_review needs the operator's choice: re-run the station with notes"
                + " (resolve with notes saying what to change) or acknowledge & continue (escalate); nothing was changed")
            .with("interrupt_type", it.type()).with("choices", new JsonArray().add("resolve with notes").add("escalate")));
      }
      Input input = escalate
          ? new TrackMachine.Escalate(notes)
          : new TrackMachine.OperatorAnswer(itType, plain(resolution));
      Decision d = s.machine.decide(type(), snapshot(), input).orElseThrow();
      JsonObject stored = escalate ? new JsonObject().put("notes", notes) : resolution;
      NewEvent resolved = TrackEvents.interruptResolved(track, interruptId, escalate ? "escalated" : "resolved", stored, actor, d);
      return fenced(conn -> s.interrupts.close(conn, interruptId, escalate ? "escalated" : "resolved", actor, stored, now)
          .compose(closed -> closed
              ? persist(conn, d, List.of(resolved), actor)
              : Future.failedFuture(Refusal.conflict("interrupt " + interruptId + " was answered meanwhile")))
          .compose(w -> s.tracks.audit(conn, actor, escalate ? "escalate" : "resolve", interruptId,
              new JsonObject().put("track_id", trackId).put("document_type", track.documentType())
                  .put("notes", notes).put("resolution", stored), now).map(w)))
          .compose(this::afterCommit);
    });
  }

  private Future<JsonObject> cancel(JsonObject cmd) {
    CancelKind kind = CancelKind.parse(cmd.getString("kind", "")).orElse(null);
    if (kind == null) {
      return Future.failedFuture(Refusal.badRequest("kind must be one of qc_reject, redesign, permanent"));
    }
    if (kind == CancelKind.PERMANENT && track.state().terminal()) {
      // A finished document has nothing left to cancel; quality control reopens it with qc_reject or redesign.
      return Future.failedFuture(Refusal.conflict("track " + trackId + " is already " + track.state().wire()
              + ": nothing to cancel; a QC reject or a redesign produces it again; nothing was changed")
          .with("current_state", track.state().wire()).with("attempted", "cancel"));
    }
    String actor = cmd.getString("actor", "operator");
    String reason = cmd.getString("reason", "");
    Instant now = s.clock.instant();
    Decision d = s.machine.decide(type(), snapshot(), new TrackMachine.Cancel(kind, reason)).orElseThrow();
    record Cancelled(Written written, String replacement) {
    }
    String why = "track cancelled (" + kind.wire() + ")";
    return fenced(conn -> s.tracks.withdrawInterrupts(conn, trackId, why, now)
            .compose(ids -> persist(conn, d, ids.stream().map(id -> TrackEvents.interruptResolved(track, id, "withdrawn",
                new JsonObject().put("withdrawn", why), actor, d)).toList(), actor))
            .compose(w -> s.tracks.audit(conn, actor, "cancel", trackId,
                new JsonObject().put("kind", kind.wire()).put("reason", reason).put("document_type", track.documentType()), now)
                .compose(v -> kind == CancelKind.QC_REJECT ? supervisor.insertReplacement(conn, track, now) : Future.succeededFuture((String) null))
                .compose(replacement -> (kind == CancelKind.REDESIGN ? rebind(conn) : Future.<Void>succeededFuture())
                    .map(v -> new Cancelled(w, replacement)))))
        .compose(c -> afterCommit(c.written()).compose(view -> {
          log.info("Track {} {} cancelled ({}) by {}", trackId, track.documentType(), kind.wire(), actor,
              net.logstash.logback.argument.StructuredArguments.entries(new JsonObject().put("event", "cancelled")
                  .put("track_id", trackId).put("project", track.projectId()).put("document_type", track.documentType())
                  .put("kind", kind.wire()).put("actor", actor).put("reason", reason)
                  .put("replacement_track_id", c.replacement()).getMap()));
          String replacement = c.replacement();
          if (replacement != null) {
            JsonObject start = new JsonObject().put("type", "start");
            // The cancel is committed: a replacement that did not take its start now is sent it again, and the
            // reconciliation starts it should that be lost too.
            return supervisor.send(replacement, start).map(r -> view.put("replacement_track_id", replacement))
                .recover(e -> {
                  supervisor.sendUntilTaken(replacement, start);
                  return Future.succeededFuture(view.put("replacement_track_id", replacement));
                });
          }
          if (kind == CancelKind.REDESIGN) {
            return start(true);
          }
          if (kind == CancelKind.PERMANENT) {
            return supervisor.blockDependents(track, line, track.reason()).map(n -> view.put("dependents_blocked", n));
          }
          return Future.succeededFuture(view);
        }));
  }

  /** Redesign: the project follows the line's current definition. */
  private Future<Void> rebind(SqlConnection conn) {
    Optional<LineDefinition> current = s.lines.find(line.name());
    if (current.isEmpty() || current.get().type(track.documentType()).isEmpty()) {
      return Future.succeededFuture();
    }
    line = current.get();
    return s.projects.updateDefinition(conn, track.projectId(), Json.toJson(line));
  }

  /**
   * A transaction of this track's writes behind its fence ({@code TrackRepository.fence}): it
   * writes nothing unless this node, under its epoch, still owns the track with a valid lease.
   */
  private <T> Future<T> fenced(Function<SqlConnection, Future<T>> writes) {
    return s.pool.withTransaction(conn -> s.tracks.fence(conn, track).compose(v -> writes.apply(conn)));
  }

  /** A refusal that means this verticle's view of the track is behind: the task is not of the run it knows. */
  static final class StaleRun extends RuntimeException {
    private final Refusal refusal;

    StaleRun(Refusal refusal) {
      super(refusal.getMessage(), null, false, false);
      this.refusal = refusal;
    }

    Refusal refusal() {
      return refusal;
    }
  }

  /** A command that reached this verticle after it retired: it goes on to the track's next verticle. */
  static final class Retired extends RuntimeException {
    Retired() {
      super("the track's verticle here retired", null, false, false);
    }
  }

  /** A move written in a transaction that has not committed yet: the new row and its events. */
  private record Written(TrackRow next, List<JsonObject> events) {
  }

  /** Writes a decided move in the caller's transaction: new task, old tasks dropped, track row, interrupt, history. */
  private Future<Written> persist(SqlConnection conn, Decision d, List<NewEvent> extra, String actor) {
    return persist(conn, d, extra, List.of(), actor, null, null);
  }

  /**
   * Writes a decided move: {@code before} events precede the move's own, {@code after} events
   * follow them; {@code audit} (the server's audit of the station) goes on the transition event;
   * {@code cause}, when not null, is the station task whose outcome or loss made the move (its
   * executor and attempt go into the structured log line).
   */
  private Future<Written> persist(SqlConnection conn, Decision d, List<NewEvent> extra, List<NewEvent> after, String actor,
                                  JsonObject audit, TaskRow cause) {
    Instant now = d.at();
    int runs = track.runs() + (d.run() != null ? 1 : 0);
    Future<String> task = d.run() != null
        ? s.tracks.insertTask(conn, track, type(), d.run(), runs, d.remediationCount(), now)
        : Future.succeededFuture(d.to().atStation() ? track.currentTaskId() : null);
    int keepRun = d.to().atStation() ? runs : -1;
    // One statement withdraws other runs' open tasks, moves the track (compare-and-set) and counts the project's tracks.
    return task.compose(taskId -> s.tracks.move(conn, track, move(d, runs, taskId), keepRun, now)
        .compose(summary -> written(conn, d, extra, after, actor, audit, cause == null ? null : cause.executorId(),
            cause == null ? null : cause.attempt(), runs, taskId, summary)));
  }

  private static Move move(Decision d, int runs, String taskId) {
    return new Move(d.to(), d.stationIndex(), d.remediationCount(), runs, taskId, d.reason());
  }

  /**
   * The rest of a move, after the track's row: the interrupt it opens, its events appended (the
   * transaction's last write), and its log line. {@code executor} and {@code attempt} name the
   * task whose outcome or loss made the move, when one did.
   */
  private Future<Written> written(SqlConnection conn, Decision d, List<NewEvent> extra, List<NewEvent> after, String actor,
                                  JsonObject audit, String executor, Integer attempt, int runs, String taskId, JsonObject summary) {
    Future<String> interrupt = d.interrupt() == null
        ? Future.succeededFuture()
        : s.tracks.insertInterrupt(conn, track, d.stationIndex(), d.interrupt(), d.at());
    return interrupt
        .compose(interruptId -> s.tracks.append(conn, track.projectId(), trackId, events(d, extra, after, interruptId, taskId, summary, audit),
            d.at()))
        .map(published -> moved(d, actor, executor, attempt, runs, taskId, published));
  }

  /** The events of a move, in order: {@code extra}, the move's own, {@code after}. */
  private List<NewEvent> events(Decision d, List<NewEvent> extra, List<NewEvent> after, String interruptId, String taskId,
                                JsonObject summary, JsonObject audit) {
    List<NewEvent> events = new ArrayList<>(extra);
    TrackEvents.of(track, type(), d, taskId, interruptId, summary, audit).forEach(e -> events.add(
        EventType.STATION_TRANSITION.equals(e.type())
            ? new NewEvent(e.type(), e.payload().put("node", track.ownerNode()).put("epoch", track.ownerEpoch())) : e));
    events.addAll(after);
    return events;
  }

  /** A move whose events were appended ({@code published}): the track's new row, and the move's log line. */
  private Written moved(Decision d, String actor, String executor, Integer attempt, int runs, String taskId, List<JsonObject> published) {
    Instant now = d.at();
    DocumentType type = type();
    TrackRow before = track;
    TrackRow next = new TrackRow(before.id(), before.projectId(), before.documentType(), d.to(), d.stationIndex(), d.remediationCount(),
        runs, taskId, d.reason(), before.version() + 1, before.ownerNode(), before.ownerEpoch(), before.replaces(), before.createdAt(), now,
        d.to().terminal() ? now : null);
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("event", "transition");
    fields.put("track_id", trackId);
    fields.put("project", before.projectId());
    fields.put("document_type", before.documentType());
    fields.put("station", type.station(d.stationIndex()).id());
    fields.put("from", d.from().wire());
    fields.put("to", d.to().wire());
    fields.put("executor", executor);
    fields.put("attempt", attempt);
    fields.put("actor", actor);
    fields.put("reason", d.reason());
    log.info("Track {} {} moved {} -> {} at station {}", trackId, before.documentType(), d.from().wire(), d.to().wire(),
        type.station(d.stationIndex()).id(), net.logstash.logback.argument.StructuredArguments.entries(fields));
    return new Written(next, published);
  }

  /** After the commit: publish, wake executors, clear dependents, and retire when terminal. */
  private Future<JsonObject> afterCommit(Written written) {
    if (written.next() != track) {
      s.metrics.transition(written.next().state().wire());
    }
    track = written.next();
    for (JsonObject e : written.events()) {
      Broadcast.publish(vertx.eventBus(), Addresses.project(track.projectId()), e);
    }
    if (track.state().atStation()) {
      vertx.eventBus().publish(Addresses.WORK_AVAILABLE, new JsonObject().put("track_id", trackId));
    }
    if (track.state().clearsDependents()) {
      supervisor.clearDependents(track, line);
    }
    if (track.state() == TrackState.BLOCKED && written.events().stream().anyMatch(e -> EventType.STATION_TRANSITION.equals(e.getString("type")))) {
      // A dependency may have stabilized between our reading it open and this commit; its clearance then
      // found us not yet blocked. Looking once more after the commit closes that window.
      enqueue(new JsonObject().put("type", "dependency_cleared"));
    }
    return Future.succeededFuture(view());
  }

  /** The dependencies that are still open ({@link Tracks#openDependencies}). */
  private Future<List<String>> openDependencies() {
    List<String> deps = type().dependsOn();
    if (deps.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return s.tracks.ofProject(s.pool, track.projectId()).map(rows -> Tracks.openDependencies(rows, deps));
  }

  private static boolean isEmpty(Object v) {
    return v == null || (v instanceof String str && str.isBlank()) || (v instanceof JsonObject o && o.isEmpty())
        || (v instanceof JsonArray a && a.isEmpty());
  }

  private static String article(String word) {
    return word != null && !word.isEmpty() && "aeiou".indexOf(word.charAt(0)) >= 0 ? "an" : "a";
  }

  private TrackMachine.Snapshot snapshot() {
    return new TrackMachine.Snapshot(track.state(), track.stationIndex(), track.remediationCount());
  }

  private JsonObject view() {
    return new JsonObject().put("track_id", trackId).put("project_id", track.projectId())
        .put("document_type", track.documentType()).put("state", track.state().wire())
        .put("station_index", track.stationIndex()).put("remediation_count", track.remediationCount())
        .put("reason", track.reason());
  }
}
