package io.productionline.web;

import static io.productionline.auth.Role.ADMIN;
import static io.productionline.auth.Role.EXECUTOR;
import static io.vertx.core.http.HttpMethod.DELETE;
import static io.vertx.core.http.HttpMethod.GET;
import static io.vertx.core.http.HttpMethod.POST;
import static io.vertx.core.http.HttpMethod.PUT;

import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.auth.Caller;
import io.productionline.auth.Role;
import io.productionline.events.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.User;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Authentication and authorization in one place, before every handler. Everything under
 * {@code /api}, {@code /production}, {@code /assembly-line} (but the dashboard page),
 * {@code /metrics} and {@code /eventbus} needs a bearer token (HS256 JWT, see
 * {@link io.productionline.auth.Tokens}) and a {@link Rule} of {@link #RULES} that lets the
 * token's role call that method and path; anything without a rule is refused (deny by default),
 * and {@link #check} refuses to start a node whose router has a protected route no rule covers.
 * {@code /health}, the contract ({@code /openapi.json}) and the static dashboard shell are open ({@link #OPEN}).
 *
 * <p>Answers: 401 (with {@code WWW-Authenticate: Bearer}) without a token or with one that does not
 * verify; 403 when the role may not; 404 / 405 for paths and methods there are none of. An
 * executor may name only itself where a rule says so ({@link Self}); which task it holds, and the
 * {@code executor_id} of a body, the handlers check ({@link #caller}).
 *
 * <p>The SockJS bridge: {@link #bridgeEvent} lets a reader register and an operator send to the
 * operator command addresses, by the token in the frame's {@code headers.token} (what the
 * dashboard's {@code bridge.js} sends), or else the token the connection was opened with; the
 * caller's subject goes to the command as header {@code actor} and the token is removed.
 */
final class Guard implements Handler<RoutingContext> {

  /** Where an executor's own id must appear: nowhere, the path parameter {@code id}, or the query parameter {@code executor_id}. */
  enum Self { NONE, PATH_ID, QUERY_EXECUTOR_ID }

  /**
   * Who may call one method and path; {@code method} null is any method. {@code literal} is the
   * path up to its first parameter or wildcard: a request path that does not start with it cannot match.
   */
  record Rule(HttpMethod method, String path, Set<Role> roles, Self self, boolean tokenInQuery, Pattern regex, String literal) {

    Rule self(Self s) {
      return new Rule(method, path, roles, s, tokenInQuery, regex, literal);
    }

    /** The token may come as {@code ?token=} too: SSE and WebSocket clients cannot always set headers. */
    Rule withQueryToken() {
      return new Rule(method, path, roles, self, true, regex, literal);
    }

    boolean matches(String requestPath) {
      return requestPath.startsWith(literal) && regex.matcher(requestPath).matches();
    }

    boolean allows(HttpMethod m) {
      return method == null || method.equals(m);
    }

    String name() {
      return (method == null ? "ANY" : method.name()) + " " + path;
    }
  }

  static final String CALLER = "pl.caller";

  private static final Set<Role> READERS = Role.READERS;
  private static final Set<Role> OPERATORS = Role.OPERATORS;
  private static final Set<Role> ADMINS = EnumSet.of(ADMIN);
  private static final Set<Role> EXECUTORS = EnumSet.of(EXECUTOR);
  private static final Set<Role> READERS_AND_EXECUTORS = EnumSet.of(ADMIN, Role.OPERATOR, Role.VIEWER, EXECUTOR);
  private static final Set<Role> EXECUTORS_AND_ADMINS = EnumSet.of(EXECUTOR, ADMIN);

  /** The route table: every protected endpoint and who may call it. */
  static final List<Rule> RULES = List.of(
      rule(GET, "/metrics", READERS),
      rule(GET, "/production", READERS),
      rule(GET, "/production/events", READERS).withQueryToken(),
      rule(GET, "/production/ws", READERS).withQueryToken(),
      rule(POST, "/production/start", OPERATORS),
      rule(GET, "/production/track/:id", READERS),
      rule(GET, "/production/track/:id/why", READERS),
      rule(GET, "/production/metrics", READERS),
      rule(GET, "/api/v1/inbox", READERS),
      rule(POST, "/production/track/:id/cancel", OPERATORS),
      rule(POST, "/production/tracks/cancel", OPERATORS),
      rule(POST, "/production/tracks/acknowledge", OPERATORS),
      rule(GET, "/api/v1/projects", READERS),
      rule(POST, "/api/v1/projects", OPERATORS),
      rule(GET, "/api/v1/projects/:id", READERS),
      rule(GET, "/api/v1/projects/:id/interrupts", READERS),
      rule(POST, "/api/v1/projects/:id/archive", OPERATORS),
      rule(GET, "/api/v1/lines", READERS),
      rule(POST, "/api/v1/lines", ADMINS),
      rule(POST, "/api/v1/lines/validate", READERS),
      rule(GET, "/api/v1/lines/:name", READERS),
      rule(PUT, "/api/v1/lines/:name", ADMINS),
      rule(GET, "/api/v1/lines/:name/versions", READERS),
      rule(GET, "/api/v1/lines/:name/versions/:n", READERS),
      rule(GET, "/api/v1/lines/:name/diff", READERS),
      rule(POST, "/api/v1/lines/:name/retire", ADMINS),
      rule(GET, "/api/v1/skills", READERS),
      rule(GET, "/api/v1/skills/:id", READERS),
      rule(GET, "/api/v1/interrupts", READERS),
      rule(GET, "/api/v1/interrupts/:id", READERS),
      rule(POST, "/api/v1/interrupts/:id/resolve", OPERATORS),
      rule(POST, "/api/v1/interrupts/:id/escalate", OPERATORS),
      rule(POST, "/api/v1/tracks/:id/outcome", OPERATORS),
      rule(GET, "/api/v1/tracks/:id/artifacts", READERS_AND_EXECUTORS),
      rule(GET, "/api/v1/executors", READERS),
      rule(POST, "/api/v1/executors", EXECUTORS),
      rule(GET, "/api/v1/executors/:id", READERS_AND_EXECUTORS).self(Self.PATH_ID),
      rule(DELETE, "/api/v1/executors/:id", EXECUTORS_AND_ADMINS).self(Self.PATH_ID),
      rule(POST, "/api/v1/executors/:id/heartbeat", EXECUTORS).self(Self.PATH_ID),
      rule(GET, "/api/v1/work/next", EXECUTORS).self(Self.QUERY_EXECUTOR_ID),
      rule(POST, "/api/v1/work/complete", EXECUTORS),
      rule(POST, "/api/v1/work/:task/progress", EXECUTORS),
      rule(POST, "/api/v1/work/:task/events", EXECUTORS),
      rule(POST, "/api/v1/work/:task/artifacts", EXECUTORS),
      rule(POST, "/api/v1/work/:task/complete", EXECUTORS),
      rule(POST, "/api/v1/work/:task/release", EXECUTORS),
      rule(GET, "/api/v1/runs", READERS).withQueryToken(),
      rule(GET, "/api/v1/runs/:task", READERS_AND_EXECUTORS),
      rule(GET, "/api/v1/runs/:task/logs", READERS_AND_EXECUTORS).withQueryToken(),
      rule(GET, "/api/v1/runs/:task/artifacts", READERS_AND_EXECUTORS),
      rule(GET, "/api/v1/runs/:task/artifacts/:name", READERS_AND_EXECUTORS),
      rule(POST, "/api/v1/runs/:task/reserve", OPERATORS),
      rule(POST, "/api/v1/runs/:task/release", OPERATORS),
      rule(GET, "/api/v1/assignments", READERS),
      rule(POST, "/api/v1/tokens", ADMINS),
      rule(GET, "/api/v1/audit", ADMINS),
      rule(POST, "/assembly-line/intent", OPERATORS),
      rule(GET, "/assembly-line/intent/:id", READERS),
      rule(GET, "/assembly-line/work/next", EXECUTORS).self(Self.QUERY_EXECUTOR_ID),
      rule(POST, "/assembly-line/work/progress", EXECUTORS),
      rule(POST, "/assembly-line/work/complete", EXECUTORS),
      rule(POST, "/assembly-line/verify", READERS),
      rule(GET, "/assembly-line/state", READERS),
      rule(GET, "/assembly-line/queue", READERS).withQueryToken(),
      rule(null, "/eventbus/*", READERS).withQueryToken());

  /** Path prefixes that need a token; everything else is the open dashboard shell and {@code /health}. */
  private static final List<String> PROTECTED = List.of("/api", "/production", "/assembly-line", "/metrics", "/eventbus");
  /**
   * The open endpoints, for GET: the dashboard page (protected-looking), {@code /health}, and the
   * contract {@code /openapi.json}, which is open on purpose: it says what the API has and who may
   * call it, never anything of the line's data, and a client needs it before it has a token.
   * (The dashboard's static files are open too: they are outside {@link #PROTECTED}.)
   */
  static final Set<String> OPEN = Set.of("/assembly-line/dashboard", "/health", Contract.PATH);
  /** The bus addresses the bridge lets an operator send to. */
  static final Set<String> COMMANDS = Set.of(Addresses.COMMAND_START, Addresses.COMMAND_RESOLVE, Addresses.COMMAND_ESCALATE,
      Addresses.COMMAND_CANCEL);

  private final Services s;
  private final io.productionline.track.LiveViews liveViews;

  Guard(Services s, io.productionline.track.LiveViews liveViews) {
    this.liveViews = liveViews;
    this.s = s;
  }

  private static Rule rule(HttpMethod method, String path, Set<Role> roles) {
    StringBuilder regex = new StringBuilder("^");
    if (path.endsWith("/*")) {
      regex.append(Pattern.quote(path.substring(0, path.length() - 2))).append("(?:/.*)?");
    } else {
      for (String segment : path.substring(1).split("/")) {
        regex.append('/');
        regex.append(segment.startsWith(":") ? "(?<" + segment.substring(1) + ">[^/]+)" : Pattern.quote(segment));
      }
    }
    int param = path.indexOf("/:");
    int wild = path.indexOf("/*");
    int end = Math.min(param < 0 ? path.length() : param, wild < 0 ? path.length() : wild);
    return new Rule(method, path, Set.copyOf(roles), Self.NONE, false, Pattern.compile(regex.append('$').toString()),
        path.substring(0, end));
  }

  static boolean isProtected(String path) {
    return !OPEN.contains(path) && PROTECTED.stream().anyMatch(path::startsWith);
  }

  /** The rules whose path matches, in table order. */
  static List<Rule> matching(String path) {
    List<Rule> out = new ArrayList<>(2);
    for (Rule r : RULES) {
      if (r.matches(path)) {
        out.add(r);
      }
    }
    return out;
  }

  /** The authenticated caller of a request the guard let through. */
  static Caller caller(RoutingContext ctx) {
    Caller c = ctx.get(CALLER);
    if (c == null) {
      throw new IllegalStateException("no caller on a guarded request: " + ctx.request().path());
    }
    return c;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    if (!isProtected(path)) {
      ctx.next();
      return;
    }
    List<Rule> byPath = matching(path);
    Optional<Rule> rule = byPath.stream().filter(r -> r.allows(ctx.request().method())).findFirst();
    String token = bearer(ctx, rule.map(Rule::tokenInQuery).orElse(false));
    if (token == null) {
      unauthorized(ctx, "this endpoint needs a bearer token: send Authorization: Bearer <token> (scripts/token mints one; "
          + "the embedded default writes data/tokens/operator.token)");
      return;
    }
    Future<User> verified = s.tokens.authenticate(token);
    if (verified.isComplete()) {
      decide(ctx, verified, byPath, rule);
    } else {
      // Verification that did not finish at once: hold the body until it has (BodyHandler resumes it).
      ctx.request().pause();
      verified.onComplete(ar -> decide(ctx, verified, byPath, rule));
    }
  }

  private void decide(RoutingContext ctx, Future<User> verified, List<Rule> byPath, Optional<Rule> rule) {
    Optional<Caller> caller = verified.succeeded() ? Caller.of(verified.result()) : Optional.empty();
    if (caller.isEmpty()) {
      unauthorized(ctx, "the bearer token is not valid: its signature, issuer, expiry or role did not check out");
      return;
    }
    String what = ctx.request().method().name() + " " + ctx.request().path();
    if (byPath.isEmpty()) {
      refuse(ctx, Refusal.notFound("no such endpoint: " + what));
      return;
    }
    if (rule.isEmpty()) {
      refuse(ctx, new Refusal(405, "Method not allowed", "no such endpoint: " + what));
      return;
    }
    Caller c = caller.get();
    Rule r = rule.get();
    if (!r.roles().contains(c.role())) {
      refuse(ctx, forbidden("role " + c.role().wire() + " may not call " + r.name() + "; it is for "
          + r.roles().stream().map(Role::wire).sorted().collect(Collectors.joining(", "))));
      return;
    }
    if (c.is(EXECUTOR) && r.self() != Self.NONE) {
      String named = r.self() == Self.PATH_ID ? pathParam(r, ctx.normalizedPath(), "id") : ctx.queryParams().get("executor_id");
      if (named != null && !c.actsAs(named)) {
        refuse(ctx, forbidden("executor " + c.executorId() + " may act only as itself, not as " + named));
        return;
      }
    }
    ctx.put(CALLER, c);
    if ("websocket".equalsIgnoreCase(ctx.request().getHeader("Upgrade"))) {
      ctx.request().resume();
    }
    ctx.next();
  }

  private static String pathParam(Rule r, String path, String name) {
    Matcher m = r.regex().matcher(path);
    return m.matches() ? m.group(name) : null;
  }

  /** The token of the {@code Authorization: Bearer} header, or of {@code ?token=} where the rule allows it. */
  private static String bearer(RoutingContext ctx, boolean queryToken) {
    String header = ctx.request().getHeader("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      String t = header.substring(7).trim();
      return t.isEmpty() ? null : t;
    }
    if (queryToken) {
      String t = ctx.queryParams().get("token");
      return t == null || t.isBlank() ? null : t.trim();
    }
    return null;
  }

  private static void unauthorized(RoutingContext ctx, String detail) {
    ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"production-line\"");
    refuse(ctx, new Refusal(401, "Unauthorized", detail));
  }

  static Refusal forbidden(String detail) {
    return new Refusal(403, "Forbidden", detail);
  }

  private static void refuse(RoutingContext ctx, Refusal r) {
    ctx.request().resume();
    ctx.fail(r);
  }

  /**
   * Refuses to start with a protected route that no rule covers: a handler mounted without a rule
   * would otherwise only ever answer 404/405 from the guard, silently.
   */
  static void check(Router router) {
    List<String> unguarded = new ArrayList<>();
    for (Route route : router.getRoutes()) {
      String path = route.getPath();
      if (path == null || !isProtected(path) || !route.isExactPath()) {
        continue;
      }
      Set<HttpMethod> methods = route.methods() == null || route.methods().isEmpty() ? null : route.methods();
      boolean covered = RULES.stream().anyMatch(r -> r.path().equals(path)
          && (methods == null ? r.method() == null : methods.stream().allMatch(r::allows)));
      if (!covered) {
        unguarded.add((methods == null ? "ANY" : methods.toString()) + " " + path);
      }
    }
    if (!unguarded.isEmpty()) {
      throw new IllegalStateException("routes without a rule in web.Guard: " + unguarded);
    }
  }

  // --- the SockJS bridge -----------------------------------------------------------------------

  /** Bridge events: who may register and send, and the connected-client and delivery figures. */
  void bridgeEvent(BridgeEvent e) {
    switch (e.type()) {
      case SOCKET_CREATED -> {
        s.metrics.clients("bridge", 1);
        e.complete(true);
      }
      case SOCKET_CLOSED -> {
        s.metrics.clients("bridge", -1);
        liveViews.closed(e.socket());
        e.complete(true);
      }
      case REGISTER -> frameCaller(e).onComplete(ar -> {
        boolean ok = ar.succeeded() && READERS.contains(ar.result().role());
        if (ok) {
          stripToken(e, null);
          liveViews.registered(e.socket(), address(e));
        }
        e.complete(ok);
      });
      case UNREGISTER -> {
        liveViews.unregistered(e.socket(), address(e));
        e.complete(true);
      }
      case SEND, PUBLISH -> frameCaller(e).onComplete(ar -> {
        String address = e.getRawMessage() == null ? null : e.getRawMessage().getString("address");
        boolean ok = ar.succeeded() && COMMANDS.contains(address) && OPERATORS.contains(ar.result().role());
        if (ok) {
          stripToken(e, ar.result());
        }
        e.complete(ok);
      });
      case RECEIVE -> {
        JsonObject raw = e.getRawMessage();
        if (raw != null && raw.getValue("body") instanceof JsonObject body) {
          s.metrics.delivered("bridge", body);
        }
        e.complete(true);
      }
      default -> e.complete(true);
    }
  }

  private static String address(BridgeEvent e) {
    return e.getRawMessage() == null ? null : e.getRawMessage().getString("address");
  }

  /** The caller of a frame: its {@code headers.token}, else the caller the connection was opened by. */
  private Future<Caller> frameCaller(BridgeEvent e) {
    JsonObject raw = e.getRawMessage();
    JsonObject headers = raw == null ? null : raw.getJsonObject("headers");
    String token = headers == null ? null : headers.getString("token");
    if (token != null && !token.isBlank()) {
      return s.tokens.caller(token);
    }
    Caller opener = e.socket() == null || e.socket().routingContext() == null ? null : e.socket().routingContext().get(CALLER);
    return opener == null ? Future.failedFuture(new IllegalArgumentException("no token")) : Future.succeededFuture(opener);
  }

  /** Takes the token out of the frame; names the caller in header {@code actor} (never the client's own). */
  private static void stripToken(BridgeEvent e, Caller caller) {
    JsonObject raw = e.getRawMessage();
    if (raw == null) {
      return;
    }
    JsonObject headers = raw.getJsonObject("headers", new JsonObject()).copy();
    headers.remove("token");
    headers.remove("actor");
    if (caller != null) {
      headers.put("actor", caller.subject());
    }
    e.setRawMessage(raw.copy().put("headers", headers));
  }
}
