package io.productionline.web;

import io.productionline.Services;
import io.productionline.events.Addresses;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A view kept live over SSE by sending it whole: the server's snapshot at once, then again (at most
 * every {@code debounceMs}) after a project event or an executor's status that {@code relevant}
 * accepts. The page replaces what it shows with each snapshot.
 */
final class LiveView {

  private LiveView() {
  }

  static void serve(RoutingContext ctx, Services s, String event, long debounceMs, Supplier<Future<JsonObject>> snapshot,
                    Predicate<JsonObject> relevant) {
    HttpServerResponse res = ctx.response().setChunked(true).putHeader("Content-Type", "text/event-stream")
        .putHeader("Cache-Control", "no-cache").putHeader("X-Accel-Buffering", "no");
    Sse.comment(res, event + ", live");
    long[] timer = {-1};
    boolean[] busy = {false};
    boolean[] again = {false};
    Runnable[] send = new Runnable[1];
    send[0] = () -> {
      if (busy[0]) {
        again[0] = true;
        return;
      }
      busy[0] = true;
      snapshot.get().onComplete(ar -> {
        busy[0] = false;
        if (ar.succeeded() && !res.ended()) {
          Sse.write(res, null, event, ar.result());
        }
        if (again[0]) {
          again[0] = false;
          send[0].run();
        }
      });
    };
    io.vertx.core.Handler<JsonObject> heard = e -> {
      if (relevant.test(e) && timer[0] < 0) {
        timer[0] = s.vertx.setTimer(debounceMs, t -> {
          timer[0] = -1;
          send[0].run();
        });
      }
    };
    hear(s, res, heard, timer).onComplete(v -> send[0].run());
  }

  /**
   * While {@code res} is open: every project event this node's relay hands on and every executor's
   * status go to {@code heard}, a comment keeps the stream alive; when it closes, the consumers go
   * and the pending {@code timer} (if any) is cancelled. Completes once the consumers are registered.
   */
  static Future<Void> hear(Services s, HttpServerResponse res, io.vertx.core.Handler<JsonObject> heard, long[] timer) {
    var projects = s.vertx.eventBus().<JsonObject>localConsumer(Addresses.PROJECTS_LOCAL, m -> heard.handle(m.body()));
    var executors = s.vertx.eventBus().<JsonObject>consumer(Addresses.EXECUTORS, m -> heard.handle(m.body()));
    long ping = s.vertx.setPeriodic(15_000, t -> Sse.comment(res, "keep-alive"));
    Runnable release = () -> {
      s.vertx.cancelTimer(ping);
      if (timer[0] >= 0) {
        s.vertx.cancelTimer(timer[0]);
      }
      projects.unregister();
      executors.unregister();
    };
    res.closeHandler(v -> release.run());
    res.endHandler(v -> release.run());
    return Future.all(projects.completion(), executors.completion()).mapEmpty();
  }
}
