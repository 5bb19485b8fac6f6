package io.productionline.agent;

import io.productionline.events.Addresses;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;

/**
 * How an executor reaches the work API: over HTTP, or — for an executor that joined the cluster —
 * over the event bus through a server node's relay ({@code pl.work.relay}). Both carry the same
 * calls, headers and answers.
 */
interface ServerLink {

  /** The JSON answer of a call; fails with {@link ExecutorAgent.Refused} on a 4xx/5xx answer. */
  Future<JsonObject> call(HttpMethod method, String path, MultiMap headers, JsonObject body, long timeoutMs);

  /**
   * Over HTTP to the server in use of {@code servers}; a call that gets no answer (refused, reset,
   * timed out), or a 503 (the node cannot serve now: it is rejoining the cluster after a stall),
   * fails as it is and turns the next calls to the next server.
   */
  static ServerLink http(WebClient client, Servers servers, String executorId) {
    return (method, path, headers, body, timeoutMs) -> {
      URI server = servers.current();
      String prefix = server.getRawPath() == null ? "" : server.getRawPath();
      HttpRequest<Buffer> request = client.request(method, Servers.port(server), server.getHost(), prefix + path)
          .ssl("https".equals(server.getScheme())).putHeaders(headers).timeout(timeoutMs);
      return (body == null ? request.send() : request.sendJsonObject(body))
          .onFailure(e -> servers.unreachable(server, executorId, e))
          .compose(r -> {
        Buffer b = r.body();
        JsonObject json;
        try {
          json = b == null || b.length() == 0 ? new JsonObject() : b.toJsonObject();
        } catch (RuntimeException e) {
          json = new JsonObject().put("text", b.toString());
        }
        if (r.statusCode() == 503) {
          servers.unreachable(server, executorId, new IllegalStateException("503 " + json.getString("detail", "unavailable")));
        }
        return answer(r.statusCode(), json);
      });
    };
  }

  static ServerLink bus(Vertx vertx) {
    return (method, path, headers, body, timeoutMs) -> {
      JsonObject h = new JsonObject();
      headers.forEach(e -> h.put(e.getKey(), e.getValue()));
      JsonObject call = new JsonObject().put("method", method.name()).put("path", path).put("headers", h)
          .put("body", body).put("timeout_ms", timeoutMs);
      return vertx.eventBus().<JsonObject>request(Addresses.WORK_RELAY, call, new DeliveryOptions().setSendTimeout(timeoutMs + 5_000))
          .compose(reply -> answer(reply.body().getInteger("status", 500), reply.body().getJsonObject("body", new JsonObject())));
    };
  }

  private static Future<JsonObject> answer(int status, JsonObject body) {
    return status >= 400 ? Future.failedFuture(new ExecutorAgent.Refused(status, body)) : Future.succeededFuture(body);
  }
}
