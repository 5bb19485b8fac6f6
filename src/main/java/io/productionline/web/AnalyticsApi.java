package io.productionline.web;

import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.analytics.LineAnalytics;
import io.productionline.interrupt.Inbox;
import io.productionline.line.InterruptType;
import io.vertx.ext.web.Router;

/**
 * Line analytics over HTTP: {@code GET /production/metrics?project=} (flow metrics of the project's
 * line, the bottleneck, the project's forecast), {@code GET /production/track/{id}/why} (the exact
 * cause a track waits) and {@code GET /api/v1/inbox} (open interrupts across projects, oldest first,
 * with SLA countdowns; {@code ?project=}, {@code ?type=}, {@code ?limit=}).
 */
final class AnalyticsApi {

  private final LineAnalytics analytics;
  private final Inbox inbox;

  AnalyticsApi(Services s, LineAnalytics analytics) {
    this.analytics = analytics;
    this.inbox = new Inbox(s);
  }

  void mount(Router router) {
    router.get("/production/metrics").handler(ctx -> Http.guarded(ctx, c -> {
      String project = Http.query(c, "project", true);
      analytics.interest(project);
      return analytics.metrics(project);
    }));
    router.get("/production/track/:id/why").handler(ctx -> Http.guarded(ctx, c -> analytics.why(Http.id(c, "id"))));
    router.get("/api/v1/inbox").handler(ctx -> Http.guarded(ctx, c -> {
      String type = Http.query(c, "type", false);
      if (type != null && InterruptType.parse(type).isEmpty()) {
        throw Refusal.badRequest("type must be one of clarification, audit_review, constraint_conflict, approval");
      }
      return inbox.view(Http.query(c, "project", false), type, Http.intQuery(c, "limit", Inbox.DEFAULT_LIMIT, 1, 2000));
    }));
  }
}
