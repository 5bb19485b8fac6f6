package io.productionline.web;

import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.track.LineOrchestrator;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** {@code /api/v1/projects}: create (idempotent with an Idempotency-Key; of a line version, the current one by default), list, read. */
final class ProjectsApi {

  private final Services s;
  private final LineOrchestrator orchestrator;
  private final Schemas schemas;

  ProjectsApi(Services s, LineOrchestrator orchestrator, Schemas schemas) {
    this.s = s;
    this.orchestrator = orchestrator;
    this.schemas = schemas;
  }

  void mount(Router router) {
    router.post("/api/v1/projects").handler(this::create);
    router.get("/api/v1/projects").handler(ctx -> Http.guarded(ctx, c -> list(archived(c))));
    router.get("/api/v1/projects/:id").handler(ctx -> Http.guarded(ctx, c -> one(Http.id(c, "id"))));
  }

  private void create(RoutingContext ctx) {
    JsonObject body;
    String key;
    try {
      body = schemas.check(Schemas.PROJECT, Http.body(ctx));
      key = ctx.request().getHeader("Idempotency-Key");
      if (key != null && (key.isEmpty() || key.length() > 200)) {
        throw Refusal.badRequest("Idempotency-Key must be 1 to 200 characters");
      }
    } catch (RuntimeException e) {
      ctx.fail(e);
      return;
    }
    boolean start = body.getBoolean("start", false);
    String actor = Actors.of(ctx);
    orchestrator.create(body.getString("project_id"), body.getString("line"), body.getInteger("line_version"),
            Http.object(body, "params"), key, actor)
        .compose(c -> {
          JsonObject out = c.project().toJson().put("created", c.created());
          if (start && c.created()) {
            return orchestrator.start(c.project().id(), null, actor).map(r -> out.put("started", r.getInteger("started")));
          }
          return Future.succeededFuture(out);
        })
        .onSuccess(out -> Http.json(ctx, out.getBoolean("created") ? 201 : 200, out))
        .onFailure(ctx::fail);
  }

  /** {@code ?archived=true} lists the archived projects instead of the others. */
  private static boolean archived(RoutingContext ctx) {
    String v = ctx.queryParams().get("archived");
    if (v != null && !v.equals("true") && !v.equals("false")) {
      throw Refusal.badRequest("archived must be true or false");
    }
    return "true".equals(v);
  }

  private Future<JsonObject> list(boolean archived) {
    return (archived ? s.projects.archived(s.pool, 200) : s.projects.list(s.pool, 200)).compose(rows -> {
      JsonArray out = new JsonArray();
      Future<Void> chain = Future.succeededFuture();
      for (var p : rows) {
        chain = chain.compose(v -> s.tracks.summary(s.pool, p.id()).map(sum -> {
          out.add(p.toJson().put("summary", sum));
          return null;
        }));
      }
      return chain.map(v -> new JsonObject().put("projects", out));
    });
  }

  private Future<JsonObject> one(String id) {
    return s.projects.find(s.pool, id).compose(p -> p.isEmpty()
        ? io.productionline.track.Tracks.<JsonObject>unknownProject(s, id)
        : s.tracks.summary(s.pool, id).map(sum -> p.get().toJson().put("summary", sum)));
  }
}
