package io.productionline.web;

import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.events.Addresses;
import io.productionline.line.InterruptType;
import io.productionline.track.IntentVerification;
import io.productionline.store.InterruptRepository.InterruptRow;
import io.productionline.track.LineOrchestrator;
import io.productionline.track.TrackSupervisor;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.function.Function;

/**
 * The operator's commands — start, resolve, escalate, cancel — as one set of calls shared by the
 * HTTP API and the event-bus addresses the dashboard sends to over the bridge.
 */
final class OperatorCommands {

  private final Services s;
  private final LineOrchestrator orchestrator;
  private final TrackSupervisor supervisor;

  OperatorCommands(Services s, LineOrchestrator orchestrator, TrackSupervisor supervisor) {
    this.s = s;
    this.orchestrator = orchestrator;
    this.supervisor = supervisor;
  }

  /** Registers the command addresses on this node. */
  Future<?> listen() {
    var bus = s.vertx.eventBus();
    return Future.all(List.of(
        bus.<JsonObject>consumer(Addresses.COMMAND_START, m -> answer(m, b -> start(
            Http.string(b, "project", true, 64), Http.string(b, "doc", false, 64), actor(m)))).completion(),
        bus.<JsonObject>consumer(Addresses.COMMAND_RESOLVE, m -> answer(m, b -> resolve(
            Http.string(b, "interrupt_id", true, 128), resolution(b), Http.string(b, "type", false, 32), actor(m)))).completion(),
        bus.<JsonObject>consumer(Addresses.COMMAND_ESCALATE, m -> answer(m, b -> escalate(
            Http.string(b, "interrupt_id", true, 128), Http.string(b, "notes", false, 4000), actor(m)))).completion(),
        bus.<JsonObject>consumer(Addresses.COMMAND_CANCEL, m -> answer(m, b -> cancel(
            Http.string(b, "track_id", true, 128), Http.string(b, "kind", true, 32), Http.string(b, "reason", false, 2000),
            actor(m)))).completion()));
  }

  private static String actor(Message<JsonObject> m) {
    String a = m.headers().get("actor");
    return a == null ? "operator" : a;
  }

  private static void answer(Message<JsonObject> m, Function<JsonObject, Future<JsonObject>> f) {
    Future<JsonObject> result;
    try {
      if (m.body() == null) {
        throw Refusal.badRequest("the command needs a JSON body");
      }
      result = f.apply(m.body());
    } catch (RuntimeException e) {
      Refusal.reply(m, e);
      return;
    }
    result.onSuccess(r -> m.reply(r.copy().put("ok", true))).onFailure(e -> Refusal.reply(m, e));
  }

  Future<JsonObject> start(String project, String doc, String actor) {
    return orchestrator.start(project, doc, actor);
  }

  /** The answer of a resolve command: {@code resolution}, with {@code answers} and {@code notes} folded in. */
  static JsonObject resolution(JsonObject body) {
    JsonObject resolution = Http.object(body, "resolution").copy();
    if (body.containsKey("answers")) {
      resolution.put("answers", Http.object(body, "answers"));
    }
    String notes = Http.string(body, "notes", false, 4000);
    if (notes != null) {
      resolution.put("notes", notes);
    }
    return resolution;
  }

  /**
   * Resolves an interrupt; the track resumes with the answer handed to the station's task as
   * {@code operator_answer}. {@code expectedType}, when given, must be the interrupt's type.
   */
  Future<JsonObject> resolve(String interruptId, JsonObject resolution, String expectedType, String actor) {
    if (expectedType != null && InterruptType.parse(expectedType).isEmpty()) {
      return Future.failedFuture(Refusal.badRequest("type must be one of clarification, audit_review, constraint_conflict, approval"));
    }
    return withInterrupt(interruptId, it -> supervisor.send(it.trackId(), new JsonObject().put("type", "resolve")
        .put("interrupt_id", interruptId).put("resolution", resolution).put("expected_type", expectedType).put("actor", actor)));
  }

  /** An operator's outcome for the track's current (manual) station. */
  Future<JsonObject> outcome(String trackId, JsonObject command, String actor) {
    return s.tracks.find(s.pool, trackId).compose(t -> t.isEmpty()
        ? Future.failedFuture(Refusal.notFound("no track " + trackId))
        : supervisor.send(trackId, command.copy().put("type", "manual_outcome").put("actor", actor)));
  }

  int maxArtifactBytes() {
    return s.config.getJsonObject("work", new JsonObject()).getInteger("max_artifact_bytes", 262_144);
  }

  /** {@code POST /assembly-line/verify}: the verification protocol for a build intent's phase. */
  Future<JsonObject> verify(String intentId, int level, String phase) {
    return new IntentVerification(s).verify(intentId, level, phase);
  }

  Future<JsonObject> escalate(String interruptId, String notes, String actor) {
    return withInterrupt(interruptId, it -> supervisor.send(it.trackId(), new JsonObject().put("type", "escalate")
        .put("interrupt_id", interruptId).put("notes", notes == null ? "" : notes).put("actor", actor)));
  }

  Future<JsonObject> cancel(String trackId, String kind, String reason, String actor) {
    return s.tracks.find(s.pool, trackId).compose(t -> t.isEmpty()
        ? Future.failedFuture(Refusal.notFound("no track " + trackId))
        : supervisor.send(trackId, new JsonObject().put("type", "cancel").put("kind", kind)
            .put("reason", reason == null ? "" : reason).put("actor", actor)));
  }

  private Future<JsonObject> withInterrupt(String id, Function<InterruptRow, Future<JsonObject>> f) {
    return s.interrupts.find(s.pool, id).compose(it -> it.isEmpty()
        ? Future.failedFuture(Refusal.notFound("no interrupt " + id))
        : f.apply(it.get()));
  }
}
