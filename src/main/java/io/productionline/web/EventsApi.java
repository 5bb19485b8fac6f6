package io.productionline.web;

import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.events.Addresses;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /production/events?project=}: the project's events as SSE. Resumable: with
 * {@code Last-Event-ID} (or {@code ?after=}) the client first receives every stored event after that
 * sequence number, then the live stream, with no gap and no duplicate — the live consumer is
 * registered before the replay is read, and live events at or below the last replayed sequence are
 * dropped.
 */
final class EventsApi {

  private static final String REPLAY = """
      SELECT seq, type, payload FROM track_events WHERE project_id = $1 AND seq > $2 ORDER BY seq LIMIT 10000""";

  private final Services s;

  EventsApi(Services s) {
    this.s = s;
  }

  void mount(Router router) {
    router.get("/production/events").handler(this::stream);
  }

  private void stream(RoutingContext ctx) {
    String project;
    long after;
    try {
      project = Http.query(ctx, "project", true);
      after = lastEventId(ctx);
    } catch (RuntimeException e) {
      ctx.fail(e);
      return;
    }
    s.projects.find(s.pool, project).onComplete(ar -> {
      if (ar.failed() || ar.result().isEmpty()) {
        ctx.fail(ar.failed() ? ar.cause() : Refusal.notFound("no project " + project));
        return;
      }
      open(ctx, project, after);
    });
  }

  private void open(RoutingContext ctx, String project, long after) {
    HttpServerResponse res = ctx.response().setChunked(true)
        .putHeader("Content-Type", "text/event-stream").putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no");
    long[] lastSent = {after};
    List<JsonObject> buffered = new ArrayList<>();
    boolean[] replaying = {true};
    MessageConsumer<JsonObject> live = s.vertx.eventBus().consumer(Addresses.project(project), m -> {
      if (replaying[0]) {
        buffered.add(m.body());
      } else {
        send(res, m.body(), lastSent);
      }
    });
    long ping = s.vertx.setPeriodic(15_000, t -> Sse.comment(res, "keep-alive"));
    Runnable release = () -> {
      live.unregister();
      s.vertx.cancelTimer(ping);
    };
    res.closeHandler(v -> release.run());
    res.endHandler(v -> release.run());
    Sse.comment(res, "production line events for " + project);
    live.completion()
        .compose(v -> s.pool.preparedQuery(REPLAY).execute(Tuple.of(project, after)))
        .onSuccess(rows -> {
          for (Row r : rows) {
            JsonObject e = new JsonObject().put("type", r.getString("type")).put("seq", r.getLong("seq"))
                .mergeIn((JsonObject) r.getValue("payload"));
            send(res, e, lastSent);
          }
          replaying[0] = false;
          buffered.forEach(e -> send(res, e, lastSent));
          buffered.clear();
        })
        .onFailure(e -> {
          release.run();
          res.end();
        });
  }

  /** Sends an event unless it was sent already; events without a sequence (progress) always go. */
  private static void send(HttpServerResponse res, JsonObject e, long[] lastSent) {
    Long seq = e.getLong("seq");
    if (seq != null) {
      if (seq <= lastSent[0]) {
        return;
      }
      lastSent[0] = seq;
    }
    Sse.write(res, seq, e.getString("type"), e);
  }

  private static long lastEventId(RoutingContext ctx) {
    String v = ctx.request().getHeader("Last-Event-ID");
    if (v == null) {
      v = ctx.queryParams().get("after");
    }
    if (v == null || v.isEmpty()) {
      return 0;
    }
    try {
      long n = Long.parseLong(v.trim());
      if (n < 0) {
        throw Refusal.badRequest("Last-Event-ID must be a sequence number");
      }
      return n;
    } catch (NumberFormatException e) {
      throw Refusal.badRequest("Last-Event-ID must be a sequence number");
    }
  }
}
