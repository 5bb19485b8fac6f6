package io.productionline.bench;

import io.productionline.auth.Role;
import io.productionline.auth.Tokens;
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
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The load client's HTTP side: one WebClient with enough pooled connections for every simulated
 * executor's long-poll, talking to the server under test on loopback only. Every call carries a
 * bearer token signed with the server's secret: the admin's for projects and reads, an executor's
 * own for its registration, heartbeats, claims and completions (the server holds executors to
 * their own work).
 */
final class Load {

  final Vertx vertx;
  final String host = "127.0.0.1";
  final int port;
  final String token;
  final WebClient web;
  private final Tokens tokens;
  private final Map<String, String> executorTokens = new ConcurrentHashMap<>();

  Load(Vertx vertx, int port, Tokens tokens, int connections) {
    this.vertx = vertx;
    this.port = port;
    this.tokens = tokens;
    this.token = tokens.mint(Role.ADMIN, "bench", null, Duration.ofHours(2));
    this.web = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true).setTcpNoDelay(true)
        .setConnectTimeout(10_000).setIdleTimeout(0), new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
  }

  HttpRequest<Buffer> request(HttpMethod method, String uri) {
    return web.request(method, port, host, uri).timeout(60_000).putHeader("Authorization", "Bearer " + token);
  }

  /** A call made as executor {@code executorId}, with its own token. */
  HttpRequest<Buffer> asExecutor(String executorId, HttpMethod method, String uri) {
    String own = executorTokens.computeIfAbsent(executorId, id -> tokens.mint(Role.EXECUTOR, id, id, Duration.ofHours(2)));
    return web.request(method, port, host, uri).timeout(60_000).putHeader("Authorization", "Bearer " + own);
  }

  MultiMap authHeaders() {
    return MultiMap.caseInsensitiveMultiMap().add("Authorization", "Bearer " + token);
  }

  /** A JSON call that must answer 2xx; fails with the status and body otherwise. */
  Future<JsonObject> json(HttpMethod method, String uri, JsonObject body) {
    return json(request(method, uri), method, uri, body);
  }

  /** {@link #json(HttpMethod, String, JsonObject)} made as executor {@code executorId}. */
  Future<JsonObject> jsonAsExecutor(String executorId, HttpMethod method, String uri, JsonObject body) {
    return json(asExecutor(executorId, method, uri), method, uri, body);
  }

  private static Future<JsonObject> json(HttpRequest<Buffer> r, HttpMethod method, String uri, JsonObject body) {
    Future<HttpResponse<Buffer>> sent = body == null ? r.send() : r.sendJsonObject(body);
    return sent.compose(res -> res.statusCode() / 100 == 2
        ? Future.succeededFuture(res.body() == null || res.body().length() == 0 ? new JsonObject() : res.bodyAsJsonObject())
        : Future.failedFuture(method + " " + uri + " answered " + res.statusCode() + ": " + res.bodyAsString()));
  }

  /**
   * A GET whose answer is read whole but not parsed (an operator's page parses it on another machine; parsing it here
   * took a tenth of a core from the server under test): the body's length in bytes.
   */
  Future<Integer> read(String uri) {
    return request(HttpMethod.GET, uri).send().compose(res -> res.statusCode() / 100 == 2
        ? Future.succeededFuture(res.body() == null ? 0 : res.body().length())
        : Future.failedFuture("GET " + uri + " answered " + res.statusCode() + ": " + res.bodyAsString()));
  }

  /** The sum of {@code GET /metrics}' samples named {@code name} whose labels include {@code label} (as {@code key="value"}). */
  Future<Double> metric(String name, String label) {
    return request(HttpMethod.GET, "/metrics").send().compose(res -> {
      if (res.statusCode() != 200) {
        return Future.failedFuture("GET /metrics answered " + res.statusCode());
      }
      double sum = 0;
      for (String line : res.bodyAsString().split("\n")) {
        if (line.startsWith(name + "{") && line.contains(label)) {
          sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      return Future.succeededFuture(sum);
    });
  }

  Future<JsonObject> register(String executorId, String capability) {
    return jsonAsExecutor(executorId, HttpMethod.POST, "/api/v1/executors", new JsonObject().put("executor_id", executorId).put("type", "bench")
        .put("environment", "server").put("capabilities", new io.vertx.core.json.JsonArray().add(capability)));
  }

  /** Creates a project of {@code line} and runs its full line. */
  Future<JsonObject> project(String id, String line, boolean start) {
    return json(HttpMethod.POST, "/api/v1/projects", new JsonObject().put("project_id", id).put("line", line).put("start", start));
  }

  Future<HttpResponse<Buffer>> claim(String executorId, int waitSeconds) {
    return asExecutor(executorId, HttpMethod.GET, "/api/v1/work/next?executor_id=" + executorId + "&wait=" + waitSeconds).send();
  }

  /** A claim of up to {@code max} tasks at once ({@code ?max=}). */
  Future<HttpResponse<Buffer>> claimSome(String executorId, int waitSeconds, int max) {
    return asExecutor(executorId, HttpMethod.GET, "/api/v1/work/next?executor_id=" + executorId + "&wait=" + waitSeconds + "&max=" + max)
        .send();
  }

  /** Every task of {@code tasks} completed (stabilized) in one call, which claims the executor's next {@code max} ({@code ?next=1}). */
  Future<HttpResponse<Buffer>> completeAll(String executorId, io.vertx.core.json.JsonArray tasks, int max) {
    io.vertx.core.json.JsonArray items = new io.vertx.core.json.JsonArray();
    for (Object o : tasks) {
      JsonObject t = (JsonObject) o;
      items.add(new JsonObject().put("task_id", t.getString("task_id")).put("lease_token", t.getString("lease_token"))
          .put("outcome", "stabilized"));
    }
    return asExecutor(executorId, HttpMethod.POST, "/api/v1/work/complete?next=1&max=" + max)
        .sendJsonObject(new JsonObject().put("completions", items));
  }

  Future<HttpResponse<Buffer>> complete(String executorId, String taskId, String leaseToken) {
    return complete(executorId, taskId, leaseToken, false);
  }

  /** A completion; with {@code next}, the executor's next claim rides on it ({@code ?next=1}). */
  Future<HttpResponse<Buffer>> complete(String executorId, String taskId, String leaseToken, boolean next) {
    return asExecutor(executorId, HttpMethod.POST, "/api/v1/work/" + taskId + "/complete" + (next ? "?next=1" : ""))
        .sendJsonObject(new JsonObject().put("lease_token", leaseToken).put("outcome", "stabilized"));
  }
}
