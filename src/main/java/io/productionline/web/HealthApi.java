package io.productionline.web;

import io.productionline.Services;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * {@code GET /health}: status, service, version, timestamp, and checks of PostgreSQL, Redis, this
 * node's lease (held, epoch, expires_at: a node without a valid lease owns no track) and the cluster.
 */
final class HealthApi {

  static final String SERVICE = "production-line";
  static final String VERSION = "0.1.0";

  private final Services s;
  private final HealthChecks checks;

  HealthApi(Services s) {
    this.s = s;
    this.checks = HealthChecks.create(s.vertx)
        .register("postgresql", 2000, p -> s.pool.query("SELECT 1").execute()
            .onSuccess(r -> p.complete(Status.OK()))
            .onFailure(e -> p.complete(Status.KO(new JsonObject().put("reason", e.getMessage())))))
        .register("redis", 2000, p -> s.redis.ping(List.of())
            .onSuccess(r -> p.complete(Status.OK()))
            .onFailure(e -> p.complete(Status.KO(new JsonObject().put("reason", e.getMessage())))))
        .register("lease", 2000, p -> p.complete(s.lease.held() ? Status.OK(s.lease.json()) : Status.KO(s.lease.json())))
        .register("cluster", 2000, p -> p.complete(Status.OK(new JsonObject()
            .put("clustered", s.node.clustered()).put("node", s.node.id())
            .put("members", new JsonArray(s.node.liveNodes())))));
  }

  void mount(Router router) {
    router.get("/health").handler(this::health);
  }

  private void health(RoutingContext ctx) {
    checks.checkStatus().onComplete(ar -> {
      JsonObject report = new JsonObject();
      boolean up = false;
      if (ar.succeeded()) {
        up = ar.result().getUp();
        JsonObject json = ar.result().toJson();
        for (Object c : json.getJsonArray("checks", new JsonArray())) {
          JsonObject check = (JsonObject) c;
          JsonObject out = new JsonObject().put("status", check.getString("status", "DOWN").equals("UP") ? "ok" : "down");
          if (check.getJsonObject("data") != null) {
            out.mergeIn(check.getJsonObject("data"));
          }
          report.put(check.getString("id"), out);
        }
      }
      JsonObject body = new JsonObject()
          .put("status", up ? "ok" : "degraded")
          .put("service", SERVICE)
          .put("version", VERSION)
          .put("timestamp", s.clock.instant().toString())
          .put("node", s.node.id())
          .put("checks", report);
      Http.json(ctx, up ? 200 : 503, body);
    });
  }
}
