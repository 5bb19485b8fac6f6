package io.productionline.web;

import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.events.Addresses;
import io.productionline.track.LineOrchestrator;
import io.productionline.track.LiveViews;
import io.productionline.track.ProductionView;
import io.productionline.track.TrackSupervisor;
import io.productionline.work.WorkService;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.FileSystemAccess;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face of one node: the REST API, SSE, the SockJS event-bus bridge, {@code /metrics} and
 * the dashboard. Owns no domain state; every handler calls the node's services. {@link Guard}
 * authenticates and authorizes every request before any handler runs. Refusals become JSON bodies
 * with their status in one place ({@link #refuse}).
 */
public final class WebVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(WebVerticle.class);

  private final Services s;
  private final TrackSupervisor supervisor;
  private final LineOrchestrator orchestrator;
  private final WorkService work;
  private final ProductionView view;
  private final LiveViews liveViews;
  private HttpServer server;

  public WebVerticle(Services s, TrackSupervisor supervisor, LineOrchestrator orchestrator, WorkService work, ProductionView view,
                     LiveViews liveViews) {
    this.s = s;
    this.liveViews = liveViews;
    this.supervisor = supervisor;
    this.orchestrator = orchestrator;
    this.work = work;
    this.view = view;
  }

  @Override
  public Future<?> start() {
    JsonObject http = s.config.getJsonObject("http", new JsonObject());
    long maxBody = s.config.getJsonObject("work", new JsonObject()).getLong("max_body_bytes", 1_048_576L);
    OperatorCommands commands = new OperatorCommands(s, orchestrator, supervisor);

    Guard guard = new Guard(s, liveViews);
    Router router = Router.router(vertx);
    // Authentication and authorization first: nothing protected is read or served for a caller without a token.
    router.route().handler(guard);
    BodyHandler bodies = BodyHandler.create(false).setBodyLimit(maxBody);
    // An upgrade has no body to read; reading one (a client may send Content-Length: 0) would end the request before toWebSocket().
    router.route().handler(ctx -> {
      if ("websocket".equalsIgnoreCase(ctx.request().getHeader("Upgrade"))) {
        ctx.next();
      } else {
        bodies.handle(ctx);
      }
    });
    new HealthApi(s).mount(router);
    new ProductionApi(commands, view).mount(router);
    new EventsApi(s).mount(router);
    new ProjectsApi(s, orchestrator).mount(router);
    new InterruptsApi(s, commands).mount(router);
    new SkillsApi(s).mount(router);
    new WorkApi(s, work, view).mount(router);
    new AssemblyLineApi(s, orchestrator, work).mount(router);
    new AnalyticsApi(s, view.analytics()).mount(router);
    new AdminApi(s).mount(router);
    new MetricsApi(s, work).mount(router);
    new RunsApi(s, work).mount(router);
    new WorkbenchApi(s, commands).mount(router);
    router.route("/eventbus/*").subRouter(SockJSHandler.create(vertx).bridge(bridgeOptions(), guard::bridgeEvent));
    router.get("/assembly-line/dashboard").handler(ctx -> ctx.reroute("/intents.html"));
    router.route("/api/*").handler(ctx -> ctx.fail(Refusal.notFound("no such endpoint: " + ctx.request().method() + " " + ctx.request().path())));
    router.route().handler(StaticHandler.create(FileSystemAccess.RELATIVE, s.config.getString("webroot", "webroot"))
        .setCachingEnabled(false));
    router.route().failureHandler(this::refuse);
    // Requests no route took (unknown paths and methods) get the same JSON refusal as the API.
    router.errorHandler(404, this::refuse).errorHandler(405, this::refuse);

    try {
      Guard.check(router);
    } catch (IllegalStateException e) {
      return Future.failedFuture(e);
    }
    return commands.listen()
        .compose(v -> vertx.createHttpServer().requestHandler(router)
            .listen(http.getInteger("port", 8950), http.getString("host", "127.0.0.1")))
        .compose(srv -> {
          server = srv;
          log.info("HTTP listening on {}:{}", http.getString("host", "127.0.0.1"), srv.actualPort());
          String host = http.getString("host", "127.0.0.1");
          return new WorkRelay(s, "0.0.0.0".equals(host) ? "127.0.0.1" : host, srv.actualPort()).listen();
        });
  }

  public int port() {
    return server.actualPort();
  }

  private static SockJSBridgeOptions bridgeOptions() {
    return new SockJSBridgeOptions()
        .addOutboundPermitted(new PermittedOptions().setAddressRegex(Addresses.projectPattern()))
        .addOutboundPermitted(new PermittedOptions().setAddressRegex(LiveViews.addressPattern()))
        .addOutboundPermitted(new PermittedOptions().setAddress(Addresses.PROJECTS))
        .addOutboundPermitted(new PermittedOptions().setAddress(Addresses.EXECUTORS))
        .addOutboundPermitted(new PermittedOptions().setAddress(Addresses.INBOX))
        .addInboundPermitted(new PermittedOptions().setAddress(Addresses.COMMAND_START))
        .addInboundPermitted(new PermittedOptions().setAddress(Addresses.COMMAND_RESOLVE))
        .addInboundPermitted(new PermittedOptions().setAddress(Addresses.COMMAND_ESCALATE))
        .addInboundPermitted(new PermittedOptions().setAddress(Addresses.COMMAND_CANCEL));
  }

  /** Every refusal and every unexpected throwable ends here, as a JSON body with its status. */
  private void refuse(RoutingContext ctx) {
    Refusal r;
    if (ctx.failure() != null) {
      r = Refusal.of(ctx.failure());
      if (r.status() >= 500) {
        log.warn("Request {} {} could not be served: {}", ctx.request().method(), ctx.request().path(), ctx.failure().toString());
      }
    } else {
      int code = ctx.statusCode();
      r = new Refusal(code, code == 413 ? "Body too large" : code == 404 ? "Not found" : code == 405 ? "Method not allowed" : "Refused",
          code == 413 ? "the request body is larger than the limit"
              : code == 404 || code == 405 ? "no such endpoint: " + ctx.request().method() + " " + ctx.request().path()
              : "request refused with status " + code);
    }
    Http.json(ctx, r.status(), r.body());
  }
}
