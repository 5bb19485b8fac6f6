package io.productionline.web;

import io.productionline.Refusal;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/** Small helpers shared by the handlers: JSON replies, body and parameter checks. */
final class Http {

  static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}");
  /** A Java exception or class name (NullPointerException, java.lang.…, io.vertx.…) in a detail. */
  private static final Pattern JAVA_NAMES = Pattern.compile("\\b\\w*(Exception|Error|Throwable)\\b|\\b(java|javax|io|com|org|sun|jdk)\\.[a-z]\\w*\\.");

  private Http() {
  }

  static void json(RoutingContext ctx, int status, Object body) {
    if (ctx.response().ended()) {
      return;
    }
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .end(body instanceof io.vertx.core.buffer.Buffer b ? b
            : io.vertx.core.buffer.Buffer.buffer(body instanceof JsonObject o ? o.encode() : body instanceof JsonArray a ? a.encode() : String.valueOf(body)));
  }

  /**
   * Any failure as the refusal the caller gets: what {@link Refusal#of} makes of it, except that
   * an unexpected problem (500) or a 5xx whose detail names a Java exception says so in production
   * words and nothing else; the cause goes to the node's log, never to the caller.
   */
  static Refusal problem(Throwable t) {
    Refusal r = Refusal.of(t);
    if (r.status() >= 500) {
      String detail = r.body().getString("detail", "");
      if (r.status() == 500 || JAVA_NAMES.matcher(detail).find()) {
        return new Refusal(r.status(), r.status() == 500 ? "Internal problem" : r.body().getString("title", "Unavailable"), Refusal.UNEXPECTED);
      }
    }
    return r;
  }

  /**
   * A request the HTTP decoder could not read (Vert.x's invalid-request handler): a request line
   * longer than {@code http.max_initial_line_length} is 414, headers over {@code http.max_header_size}
   * 431, anything else 400, each with a JSON body; then the connection closes, as Vert.x's own
   * handler does.
   */
  static void invalidRequest(io.vertx.core.http.HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    Refusal r;
    if (cause instanceof io.netty.handler.codec.http.TooLongHttpLineException) {
      r = new Refusal(414, "Request line too long", "the request line (method, path and query) is longer than this node reads; shorten the query");
    } else if (cause instanceof io.netty.handler.codec.http.TooLongHttpHeaderException) {
      r = new Refusal(431, "Headers too large", "the request's headers are larger than this node reads");
    } else {
      r = Refusal.badRequest("the request is not well-formed HTTP");
    }
    request.response().setStatusCode(r.status()).putHeader("Content-Type", "application/json").putHeader("Connection", "close")
        .end(r.body().encode())
        .onComplete(v -> request.connection().close());
  }

  /** Replies 200 (or {@code status}) with the future's value, or with the refusal it failed with. */
  static <T> void reply(RoutingContext ctx, int status, Future<T> f) {
    f.onComplete(ar -> {
      if (ar.succeeded()) {
        json(ctx, status, ar.result());
      } else {
        ctx.fail(ar.cause());
      }
    });
  }

  static <T> void reply(RoutingContext ctx, Future<T> f) {
    reply(ctx, 200, f);
  }

  /** Runs {@code handler} and turns anything it throws into the refusal it means. */
  static void guarded(RoutingContext ctx, Function<RoutingContext, Future<?>> handler) {
    guarded(ctx, 200, handler);
  }

  /** As {@link #guarded(RoutingContext, Function)}, answering {@code status} when it goes well. */
  static void guarded(RoutingContext ctx, int status, Function<RoutingContext, Future<?>> handler) {
    Future<?> f;
    try {
      f = handler.apply(ctx);
    } catch (RuntimeException e) {
      ctx.fail(e);
      return;
    }
    reply(ctx, status, f);
  }

  /**
   * The request body as a JSON object. Refuses anything else: a body that is not JSON, not an
   * object, of another media type, and an empty or absent body (send {@code {}} to leave every
   * field out).
   */
  static JsonObject body(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    if (type != null && !type.toLowerCase().startsWith("application/json")) {
      throw new Refusal(415, "Unsupported media type", "send the body as application/json");
    }
    // Absent (length -1, no buffer) or empty: either way there is no object to read.
    if (ctx.body() == null || ctx.body().length() <= 0 || ctx.body().buffer() == null) {
      throw Refusal.badRequest("this call takes a JSON object in its body, and the body is empty; send {} to leave every field out");
    }
    Object parsed;
    try {
      parsed = io.vertx.core.json.Json.decodeValue(ctx.body().buffer());
    } catch (DecodeException e) {
      throw Refusal.badRequest(String.valueOf(e.getMessage()).contains("nesting depth")
          ? "the body nests objects or lists deeper than JSON is read here (1,000 levels)"
          : "the body is not valid JSON");
    }
    if (!(parsed instanceof JsonObject o)) {
      throw Refusal.badRequest("the body must be a JSON object");
    }
    return o;
  }

  /** Refuses fields outside {@code allowed}, naming the first. */
  static JsonObject only(JsonObject body, Set<String> allowed) {
    for (String k : body.fieldNames()) {
      if (!allowed.contains(k)) {
        throw Refusal.badRequest("unknown field \"" + k + "\"; allowed: " + String.join(", ", allowed.stream().sorted().toList()));
      }
    }
    return body;
  }

  static String string(JsonObject body, String field, boolean required, int max) {
    Object v = body.getValue(field);
    if (v == null) {
      if (required) {
        throw Refusal.badRequest(field + " is required");
      }
      return null;
    }
    if (!(v instanceof String s)) {
      throw Refusal.badRequest(field + " must be a string");
    }
    if (s.length() > max) {
      throw Refusal.badRequest(field + " must be at most " + max + " characters");
    }
    return s;
  }

  static JsonObject object(JsonObject body, String field) {
    Object v = body.getValue(field);
    if (v == null) {
      return new JsonObject();
    }
    if (!(v instanceof JsonObject o)) {
      throw Refusal.badRequest(field + " must be a JSON object");
    }
    return o;
  }

  static String id(RoutingContext ctx, String param) {
    String v = ctx.pathParam(param);
    if (v == null || !ID.matcher(v).matches()) {
      throw Refusal.badRequest(param + " is not a valid identifier");
    }
    return v;
  }

  static String query(RoutingContext ctx, String name, boolean required) {
    String v = ctx.queryParams().get(name);
    if (v == null || v.isEmpty()) {
      if (required) {
        throw Refusal.badRequest("query parameter " + name + " is required");
      }
      return null;
    }
    if (!ID.matcher(v).matches()) {
      throw Refusal.badRequest("query parameter " + name + " is not a valid identifier");
    }
    return v;
  }

  static int intQuery(RoutingContext ctx, String name, int dflt, int min, int max) {
    String v = ctx.queryParams().get(name);
    if (v == null || v.isEmpty()) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v);
      if (n < min || n > max) {
        throw Refusal.badRequest("query parameter " + name + " must be between " + min + " and " + max);
      }
      return n;
    } catch (NumberFormatException e) {
      throw Refusal.badRequest("query parameter " + name + " must be a whole number");
    }
  }
}
