package io.productionline.web;

import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.track.LineOrchestrator;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;

/** {@code /api/v1/projects}: create (idempotent with an Idempotency-Key), list, read; {@code /api/v1/lines}. */
final class ProjectsApi {

  private static final Set<String> CREATE_FIELDS = Set.of("project_id", "line", "params", "start");

  private final Services s;
  private final LineOrchestrator orchestrator;

  ProjectsApi(Services s, LineOrchestrator orchestrator) {
    this.s = s;
    this.orchestrator = orchestrator;
  }

  void mount(Router router) {
    router.post("/api/v1/projects").handler(this::create);
    router.get("/api/v1/projects").handler(ctx -> Http.guarded(ctx, c -> list(archived(c))));
    router.get("/api/v1/projects/:id").handler(ctx -> Http.guarded(ctx, c -> one(Http.id(c, "id"))));
    router.get("/api/v1/lines").handler(ctx -> Http.guarded(ctx, c -> Future.succeededFuture(lines())));
    router.get("/api/v1/lines/:name").handler(ctx -> Http.guarded(ctx, c -> line(Http.id(c, "name"))));
  }

  private void create(RoutingContext ctx) {
    JsonObject body;
    String key;
    try {
      body = Schemas.check(Schemas.PROJECT, Http.only(Http.body(ctx), CREATE_FIELDS));
      key = ctx.request().getHeader("Idempotency-Key");
      if (key != null && (key.isEmpty() || key.length() > 200)) {
        throw Refusal.badRequest("Idempotency-Key must be 1 to 200 characters");
      }
      Http.string(body, "project_id", false, 64);
      Http.string(body, "line", true, 64);
      Http.object(body, "params");
      if (body.containsKey("start") && !(body.getValue("start") instanceof Boolean)) {
        throw Refusal.badRequest("start must be true or false");
      }
    } catch (RuntimeException e) {
      ctx.fail(e);
      return;
    }
    boolean start = body.getBoolean("start", false);
    String actor = Actors.of(ctx);
    orchestrator.create(body.getString("project_id"), body.getString("line"), Http.object(body, "params"), key, actor)
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

  private JsonObject lines() {
    JsonArray out = new JsonArray();
    s.lines.all().forEach(l -> out.add(new JsonObject().put("name", l.name()).put("title", l.title())
        .put("description", l.description()).put("document_types", new JsonArray(l.documentTypes().stream()
            .map(t -> new JsonObject().put("name", t.name()).put("title", t.title())
                .put("depends_on", new JsonArray(t.dependsOn())).put("stations", t.stations().size()))
            .toList()))));
    return new JsonObject().put("lines", out);
  }

  private Future<JsonObject> line(String name) {
    return s.lines.find(name).map(l -> Future.succeededFuture(io.productionline.Json.toJson(l)))
        .orElseGet(() -> Future.failedFuture(Refusal.notFound("no line named " + name)));
  }
}
