package io.productionline.web;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/** Server-sent events framing. */
final class Sse {

  private Sse() {
  }

  static void write(HttpServerResponse res, Long id, String event, JsonObject data) {
    if (res.ended() || res.closed()) {
      return;
    }
    StringBuilder b = new StringBuilder();
    if (id != null) {
      b.append("id: ").append(id).append('\n');
    }
    b.append("event: ").append(event).append('\n').append("data: ").append(data.encode()).append("\n\n");
    res.write(b.toString());
  }

  static void comment(HttpServerResponse res, String text) {
    if (!res.ended() && !res.closed()) {
      res.write(": " + text + "\n\n");
    }
  }
}
