package io.productionline.web;

import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.cluster.Membership;
import io.productionline.events.Addresses;
import io.productionline.track.LineOrchestrator;
import io.productionline.track.LiveViews;
import io.productionline.track.ProductionView;
import io.productionline.track.TrackSupervisor;
import io.productionline.work.WorkService;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.FileSystemAccess;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import java.util.ArrayList;
import java.util.List;
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
  private final Membership membership;
  private final LiveViews liveViews;
  private HttpServer server;
  private Router router;

  public WebVerticle(Services s, TrackSupervisor supervisor, LineOrchestrator orchestrator, WorkService work, ProductionView view,
                     LiveViews liveViews, Membership membership) {
    this.s = s;
    this.liveViews = liveViews;
    this.membership = membership;
    this.supervisor = supervisor;
    this.orchestrator = orchestrator;
    this.work = work;
    this.view = view;
  }

  @Override
  public Future<?> start() {
    return Contract.load(vertx).compose(this::serve);
  }

  /** Builds the router on {@code contract} (the bodies it validates, and /openapi.json) and listens. */
  private Future<?> serve(Contract contract) {
    JsonObject http = s.config.getJsonObject("http", new JsonObject());
    long maxBody = s.config.getJsonObject("work", new JsonObject()).getLong("max_body_bytes", 1_048_576L);
    OperatorCommands commands = new OperatorCommands(s, orchestrator, supervisor);
    Schemas schemas = Schemas.of(contract);

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
    new HealthApi(s, membership).mount(router);
    contract.mount(router);
    new ProductionApi(commands, view, schemas).mount(router);
    new EventsApi(s).mount(router);
    new ProjectsApi(s, orchestrator, schemas).mount(router);
    new LinesApi(s).mount(router);
    new InterruptsApi(s, commands, schemas).mount(router);
    new SkillsApi(s).mount(router);
    new WorkApi(s, work, view, schemas).mount(router);
    new AssemblyLineApi(s, orchestrator, work).mount(router);
    new AnalyticsApi(s, view.analytics()).mount(router);
    new AdminApi(s, schemas).mount(router);
    new MetricsApi(s, work).mount(router);
    new RunsApi(s, work).mount(router);
    new WorkbenchApi(s, commands).mount(router);
    router.route("/eventbus/*").subRouter(SockJSHandler.create(vertx).bridge(bridgeOptions(), guard::bridgeEvent));
    router.get("/assembly-line/dashboard").handler(ctx -> ctx.reroute("/intents.html"));
    router.route("/api/*").handler(ctx -> ctx.fail(Refusal.notFound("no such endpoint: " + ctx.request().method() + " " + ctx.request().path())));
    // ./webroot, else the jar's webroot/ (Vert.x reads the classpath when the file is not on disk); a named directory instead.
    String webroot = s.config.getString("webroot", "webroot");
    FileSystemAccess access = java.nio.file.Path.of(webroot).isAbsolute() ? FileSystemAccess.ROOT : FileSystemAccess.RELATIVE;
    router.route().handler(StaticHandler.create(access, webroot)
        .setCachingEnabled(false));
    router.route().failureHandler(this::refuse);
    // Requests no route took (unknown paths and methods) get the same JSON refusal as the API.
    router.errorHandler(404, this::refuse).errorHandler(405, this::refuse);

    try {
      Guard.check(router);
    } catch (IllegalStateException e) {
      return Future.failedFuture(e);
    }
    this.router = router;
    return commands.listen()
        .compose(v -> vertx.createHttpServer(new HttpServerOptions()
                .setMaxInitialLineLength(http.getInteger("max_initial_line_length", HttpServerOptions.DEFAULT_MAX_INITIAL_LINE_LENGTH))
                .setMaxHeaderSize(http.getInteger("max_header_size", HttpServerOptions.DEFAULT_MAX_HEADER_SIZE)))
            .requestHandler(router)
            .invalidRequestHandler(Http::invalidRequest)
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

  /** The routes this node serves with an exact path, as {@code "METHOD /path/:param"} ({@code ANY} for every method). */
  public List<String> routes() {
    List<String> out = new ArrayList<>();
    for (Route r : router.getRoutes()) {
      if (r.getPath() == null || !r.isExactPath()) {
        continue;
      }
      if (r.methods() == null || r.methods().isEmpty()) {
        out.add("ANY " + r.getPath());
      } else {
        r.methods().forEach(m -> out.add(m.name() + " " + r.getPath()));
      }
    }
    return out;
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
      r = Http.problem(ctx.failure());
      if (r.status() == 503) {
        log.info("Request {} {} answered 503: {}", ctx.request().method(), ctx.request().path(), ctx.failure().getMessage());
      } else if (r.status() >= 500) {
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
