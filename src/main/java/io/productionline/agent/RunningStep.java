package io.productionline.agent;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;

/** A step in progress: its task, its outcome to come, and a cancel switch the step obeys. */
final class RunningStep {

  private final JsonObject task;
  private final Promise<JsonObject> result = Promise.promise();
  private volatile boolean cancelled;
  private volatile Runnable onCancel = () -> { };

  RunningStep(JsonObject task) {
    this.task = task;
  }

  String taskId() {
    return task.getString("task_id");
  }

  String leaseToken() {
    return task.getString("lease_token");
  }

  JsonObject task() {
    return task;
  }

  Future<JsonObject> result() {
    return result.future();
  }

  void finish(JsonObject outcome) {
    result.tryComplete(outcome);
  }

  void finishExceptionally(Throwable t) {
    result.tryFail(t);
  }

  boolean cancelled() {
    return cancelled;
  }

  void onCancel(Runnable r) {
    this.onCancel = r;
  }

  void cancel() {
    if (!cancelled) {
      cancelled = true;
      onCancel.run();
      result.tryComplete(new JsonObject());
    }
  }
}
