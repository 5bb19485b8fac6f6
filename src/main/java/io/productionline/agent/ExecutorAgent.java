package io.productionline.agent;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reference executor: registers, heartbeats in the background, claims one station task at a
 * time with a long-poll, runs its step ({@code sim}, {@code shell} or {@code http}), streams
 * progress, log lines and artifacts, and completes it. It talks only to the public HTTP API (see
 * {@code docs/executors.md}), so it runs anywhere; the embedded default's demo executors are
 * instances of this class.
 *
 * <p>Cancellation: a heartbeat reply listing the task in {@code cancel_tasks}, or a progress or
 * log reply with {@code cancel: true}, stops the step (the sim timer is cancelled, the shell
 * process tree is killed) and the task is not completed. Stopping ({@link #stop(Duration)}, or
 * SIGTERM for {@code scripts/executor}): no new claims; the task in hand gets the grace period to
 * finish, then it is stopped and handed back to the queue; then the executor leaves (offline at
 * once).
 */
public final class ExecutorAgent {

  private static final Logger log = LoggerFactory.getLogger(ExecutorAgent.class);
  private static final int COMPLETE_ATTEMPTS = 5;

  /** How to reach the server and who this executor is; {@code graceSeconds} is the stop grace for a task in hand. */
  public record Settings(String serverUrl, String token, String executorId, List<String> capabilities, String environment,
                         String type, int waitSeconds, int graceSeconds) {

    public Settings(String serverUrl, String token, String executorId, List<String> capabilities, String environment,
                    String type, int waitSeconds) {
      this(serverUrl, token, executorId, capabilities, environment, type, waitSeconds, 10);
    }
  }

  /** The server refused a call: its status and JSON body. */
  static final class Refused extends RuntimeException {
    final int status;
    final JsonObject body;

    Refused(int status, JsonObject body) {
      super("server answered " + status + " " + body.encode(), null, false, false);
      this.status = status;
      this.body = body;
    }
  }

  private final Vertx vertx;
  /** The agent's own context: claims, step starts and stops happen here, one at a time. */
  private final Context ctx;
  private final Settings settings;
  private final WebClient client;
  private final ServerLink link;
  private final StepRunners runners;
  private final AtomicBoolean running = new AtomicBoolean();
  private final Promise<Void> stopped = Promise.promise();
  private final AtomicBoolean leaving = new AtomicBoolean();
  private volatile RunningStep currentStep;
  private volatile boolean handingBack;
  private volatile long heartbeatMs = 15_000;
  private volatile int maxArtifactBytes = 262_144;
  private long heartbeatTimer = -1;

  public ExecutorAgent(Vertx vertx, Settings settings) {
    this(vertx, settings, false);
  }

  /**
   * An executor on {@code vertx}; with {@code overBus} it reaches the work API over the clustered
   * event bus ({@code vertx} must be a cluster member) instead of HTTP.
   */
  public ExecutorAgent(Vertx vertx, Settings settings, boolean overBus) {
    this.vertx = vertx;
    this.ctx = vertx.getOrCreateContext();
    this.settings = settings;
    URI uri = URI.create(settings.serverUrl());
    this.client = WebClient.create(vertx, new WebClientOptions()
        .setDefaultHost(uri.getHost()).setDefaultPort(uri.getPort() < 0 ? 80 : uri.getPort())
        .setIdleTimeout(0).setKeepAlive(true));
    this.link = overBus ? ServerLink.bus(vertx) : ServerLink.http(client);
    this.runners = new StepRunners(vertx, this);
  }

  public String id() {
    return settings.executorId();
  }

  String serverUrl() {
    return settings.serverUrl().replaceAll("/+$", "");
  }

  int maxArtifactBytes() {
    return maxArtifactBytes;
  }

  /** Registers, then heartbeats and claims until {@link #stop()}. */
  public Future<Void> start() {
    running.set(true);
    Promise<Void> started = Promise.promise();
    ctx.runOnContext(x -> register().map(v -> {
      heartbeatTimer = vertx.setPeriodic(heartbeatMs, t -> heartbeat());
      loop();
      return (Void) null;
    }).onComplete(started));
    return started.future();
  }

  private Future<Void> register() {
    return post("/api/v1/executors", new JsonObject().put("executor_id", settings.executorId())
        .put("type", settings.type()).put("environment", settings.environment())
        .put("capabilities", new JsonArray(settings.capabilities())).put("role", "worker"))
        .map(r -> {
          heartbeatMs = Math.max(100, Math.min(r.getLong("heartbeat_seconds", 15L) * 1000, 15_000));
          maxArtifactBytes = r.getInteger("max_artifact_bytes", maxArtifactBytes);
          log.info("Executor {} registered with capabilities {}", settings.executorId(), settings.capabilities());
          return null;
        });
  }

  /** Stops with the grace period of the settings. */
  public Future<Void> stop() {
    return stop(Duration.ofSeconds(settings.graceSeconds()));
  }

  /**
   * Stops claiming; the task in hand gets {@code grace} to finish, then it is stopped and handed
   * back. Completes when the executor has left.
   */
  public Future<Void> stop(Duration grace) {
    ctx.runOnContext(v -> stopHere(grace));
    return stopped.future();
  }

  /** On the agent's context, so a claim that is being taken up is either not started or seen here. */
  private void stopHere(Duration grace) {
    if (running.compareAndSet(true, false)) {
      RunningStep step = currentStep;
      if (step == null) {
        leave();
      } else {
        log.info("Executor {} stopping: task {} gets {} s to finish", settings.executorId(), step.taskId(), grace.toSeconds());
        vertx.setTimer(Math.max(1, grace.toMillis()), t -> {
          if (currentStep == step && !step.result().isComplete()) {
            handingBack = true;
            step.cancel();
          }
        });
      }
    }
  }

  /** Leaves the server (offline at once), once; then the executor has stopped. */
  private void leave() {
    if (!leaving.compareAndSet(false, true)) {
      return;
    }
    vertx.cancelTimer(heartbeatTimer);
    link.call(HttpMethod.DELETE, "/api/v1/executors/" + settings.executorId(), headers(), null, 5_000)
        .onComplete(ar -> {
          log.info("Executor {} stopped", settings.executorId());
          stopped.tryComplete();
        });
  }

  private void loop() {
    if (!running.get()) {
      if (currentStep == null) {
        leave();
      }
      return;
    }
    get("/api/v1/work/next?executor_id=" + settings.executorId() + "&wait=" + settings.waitSeconds())
        .compose(reply -> {
          if (!reply.getBoolean("assigned", false)) {
            return Future.succeededFuture();
          }
          JsonObject task = reply.getJsonObject("task");
          if (!running.get()) {
            return release(task, "the executor is stopping");
          }
          return run(task);
        })
        .onComplete(ar -> {
          if (ar.failed()) {
            if (ar.cause() instanceof Refused r && r.status == 404) {
              register().onComplete(x -> vertx.setTimer(1000, t -> loop()));
              return;
            }
            log.warn("Executor {}: {}; asking again in 1 s", settings.executorId(), ar.cause().getMessage());
            vertx.setTimer(1000, t -> loop());
          } else {
            loop();
          }
        });
  }

  private Future<Void> run(JsonObject task) {
    String taskId = task.getString("task_id");
    log.info("Executor {} runs {} station {} of {} (attempt {})", settings.executorId(), task.getString("station_kind"),
        task.getString("station"), task.getString("document_type"), task.getInteger("attempt"));
    RunningStep step = runners.prepare(task);
    currentStep = step;
    return logs(step, line("info", settings.executorId() + " started " + task.getString("station_kind") + " station "
            + task.getString("station") + " of " + task.getString("document_type") + " (attempt " + task.getInteger("attempt") + ")",
        new JsonObject().put("executor_id", settings.executorId()).put("event", "started")))
        .compose(v -> {
          runners.start(step);
          return step.result();
        })
        .compose(result -> {
          if (step.cancelled()) {
            if (handingBack) {
              return release(task, "the executor is stopping");
            }
            log.info("Executor {} stopped task {}: cancelled by an operator", settings.executorId(), taskId);
            return logs(step, line("info", settings.executorId() + " stopped: the task was cancelled; it is not completed",
                new JsonObject().put("event", "stopped")));
          }
          return complete(task, result, UUID.randomUUID().toString(), 1);
        })
        .recover(e -> {
          log.warn("Executor {} could not hand in task {}: {}", settings.executorId(), taskId, e.getMessage());
          return Future.succeededFuture();
        })
        .eventually(() -> {
          currentStep = null;
          handingBack = false;
          if (!running.get()) {
            leave();
          }
          return Future.succeededFuture();
        });
  }

  /** Completes with an idempotency key, asking again (same key) when the server could not be reached. */
  private Future<Void> complete(JsonObject task, JsonObject result, String key, int attempt) {
    JsonObject body = result.copy().put("lease_token", task.getString("lease_token"));
    return link.call(HttpMethod.POST, "/api/v1/work/" + task.getString("task_id") + "/complete",
            headers().add("Idempotency-Key", key), body, 30_000)
        .<Void>mapEmpty()
        .recover(e -> {
          boolean again = !(e instanceof Refused r) || r.status >= 500;
          if (!again || attempt >= COMPLETE_ATTEMPTS) {
            return Future.failedFuture(e);
          }
          Promise<Void> later = Promise.promise();
          vertx.setTimer(500L * attempt, t -> complete(task, result, key, attempt + 1).onComplete(later));
          return later.future();
        });
  }

  private Future<Void> release(JsonObject task, String reason) {
    return post("/api/v1/work/" + task.getString("task_id") + "/release",
        new JsonObject().put("lease_token", task.getString("lease_token")).put("reason", reason))
        .map(r -> {
          log.info("Executor {} handed task {} back: {}", settings.executorId(), task.getString("task_id"), reason);
          return (Void) null;
        })
        .recover(e -> {
          log.warn("Executor {} could not hand task {} back ({}); the server rescues it", settings.executorId(),
              task.getString("task_id"), e.getMessage());
          return Future.succeededFuture();
        });
  }

  private void heartbeat() {
    RunningStep step = currentStep;
    post("/api/v1/executors/" + settings.executorId() + "/heartbeat",
        new JsonObject().put("status", step == null ? "idle" : "busy").put("current_task", step == null ? null : step.taskId()))
        .onSuccess(reply -> {
          JsonArray cancel = reply.getJsonArray("cancel_tasks", new JsonArray());
          RunningStep now = currentStep;
          if (now != null && cancel.contains(now.taskId())) {
            now.cancel();
          }
        })
        .onFailure(e -> {
          if (e instanceof Refused r && r.status == 404 && running.get()) {
            log.info("Executor {} is not known to the server (any more); registering again", settings.executorId());
            register();
          } else {
            log.warn("Executor {} heartbeat not delivered: {}", settings.executorId(), e.getMessage());
          }
        });
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
        .recover(e -> cancelIfStale(step, e));
  }

  /** Log lines of a running step; a reply that says cancel stops the step. */
  Future<Void> logs(RunningStep step, JsonArray lines) {
    return post("/api/v1/work/" + step.taskId() + "/events", new JsonObject().put("lease_token", step.leaseToken())
        .put("events", lines))
        .map(reply -> {
          if (reply.getBoolean("cancel", false)) {
            step.cancel();
          }
          return (Void) null;
        })
        .recover(e -> cancelIfStale(step, e));
  }

  /** A 409 means the lease is gone (the task was rescued and belongs to someone else now): stop. */
  private static Future<Void> cancelIfStale(RunningStep step, Throwable e) {
    if (e instanceof Refused r && r.status == 409) {
      step.cancel();
    }
    return Future.succeededFuture();
  }

  static JsonArray line(String level, String message, JsonObject fields) {
    return new JsonArray().add(new JsonObject().put("level", level).put("message", message).put("fields", fields));
  }

  Future<JsonObject> post(String path, JsonObject body) {
    return link.call(HttpMethod.POST, path, headers(), body, 30_000);
  }

  Future<JsonObject> get(String path) {
    return link.call(HttpMethod.GET, path, headers(), null, (settings.waitSeconds() + 10) * 1000L);
  }

  private MultiMap headers() {
    MultiMap h = MultiMap.caseInsensitiveMultiMap();
    if (settings.token() != null && !settings.token().isEmpty()) {
      h.add("Authorization", "Bearer " + settings.token());
    }
    return h;
  }

  public WebClient client() {
    return client;
  }
}
