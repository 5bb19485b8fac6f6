package io.productionline.web;

import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.store.InterruptRepository.InterruptRow;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Set;

/**
 * Operator interrupts: list the open ones (of a project, or across projects), read one, resolve
 * ({@code answers}, {@code resolution}, {@code notes}; {@code type} when given must be the
 * interrupt's type), escalate ("Acknowledge &amp; Continue", with {@code notes}).
 */
final class InterruptsApi {

  private static final Set<String> RESOLVE_FIELDS = Set.of("resolution", "answers", "notes", "type");
  private static final Set<String> ESCALATE_FIELDS = Set.of("notes");

  private final Services s;
  private final OperatorCommands commands;

  InterruptsApi(Services s, OperatorCommands commands) {
    this.s = s;
    this.commands = commands;
  }

  void mount(Router router) {
    router.get("/api/v1/projects/:id/interrupts").handler(ctx -> Http.guarded(ctx, c -> ofProject(Http.id(c, "id"))));
    router.get("/api/v1/interrupts").handler(ctx -> Http.guarded(ctx, c -> s.interrupts.open(s.pool, 500).map(InterruptsApi::list)));
    router.get("/api/v1/interrupts/:id").handler(ctx -> Http.guarded(ctx, c -> one(Http.id(c, "id"))));
    router.post("/api/v1/interrupts/:id/resolve").handler(ctx -> Http.guarded(ctx, c -> {
      JsonObject body = Schemas.check(Schemas.RESOLVE, Http.only(Http.body(c), RESOLVE_FIELDS));
      return commands.resolve(Http.id(c, "id"), OperatorCommands.resolution(body), Http.string(body, "type", false, 32), Actors.of(c));
    }));
    router.post("/api/v1/interrupts/:id/escalate").handler(ctx -> Http.guarded(ctx, c -> {
      JsonObject body = Schemas.check(Schemas.ESCALATE, Http.only(Http.body(c), ESCALATE_FIELDS));
      return commands.escalate(Http.id(c, "id"), Http.string(body, "notes", false, 4000), Actors.of(c));
    }));
  }

  private Future<JsonObject> ofProject(String projectId) {
    return s.projects.find(s.pool, projectId).compose(p -> p.isEmpty()
        ? io.productionline.track.Tracks.<JsonObject>unknownProject(s, projectId)
        : s.interrupts.openOfProject(s.pool, projectId).map(InterruptsApi::list));
  }

  private Future<JsonObject> one(String id) {
    return s.interrupts.find(s.pool, id).map(it -> it.orElseThrow(() -> Refusal.notFound("no interrupt " + id)).toJson());
  }

  private static JsonObject list(List<InterruptRow> rows) {
    JsonArray out = new JsonArray();
    rows.forEach(r -> out.add(r.toJson()));
    return new JsonObject().put("interrupts", out);
  }

}
