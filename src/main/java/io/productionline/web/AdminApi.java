package io.productionline.web;

import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.auth.Role;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Pattern;

/**
 * Admin only ({@link Guard}): {@code POST /api/v1/tokens} mints a bearer token, and
 * {@code GET /api/v1/audit} reads the audit log, newest first. Minting is itself audited (the
 * role, name, executor and expiry; never the token).
 */
final class AdminApi {

  private static final Pattern ACTION = Pattern.compile("[a-z_]{1,64}");

  private final Services s;
  private final Schemas schemas;
  private final Duration defaultTtl;

  AdminApi(Services s, Schemas schemas) {
    this.s = s;
    this.schemas = schemas;
    this.defaultTtl = Duration.ofDays(s.config.getJsonObject("auth", new JsonObject()).getInteger("token_days", 30));
  }

  void mount(Router router) {
    router.post("/api/v1/tokens").handler(ctx -> Http.guarded(ctx, 201, this::mint));
    router.get("/api/v1/audit").handler(ctx -> Http.guarded(ctx, this::audit));
  }

  /** {@code {role, name?, executor_id?, ttl_seconds?}} → 201 {@code {token, role, name, executor_id, expires_at}}. */
  private Future<JsonObject> mint(RoutingContext ctx) {
    JsonObject body = schemas.check(Schemas.TOKEN, Http.body(ctx));
    Role role = Role.parse(body.getString("role")).orElseThrow(() -> Refusal.badRequest("role must be one of admin, operator, executor, viewer"));
    String executorId = body.getString("executor_id");
    String name = body.getString("name", executorId != null ? executorId : role.wire());
    Duration ttl = body.containsKey("ttl_seconds") ? Duration.ofSeconds(body.getLong("ttl_seconds")) : defaultTtl;
    String token = s.tokens.mint(role, name, executorId, ttl);
    Instant expires = Instant.now().plus(ttl);
    String actor = Actors.of(ctx);
    JsonObject detail = new JsonObject().put("role", role.wire()).put("name", name).put("executor_id", executorId)
        .put("expires_at", expires.toString());
    return s.audit.record(s.pool, actor, "mint_token", name, detail, s.clock.instant())
        .map(v -> detail.copy().put("token", token));
  }

  /** {@code ?action=&actor=&before=<id>&limit=} → {@code {entries: [...], next_before}}. */
  private Future<JsonObject> audit(RoutingContext ctx) {
    String action = ctx.queryParams().get("action");
    if (action != null && !ACTION.matcher(action).matches()) {
      throw Refusal.badRequest("query parameter action must be a lower-case action name such as cancel or resolve");
    }
    String actor = Http.query(ctx, "actor", false);
    int limit = Http.intQuery(ctx, "limit", 100, 1, 1000);
    String before = ctx.queryParams().get("before");
    long below;
    try {
      below = before == null || before.isBlank() ? 0 : Long.parseLong(before.trim());
      if (below < 0) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      throw Refusal.badRequest("query parameter before must be an audit entry id, a whole number");
    }
    return s.audit.page(s.pool, below, action, actor, limit).map(entries -> new JsonObject().put("entries", entries)
        .put("next_before", entries.size() < limit ? null : entries.getJsonObject(entries.size() - 1).getLong("id")));
  }
}
