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
import io.productionline.line.FanOut;
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
import io.productionline.store.StaleWriteException;
import io.productionline.store.TaskStatus;
import io.productionline.store.TrackWrite;
import io.productionline.store.TrackRow;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
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
 * written as one statement ({@link TrackWrite}: the tasks, the track's row, the interrupt, the
 * history; fenced by the node's lease) and only then published.
 *
 * <p>Commands ({@code type}): {@code start}, {@code dependency_cleared}, {@code dependency_cancelled},
 * {@code task_completed}, {@code task_lost}, {@code manual_outcome}, {@code resolve}, {@code escalate},
 * {@code cancel}, {@code reconcile}.
 *
 * <p>A station's completion, an executor's ({@code task_completed}) or an operator's at a manual
 * station ({@code manual_outcome}), takes one path, {@link #complete}: whatever the station, the
 * items of its run are combined ({@link WorkItems}; a station with {@code work_items: N} moves only
 * when all N have completed), at an audit the station's gates ({@link Gates}) are evaluated on the
 * track's artifacts and the report (a gate that is not met turns a stabilized audit into
 * {@code audit_rejected}), the machine decides, and the completion, the move and its events are
 * one statement.
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
        .compose(row -> s.lines.linesOf(s.pool, s.projects, List.of(row.projectId())).map(found -> {
          track = row;
          line = java.util.Optional.ofNullable(found.get(row.projectId())).orElseThrow().line();
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
    // One statement, fenced by itself: it writes nothing unless this node, under its epoch, owns the track.
    return TrackWrite.of(row, s.clock.instant()).events(List.of(supervised)).execute(s.pool)
        .map(written -> {
          written.events().forEach(e -> Broadcast.publish(vertx.eventBus(), Addresses.project(row.projectId()), e));
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
    if (explicit && track.state() != TrackState.QUEUED) {
      // Started since the operator's command read it queued (by the reconciliation of a start it took for lost, or a
      // Run Full Line pressed twice): the command asked for what is done.
      return Future.succeededFuture(view());
    }
    return openDependencies().compose(open -> {
      var d = s.machine.decide(type(), snapshot(), new TrackMachine.Start(open.isEmpty(), open));
      if (d.isEmpty()) {
        return Future.succeededFuture(view());
      }
      // One statement on the pool, fenced by its own compare-and-set as a completion's move is: it goes through group
      // commit, so a project's starts go together and never wait for each other's lock on the project's row.
      return persist(s.pool, d.get(), List.of(), "line").compose(this::afterCommit);
    });
  }

  /** A document this one waits for was cancelled for good: a blocked track says so in its reason. */
  private Future<JsonObject> dependencyCancelled(JsonObject cmd) {
    var input = new TrackMachine.DependencyCancelled(cmd.getString("dependency", "a dependency"), cmd.getString("reason"));
    var d = s.machine.decide(type(), snapshot(), input);
    if (d.isEmpty()) {
      return Future.succeededFuture(view());
    }
    return persist(s.pool, d.get(), List.of(), "line").compose(this::afterCommit);
  }

  private Future<JsonObject> taskCompleted(JsonObject cmd) {
    // The report was checked at the HTTP edge (StationReport); the command carries it as it was checked.
    StationReport report = StationReport.fromCommand(cmd);
    String taskId = cmd.getString("task_id");
    String token = cmd.getString("lease_token");
    String actor = cmd.getString("executor_id", "executor");
    Completing c = new Completing(List.of(taskId), token, report, actor);
    return complete(s.pool, c).compose(w -> w == null ? notCompleted(taskId, token) : afterCommit(w));
  }

  /**
   * What completes: {@code tasks} of the track's current station run, held under {@code leaseToken}
   * (an executor's report), or queued at a manual station ({@code leaseToken} null: an operator's).
   */
  private record Completing(List<String> tasks, String leaseToken, StationReport report, String actor) {
    boolean manual() {
      return leaseToken == null;
    }
  }

  /**
   * The one completion path, whatever the station: plain, audit (gates), work items, a report that
   * opens an interrupt, an operator's report at a manual station. Reads only what the decision
   * needs (the run's other items at a multi-operator station, the track's artifacts at an audit with
   * gates), decides (the items' verdicts combined, the machine asked), and writes the completion,
   * the move, its interrupt and its events as one statement ({@link TrackWrite}) on {@code db}: the
   * pool (it commits on its own, one round trip) or an operator's transaction. Null when the tasks
   * were not open in the track's current run (nothing was written).
   */
  private Future<Written> complete(SqlClient db, Completing c) {
    if (!track.state().atStation()) {
      return Future.succeededFuture();
    }
    StationDef station = type().station(track.stationIndex());
    Outcome outcome = c.report().outcome();
    if (outcome == Outcome.AUDIT_REJECTED && station.stationKind() != StationKind.AUDIT) {
      return Future.failedFuture(new IllegalMoveException(track.state(), "report audit_rejected at a " + station.stationKind().wire() + " station"));
    }
    boolean items = Math.max(1, station.workItems()) > 1;
    if (!items && !c.manual() && !c.tasks().get(0).equals(track.currentTaskId())) {
      return Future.succeededFuture();
    }
    boolean audit = station.stationKind() == StationKind.AUDIT;
    // A station with one work item has one task per run: the one reported. Only a multi-operator station (or a manual
    // one, whose operator names no task) reads its run's tasks (never the track's earlier runs).
    Future<List<TaskRow>> ofRun = items || c.manual() ? s.tasks.ofRun(db, trackId, track.runs()) : Future.succeededFuture(List.of());
    Future<List<Gates.Artifact>> artifacts = audit && !station.gates().isEmpty()
        ? s.tasks.artifactsOfTrack(db, trackId, true).map(TrackVerticle::artifacts)
        : Future.succeededFuture(List.of());
    return Future.all(ofRun, artifacts).compose(x -> {
      List<Item> run = items(c, ofRun.result());
      if (run == null) {
        return Future.succeededFuture();
      }
      long complete = run.stream().filter(Item::complete).count();
      if (complete < run.size()) {
        Instant now = s.clock.instant();
        int item = run.stream().filter(i -> c.tasks().contains(i.taskId())).mapToInt(Item::item).max().orElse(1);
        NewEvent e = TrackEvents.workItemComplete(track, station, item, (int) complete, run.size(), outcome.wire(), c.actor(), now);
        return completion(TrackWrite.of(track, now), c, c.report().result(), outcome).events(List.of(e)).execute(db)
            .map(r -> r.completed() ? new Written(track, r.events()) : null);
      }
      List<Verdict> verdicts = run.stream().map(i -> verdict(station, i.outcome(), i.result(), artifacts.result())).toList();
      Verdict v = WorkItems.combine(verdicts);
      Decision decided = s.machine.decide(type(), snapshot(), new TrackMachine.TaskOutcome(track.stationIndex(), v.outcome(), v.reason(),
          v.detail())).orElseThrow();
      return fanOut(db, station, c, decided).compose(fan -> {
        Decision d = fan.decision();
        // At an audit the server's verdict of each item (its gates) is kept on the item: the reported ones with their report,
        // the items that completed before as annotations.
        JsonObject stored = c.report().result();
        Outcome storedOutcome = outcome;
        List<TrackWrite.Annotation> others = new ArrayList<>();
        for (int i = 0; i < run.size() && audit; i++) {
          Verdict own = verdicts.get(i);
          if (c.tasks().contains(run.get(i).taskId())) {
            stored = stored.copy().put("audit", new JsonObject(own.audit()));
            storedOutcome = own.outcome();
          } else {
            others.add(new TrackWrite.Annotation(run.get(i).taskId(), own.outcome().wire(), new JsonObject(own.audit())));
          }
        }
        List<NewEvent> after = station.automationLevel() == AutomationLevel.AUTO_NOTIFY
            ? List.of(TrackEvents.operatorNotice(track, station, v.outcome().wire(), d)) : List.of();
        JsonObject auditJson = v.audit() == null ? null : new JsonObject(v.audit());
        if (auditJson != null && "gate".equals(auditJson.getString("decided_by"))) {
          log.info("{} / {}: audit {} rejected by a gate: {} (track {})", track.projectId(), track.documentType(), station.id(), v.reason(), trackId);
        }
        TrackWrite w = completion(TrackWrite.of(track, d.at()), c, stored, storedOutcome).annotate(others);
        List<String> children = fan.items() == null ? List.of() : w.fanOut(type().fanOut().childType(), fan.items());
        List<NewEvent> events = fan.items() == null ? after : java.util.stream.Stream.concat(after.stream(),
            java.util.stream.Stream.of(TrackEvents.fanOut(track, type().fanOut(), children, d))).toList();
        return write(db, w, d, List.of(), events, c.actor(), auditJson, c.actor(), null)
            .map(written -> written == null ? null : written.withChildren(children))
            .map(written -> written == null || auditJson == null ? written : written.audited(auditJson.copy().put("reason", v.reason())));
      });
    });
  }

  /** A decision, and the items of the fan-out it makes (null: none). */
  private record Fan(Decision decision, List<Object> items) {
  }

  /**
   * The fan-out of a move to stabilized, when the type has one: the items listed by the result of
   * the fan-out station (the report in hand when that is the station completing now, else the
   * latest completed run of it). A result whose field is missing, not a list or longer than
   * {@code max_items} creates no child: the track halts instead, with an audit_review interrupt whose
   * reason says what was wrong (an operator re-runs the station or escalates).
   */
  private Future<Fan> fanOut(SqlClient db, StationDef station, Completing c, Decision d) {
    FanOut f = type().fanOut();
    if (f == null || d.to() != TrackState.STABILIZED) {
      return Future.succeededFuture(new Fan(d, null));
    }
    Future<Map<String, Object>> result = station.id().equals(f.station())
        ? Future.succeededFuture(plain(c.report().result()))
        : s.tasks.latestCompletedAt(db, trackId, f.station()).map(t -> t.map(x -> plain(x.result())).orElse(null));
    return result.map(r -> {
      FanOut.Listed listed = f.itemsOf(r);
      if (listed.items() != null) {
        return new Fan(d, listed.items());
      }
      log.warn("{} / {}: no fan-out: {} (track {})", track.projectId(), track.documentType(), listed.refusal(), trackId);
      Decision halted = s.machine.decide(type(), snapshot(), new TrackMachine.TaskOutcome(track.stationIndex(), Outcome.HALTED,
          listed.refusal(), Map.of("fan_out", Map.of("station", f.station(), "items", f.items(), "child_type", f.childType(),
              "max_items", f.maxItems())))).orElseThrow();
      return new Fan(halted, null);
    });
  }

  /** The completion part of {@code w}: the reported tasks, stored with {@code result} and {@code outcome}. */
  private TrackWrite completion(TrackWrite w, Completing c, JsonObject result, Outcome outcome) {
    return c.manual()
        ? w.completeManual(c.tasks(), track.runs(), c.actor(), outcome.wire(), result)
        : w.completeHeld(c.tasks().get(0), track.runs(), c.leaseToken(), outcome.wire(), result);
  }

  /** One work item of the current station run as the decision sees it: complete with its outcome, or still open. */
  private record Item(String taskId, int item, boolean complete, Outcome outcome, JsonObject result) {
  }

  /**
   * The items of the current run with {@code c}'s tasks completed: the reported task alone at a
   * station of one work item, else every task of the run ({@code ofRun}). Null when a reported task
   * is not open in the run (nothing is written then).
   */
  private static List<Item> items(Completing c, List<TaskRow> ofRun) {
    if (ofRun.isEmpty() && !c.manual()) {
      return List.of(new Item(c.tasks().get(0), 1, true, c.report().outcome(), c.report().result()));
    }
    List<Item> out = new ArrayList<>();
    int reported = 0;
    for (TaskRow t : ofRun.stream().sorted(Comparator.comparingInt(TrackVerticle::item)).toList()) {
      TaskStatus status = t.status();
      if (c.tasks().contains(t.id())) {
        if (!status.open()) {
          return null;
        }
        reported++;
        out.add(new Item(t.id(), item(t), true, c.report().outcome(), c.report().result()));
      } else if (status == TaskStatus.COMPLETED) {
        out.add(new Item(t.id(), item(t), true, Outcome.parse(t.outcome()).orElseThrow(), t.result()));
      } else {
        out.add(new Item(t.id(), item(t), false, null, null));
      }
    }
    return reported == c.tasks().size() ? out : null;
  }

  /** One item's verdict: at an audit, the reported outcome combined with the station's gates. */
  private static Verdict verdict(StationDef station, Outcome o, JsonObject result, List<Gates.Artifact> artifacts) {
    Map<String, Object> completion = plain(result);
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

  /**
   * A report that completed nothing: a harmless repeat (answered again, {@code repeated}), a stale
   * lease (409), or a task this verticle does not know as its track's current run's (it is behind:
   * another node may have moved the track since; the supervisor hands the report on).
   */
  private Future<JsonObject> notCompleted(String taskId, String token) {
    return s.tasks.find(s.pool, taskId).compose(found -> {
      if (found.isEmpty()) {
        return Future.failedFuture(Refusal.notFound("no station task with that id"));
      }
      TaskRow t = found.get();
      TaskStatus status = t.status();
      if (status == TaskStatus.COMPLETED && t.leaseToken() != null) {
        return Future.succeededFuture(view().put("repeated", true));
      }
      if (status == TaskStatus.CLAIMED && token.equals(t.leaseToken())) {
        return Future.failedFuture(new StaleRun(Refusal.conflict("task " + taskId + " is not a task of the track's current station run")
            .with("current_state", track.state().wire())));
      }
      String why = switch (status) {
        case CANCELLED -> "the task was cancelled by an operator";
        case DROPPED -> "the task was dropped after its attempts ran out";
        case QUEUED -> "the lease expired and the task was queued again";
        default -> "the lease token does not hold this task (attempt " + t.attempt() + " holds it)";
      };
      return Future.failedFuture(Refusal.conflict("stale lease: " + why).with("task_status", t.status().wire()));
    });
  }

  /**
   * The reconciliation found this track where a lost command would leave it: blocked (its
   * dependencies may have cleared), a queued qc_reject replacement or fan-out child (its start may
   * have been lost; a fan-out starts its children with this command too), a child of a cancelled
   * parent (cancelled now),
   * or at a station whose current run has no open task (its loss was never taken: the track halts
   * with an interrupt, so an operator sees it). Anything else: nothing to do.
   */
  private Future<JsonObject> reconcile() {
    if (track.child() && !track.state().terminal()) {
      // A fan-out's child whose parent was cancelled is cancelled too (the parent's message may have been lost).
      return s.tracks.find(s.pool, track.parentTrackId()).compose(parent -> parent.isPresent() && parent.get().state() == TrackState.CANCELLED
          ? cancel(TrackSupervisor.cancelAsChild(parent.get(), "reconciliation"))
          : reconcileOwn());
    }
    return reconcileOwn();
  }

  private Future<JsonObject> reconcileOwn() {
    if (track.state() == TrackState.BLOCKED) {
      return start(false);
    }
    if (track.state() == TrackState.QUEUED) {
      // Sent only for a queued track whose start may have been lost (TrackSql.STRANDED says which).
      return start(true);
    }
    if (!track.state().atStation()) {
      return Future.succeededFuture(view());
    }
    return fenced(conn -> s.tasks.ofRun(conn, trackId, track.runs()).compose(run -> {
      if (run.stream().anyMatch(t -> t.status() == TaskStatus.QUEUED || t.status() == TaskStatus.CLAIMED)) {
        return Future.succeededFuture((Written) null);
      }
      int attempts = run.stream().mapToInt(TaskRow::attempt).max().orElse(0);
      log.warn("Track {} is at station {} with no open task in run {}; it halts for an operator", trackId, track.stationIndex(), track.runs());
      var input = new TrackMachine.TaskLost(track.stationIndex(), attempts, "its station run has no open task");
      return persist(conn, s.machine.decide(type(), snapshot(), input).orElseThrow(), List.of(), List.of(), "reconciliation", null);
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
        return persist(conn, d, List.of(), List.of(), "rescue", found.get());
      })).compose(w -> w == null ? Future.succeededFuture(view()) : afterCommit(w));
    });
  }

  /**
   * An operator reports the outcome of the current station, which must be {@code manual}: its open
   * task (or the given work item's) completes with that outcome, artifacts the operator sent are
   * kept, and the track moves as it would on an executor's report (gates included).
   */
  private Future<JsonObject> manualOutcome(JsonObject cmd) {
    // The report was checked at the HTTP edge (StationReport); the command carries it as it was checked.
    StationReport report = StationReport.fromCommand(cmd);
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
    JsonArray sent = cmd.getJsonArray("artifacts", new JsonArray());
    Instant now = s.clock.instant();
    // The operator's artifacts are stored first, in the same transaction, so the station's gates see them.
    return fenced(conn -> s.tasks.ofRun(conn, trackId, track.runs()).compose(run -> {
      List<TaskRow> open = run.stream()
          .filter(t -> t.status() == TaskStatus.QUEUED && (item == null || item(t) == item))
          .sorted(Comparator.comparingInt(TrackVerticle::item)).toList();
      if (open.isEmpty()) {
        return Future.failedFuture(Refusal.conflict("no open task at manual station " + station.id()
            + (item == null ? "" : " for work item " + item)));
      }
      TaskRow last = open.get(open.size() - 1);
      Future<Void> stored = Future.succeededFuture();
      for (Object o : sent) {
        JsonObject a = (JsonObject) o;
        Object c = a.getValue("content");
        String content = c == null ? null : c instanceof String str ? str : io.vertx.core.json.Json.encode(c);
        int size = content == null ? 0 : content.getBytes(StandardCharsets.UTF_8).length;
        stored = stored.compose(x -> s.tasks.putArtifact(conn, last, a.getString("name"), a.getString("kind"),
            a.getString("content_type"), content, a.getString("url"), size, now));
      }
      Completing c = new Completing(open.stream().map(TaskRow::id).toList(), null, report, actor);
      return stored.compose(x -> complete(conn, c))
          .compose(w -> w == null ? Future.failedFuture(Refusal.conflict("the tasks of manual station " + station.id() + " were reported meanwhile"))
              : s.tracks.audit(conn, actor, "manual_outcome", trackId, new JsonObject()
                  .put("document_type", track.documentType()).put("station", station.id()).put("outcome", report.outcome().wire())
                  .put("reason", report.result().getString("reason")).put("item", item), now).map(w));
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
    // A fan-out's track is cancelled with its children: those not finished yet are cancelled after it.
    Future<Boolean> openChildren = type().fanOut() == null ? Future.succeededFuture(false)
        : s.tracks.ofProject(s.pool, track.projectId()).map(rows -> Tracks.children(rows, trackId).stream().anyMatch(r -> !r.state().terminal()));
    return openChildren.compose(open -> cancel(cmd, kind, open));
  }

  private Future<JsonObject> cancel(JsonObject cmd, CancelKind kind, boolean openChildren) {
    if (kind == CancelKind.PERMANENT && track.state().terminal() && !openChildren) {
      // A finished document has nothing left to cancel; quality control reopens it with qc_reject or redesign.
      return Future.failedFuture(Refusal.conflict("track " + trackId + " is already " + track.state().wire()
              + ": nothing to cancel; a QC reject or a redesign produces it again; nothing was changed")
          .with("current_state", track.state().wire()).with("attempted", "cancel"));
    }
    String actor = cmd.getString("actor", "operator");
    String reason = cmd.getString("reason", "");
    Instant now = s.clock.instant();
    Decision d = s.machine.decide(type(), snapshot(), new TrackMachine.Cancel(kind, reason)).orElseThrow();
    record Cancelled(Written written, String replacement, Integer lineVersion) {
    }
    String why = "track cancelled (" + kind.wire() + ")";
    return fenced(conn -> s.tracks.withdrawInterrupts(conn, trackId, why, now)
            .compose(ids -> persist(conn, d, ids.stream().map(id -> TrackEvents.interruptResolved(track, id, "withdrawn",
                new JsonObject().put("withdrawn", why), actor, d)).toList(), actor))
            .compose(w -> s.tracks.audit(conn, actor, "cancel", trackId,
                new JsonObject().put("kind", kind.wire()).put("reason", reason).put("document_type", track.documentType()), now)
                .compose(v -> kind == CancelKind.QC_REJECT ? supervisor.insertReplacement(conn, track, now) : Future.succeededFuture((String) null))
                .compose(replacement -> (kind == CancelKind.REDESIGN ? rebind(conn) : Future.<Integer>succeededFuture())
                    .map(version -> new Cancelled(w, replacement, version)))))
        .compose(c -> afterCommit(c.written())
            .compose(view -> openChildren ? supervisor.cancelChildren(track, actor).map(n -> view.put("children_cancelled", n))
                : Future.succeededFuture(view))
            .compose(view -> {
          log.info("{} / {}: cancelled ({}) by {} (track {})", track.projectId(), track.documentType(), kind.wire(), actor, trackId,
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
            return start(true).map(started -> started.put("line_version", c.lineVersion()));
          }
          if (kind == CancelKind.PERMANENT) {
            return supervisor.blockDependents(track, line, track.reason()).map(n -> view.put("dependents_blocked", n));
          }
          return Future.succeededFuture(view);
        }));
  }

  /**
   * Redesign: the project follows the line's current version (read from PostgreSQL now); answers
   * that version's number, or null when the current version has no such document type (the
   * project keeps its definition).
   */
  private Future<Integer> rebind(SqlConnection conn) {
    return s.lines.current(line.name()).compose(current -> {
      if (current.line().type(track.documentType()).isEmpty()) {
        return Future.succeededFuture((Integer) null);
      }
      line = current.line();
      return s.projects.updateDefinition(conn, track.projectId(), current.json(), current.version()).map(v -> current.version());
    });
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
  private record Written(TrackRow next, List<JsonObject> events, JsonObject audit, List<String> children) {

    Written(TrackRow next, List<JsonObject> events) {
      this(next, events, null, List.of());
    }

    /** The same move, answered with the server's audit of the station (what its gates found). */
    Written audited(JsonObject audit) {
      return new Written(next, events, audit, children);
    }

    /** The same move, which created these fan-out children. */
    Written withChildren(List<String> ids) {
      return new Written(next, events, audit, ids);
    }
  }

  /** Writes a decided move as one statement ({@link #write}), on the pool or in the caller's transaction. */
  private Future<Written> persist(SqlClient db, Decision d, List<NewEvent> extra, String actor) {
    return persist(db, d, extra, List.of(), actor, null);
  }

  /**
   * Writes a decided move as one statement, on the pool (group commit) or in the caller's transaction;
   * {@code cause}, when not null, is the task whose loss made it.
   */
  private Future<Written> persist(SqlClient db, Decision d, List<NewEvent> extra, List<NewEvent> after, String actor, TaskRow cause) {
    return write(db, TrackWrite.of(track, d.at()), d, extra, after, actor, null, cause == null ? null : cause.executorId(),
            cause == null ? null : cause.attempt())
        .map(w -> {
          if (w == null) {
            throw new IllegalStateException("a write without a completion writes or fails");
          }
          return w;
        });
  }

  /**
   * Adds a decided move to {@code w} and runs it as one statement: the next station run's tasks
   * queued, other runs' open tasks withdrawn, the track moved (compare-and-set, fenced), the
   * interrupt opened, the events appended ({@code extra} before the move's own, {@code after} them;
   * {@code audit} on the transition). Null when {@code w}'s completion found its tasks no longer
   * open (nothing was written). {@code executor} names the task's executor, when a task's outcome
   * or loss made the move.
   */
  private Future<Written> write(SqlClient db, TrackWrite w, Decision d, List<NewEvent> extra, List<NewEvent> after, String actor,
                                JsonObject audit, String executor, Integer attempt) {
    int runs = track.runs() + (d.run() != null ? 1 : 0);
    String taskId = d.run() != null ? w.queue(type(), d.run(), runs, d.remediationCount())
        : d.to().atStation() ? track.currentTaskId() : null;
    int keepRun = d.to().atStation() ? runs : -1;
    w.move(move(d, runs, taskId), keepRun);
    String interruptId = d.interrupt() == null ? null : w.interrupt(d.stationIndex(), d.interrupt());
    w.events(events(d, extra, after, interruptId, taskId, audit, track.state() != d.to() || w.createsTracks()));
    return w.execute(db).map(r -> !r.completed() ? null
        : moved(d, actor, executor, attempt != null ? attempt : r.attempts().isEmpty() ? null : r.attempts().get(0), runs, taskId,
            r.events()));
  }

  private static Move move(Decision d, int runs, String taskId) {
    return new Move(d.to(), d.stationIndex(), d.remediationCount(), runs, taskId, d.reason());
  }

  /**
   * The events of a move, in order: {@code extra}, the move's own, {@code after}; {@code countsChange}
   * when the move changes the project's counts (the track's state, or tracks it creates).
   */
  private List<NewEvent> events(Decision d, List<NewEvent> extra, List<NewEvent> after, String interruptId, String taskId,
                                JsonObject audit, boolean countsChange) {
    List<NewEvent> events = new ArrayList<>(extra);
    TrackEvents.of(track, type(), d, taskId, interruptId, audit, countsChange).forEach(e -> events.add(
        EventType.STATION_TRANSITION.equals(e.type())
            ? new NewEvent(e.type(), e.payload().put("node", track.ownerNode()).put("epoch", track.ownerEpoch())) : e));
    events.addAll(after);
    return events;
  }

  /**
   * A move whose events were appended ({@code published}): the track's new row, and the move's log
   * line. A change of the track's state, and a station run again in the same state (a retry, a
   * remediation's audit), are logged at INFO with their structured fields; a move on to the next
   * station in the same state (one assembly station to the next) at DEBUG: its
   * {@code station_transition} event is the record, and a line of many assembly stations at a few
   * thousand tasks a second would otherwise write a log line a task (docs/benchmarks.md, "A log line
   * a state change").
   */
  private Written moved(Decision d, String actor, String executor, Integer attempt, int runs, String taskId, List<JsonObject> published) {
    Instant now = d.at();
    DocumentType type = type();
    TrackRow before = track;
    TrackRow next = new TrackRow(before.id(), before.projectId(), before.documentType(), d.to(), d.stationIndex(), d.remediationCount(),
        runs, taskId, d.reason(), before.version() + 1, before.ownerNode(), before.ownerEpoch(), before.replaces(), before.createdAt(), now,
        d.to().terminal() ? now : null, before.parentTrackId(), before.fanOutRound(),
        before.fanOutIndex(), before.fanOutItem());
    boolean onward = d.from() == d.to() && d.stationIndex() != before.stationIndex();
    if (onward ? log.isDebugEnabled() : log.isInfoEnabled()) {
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
      String message = "{} / {}: moved {} -> {} at {} (track {})";
      Object[] args = {before.projectId(), before.documentType(), d.from().wire(), d.to().wire(), type.station(d.stationIndex()).id(),
          trackId, net.logstash.logback.argument.StructuredArguments.entries(fields)};
      if (onward) {
        log.debug(message, args);
      } else {
        log.info(message, args);
      }
    }
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
    if (!written.children().isEmpty()) {
      // Committed with the move: each child is started now; a start that is lost is found by the reconciliation.
      supervisor.startChildren(written.children());
    }
    if (track.state().clearsDependents()) {
      supervisor.clearDependents(track, line);
    }
    if (track.state() == TrackState.BLOCKED && written.events().stream().anyMatch(e -> EventType.STATION_TRANSITION.equals(e.getString("type")))) {
      // A dependency may have stabilized between our reading it open and this commit; its clearance then
      // found us not yet blocked. Looking once more after the commit closes that window.
      enqueue(new JsonObject().put("type", "dependency_cleared"));
    }
    // The completing executor hears what the server's audit decided (a gate's finding included), not only where the track went.
    return Future.succeededFuture(written.audit() == null ? view() : view().put("audit", written.audit()));
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
