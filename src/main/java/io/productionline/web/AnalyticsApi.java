package io.productionline.web;

import io.productionline.Services;
import io.productionline.analytics.LineAnalytics;
import io.vertx.ext.web.Router;

/**
 * Line analytics over HTTP: {@code GET /production/metrics?project=} (flow metrics of the project's
 * line, the bottleneck, the project's forecast) and {@code GET /production/track/{id}/why} (the
 * exact cause a track waits).
 */
final class AnalyticsApi {

  private final LineAnalytics analytics;

  AnalyticsApi(Services s, LineAnalytics analytics) {
    this.analytics = analytics;
  }

  void mount(Router router) {
    router.get("/production/metrics").handler(ctx -> Http.guarded(ctx, c -> {
      String project = Http.query(c, "project", true);
      analytics.interest(project);
      return analytics.metrics(project);
    }));
    router.get("/production/track/:id/why").handler(ctx -> Http.guarded(ctx, c -> analytics.why(Http.id(c, "id"))));
  }
}
