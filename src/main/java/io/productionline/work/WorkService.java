package io.productionline.work;

import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.events.Addresses;
import io.productionline.events.EventType;
import io.productionline.executor.ExecutorRegistry;
import io.productionline.store.TaskRow;
import io.productionline.track.TrackSupervisor;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Station tasks from an executor's side: claim (with long-poll), progress, log events, artifacts,
 * completion and heartbeats. One instance per node; the same calls serve HTTP executors, executors
 * that joined the cluster, and the in-process demo executors.
 */
public final class WorkService {

  private static final Logger log = LoggerFactory.getLogger(WorkService.class);
  private static final Set<String> ARTIFACT_KINDS = Set.of("text", "json", "file", "url");

  private final Services s;
  private final ExecutorRegistry executors;
  private final TrackSupervisor supervisor;
  private final int maxArtifactBytes;
  private final Deque<Waiter> waiters = new ArrayDeque<>();
  private boolean draining;
  private volatile boolean claiming = true;

  /** A parked long-poll claim. */
  private record Waiter(JsonObject executor, Promise<Optional<JsonObject>> promise, long timer) {
  }

  public WorkService(Services services, ExecutorRegistry executors, TrackSupervisor supervisor) {
    this.s = services;
    this.executors = executors;
    this.supervisor = supervisor;
    this.maxArtifactBytes = services.config.getJsonObject("work", new JsonObject()).getInteger("max_artifact_bytes", 262_144);
  }

  /** Wakes parked claims when work is queued anywhere in the cluster, and once a second for backoffs that ran out. */
  public Future<Void> start() {
    s.vertx.setPeriodic(1000, id -> wake());
    return s.vertx.eventBus().consumer(Addresses.WORK_AVAILABLE, m -> wake()).completion();
  }

  /** Stops handing out work on this node (graceful leave); parked claims get nothing. */
  public void stopClaiming() {
    claiming = false;
    while (!waiters.isEmpty()) {
      Waiter w = waiters.poll();
      s.vertx.cancelTimer(w.timer());
      w.promise().tryComplete(Optional.empty());
    }
  }

  public ExecutorRegistry executors() {
    return executors;
  }

  /**
   * Claims the next task for a registered executor; waits up to {@code wait} for one to be queued.
   * Empty when none came.
   */
  public Future<Optional<JsonObject>> claim(String executorId, Duration wait) {
    return executors.get(executorId).compose(found -> {
      JsonObject executor = found.orElseThrow(() -> Refusal.notFound("executor " + executorId + " is not registered; register first"));
      return tryClaim(executor).compose(task -> {
        if (task.isPresent() || wait.isZero() || !claiming) {
          return Future.succeededFuture(task);
        }
        Promise<Optional<JsonObject>> p = Promise.promise();
        long timer = s.vertx.setTimer(wait.toMillis(), t -> {
          waiters.removeIf(w -> w.promise() == p);
          p.tryComplete(Optional.empty());
        });
        waiters.add(new Waiter(executor, p, timer));
        return p.future();
      });
    });
  }

  private Future<Optional<JsonObject>> tryClaim(JsonObject executor) {
    if (!claiming) {
      return Future.succeededFuture(Optional.empty());
    }
    String id = executor.getString("executor_id");
    List<String> caps = executor.getJsonArray("capabilities").stream().map(Object::toString).toList();
    return s.tasks.claim(s.pool, id, caps, executor.getString("environment", "server"), s.leaseSeconds(), s.clock.instant())
        .compose(task -> {
          if (task.isEmpty()) {
            return Future.succeededFuture(Optional.<JsonObject>empty());
          }
          TaskRow t = task.get();
          log.info("Executor {} claimed task {} ({} {} attempt {})", id, t.id(), t.documentType(), t.stationId(), t.attempt());
          return executors.setStatus(id, "busy", t.id())
              .onSuccess(v -> publishExecutor(id))
              .map(v -> Optional.of(t.toClaimJson()));
        });
  }

  /** Hands queued work to parked claims, oldest first, until the queue has nothing for the next one. */
  private void wake() {
    if (draining || waiters.isEmpty()) {
      return;
    }
    draining = true;
    drainNext(waiters.size());
  }

  private void drainNext(int budget) {
    Waiter w = waiters.peek();
    if (w == null || budget == 0) {
      draining = false;
      return;
    }
    if (w.promise().future().isComplete()) {
      waiters.poll();
      drainNext(budget);
      return;
    }
    tryClaim(w.executor()).onComplete(ar -> {
      if (ar.succeeded() && ar.result().isPresent()) {
        waiters.remove(w);
        s.vertx.cancelTimer(w.timer());
        if (!w.promise().tryComplete(ar.result())) {
          log.warn("A claim completed after its long-poll ended; the lease will expire and the task returns to the queue");
        }
        drainNext(budget - 1);
      } else {
        // Nothing for this executor: rotate it to the back so others with other capabilities get a look.
        waiters.remove(w);
        waiters.add(w);
        drainNext(budget - 1);
      }
    });
  }

