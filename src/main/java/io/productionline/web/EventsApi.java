package io.productionline.web;

import io.productionline.Refusal;
import io.productionline.Services;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Live events of a project for clients outside the event bus:
 * {@code GET /production/events?project=} as SSE (resumable with {@code Last-Event-ID} or
 * {@code ?after=}), and the WebSocket {@code /production/ws}, where a client subscribes by message:
 * {@code {"subscribe":"<project>","after":<seq>}}. Both send the same JSON as the bus.
 */
final class EventsApi {

  private final Services s;
  private final AtomicInteger clients = new AtomicInteger();

  EventsApi(Services s) {
    this.s = s;
  }

  void mount(Router router) {
    router.get("/production/events").handler(this::sse);
    router.get("/production/ws").handler(this::websocket);
  }

  int clients() {
    return clients.get();
  }

  private void sse(RoutingContext ctx) {
    String project;
    long after;
    try {
      project = Http.query(ctx, "project", true);
      after = sequence(ctx.request().getHeader("Last-Event-ID") != null
          ? ctx.request().getHeader("Last-Event-ID") : ctx.queryParams().get("after"));
    } catch (RuntimeException e) {
      ctx.fail(e);
      return;
    }
    knownProject(project).onFailure(ctx::fail).onSuccess(v -> {
      HttpServerResponse res = ctx.response().setChunked(true)
          .putHeader("Content-Type", "text/event-stream").putHeader("Cache-Control", "no-cache")
          .putHeader("X-Accel-Buffering", "no");
      Sse.comment(res, "production line events for " + project);
      clients.incrementAndGet();
      s.metrics.clients("sse", 1);
      java.time.Instant opened = s.clock.instant();
      ProjectStream.open(s, project, after, e -> {
        Sse.write(res, e.getLong("seq"), e.getString("type"), e);
        s.metrics.delivered("sse", e, opened);
      })
          .onSuccess(stream -> {
            long ping = s.vertx.setPeriodic(15_000, t -> Sse.comment(res, "keep-alive"));
            Runnable release = () -> {
              if (s.vertx.cancelTimer(ping)) {
                clients.decrementAndGet();
                s.metrics.clients("sse", -1);
              }
              stream.close();
            };
            res.closeHandler(x -> release.run());
            res.endHandler(x -> release.run());
            if (res.closed()) {
              release.run();
            }
          })
          .onFailure(e -> {
            clients.decrementAndGet();
            s.metrics.clients("sse", -1);
            res.end();
          });
    });
  }

  private void websocket(RoutingContext ctx) {
    ctx.request().toWebSocket().onSuccess(ws -> {
      clients.incrementAndGet();
      s.metrics.clients("websocket", 1);
      ProjectStream[] current = new ProjectStream[1];
      ws.textMessageHandler(text -> {
        JsonObject msg;
        try {
          msg = new JsonObject(text);
        } catch (DecodeException e) {
          refuse(ws, Refusal.badRequest("send {\"subscribe\":\"<project>\",\"after\":<seq>}"));
          return;
        }
        Object project = msg.getValue("subscribe");
        if (!(project instanceof String p) || !Http.ID.matcher(p).matches()) {
          refuse(ws, Refusal.badRequest("subscribe must name a project"));
          return;
        }
        long after;
        try {
          after = sequence(msg.getValue("after") == null ? null : String.valueOf(msg.getValue("after")));
        } catch (Refusal r) {
          refuse(ws, r);
          return;
        }
        java.time.Instant opened = s.clock.instant();
        knownProject(p)
            .compose(v -> {
              if (current[0] != null) {
                current[0].close();
              }
              return ProjectStream.open(s, p, after, e -> {
                if (!ws.isClosed()) {
                  ws.writeTextMessage(e.encode());
                  s.metrics.delivered("websocket", e, opened);
                }
              });
            })
            .onSuccess(stream -> {
              current[0] = stream;
              ws.writeTextMessage(new JsonObject().put("type", "subscribed").put("project", p).encode());
            })
            .onFailure(e -> refuse(ws, e));
      });
      ws.closeHandler(v -> {
        clients.decrementAndGet();
        s.metrics.clients("websocket", -1);
        if (current[0] != null) {
          current[0].close();
        }
      });
    }).onFailure(e -> ctx.fail(Refusal.badRequest("/production/ws takes a WebSocket upgrade (" + e.getMessage() + ")")));
  }

  private static void refuse(ServerWebSocket ws, Throwable t) {
    Refusal r = Refusal.of(t);
    ws.writeTextMessage(r.body().put("type", "refused").encode());
  }

  private Future<Void> knownProject(String project) {
    return s.projects.find(s.pool, project).compose(p -> p.isPresent()
        ? Future.succeededFuture()
        : io.productionline.track.Tracks.<Void>unknownProject(s, project));
  }

  private static long sequence(String v) {
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
