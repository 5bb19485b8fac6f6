package io.productionline.agent;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URI;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reference executor: registers, heartbeats, claims one station task at a time with a
 * long-poll, runs its step ({@code sim}, {@code shell} or {@code http}), reports progress, logs and
 * artifacts, and completes it. Talks only to the public HTTP API, so it runs anywhere; the
 * embedded default's demo executors are instances of this class.
 */
public final class ExecutorAgent {

  private static final Logger log = LoggerFactory.getLogger(ExecutorAgent.class);

  /** How to reach the server and who this executor is. */
  public record Settings(String serverUrl, String token, String executorId, List<String> capabilities, String environment,
                         String type, int waitSeconds) {
  }

  private final Vertx vertx;
  private final Settings settings;
  private final WebClient client;
  private final StepRunners runners;
  private final AtomicBoolean running = new AtomicBoolean();
  private final Promise<Void> stopped = Promise.promise();
  private volatile String currentTask;
  private volatile RunningStep currentStep;
  private long heartbeatTimer = -1;

  public ExecutorAgent(Vertx vertx, Settings settings) {
    this.vertx = vertx;
    this.settings = settings;
    URI uri = URI.create(settings.serverUrl());
    this.client = WebClient.create(vertx, new WebClientOptions()
        .setDefaultHost(uri.getHost()).setDefaultPort(uri.getPort() < 0 ? 80 : uri.getPort())
        .setIdleTimeout(0).setKeepAlive(true));
    this.runners = new StepRunners(vertx, this);
  }

  public String id() {
    return settings.executorId();
  }

  /** Registers, then heartbeats and claims until {@link #stop()}. */
  public Future<Void> start() {
    running.set(true);
    return post("/api/v1/executors", new JsonObject().put("executor_id", settings.executorId())
        .put("type", settings.type()).put("environment", settings.environment())
        .put("capabilities", new JsonArray(settings.capabilities())).put("role", "worker"))
        .map(r -> {
          log.info("Executor {} registered with capabilities {}", settings.executorId(), settings.capabilities());
          long every = r.getLong("heartbeat_seconds", 15L) * 1000;
          heartbeatTimer = vertx.setPeriodic(Math.min(every, 15_000), t -> heartbeat());
          vertx.runOnContext(v -> loop());
          return null;
        });
  }

  /** Stops claiming; the task in hand (if any) finishes first. Completes when the executor is idle. */
  public Future<Void> stop() {
    if (running.compareAndSet(true, false)) {
      vertx.cancelTimer(heartbeatTimer);
      if (currentTask == null) {
        stopped.tryComplete();
      }
    }
    return stopped.future();
  }

  private void loop() {
    if (!running.get()) {
      stopped.tryComplete();
      return;
    }
    get("/api/v1/work/next?executor_id=" + settings.executorId() + "&wait=" + settings.waitSeconds())
        .compose(reply -> reply.getBoolean("assigned", false) ? run(reply.getJsonObject("task")) : Future.succeededFuture())
        .onComplete(ar -> {
          if (ar.failed()) {
            log.warn("Executor {}: {}; reconnecting in 1 s", settings.executorId(), ar.cause().getMessage());
            vertx.setTimer(1000, t -> loop());
          } else {
            loop();
          }
        });
  }

  private Future<Void> run(JsonObject task) {
    String taskId = task.getString("task_id");
    currentTask = taskId;
    log.info("Executor {} runs {} station {} of {} (attempt {})", settings.executorId(), task.getString("station_kind"),
        task.getString("station"), task.getString("document_type"), task.getInteger("attempt"));
    RunningStep step = runners.start(task);
    currentStep = step;
    return step.result()
        .compose(result -> {
          if (step.cancelled()) {
            log.info("Executor {} stopped task {}: cancelled by an operator", settings.executorId(), taskId);
            return Future.<Void>succeededFuture();
          }
          return post("/api/v1/work/" + taskId + "/complete", result.put("lease_token", task.getString("lease_token"))).mapEmpty();
        })
        .recover(e -> {
          log.warn("Executor {} could not hand in task {}: {}", settings.executorId(), taskId, e.getMessage());
          return Future.succeededFuture();
        })
        .eventually(() -> {
          currentTask = null;
          currentStep = null;
          if (!running.get()) {
            stopped.tryComplete();
          }
          return Future.succeededFuture();
        });
  }

  private void heartbeat() {
    String task = currentTask;
    post("/api/v1/executors/" + settings.executorId() + "/heartbeat",
        new JsonObject().put("status", task == null ? "idle" : "busy").put("current_task", task))
        .onSuccess(reply -> {
          JsonArray cancel = reply.getJsonArray("cancel_tasks", new JsonArray());
          RunningStep step = currentStep;
          if (step != null && cancel.contains(step.taskId())) {
            step.cancel();
          }
        })
        .onFailure(e -> log.warn("Executor {} heartbeat not delivered: {}", settings.executorId(), e.getMessage()));
  }

  /** Progress from a running step; a reply that says cancel stops the step. */
  Future<Void> progress(RunningStep step, double fraction, String message) {
    return post("/api/v1/work/" + step.taskId() + "/progress", new JsonObject().put("lease_token", step.leaseToken())
        .put("progress", fraction).put("message", message))
        .map(reply -> {
          if (reply.getBoolean("cancel", false)) {
            step.cancel();
          }
          return (Void) null;
        })
        .recover(e -> Future.succeededFuture());
  }

  Future<Void> logs(RunningStep step, JsonArray lines) {
    return post("/api/v1/work/" + step.taskId() + "/events", new JsonObject().put("lease_token", step.leaseToken())
        .put("events", lines)).<Void>mapEmpty().recover(e -> Future.succeededFuture());
  }

  Future<JsonObject> post(String path, JsonObject body) {
    return client.post(path).putHeaders(headers()).sendJsonObject(body).compose(ExecutorAgent::json);
  }

  private Future<JsonObject> get(String path) {
    return client.get(path).putHeaders(headers()).timeout((settings.waitSeconds() + 10) * 1000L).send().compose(ExecutorAgent::json);
  }

  private io.vertx.core.MultiMap headers() {
    io.vertx.core.MultiMap h = io.vertx.core.MultiMap.caseInsensitiveMultiMap();
    if (settings.token() != null && !settings.token().isEmpty()) {
      h.add("Authorization", "Bearer " + settings.token());
    }
    return h;
  }

  private static Future<JsonObject> json(HttpResponse<Buffer> r) {
    if (r.statusCode() >= 400) {
      return Future.failedFuture("server answered " + r.statusCode() + " " + r.bodyAsString());
    }
    Buffer b = r.body();
    return Future.succeededFuture(b == null || b.length() == 0 ? new JsonObject() : b.toJsonObject());
  }

  public WebClient client() {
    return client;
  }

}
