package io.productionline.analytics;

import io.productionline.support.Api;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Helpers for the analytics tests: a bus recorder over several addresses, and an executor that is only HTTP calls. */
final class FlowKit {

  private FlowKit() {
  }

  /** Everything published on some bus addresses from now on, awaited as it arrives (never on a timer). */
  static final class Heard implements AutoCloseable {
    private final List<JsonObject> seen = new CopyOnWriteArrayList<>();
    private final LinkedBlockingQueue<JsonObject> arrivals = new LinkedBlockingQueue<>();
    private final List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();

    Heard(Vertx vertx, String... addresses) {
      for (String a : addresses) {
        MessageConsumer<JsonObject> c = vertx.eventBus().consumer(a, m -> {
          JsonObject body = m.body().copy().put("_address", a);
          seen.add(body);
          arrivals.offer(body);
        });
        c.completion().await();
        consumers.add(c);
      }
    }

    List<JsonObject> all() {
      return List.copyOf(seen);
    }

    List<JsonObject> ofType(String type) {
      return seen.stream().filter(e -> type.equals(e.getString("type"))).toList();
    }

    /** The first event (already heard or still to come) that matches. */
    JsonObject await(Predicate<JsonObject> match, Duration timeout, String what) {
      return awaitAll(list -> list.stream().anyMatch(match), timeout, what).stream().filter(match).findFirst().orElseThrow();
    }

    /** Waits, as events arrive, until {@code done} holds for everything heard so far. */
    List<JsonObject> awaitAll(Predicate<List<JsonObject>> done, Duration timeout, String what) {
      long deadline = System.nanoTime() + timeout.toNanos();
      try {
        while (!done.test(seen)) {
          long left = deadline - System.nanoTime();
          if (left <= 0 || arrivals.poll(left, TimeUnit.NANOSECONDS) == null) {
            throw new AssertionError("timed out after " + timeout + " waiting for " + what + "; heard " + seen.size() + " events"
                + (seen.isEmpty() ? "" : ", last: " + abbreviate(seen.get(seen.size() - 1).encode())));
          }
        }
        return List.copyOf(seen);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void close() {
      consumers.forEach(MessageConsumer::unregister);
    }
  }

  static String abbreviate(String s) {
    return s.length() <= 600 ? s : s.substring(0, 600) + "…";
  }

  /** An executor that is nothing but HTTP calls: the test decides when it claims, reports and falls silent. */
  static final class Raw {
    final Api api;
    final String id;

    Raw(Api api, String id, String... capabilities) {
      this.api = api;
      this.id = id;
      Api.Reply r = api.post("/api/v1/executors", new JsonObject().put("executor_id", id).put("environment", "server")
          .put("type", "test").put("capabilities", new JsonArray(List.of(capabilities))));
      if (r.status() != 201) {
        throw new AssertionError("register " + id + ": " + r.status() + " " + r.text());
      }
    }

    Optional<JsonObject> claim() {
      Api.Reply r = api.get("/api/v1/work/next?executor_id=" + id + "&wait=0");
      if (r.status() != 200) {
        throw new AssertionError("claim by " + id + ": " + r.status() + " " + r.text());
      }
      return r.json().getBoolean("assigned") ? Optional.of(r.json().getJsonObject("task")) : Optional.empty();
    }

    Api.Reply complete(JsonObject task, JsonObject body) {
      return api.post("/api/v1/work/" + task.getString("task_id") + "/complete", body.copy().put("lease_token", task.getString("lease_token")));
    }

    void heartbeat() {
      Api.Reply r = api.post("/api/v1/executors/" + id + "/heartbeat", new JsonObject());
      if (r.status() != 200) {
        throw new AssertionError("heartbeat of " + id + ": " + r.status() + " " + r.text());
      }
    }
  }

  /** A station of the {@code stations} array of a metrics body. */
  static JsonObject station(JsonObject metrics, String documentType, String station) {
    return metrics.getJsonArray("stations").stream().map(JsonObject.class::cast)
        .filter(s -> documentType.equals(s.getString("document_type")) && station.equals(s.getString("station")))
        .findFirst().orElseThrow(() -> new AssertionError("no station " + documentType + "/" + station));
  }

  /** A track of the {@code tracks} array of a metrics or production body. */
  static JsonObject track(JsonObject body, String documentType) {
    return body.getJsonArray("tracks").stream().map(JsonObject.class::cast)
        .filter(t -> documentType.equals(t.getString("document_type"))).reduce((a, b) -> b)
        .orElseThrow(() -> new AssertionError("no track " + documentType));
  }
}
