package io.productionline.track;

import io.productionline.Json;
import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.events.Addresses;
import io.productionline.events.EventType;
import io.productionline.line.CancelKind;
import io.productionline.line.DocumentType;
import io.productionline.line.InterruptType;
import io.productionline.line.LineDefinition;
import io.productionline.line.Outcome;
import io.productionline.line.TrackMachine;
import io.productionline.line.TrackMachine.Decision;
import io.productionline.line.TrackMachine.Input;
import io.productionline.line.TrackState;
import io.productionline.store.InterruptRepository.InterruptRow;
import io.productionline.store.TaskRow;
import io.productionline.store.TrackRepository.Move;
import io.productionline.store.TrackRepository.NewEvent;
import io.productionline.store.TrackRow;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Supervises one track: the only writer of its row. Commands arrive at {@code pl.track.<id>} and
 * are handled one at a time, in order. Each command is decided by the pure {@link TrackMachine},
 * written in one transaction (task, track row, interrupt, history) and only then published.
 *
 * <p>Commands ({@code type}): {@code start}, {@code dependency_cleared}, {@code task_completed},
 * {@code task_lost}, {@code resolve}, {@code escalate}, {@code cancel}.
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

  TrackVerticle(String trackId, Services services, TrackSupervisor supervisor) {
    this.trackId = trackId;
    this.s = services;
    this.supervisor = supervisor;
  }

  @Override
  public Future<?> start() {
    return s.tracks.takeOwnership(s.pool, trackId, s.node.id(), s.node.liveNodes())
        .compose(owned -> owned.isPresent()
            ? Future.succeededFuture(owned.get())
            : s.tracks.find(s.pool, trackId).compose(row -> Future.failedFuture(row.isPresent()
                ? new OwnedElsewhereException(trackId) : TrackSupervisor.unknownTrack(trackId))))
        .compose(row -> s.projects.find(s.pool, row.projectId()).map(p -> {
          track = row;
          line = Json.line(p.orElseThrow().lineDefinition());
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

  /** Writes who supervises the track from now on into its history, so ownership can be audited. */
  private Future<TrackRow> recordSupervision(TrackRow row) {
    NewEvent supervised = new NewEvent(EventType.TRACK_SUPERVISED, new JsonObject().put("project", row.projectId())
        .put("track_id", row.id()).put("document_type", row.documentType()).put("node", s.node.id())
        .put("state", row.state().wire()).put("at", s.clock.instant().toString()));
    return s.pool.withTransaction(conn -> s.tracks.append(conn, row.projectId(), row.id(), List.of(supervised), s.clock.instant()))
        .map(events -> {
          events.forEach(e -> vertx.eventBus().publish(Addresses.project(row.projectId()), e));
          return row;
        });
  }

  @Override
  public Future<?> stop() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  private void onCommand(Message<JsonObject> message) {
    enqueue(message.body()).onComplete(ar -> {
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

  /** Runs commands strictly one after another. */
  private Future<JsonObject> enqueue(JsonObject command) {
    Future<JsonObject> result = tail.transform(ignored -> handle(command));
    tail = result.otherwiseEmpty();
    return result;
  }

  private Future<JsonObject> handle(JsonObject cmd) {
    String type = cmd.getString("type", "");
    return switch (type) {
      case "start", "dependency_cleared" -> start(type.equals("start"));
      case "task_completed" -> taskCompleted(cmd);
      case "task_lost" -> taskLost(cmd);
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
      return s.pool.withTransaction(conn -> persist(conn, d.get(), List.of(), "line")).compose(this::afterCommit);
    });
  }

  private Future<JsonObject> taskCompleted(JsonObject cmd) {
    String taskId = cmd.getString("task_id");
    String token = cmd.getString("lease_token");
    Outcome outcome = Outcome.parse(cmd.getString("outcome", "")).orElse(null);
    if (taskId == null || token == null || outcome == null) {
      return Future.failedFuture(Refusal.badRequest("task_id, lease_token and outcome (stabilized, audit_rejected, needs_input, halted) are required"));
    }
    JsonObject result = cmd.getJsonObject("result", new JsonObject());
    Instant now = s.clock.instant();
    return s.pool.withTransaction(conn -> s.tasks.complete(conn, taskId, token, outcome.wire(), result, now)
        .compose(done -> {
          if (done.isEmpty()) {
            return s.tasks.find(conn, taskId).compose(this::refuseCompletion).map(repeat -> (Written) null);
          }
          TaskRow task = done.get();
          if (!taskId.equals(track.currentTaskId())) {
            return Future.failedFuture(Refusal.conflict("task " + taskId + " is not the track's current station task"));
          }
          Map<String, Object> detail = result.getMap();
          var input = new TrackMachine.TaskOutcome(task.stationIndex(), outcome, result.getString("reason"), detail);
          Decision d = s.machine.decide(type(), snapshot(), input).orElseThrow();
          return persist(conn, d, List.of(), cmd.getString("executor_id", "executor"));
        }))
        .compose(w -> w == null ? Future.succeededFuture(view().put("repeated", true)) : afterCommit(w));
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

  private Future<JsonObject> taskLost(JsonObject cmd) {
    String taskId = cmd.getString("task_id");
    String token = cmd.getString("lease_token");
    int attempts = cmd.getInteger("attempt", 0);
    if (!track.state().atStation() || !taskId.equals(track.currentTaskId())) {
      return Future.succeededFuture(view());
    }
    return s.pool.withTransaction(conn -> s.tasks.drop(conn, taskId, token, s.clock.instant()).compose(dropped -> {
      if (!dropped) {
        return Future.succeededFuture((Written) null);
      }
      var input = new TrackMachine.TaskLost(track.stationIndex(), attempts, cmd.getString("reason", "executor stopped answering"));
      Decision d = s.machine.decide(type(), snapshot(), input).orElseThrow();
      return persist(conn, d, List.of(), "rescue");
    })).compose(w -> w == null ? Future.succeededFuture(view()) : afterCommit(w));
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
      Input input = escalate
          ? new TrackMachine.Escalate(notes)
          : new TrackMachine.OperatorAnswer(InterruptType.parse(it.type()).orElseThrow(), resolution.getMap());
      Decision d = s.machine.decide(type(), snapshot(), input).orElseThrow();
      JsonObject stored = escalate ? new JsonObject().put("notes", notes) : resolution;
      NewEvent resolved = TrackEvents.interruptResolved(track, interruptId, escalate ? "escalated" : "resolved", stored, actor, d);
      return s.pool.withTransaction(conn -> s.interrupts.close(conn, interruptId, escalate ? "escalated" : "resolved", actor, stored, now)
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
    String actor = cmd.getString("actor", "operator");
    String reason = cmd.getString("reason", "");
    Instant now = s.clock.instant();
    Decision d = s.machine.decide(type(), snapshot(), new TrackMachine.Cancel(kind, reason)).orElseThrow();
    record Cancelled(Written written, String replacement) {
    }
    return s.pool.withTransaction(conn -> s.tracks.withdrawInterrupts(conn, trackId, "track cancelled (" + kind.wire() + ")", now)
            .compose(n -> persist(conn, d, List.of(), actor))
            .compose(w -> s.tracks.audit(conn, actor, "cancel", trackId,
                new JsonObject().put("kind", kind.wire()).put("reason", reason).put("document_type", track.documentType()), now)
                .compose(v -> kind == CancelKind.QC_REJECT ? supervisor.insertReplacement(conn, track, now) : Future.succeededFuture((String) null))
                .compose(replacement -> (kind == CancelKind.REDESIGN ? rebind(conn) : Future.<Void>succeededFuture())
                    .map(v -> new Cancelled(w, replacement)))))
        .compose(c -> afterCommit(c.written()).compose(view -> {
          String replacement = c.replacement();
          if (replacement != null) {
            return supervisor.send(replacement, new JsonObject().put("type", "start")).map(r -> view.put("replacement_track_id", replacement));
          }
          if (kind == CancelKind.REDESIGN) {
            return start(true);
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

  /** A move written in a transaction that has not committed yet: the new row and its events. */
  private record Written(TrackRow next, List<JsonObject> events) {
  }

  /** Writes a decided move in the caller's transaction: new task, old tasks dropped, track row, interrupt, history. */
  private Future<Written> persist(SqlConnection conn, Decision d, List<NewEvent> extra, String actor) {
    Instant now = d.at();
    DocumentType type = type();
    int runs = track.runs() + (d.run() != null ? 1 : 0);
    Future<String> task = d.run() != null
        ? s.tracks.insertTask(conn, track, type, d.run(), runs, d.remediationCount(), now)
        : Future.succeededFuture(d.to().atStation() ? track.currentTaskId() : null);
    return task.compose(taskId -> s.tracks.dropOpenTasks(conn, trackId, taskId, now).map(taskId))
        .compose(taskId -> s.tracks.transition(conn, track, new Move(d.to(), d.stationIndex(), d.remediationCount(), runs, taskId, d.reason()), now)
            .compose(v -> d.interrupt() == null
                ? Future.succeededFuture((String) null)
                : s.tracks.insertInterrupt(conn, track, d.stationIndex(), d.interrupt(), now))
            .compose(interruptId -> s.tracks.summary(conn, track.projectId()).compose(summary -> {
              List<NewEvent> events = new ArrayList<>(extra);
              TrackEvents.of(track, type, d, taskId, interruptId, summary).forEach(e -> events.add(
                  EventType.STATION_TRANSITION.equals(e.type()) ? new NewEvent(e.type(), e.payload().put("node", s.node.id())) : e));
              return s.tracks.append(conn, track.projectId(), trackId, events, now);
            }))
            .map(published -> {
              TrackRow before = track;
              TrackRow next = new TrackRow(before.id(), before.projectId(), before.documentType(), d.to(), d.stationIndex(), d.remediationCount(),
                  runs, taskId, d.reason(), before.version() + 1, before.ownerNode(), before.replaces(), before.createdAt(), now,
                  d.to().terminal() ? now : null);
              log.info("Track {} {} moved {} -> {} at station {}", trackId, before.documentType(), d.from().wire(), d.to().wire(),
                  type.station(d.stationIndex()).id(), net.logstash.logback.argument.StructuredArguments.entries(Map.of(
                      "track_id", trackId, "project", before.projectId(), "document_type", before.documentType(),
                      "from", d.from().wire(), "to", d.to().wire(), "station", type.station(d.stationIndex()).id(),
                      "actor", actor, "reason", String.valueOf(d.reason()))));
              return new Written(next, published);
            }));
  }

  /** After the commit: publish, wake executors, clear dependents, and retire when terminal. */
  private Future<JsonObject> afterCommit(Written written) {
    track = written.next();
    for (JsonObject e : written.events()) {
      vertx.eventBus().publish(Addresses.project(track.projectId()), e);
    }
    if (track.state().atStation()) {
      vertx.eventBus().publish(Addresses.WORK_AVAILABLE, new JsonObject().put("track_id", trackId));
    }
    if (track.state().clearsDependents()) {
      supervisor.clearDependents(track, line);
    }
    return Future.succeededFuture(view());
  }

  private Future<List<String>> openDependencies() {
    List<String> deps = type().dependsOn();
    if (deps.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return s.tracks.ofProject(s.pool, track.projectId()).map(rows -> deps.stream().filter(dep -> rows.stream()
        .noneMatch(r -> r.documentType().equals(dep) && r.state().clearsDependents())).toList());
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
