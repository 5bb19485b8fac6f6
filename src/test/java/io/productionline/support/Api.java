package io.productionline.support;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** A blocking HTTP client for tests: real HTTP against a node's port, JSON in and out. */
public final class Api {

  /** A response: status and JSON body (an empty object when the body is not JSON). */
  public record Reply(int status, JsonObject json, String text, HttpResponse<String> raw) {
  }

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;
  private volatile String token;

  public Api(int port) {
    this.base = "http://127.0.0.1:" + port;
  }

  public Api withToken(String token) {
    this.token = token;
    return this;
  }

  public String token() {
    return token;
  }

  public String base() {
    return base;
  }

  public Reply get(String path) {
    return send(builder(path).GET());
  }

  public Reply post(String path, JsonObject body) {
    return post(path, body == null ? "" : body.encode(), Map.of());
  }

  public Reply post(String path, String body, Map<String, String> headers) {
    HttpRequest.Builder b = builder(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    return send(b);
  }

  public Reply put(String path, JsonObject body) {
    return send(builder(path).header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body.encode())));
  }

  public Reply send(HttpRequest.Builder b) {
    try {
      HttpResponse<String> r = answer(http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString()));
      JsonObject json;
      try {
        json = r.body() == null || r.body().isBlank() || !r.body().trim().startsWith("{") ? new JsonObject() : new JsonObject(r.body());
      } catch (RuntimeException e) {
        json = new JsonObject();
      }
      return new Reply(r.statusCode(), json, r.body(), r);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * The response, or an HttpTimeoutException past {@link #NO_ANSWER}: the request's own timeout
   * (60 s) once failed to fire and a test waited for ever on a response that never came
   * (FanOutCrashTest, fresh clone, 2026-12-07); a test fails instead of the suite hanging.
   */
  private static HttpResponse<String> answer(java.util.concurrent.CompletableFuture<HttpResponse<String>> sent)
      throws IOException, InterruptedException {
    try {
      return sent.get(NO_ANSWER.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      sent.cancel(true);
      throw new java.net.http.HttpTimeoutException("no response within " + NO_ANSWER);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  private static final Duration NO_ANSWER = Duration.ofSeconds(90);

  public HttpRequest.Builder builder(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }
}
