package io.productionline.web;

import io.productionline.Services;
import io.productionline.work.WorkService;
import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /metrics}: Prometheus text. The gauges that describe the whole line (queue depth by
 * capability, executors alive, interrupts open) are read when scraped, so they are never stale;
 * the counters and histograms count what this node did (see {@link io.productionline.metrics.Metrics}).
 */
final class MetricsApi {

  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
  private static final String OPEN_INTERRUPTS = "SELECT count(*) FROM interrupts WHERE status = 'open'";

  private final Services s;
  private final WorkService work;

  MetricsApi(Services s, WorkService work) {
    this.s = s;
    this.work = work;
  }

  void mount(Router router) {
    router.get("/metrics").handler(this::scrape);
  }

  private void scrape(RoutingContext ctx) {
    Future<Map<String, Integer>> depth = s.tasks.queueDepth(s.pool);
    Future<Long> alive = work.executors().list()
        .map(list -> list.stream().filter(e -> !"offline".equals(e.getString("status"))).count());
    Future<Long> open = s.pool.query(OPEN_INTERRUPTS).execute().map(rows -> rows.iterator().next().getLong(0));
    Future.all(List.of(depth, alive, open)).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      s.metrics.queueDepth(depth.result());
      s.metrics.executorsAlive(alive.result());
      s.metrics.interruptsOpen(open.result());
      ctx.response().putHeader("Content-Type", CONTENT_TYPE).end(s.metrics.scrape());
    });
  }
}
