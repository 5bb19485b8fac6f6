package io.productionline.bench;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

/**
 * The load client's HTTP side: one WebClient with enough pooled connections for every simulated
 * executor's long-poll, talking to the server under test on loopback only. Sends
 * {@code Authorization: Bearer <token>} when a token was given.
 */
final class Load {

  final Vertx vertx;
  final String host = "127.0.0.1";
  final int port;
  final String token;
  final WebClient web;

  Load(Vertx vertx, int port, String token, int connections) {
    this.vertx = vertx;
    this.port = port;
    this.token = token;
    this.web = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true).setTcpNoDelay(true)
        .setConnectTimeout(10_000).setIdleTimeout(0), new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
  }

  HttpRequest<Buffer> request(HttpMethod method, String uri) {
    HttpRequest<Buffer> r = web.request(method, port, host, uri).timeout(60_000);
    if (token != null) {
      r.putHeader("Authorization", "Bearer " + token);
    }
    return r;
  }

  MultiMap authHeaders() {
    MultiMap h = MultiMap.caseInsensitiveMultiMap();
    if (token != null) {
      h.add("Authorization", "Bearer " + token);
    }
    return h;
  }

  /** A JSON call that must answer 2xx; fails with the status and body otherwise. */
  Future<JsonObject> json(HttpMethod method, String uri, JsonObject body) {
    HttpRequest<Buffer> r = request(method, uri);
    Future<HttpResponse<Buffer>> sent = body == null ? r.send() : r.sendJsonObject(body);
    return sent.compose(res -> res.statusCode() / 100 == 2
        ? Future.succeededFuture(res.body() == null || res.body().length() == 0 ? new JsonObject() : res.bodyAsJsonObject())
        : Future.failedFuture(method + " " + uri + " answered " + res.statusCode() + ": " + res.bodyAsString()));
  }

  Future<JsonObject> register(String executorId, String capability) {
    return json(HttpMethod.POST, "/api/v1/executors", new JsonObject().put("executor_id", executorId).put("type", "bench")
        .put("environment", "server").put("capabilities", new io.vertx.core.json.JsonArray().add(capability)));
  }

  /** Creates a project of {@code line} and runs its full line. */
  Future<JsonObject> project(String id, String line, boolean start) {
    return json(HttpMethod.POST, "/api/v1/projects", new JsonObject().put("project_id", id).put("line", line).put("start", start));
  }

  Future<HttpResponse<Buffer>> claim(String executorId, int waitSeconds) {
    return request(HttpMethod.GET, "/api/v1/work/next?executor_id=" + executorId + "&wait=" + waitSeconds).send();
  }

  Future<HttpResponse<Buffer>> complete(String taskId, String leaseToken) {
    return request(HttpMethod.POST, "/api/v1/work/" + taskId + "/complete")
        .sendJsonObject(new JsonObject().put("lease_token", leaseToken).put("outcome", "stabilized"));
  }
}
