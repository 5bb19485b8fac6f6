package io.productionline.web;

import io.productionline.track.ProductionView;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;

/** {@code /production}: the line's state, Run Full Line / Start Production, one track, cancel. */
final class ProductionApi {

  private static final Set<String> CANCEL_FIELDS = Set.of("kind", "reason");

  private final OperatorCommands commands;
  private final ProductionView view;

  ProductionApi(OperatorCommands commands, ProductionView view) {
    this.commands = commands;
    this.view = view;
  }

  void mount(Router router) {
    router.get("/production").handler(ctx -> Http.guarded(ctx, c -> view.project(Http.query(c, "project", true))));
    router.post("/production/start").handler(ctx -> Http.guarded(ctx, this::start));
    router.get("/production/track/:id").handler(ctx -> Http.guarded(ctx, c -> view.track(Http.id(c, "id"))));
    router.post("/production/track/:id/cancel").handler(ctx -> Http.guarded(ctx, this::cancel));
  }

  private Future<JsonObject> start(RoutingContext ctx) {
    String project = Http.query(ctx, "project", true);
    String doc = Http.query(ctx, "doc", false);
    return commands.start(project, doc, Actors.of(ctx));
  }

  private Future<JsonObject> cancel(RoutingContext ctx) {
    String trackId = Http.id(ctx, "id");
    JsonObject body = Http.only(Http.body(ctx), CANCEL_FIELDS);
    return commands.cancel(trackId, Http.string(body, "kind", true, 32), Http.string(body, "reason", false, 2000), Actors.of(ctx));
  }
}
