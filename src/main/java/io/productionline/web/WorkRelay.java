package io.productionline.web;

import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.events.Addresses;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.Set;

/**
 * Serves executors that joined the cluster: each {@code pl.work.relay} request is a call of the
 * work API ({@code /api/v1/executors…}, {@code /api/v1/work…}) that this node relays into its own
 * HTTP server on loopback. One implementation of every rule — validation, tokens, leases — serves
 * both kinds of executor. The reply is {@code {"status": …, "body": {…}}}.
 */
final class WorkRelay {

  private static final Set<String> METHODS = Set.of("GET", "POST", "DELETE");
  private static final Set<String> HEADERS = Set.of("Authorization", "Idempotency-Key", "X-Lease-Token");

  private final Services s;
  private final WebClient client;

  WorkRelay(Services s, String host, int port) {
    this.s = s;
    this.client = WebClient.create(s.vertx, new WebClientOptions().setDefaultHost(host).setDefaultPort(port)
        .setKeepAlive(true));
  }

  Future<?> listen() {
    return s.vertx.eventBus().<JsonObject>consumer(Addresses.WORK_RELAY, this::relay).completion();
  }

  private void relay(Message<JsonObject> m) {
    JsonObject call = m.body() == null ? new JsonObject() : m.body();
    String method = call.getString("method", "");
    String path = call.getString("path", "");
    if (!METHODS.contains(method)) {
      Refusal.reply(m, Refusal.badRequest("method must be one of " + METHODS));
      return;
    }
    if (!(path.startsWith("/api/v1/executors") || path.startsWith("/api/v1/work/")) || path.contains("..")) {
      Refusal.reply(m, Refusal.notFound("the relay serves only /api/v1/executors and /api/v1/work"));
      return;
    }
    HttpRequest<Buffer> request = client.request(HttpMethod.valueOf(method), path).timeout(call.getLong("timeout_ms", 60_000L));
    JsonObject headers = call.getJsonObject("headers", new JsonObject());
    for (String name : HEADERS) {
      if (headers.getValue(name) instanceof String v) {
        request.putHeader(name, v);
      }
    }
    JsonObject body = call.getJsonObject("body");
    (body == null ? request.send() : request.sendJsonObject(body))
        .onSuccess(r -> {
          JsonObject out;
          try {
            out = r.body() == null || r.body().length() == 0 ? new JsonObject() : r.body().toJsonObject();
          } catch (RuntimeException e) {
            out = new JsonObject().put("text", r.bodyAsString());
          }
          m.reply(new JsonObject().put("status", r.statusCode()).put("body", out));
        })
        .onFailure(e -> Refusal.reply(m, new Refusal(503, "Unavailable", "the relay could not reach this node's API")));
  }
}