  /** The task, if {@code leaseToken} holds it; 404 or 409 otherwise. */
  public Future<TaskRow> held(String taskId, String leaseToken) {
    return s.tasks.find(s.pool, taskId).map(found -> {
      TaskRow t = found.orElseThrow(() -> Refusal.notFound("no station task " + taskId));
      if (leaseToken == null || !leaseToken.equals(t.leaseToken())) {
        throw Refusal.conflict("stale lease: this lease token does not hold task " + taskId).with("task_status", t.status());
      }
      return t;
    });
  }

  /** Progress from the holder; the reply says whether an operator cancelled the task. */
  public Future<JsonObject> progress(String taskId, String leaseToken, Double progress, String message) {
    if (progress != null && (progress < 0 || progress > 1)) {
      return Future.failedFuture(Refusal.badRequest("progress must be between 0.0 and 1.0"));
    }
    return held(taskId, leaseToken).compose(t -> {
      if (!"claimed".equals(t.status())) {
        return Future.succeededFuture(cancelNotice(t));
      }
      return s.tasks.progress(s.pool, taskId, leaseToken, progress, message, s.leaseSeconds(), s.clock.instant()).map(updated -> {
        if (updated.isEmpty()) {
          return cancelNotice(t);
        }
        TaskRow u = updated.get();
        s.vertx.eventBus().publish(Addresses.project(u.projectId()), new JsonObject().put("type", EventType.TASK_PROGRESS)
            .put("project", u.projectId()).put("track_id", u.trackId()).put("task_id", u.id())
            .put("station", u.stationId()).put("progress", u.progress()).put("message", u.progressMessage()));
        return new JsonObject().put("updated", true).put("cancel", false)
            .put("lease_expires_at", u.leaseExpiresAt().toString());
      });
    });
  }

  private static JsonObject cancelNotice(TaskRow t) {
    return new JsonObject().put("updated", false).put("cancel", true).put("task_status", t.status())
        .put("reason", "cancelled".equals(t.status()) ? "an operator cancelled the track; stop and hand back" : "the task is " + t.status());
  }

  /** Structured log lines from the holder, kept per task and streamed to watchers. */
  public Future<JsonObject> logs(String taskId, String leaseToken, JsonArray lines) {
    if (lines == null || lines.isEmpty() || lines.size() > 500) {
      return Future.failedFuture(Refusal.badRequest("events must be an array of 1 to 500 log lines"));
    }
    for (Object o : lines) {
      if (!(o instanceof JsonObject l) || !(l.getValue("message") instanceof String) || ((String) l.getValue("message")).length() > 8192) {
        return Future.failedFuture(Refusal.badRequest("each event needs a message string of at most 8192 characters"));
      }
    }
    return held(taskId, leaseToken).compose(t -> s.tasks.appendLogs(s.pool, taskId, lines, s.clock.instant())
        .map(v -> {
          for (Object o : lines) {
            s.vertx.eventBus().publish(Addresses.taskLogs(taskId), (JsonObject) o);
          }
          return new JsonObject().put("accepted", lines.size());
        }));
  }

  /** Artifacts from the holder: text, JSON, small files (base64) or URLs, each within the size limit. */
  public Future<JsonObject> artifacts(String taskId, String leaseToken, JsonArray artifacts) {
    if (artifacts == null || artifacts.isEmpty() || artifacts.size() > 100) {
      return Future.failedFuture(Refusal.badRequest("artifacts must be an array of 1 to 100 artifacts"));
    }
    for (Object o : artifacts) {
      if (!(o instanceof JsonObject a)) {
        return Future.failedFuture(Refusal.badRequest("each artifact must be an object"));
      }
      Refusal problem = checkArtifact(a);
      if (problem != null) {
        return Future.failedFuture(problem);
      }
    }
    return held(taskId, leaseToken).compose(t -> {
      if (!"claimed".equals(t.status())) {
        return Future.failedFuture(Refusal.conflict("task " + taskId + " is " + t.status()).with("task_status", t.status()));
      }
      Instant now = s.clock.instant();
      return s.pool.withTransaction(conn -> {
        Future<Void> chain = Future.succeededFuture();
        for (Object o : artifacts) {
          JsonObject a = (JsonObject) o;
          String content = content(a);
          chain = chain.compose(v -> s.tasks.putArtifact(conn, t, a.getString("name"), a.getString("kind"),
              a.getString("content_type"), content, a.getString("url"), size(a, content), now));
        }
        return chain;
      }).map(v -> new JsonObject().put("stored", artifacts.size()));
    });
  }

