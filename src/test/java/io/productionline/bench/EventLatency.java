package io.productionline.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Event latency: C clients of one channel (SSE, the WebSocket, or the SockJS event-bus bridge)
 * watch a project while one executor moves its track through stations at a steady pace. For each
 * {@code station_transition} a client receives, latency is the arrival time minus the event's
 * {@code at} (the time the move was decided, just before its transaction; so the figure includes
 * the write and the commit).
 */
final class EventLatency {

  private final Bench b;
  private final Load load;
  private final HttpClient http;
  private final WebSocketClient ws;
  private final AtomicLong received = new AtomicLong();
  private volatile Samples samples;
  private volatile boolean stop;

  EventLatency(Bench b, Load load) {
    this.b = b;
    this.load = load;
    this.http = load.vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setIdleTimeout(0),
        new PoolOptions().setHttp1MaxSize(2000).setMaxWaitQueueSize(-1));
    this.ws = load.vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(2000).setConnectTimeout(20_000));
  }

  JsonObject run(String channel, int clients, double driveSeconds, int paceMs) throws Exception {
    String project = "ev-" + channel + "-" + clients;
    load.project(project, "events", false).await();
    samples = new Samples();
    received.set(0);
    stop = false;
    List<Runnable> closers = new ArrayList<>();
    long c0 = System.nanoTime();
    List<Integer> idx = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      idx.add(i);
    }
    Bench.inBatches(idx, 100, i -> connect(channel, project).map(closer -> {
      synchronized (closers) {
        closers.add(closer);
      }
      return closer;
    }));
    double connectS = (System.nanoTime() - c0) / 1e9;
    Bench.sleep(0.5);
    String executor = "ev-x-" + channel + "-" + clients;
    load.register(executor, "events").await();
    load.json(HttpMethod.POST, "/production/start?project=" + project, null).await();
    Promise<Integer> drove = Promise.promise();
    long until = System.nanoTime() + (long) (driveSeconds * 1e9);
    load.vertx.runOnContext(v -> drive(executor, until, paceMs, 0, drove));
    int transitions = drove.future().await();
    Bench.sleep(1.0);
    stop = true;
    closers.forEach(Runnable::run);
    // The track stops mid-line: its queued task must not be the next configuration's oldest.
    b.db.exec("UPDATE station_tasks SET status = 'cancelled', completed_at = now() WHERE capability = 'events' AND status = 'queued'");
    JsonObject s = samples.summary();
    long expected = (long) (transitions + 1) * clients;
    JsonObject out = new JsonObject().put("channel", channel).put("clients", clients).put("connect_s", Samples.round(connectS))
        .put("transitions", transitions + 1).put("deliveries", received.get())
        .put("delivered_share", Samples.round((double) received.get() / expected)).put("latency", s);
    b.log("events %s x%d: p50 %.1f ms, p99 %.1f ms, %d deliveries (connect %.1f s)", channel, clients, s.getDouble("p50_ms", 0.0),
        s.getDouble("p99_ms", 0.0), received.get(), connectS);
    return out;
  }

  /** Claims and completes the project's tasks one after another, pausing {@code paceMs} between; returns how many. */
  private void drive(String executor, long until, int paceMs, int done, Promise<Integer> drove) {
    if (System.nanoTime() >= until) {
      drove.complete(done);
      return;
    }
    load.claim(executor, 1).onComplete(ar -> {
      if (ar.failed() || ar.result().statusCode() != 200 || !ar.result().bodyAsJsonObject().getBoolean("assigned", false)) {
        load.vertx.setTimer(10, t -> drive(executor, until, paceMs, done, drove));
        return;
      }
      JsonObject task = ar.result().bodyAsJsonObject().getJsonObject("task");
      load.complete(executor, task.getString("task_id"), task.getString("lease_token"))
          .onComplete(cr -> load.vertx.setTimer(paceMs, t -> drive(executor, until, paceMs, done + 1, drove)));
    });
  }

  private void seen(JsonObject e) {
    if (stop || !"station_transition".equals(e.getString("type")) || e.getString("at") == null) {
      return;
    }
    Instant now = Instant.now();
    samples.add(Duration.between(Instant.parse(e.getString("at")), now).toNanos() / 1e6);
    received.incrementAndGet();
  }

  private Future<Runnable> connect(String channel, String project) {
    return switch (channel) {
      case "sse" -> sse(project);
      case "websocket" -> websocket(project);
      default -> bridge(project);
    };
  }

  private Future<Runnable> sse(String project) {
    RequestOptions opts = new RequestOptions().setMethod(HttpMethod.GET).setHost(load.host).setPort(load.port)
        .setURI("/production/events?project=" + project).setHeaders(load.authHeaders()).putHeader("Accept", "text/event-stream");
    return http.request(opts).compose(req -> req.send()).compose(res -> {
      if (res.statusCode() != 200) {
        return Future.failedFuture("SSE answered " + res.statusCode());
      }
      Promise<Runnable> opened = Promise.promise();
      StringBuilder pending = new StringBuilder();
      res.handler(buf -> {
        pending.append(buf.toString());
        int end;
        while ((end = pending.indexOf("\n\n")) >= 0) {
          String block = pending.substring(0, end);
          pending.delete(0, end + 2);
          if (block.startsWith(":")) {
            opened.tryComplete(() -> res.request().connection().close());
            continue;
          }
          String type = null;
          String data = null;
          for (String line : block.split("\n")) {
            if (line.startsWith("event: ")) {
              type = line.substring(7);
            } else if (line.startsWith("data: ")) {
              data = line.substring(6);
            }
          }
          if ("station_transition".equals(type) && data != null) {
            seen(new JsonObject(data));
          }
        }
      });
      return opened.future();
    });
  }

  private Future<Runnable> websocket(String project) {
    WebSocketConnectOptions opts = new WebSocketConnectOptions().setHost(load.host).setPort(load.port).setURI("/production/ws");
    load.authHeaders().forEach(h -> opts.addHeader(h.getKey(), h.getValue()));
    return ws.connect(opts).compose(socket -> {
      Promise<Runnable> subscribed = Promise.promise();
      socket.textMessageHandler(text -> {
        JsonObject m = new JsonObject(text);
        if ("subscribed".equals(m.getString("type"))) {
          subscribed.tryComplete(() -> socket.close());
        } else {
          seen(m);
        }
      });
      socket.writeTextMessage(new JsonObject().put("subscribe", project).encode());
      return subscribed.future();
    });
  }

  private Future<Runnable> bridge(String project) {
    WebSocketConnectOptions opts = new WebSocketConnectOptions().setHost(load.host).setPort(load.port).setURI("/eventbus/websocket");
    load.authHeaders().forEach(h -> opts.addHeader(h.getKey(), h.getValue()));
    return ws.connect(opts).map(socket -> {
      socket.handler((Buffer buf) -> {
        JsonObject frame = buf.toJsonObject();
        if ("rec".equals(frame.getString("type")) && frame.getValue("body") instanceof JsonObject body) {
          seen(body);
        }
      });
      JsonObject register = new JsonObject().put("type", "register").put("address", "pl.project." + project)
          .put("headers", new JsonObject().put("Authorization", "Bearer " + load.token));
      socket.writeTextMessage(register.encode());
      // The bridge closes a socket that has not pinged for 10 s, as vertx-eventbus.js pings every 5 s.
      long pings = load.vertx.setPeriodic(5000, t -> socket.writeTextMessage("{\"type\":\"ping\"}"));
      return (Runnable) () -> {
        load.vertx.cancelTimer(pings);
        socket.close();
      };
    });
  }
}
