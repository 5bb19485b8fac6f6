package io.productionline.support;

import io.vertx.core.http.WebSocket;
import java.time.Duration;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Frames of a raw SockJS bridge socket ({@code /eventbus/websocket}), as the page's bridge gets them, awaited as they arrive. */
public final class BridgeFrames implements AutoCloseable {
  private final WebSocket ws;
  private final List<JsonObject> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final LinkedBlockingQueue<JsonObject> arrivals = new LinkedBlockingQueue<>();

  public BridgeFrames(WebSocket ws) {
    this.ws = ws;
    ws.handler(b -> {
      JsonObject f = b.toJsonObject();
      seen.add(f);
      arrivals.offer(f);
    });
  }

  public void send(JsonObject frame) {
    ws.writeTextMessage(frame.encode()).await();
  }

  /** The first frame not yet taken that matches, waiting up to 10 s for it to arrive; it is taken. */
  public JsonObject await(Predicate<JsonObject> match, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      for (JsonObject f : seen) {
        if (match.test(f)) {
          seen.remove(f);
          return f;
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0 || arrivals.poll(left, TimeUnit.NANOSECONDS) == null) {
        throw new AssertionError("timed out waiting for " + what + "; frames: " + seen);
      }
    }
  }

  @Override
  public void close() {
    if (!ws.isClosed()) {
      ws.close().await();
    }
  }
}