  private Refusal checkArtifact(JsonObject a) {
    Object name = a.getValue("name");
    if (!(name instanceof String n) || n.isEmpty() || n.length() > 200 || n.contains("/") || n.contains("\\") || n.startsWith(".")) {
      return Refusal.badRequest("artifact name must be a plain file name of 1 to 200 characters");
    }
    Object kind = a.getValue("kind");
    if (!(kind instanceof String k) || !ARTIFACT_KINDS.contains(k)) {
      return Refusal.badRequest("artifact " + n + ": kind must be one of text, json, file, url");
    }
    if (k.equals("url")) {
      return a.getValue("url") instanceof String u && (u.startsWith("http://") || u.startsWith("https://")) && u.length() <= 2048
          ? null : Refusal.badRequest("artifact " + n + ": url must be an http(s) URL of at most 2048 characters");
    }
    Object c = a.getValue("content");
    if (c == null) {
      return Refusal.badRequest("artifact " + n + ": content is required for kind " + k);
    }
    if (!k.equals("json") && !(c instanceof String)) {
      return Refusal.badRequest("artifact " + n + ": content must be a string for kind " + k);
    }
    if (size(a, content(a)) > maxArtifactBytes) {
      return new Refusal(413, "Artifact too large", "artifact " + n + " is larger than " + maxArtifactBytes + " bytes")
          .with("max_artifact_bytes", maxArtifactBytes);
    }
    return null;
  }

  private static String content(JsonObject a) {
    Object c = a.getValue("content");
    if (c == null) {
      return null;
    }
    return c instanceof String str ? str : io.vertx.core.json.Json.encode(c);
  }

  private static int size(JsonObject a, String content) {
    return content == null ? 0 : content.getBytes(StandardCharsets.UTF_8).length;
  }

  /**
   * The holder's outcome: artifacts (if any) stored first, then the track's verticle makes the
   * transition. A repeated call with the same lease token is answered again and changes nothing.
   */
  public Future<JsonObject> complete(String taskId, String leaseToken, JsonObject body) {
    String outcome = body.getString("outcome");
    JsonArray artifacts = body.getJsonArray("artifacts");
    return held(taskId, leaseToken).compose(t -> {
      Future<JsonObject> stored = artifacts == null || artifacts.isEmpty() || !"claimed".equals(t.status())
          ? Future.succeededFuture(new JsonObject())
          : artifacts(taskId, leaseToken, artifacts);
      JsonObject result = body.copy();
      result.remove("artifacts");
      result.remove("outcome");
      JsonObject command = new JsonObject().put("type", "task_completed").put("task_id", taskId).put("lease_token", leaseToken)
          .put("outcome", outcome).put("result", result).put("executor_id", t.executorId());
      return stored.compose(v -> supervisor.send(t.trackId(), command)).compose(reply -> {
        if (reply.getBoolean("repeated", false)) {
          return Future.succeededFuture(reply.put("completed", true));
        }
        long ms = t.claimedAt() == null ? 0 : Duration.between(t.claimedAt(), s.clock.instant()).toMillis();
        return executors.recordStation(t.executorId(), ms, "stabilized".equals(outcome))
            .compose(v -> executors.setStatus(t.executorId(), "idle", null))
            .onSuccess(v -> publishExecutor(t.executorId()))
            .map(v -> reply.put("completed", true));
      });
    });
  }

  /** A heartbeat: liveness in Redis, the executor's leases renewed, and cancel notices for its tasks. */
  public Future<JsonObject> heartbeat(String executorId, String status, String currentTask) {
    Instant now = s.clock.instant();
    return executors.heartbeat(executorId, status, currentTask)
        .compose(view -> s.tasks.renewLeases(s.pool, executorId, s.leaseSeconds(), now)
            .compose(held -> s.tasks.cancelledHeldBy(s.pool, executorId, now.minusSeconds(cancelGraceSeconds()))
                .map(cancelled -> {
                  publishExecutor(view);
                  return new JsonObject().put("executor", view).put("held_tasks", new JsonArray(List.copyOf(held.keySet())))
                      .put("cancel_tasks", new JsonArray(cancelled))
                      .put("heartbeat_seconds", s.heartbeatSeconds());
                })));
  }

  private int cancelGraceSeconds() {
    return s.config.getJsonObject("work", new JsonObject()).getInteger("cancel_grace_seconds", 30);
  }

  void publishExecutor(String executorId) {
    executors.get(executorId).onSuccess(v -> v.ifPresent(this::publishExecutor));
  }

  private void publishExecutor(JsonObject view) {
    s.vertx.eventBus().publish(Addresses.EXECUTORS, view.copy().put("type", EventType.EXECUTOR_STATUS));
  }
}
