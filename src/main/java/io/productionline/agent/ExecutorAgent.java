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
import java.time.Duration;
import io.productionline.work.WorkService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
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
 * <p>Concurrency ({@link Settings#concurrency()} N > 1): it holds up to N tasks at once, claims
 * for its free slots in one call ({@code GET /api/v1/work/next?max=free}) and hands in the outcomes
 * that finished meanwhile in one call ({@code POST /api/v1/work/complete}); a slot is free again
 * once its task's completion is answered. With N = 1 it makes the single-task calls.
 *
 * <p>Cancellation (or an operator's release of the task): a heartbeat reply listing the task in {@code cancel_tasks}, or a progress or
 * log reply with {@code cancel: true}, stops the step (the sim timer is cancelled, the shell
 * process tree is killed) and the task is not completed. Stopping ({@link #stop(Duration)}, or
 * SIGTERM for {@code scripts/executor}): no new claims; the task in hand gets the grace period to
 * finish, then it is stopped and handed back to the queue; then the executor leaves (offline at
 * once).
 */
public final class ExecutorAgent {

  private static final Logger log = LoggerFactory.getLogger(ExecutorAgent.class);
  private static final int COMPLETE_ATTEMPTS = 5;
  /**
   * How long past its long-poll wait a claim may go unanswered before the server counts as out of
   * reach (a stalled node; the executor turns to the next). A claim granted as it gave up is handed
   * back by the server when the connection closes.
   */
  private static final int CLAIM_SLACK_SECONDS = 5;

  /**
   * How to reach the server and who this executor is; {@code graceSeconds} is the stop grace for a
   * task in hand, {@code concurrency} how many tasks it runs at once (1 to
   * {@link WorkService#MAX_BATCH}).
   */
  public record Settings(String serverUrl, String token, String executorId, List<String> capabilities, String environment,
                         String type, int waitSeconds, int graceSeconds, int concurrency) {

    public Settings {
      if (concurrency < 1 || concurrency > WorkService.MAX_BATCH) {
        throw new IllegalArgumentException("concurrency must be from 1 to " + WorkService.MAX_BATCH);
      }
    }

    public Settings(String serverUrl, String token, String executorId, List<String> capabilities, String environment,
                    String type, int waitSeconds, int graceSeconds) {
      this(serverUrl, token, executorId, capabilities, environment, type, waitSeconds, graceSeconds, 1);
    }

    public Settings(String serverUrl, String token, String executorId, List<String> capabilities, String environment,
                    String type, int waitSeconds) {
      this(serverUrl, token, executorId, capabilities, environment, type, waitSeconds, 10);
    }

    /** The same executor running up to {@code n} tasks at once. */
    public Settings withConcurrency(int n) {
      return new Settings(serverUrl, token, executorId, capabilities, environment, type, waitSeconds, graceSeconds, n);
    }
  }

  /** A finished step's outcome waiting to go out in the next batch of completions; {@code attempt} counts sends. */
  private record Report(JsonObject task, JsonObject result, Promise<Void> done, int attempt) {
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
  private final Servers servers;
  private final ServerLink link;
  private final StepRunners runners;
  private final AtomicBoolean running = new AtomicBoolean();
  private final Promise<Void> stopped = Promise.promise();
  private final AtomicBoolean leaving = new AtomicBoolean();
  /** The steps in hand, by task id. */
  private final Map<String, RunningStep> steps = new ConcurrentHashMap<>();
  /** Tasks in hand that an operator released back to the queue: their lease is void, nothing more is sent about them. */
  private final java.util.Set<String> released = ConcurrentHashMap.newKeySet();
  /** Completions waiting for the next batch, and whether one is on its way; touched only on {@link #ctx}. */
  private final List<Report> unsent = new ArrayList<>();
  private boolean sending;
  /** Whether a claim is on its way; touched only on {@link #ctx}. */
  private boolean claiming;
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
    this.servers = new Servers(settings.serverUrl());
    this.client = WebClient.create(vertx, new WebClientOptions().setIdleTimeout(0).setKeepAlive(true));
    this.link = overBus ? ServerLink.bus(vertx) : ServerLink.http(client, servers, settings.executorId());
    this.runners = new StepRunners(vertx, this);
  }

  public String id() {
    return settings.executorId();
  }

  /** The server node in use (of those {@link Settings#serverUrl()} names, comma-separated). */
  String serverUrl() {
    return servers.current().toString();
  }

  int maxArtifactBytes() {
    return maxArtifactBytes;
  }

  /** Registers, then heartbeats and claims until {@link #stop()}. */
  public Future<Void> start() {
    running.set(true);
    Promise<Void> started = Promise.promise();
    ctx.runOnContext(x -> registerWhenReachable(1).map(v -> {
      if (running.get()) {
        heartbeatTimer = vertx.setPeriodic(heartbeatMs, t -> heartbeat());
        loop();
      }
      return (Void) null;
    }).onComplete(started));
    return started.future();
  }

  /**
   * Registers; while no server can be reached or one answers that it cannot serve yet (5xx, 404,
   * 408, 429) asks again, every 1 s and then up to every 5 s, turning from server to server, until
   * it is registered or stopped. A refusal that asking again cannot change (a bad token or body)
   * fails the start.
   */
  private Future<Void> registerWhenReachable(int attempt) {
    return register().recover(e -> {
      boolean lasting = e instanceof Refused r && r.status < 500 && r.status != 404 && r.status != 408 && r.status != 429;
      if (lasting || !running.get()) {
        return lasting ? Future.failedFuture(e) : Future.succeededFuture();
      }
      long delay = Math.min(5_000, 1_000L * attempt);
      log.warn("Executor {} cannot register with {} yet ({}); asking again in {} s", settings.executorId(), serverUrl(),
          e.getMessage(), delay / 1000);
      Promise<Void> later = Promise.promise();
      vertx.setTimer(delay, t -> registerWhenReachable(attempt + 1).onComplete(later));
      return later.future();
    });
  }

  private Future<Void> register() {
    // The tasks in hand: none at start; when the server forgot this executor (Redis restarted), the work still running stays its own.
    return post("/api/v1/executors", new JsonObject().put("executor_id", settings.executorId())
        .put("type", settings.type()).put("environment", settings.environment())
        .put("capabilities", new JsonArray(settings.capabilities())).put("role", "worker")
        .put("tasks", new JsonArray(List.copyOf(steps.keySet()))))
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
      List<RunningStep> inHand = List.copyOf(steps.values());
      if (inHand.isEmpty()) {
        if (!claiming) {
          leave();
        }
      } else {
        log.info("Executor {} stopping: tasks {} get {} s to finish", settings.executorId(),
            inHand.stream().map(RunningStep::taskId).toList(), grace.toSeconds());
        vertx.setTimer(Math.max(1, grace.toMillis()), t -> {
          for (RunningStep step : inHand) {
            if (steps.get(step.taskId()) == step && !step.result().isComplete()) {
              handingBack = true;
              step.cancel();
            }
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

  /**
   * On the agent's context: claims for the free slots when no claim is on its way (one task, or
   * with concurrency up to the free slots in one call), starts what came, and claims again; a task
   * handed in frees its slot and calls here too. Once stopped, the last task handed in leaves.
   */
  private void loop() {
    if (!running.get()) {
      if (steps.isEmpty() && !claiming) {
        leave();
      }
      return;
    }
    int free = settings.concurrency() - steps.size();
    if (claiming || free <= 0) {
      return;
    }
    claiming = true;
    String claim = "/api/v1/work/next?executor_id=" + settings.executorId() + "&wait=" + settings.waitSeconds();
    get(settings.concurrency() == 1 ? claim : claim + "&max=" + free)
        .compose(reply -> {
          List<JsonObject> tasks = new ArrayList<>();
          if (reply.getValue("tasks") instanceof JsonArray many) {
            many.forEach(t -> tasks.add((JsonObject) t));
          } else if (reply.getBoolean("assigned", false)) {
            tasks.add(reply.getJsonObject("task"));
          }
          List<Future<Void>> handedBack = new ArrayList<>();
          for (JsonObject task : tasks) {
            if (running.get()) {
              run(task).onComplete(x -> ctx.runOnContext(v -> loop()));
            } else {
              handedBack.add(release(task, "the executor is stopping"));
            }
          }
          return Future.all(handedBack);
        })
        .onComplete(ar -> {
          claiming = false;
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

  /** Runs one claimed task to its end: completed, stopped after a cancel, or handed back; its slot is free after. */
  private Future<Void> run(JsonObject task) {
    String taskId = task.getString("task_id");
    log.info("Executor {} runs {} station {} of {} (attempt {})", settings.executorId(), task.getString("station_kind"),
        task.getString("station"), task.getString("document_type"), task.getInteger("attempt"));
    RunningStep step = runners.prepare(task);
    steps.put(taskId, step);
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
            if (released.remove(taskId)) {
              log.info("Executor {} stopped task {}: an operator released it back to the queue (its lease is void)", settings.executorId(), taskId);
              return Future.succeededFuture();
            }
            log.info("Executor {} stopped task {}: cancelled by an operator", settings.executorId(), taskId);
            return logs(step, line("info", settings.executorId() + " stopped: the task was cancelled; it is not completed",
                new JsonObject().put("event", "stopped")));
          }
          return settings.concurrency() == 1 ? complete(task, result, UUID.randomUUID().toString(), 1) : completeInBatch(task, result);
        })
        .recover(e -> {
          log.warn("Executor {} could not hand in task {}: {}", settings.executorId(), taskId, e.getMessage());
          return Future.succeededFuture();
        })
        .eventually(() -> {
          steps.remove(taskId);
          if (steps.isEmpty()) {
            handingBack = false;
          }
          return Future.succeededFuture();
        });
  }

  /** Hands a finished step's outcome in with the next batch of completions; completes when the server has answered it. */
  private Future<Void> completeInBatch(JsonObject task, JsonObject result) {
    Promise<Void> done = Promise.promise();
    ctx.runOnContext(v -> {
      unsent.add(new Report(task, result, done, 1));
      sendBatch();
    });
    return done.future();
  }

  /**
   * On the agent's context: sends the waiting completions in one call when none is on its way (what
   * finishes meanwhile waits for the next). Each item is answered on its own; an item the server
   * could not take (5xx), or a call that did not reach it, goes again (a repeat with the same lease
   * token changes nothing), up to {@link #COMPLETE_ATTEMPTS} sends.
   */
  private void sendBatch() {
    if (sending || unsent.isEmpty()) {
      return;
    }
    sending = true;
    List<Report> batch = new ArrayList<>(unsent.subList(0, Math.min(unsent.size(), WorkService.MAX_BATCH)));
    unsent.subList(0, batch.size()).clear();
    JsonArray items = new JsonArray();
    for (Report p : batch) {
      items.add(p.result().copy().put("task_id", p.task().getString("task_id")).put("lease_token", p.task().getString("lease_token")));
    }
    link.call(HttpMethod.POST, "/api/v1/work/complete", headers(), new JsonObject().put("completions", items), 30_000)
        .onComplete(ar -> ctx.runOnContext(v -> {
          sending = false;
          for (int i = 0; i < batch.size(); i++) {
            Report p = batch.get(i);
            JsonObject answer = ar.succeeded() ? ar.result().getJsonArray("results").getJsonObject(i) : null;
            int status = answer != null ? answer.getInteger("status") : ar.cause() instanceof Refused r ? r.status : 503;
            if (status == 200) {
              p.done().complete();
            } else if (status >= 500 && p.attempt() < COMPLETE_ATTEMPTS) {
              vertx.setTimer(500L * p.attempt(), t -> {
                unsent.add(new Report(p.task(), p.result(), p.done(), p.attempt() + 1));
                sendBatch();
              });
            } else {
              p.done().fail(answer != null ? new Refused(status, answer.getJsonObject("body", new JsonObject()))
                  : ar.cause());
            }
          }
          sendBatch();
        }));
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
    RunningStep step = steps.values().stream().findFirst().orElse(null);
    // A heartbeat unanswered within its interval (at least 2 s) counts the node as out of reach: the
    // next one goes to the next node, so the leases it renews do not run out behind a stalled node.
    link.call(HttpMethod.POST, "/api/v1/executors/" + settings.executorId() + "/heartbeat", headers(),
            new JsonObject().put("status", step == null ? "idle" : "busy").put("current_task", step == null ? null : step.taskId())
                .put("tasks", new JsonArray(List.copyOf(steps.keySet()))),
            Math.max(2_000, heartbeatMs))
        .onSuccess(reply -> {
          JsonArray releasedNow = reply.getJsonArray("released_tasks", new JsonArray());
          for (Object id : reply.getJsonArray("cancel_tasks", new JsonArray())) {
            RunningStep cancelled = steps.get(String.valueOf(id));
            if (cancelled != null) {
              if (releasedNow.contains(id)) {
                released.add(String.valueOf(id));
              }
              cancelled.cancel();
            }
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
    return link.call(HttpMethod.GET, path, headers(), null, (settings.waitSeconds() + CLAIM_SLACK_SECONDS) * 1000L);
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
