package io.productionline.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.productionline.support.Api;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * An executor the test drives by hand over the public HTTP API, with its own executor token: it registers with capability
 * {@code hand} (no reference executor has it), claims with a long-poll (the server answers as soon as
 * work is queued), and completes with exactly the outcome, artifacts and metrics a test needs.
 */
public final class Hand {

  public static final String CAPABILITY = "hand";
  private static final int WAIT_SECONDS = 15;

  private final Api api;
  private final String id;

  public Hand(TestNode node, String id) {
    this.api = node.executorApi(id);
    this.id = id;
    Api.Reply r = api.post("/api/v1/executors", new JsonObject().put("executor_id", id).put("type", "test")
        .put("environment", "server").put("capabilities", new JsonArray().add(CAPABILITY)).put("role", "worker"));
    if (r.status() != 201 && r.status() != 200) {
      throw new IllegalStateException("register " + id + ": " + r.status() + " " + r.text());
    }
  }

  public String id() {
    return id;
  }

  /** Claims the next task; fails the test when none is queued within the long-poll. */
  public JsonObject claim() {
    Api.Reply r = api.get("/api/v1/work/next?executor_id=" + id + "&wait=" + WAIT_SECONDS);
    assertEquals(200, r.status(), r.text());
    if (!r.json().getBoolean("assigned", false)) {
      throw new AssertionError(id + " was handed no task within " + WAIT_SECONDS + " s");
    }
    return r.json().getJsonObject("task");
  }

  /** Claims the next task and checks it is at {@code station}. */
  public JsonObject claim(String station) {
    JsonObject task = claim();
    assertEquals(station, task.getString("station"), "station of the claimed task " + task.encode());
    return task;
  }

  /** Completes {@code task} with {@code body} (outcome, artifacts, metrics, …); returns the reply. */
  public Api.Reply complete(JsonObject task, JsonObject body) {
    return api.post("/api/v1/work/" + task.getString("task_id") + "/complete",
        body.copy().put("lease_token", task.getString("lease_token")));
  }

  /** Completes {@code task} and checks the server took it. */
  public JsonObject done(JsonObject task, JsonObject body) {
    Api.Reply r = complete(task, body);
    assertEquals(200, r.status(), r.text());
    return r.json();
  }

  public static JsonObject stabilized() {
    return new JsonObject().put("outcome", "stabilized");
  }

  public static JsonObject text(String name, String content) {
    return new JsonObject().put("name", name).put("kind", "text").put("content_type", "text/markdown").put("content", content);
  }
}
