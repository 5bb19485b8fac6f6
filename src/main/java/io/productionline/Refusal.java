package io.productionline;

import io.productionline.line.IllegalMoveException;
import io.productionline.store.StaleWriteException;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * A request the product refuses, with the HTTP status it maps to and a body that says what was
 * wrong. Crosses the event bus as {@code message.fail(status, body)} and comes back as itself.
 */
public final class Refusal extends RuntimeException {

  /** What an unexpected problem (500) says: never the exception, which goes to the node's log. */
  public static final String UNEXPECTED = "the node could not serve this request; the cause is in the node's log. Ask again; if it persists, tell the line's operator";
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Refusal.class);

  private final int status;
  private final JsonObject body;

  public Refusal(int status, String title, String detail) {
    this(status, new JsonObject().put("title", title).put("detail", detail));
  }

  private Refusal(int status, JsonObject body) {
    super(body.getString("detail", body.getString("title")), null, false, false);
    this.status = status;
    this.body = body.put("status", status);
  }

  public static Refusal badRequest(String detail) {
    return new Refusal(400, "Bad request", detail);
  }

  public static Refusal notFound(String detail) {
    return new Refusal(404, "Not found", detail);
  }

  public static Refusal conflict(String detail) {
    return new Refusal(409, "Conflict", detail);
  }

  public Refusal with(String key, Object value) {
    body.put(key, value);
    return this;
  }

  public int status() {
    return status;
  }

  public JsonObject body() {
    return body.copy();
  }

  /** Any throwable as the refusal it means: illegal moves are 409, bus timeouts 503, the rest 500. */
  public static Refusal of(Throwable t) {
    if (t instanceof Refusal r) {
      return r;
    }
    if (t instanceof IllegalMoveException m) {
      return new Refusal(409, "Illegal move", m.getMessage())
          .with("current_state", m.current().wire()).with("attempted", m.attempted());
    }
    if (t instanceof StaleWriteException) {
      return conflict("the track moved on while this was decided, and nothing was written; ask again");
    }
    if (t instanceof DecodeException) {
      return badRequest("the body is not valid JSON");
    }
    if (t instanceof ReplyException re) {
      if (re.failureType() == ReplyFailure.RECIPIENT_FAILURE && re.failureCode() >= 400 && re.failureCode() < 600) {
        try {
          return new Refusal(re.failureCode(), new JsonObject(re.getMessage()));
        } catch (DecodeException e) {
          return new Refusal(re.failureCode(), "Refused", re.getMessage());
        }
      }
      return new Refusal(503, "Unavailable", "the line did not answer in time; ask again");
    }
    if (unreachable(t)) {
      return new Refusal(503, "Unavailable", "a store this answer needs (PostgreSQL or Redis) cannot be reached right now; "
          + "GET /health says which; ask again shortly");
    }
    return new Refusal(500, "Internal problem", UNEXPECTED);
  }

  /** Answers a bus request with this refusal; an unexpected problem's cause goes to the log, not to the caller. */
  public static void reply(Message<?> message, Throwable t) {
    Refusal r = of(t);
    if (r.status == 500 && !(t instanceof Refusal)) {
      log.warn("A request to {} could not be served: {}", message.address(), t.toString());
    }
    message.fail(r.status, r.body.encode());
  }

  /** A connection to PostgreSQL or Redis that could not be made or was lost: the store is away, not the request wrong. */
  static boolean unreachable(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof java.net.ConnectException || c instanceof java.nio.channels.ClosedChannelException) {
        return true;
      }
      String m = c.getMessage();
      if (m != null && m.matches("(?is).*(connection[ _](is |was )?(refused|reset|closed)|broken pipe|client is closed).*")) {
        return true;
      }
    }
    return false;
  }
}
