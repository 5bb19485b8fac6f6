package io.productionline.work;

import io.productionline.line.Outcome;
import io.productionline.store.TaskStatus;
import io.productionline.track.StationReport;
import static net.logstash.logback.argument.StructuredArguments.entries;

import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.events.Addresses;
import io.productionline.events.Broadcast;
import io.productionline.events.EventType;
import io.productionline.executor.ExecutorInfo;
import io.productionline.executor.ExecutorRegistry;
import io.productionline.store.TaskRow;
import io.productionline.track.TrackSupervisor;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Station tasks from an executor's side: registration, heartbeats, claim (with long-poll),
 * progress, log events, artifacts, completion and hand-back. One instance per node; the same calls
 * serve HTTP executors, the build-intent API and the in-process demo executors.
 *
 * <p>Claims: a claim that finds nothing parks until work is queued anywhere in the cluster
 * ({@code pl.work.available}, published after every commit that queues a task) or its wait runs
 * out; a once-a-second tick catches backoffs that ran out. Parked claims live on one Vert.x
 * context, so they are handed work one at a time, oldest first. A task is claimed by exactly one
 * executor: the claim is one {@code UPDATE … FOR UPDATE SKIP LOCKED} in PostgreSQL.
 *
 * <p>Leases: the lease token names the task and its attempt; every later call must carry it, and a
 * token that no longer holds the task is refused with 409 and changes nothing.
 */
public final class WorkService {

  private static final Logger log = LoggerFactory.getLogger(WorkService.class);
  private static final Set<String> ARTIFACT_KINDS = Set.of("text", "json", "file", "url");
  private static final long IDEMPOTENCY_SECONDS = 86_400;
  /** The most tasks one call claims, and the most completions one call reports. */
  public static final int MAX_BATCH = 64;

  private final Services s;
  private final ExecutorRegistry executors;
  private final TrackSupervisor supervisor;
  private final int maxArtifactBytes;
  private final String redisPrefix;
  private final io.productionline.store.RunRepository runs = new io.productionline.store.RunRepository();
  /** Parked claims, oldest first; touched only on {@link #ctx}. */
  private final Deque<Waiter> waiters = new ArrayDeque<>();
  private Context ctx;
  private boolean draining;
  private boolean wokenWhileDraining;
  private long generation;
  private long tick = -1;
  private volatile boolean claiming = true;
  private volatile int parked;

  /** A parked long-poll claim: who claims, for which line (or any), how many tasks at most, and where they go. */
  private static final class Waiter {
    final JsonObject executor;
    final String line;
    final int max;
    final Promise<List<JsonObject>> result;
    long timer;

    Waiter(JsonObject executor, String line, int max, Promise<List<JsonObject>> result) {
      this.executor = executor;
      this.line = line;
      this.max = max;
      this.result = result;
    }
  }

  public WorkService(Services services, ExecutorRegistry executors, TrackSupervisor supervisor) {
    this.s = services;
    this.executors = executors;
    this.supervisor = supervisor;
    this.maxArtifactBytes = services.config.getJsonObject("work", new JsonObject()).getInteger("max_artifact_bytes", 262_144);
    this.redisPrefix = services.config.getJsonObject("redis", new JsonObject()).getString("prefix", "pl:");
  }

  /**
   * Wakes parked claims when work is queued anywhere in the cluster, and on a tick
   * ({@code work.claim_tick_ms}, default once a second) for backoffs that ran out.
   */
  public Future<Void> start() {
    ctx = s.vertx.getOrCreateContext();
    Promise<Void> started = Promise.promise();
    ctx.runOnContext(v -> {
      long every = s.config.getJsonObject("work", new JsonObject()).getLong("claim_tick_ms", 1000L);
      tick = s.vertx.setPeriodic(every, id -> wake());
      s.vertx.eventBus().consumer(Addresses.WORK_AVAILABLE, m -> wake()).completion().onComplete(started);
    });
    return started.future();
  }

  /** Stops handing out work on this node (graceful leave); parked claims get nothing. */
  public void stopClaiming() {
    claiming = false;
    if (ctx == null) {
      return;
    }
    ctx.runOnContext(v -> {
      s.vertx.cancelTimer(tick);
      while (!waiters.isEmpty()) {
        Waiter w = waiters.poll();
        s.vertx.cancelTimer(w.timer);
        w.result.tryComplete(List.of());
      }
      parked = 0;
    });
  }

  /** How long a claim's reply may be on its way before a heartbeat that does not list the task hands it back. */
  public static final int CLAIM_REPLY_GRACE_SECONDS = 5;

  public ExecutorRegistry executors() {
    return executors;
  }

  /** Claims parked on this node, waiting for work. */
  public int parkedClaims() {
    return parked;
  }

  // --- registration and heartbeats ------------------------------------------------------------

  /** Registers an executor; the reply tells it how often to heartbeat. */
  public Future<JsonObject> register(ExecutorInfo info) {
    return register(info, null);
  }

  /**
   * Registers an executor that says which tasks it has in hand ({@code inHand}; null: none, a new
   * run): the leases of every other task it holds run out now (its earlier run was killed, and the
   * rescue sweep queues that work again), those in hand stay its own (it registers again because
   * Redis forgot it, its work still running).
   */
  public Future<JsonObject> register(ExecutorInfo info, List<String> inHand) {
    Instant now = s.clock.instant();
    return executors.register(info).compose(view -> s.tasks.expireLeasesOf(s.pool, info.id(), inHand, now).map(expired -> {
      if (expired > 0) {
        log.info("Executor {} registered again: {} tasks its earlier run held go back to the queue", info.id(), expired);
      }
      return view;
    })).map(view -> {
      log.info("Executor {} registered ({} in {}, capabilities {})", info.id(), info.type(), info.environment(), info.capabilities());
      publishExecutor(view);
      return view.copy().put("heartbeat_seconds", s.heartbeatSeconds()).put("stale_seconds", s.staleSeconds())
          .put("lease_seconds", s.leaseSeconds()).put("max_artifact_bytes", maxArtifactBytes);
    });
  }

  /**
   * A heartbeat: liveness in Redis, the executor's leases renewed, and stop notices for its tasks:
   * {@code cancel_tasks} lists every task it held that was cancelled, or that an operator released
   * back to the queue, lately; {@code released_tasks} names those of them that were released.
   */
  public Future<JsonObject> heartbeat(String executorId, String status, String currentTask) {
    return heartbeat(executorId, status, currentTask, null);
  }

  /**
   * A heartbeat that says which tasks the executor has in hand ({@code inHand}; null when it does
   * not say, and then every lease it holds is renewed): only those leases are renewed, and a task it
   * holds but does not have, claimed more than {@link #CLAIM_REPLY_GRACE_SECONDS} ago, goes back to
   * the queue at once, same attempt — a claim whose reply never reached it (its node died as it
   * answered) would otherwise stay claimed for as long as the executor lives.
   */
  public Future<JsonObject> heartbeat(String executorId, String status, String currentTask, List<String> inHand) {
    Instant now = s.clock.instant();
    return executors.heartbeat(executorId, status, currentTask)
        .compose(view -> handBackNotInHand(executorId, inHand, now).map(view))
        .compose(view -> s.tasks.renewLeases(s.pool, executorId, inHand, s.leaseSeconds(), now)
            .compose(held -> s.tasks.cancelledHeldBy(s.pool, executorId, now.minusSeconds(cancelGraceSeconds()))
                .map(stops -> {
                  publishExecutor(view);
                  return new JsonObject().put("executor", view).put("held_tasks", new JsonArray(List.copyOf(held.keySet())))
                      .put("cancel_tasks", new JsonArray(stops.cancelled()))
                      .put("released_tasks", new JsonArray(stops.released()))
                      .put("heartbeat_seconds", s.heartbeatSeconds());
                })));
  }

  /** A task queued again by a hand-back: counted, and the parked claims hear there is work. */
  private void handedBack(String taskId) {
    s.metrics.requeued("handed_back");
    s.vertx.eventBus().publish(Addresses.WORK_AVAILABLE, new JsonObject().put("task_id", taskId));
  }

  private Future<Void> handBackNotInHand(String executorId, List<String> inHand, Instant now) {
    if (inHand == null) {
      return Future.succeededFuture();
    }
    return s.tasks.releaseNotInHand(s.pool, executorId, inHand, CLAIM_REPLY_GRACE_SECONDS, s.leaseSeconds(), now).map(released -> {
      for (String taskId : released) {
        log.info("Task {} handed back to the queue: executor {} holds it but does not have it (its claim's reply never "
            + "reached it)", taskId, executorId);
        handedBack(taskId);
      }
      return null;
    });
  }

  /**
   * An executor leaves: offline at once, and every task it still holds goes back to the queue at
   * once, same attempt (a graceful stop hands back what it has; a claim whose reply never reached
   * it is handed back too, instead of waiting for its lease to run out).
   */
  public Future<JsonObject> leave(String executorId) {
    return executors.leave(executorId).compose(found -> {
      JsonObject view = found.orElseThrow(() -> Refusal.notFound("no executor " + executorId));
      return s.tasks.releaseHeldBy(s.pool, executorId, s.clock.instant()).map(released -> {
        released.forEach(this::handedBack);
        if (released.isEmpty()) {
          log.info("Executor {} left", executorId);
        } else {
          log.info("Executor {} left: {} tasks it held go back to the queue, same attempt", executorId, released.size());
        }
        return view;
      });
    }).map(view -> {
      ctx.runOnContext(v -> {
        // Its parked claims end empty: nothing is handed to an executor that left.
        waiters.removeIf(w -> {
          if (!executorId.equals(w.executor.getString("executor_id"))) {
            return false;
          }
          s.vertx.cancelTimer(w.timer);
          w.result.tryComplete(List.of());
          return true;
        });
        parked = waiters.size();
      });
      publishExecutor(view);
      return view;
    });
  }

  // --- claims ---------------------------------------------------------------------------------

  /**
   * Claims the next task for a registered executor; waits up to {@code wait} for one to be queued.
   * Empty when none came, or when {@code clientGone} completes first. {@code line}, when not null,
   * limits the claim to projects of that line (the build-intent API).
   */
  public Future<Optional<JsonObject>> claim(String executorId, Duration wait, String line, Future<Void> clientGone) {
    return claim(executorId, wait, line, 1, clientGone).map(WorkService::first);
  }

  /**
   * As {@link #claim(String, Duration, String, Future)}, up to {@code max} tasks at once, each with
   * a lease of its own: an executor that runs tasks concurrently claims for its free slots in one
   * call. Waits until at least one task is there; empty when none came.
   */
  public Future<List<JsonObject>> claim(String executorId, Duration wait, String line, int max, Future<Void> clientGone) {
    // A claim is a sign of life: it renews the executor's liveness (404 when it never registered).
    return executors.renewForClaim(executorId).compose(executor -> claimAs(executor, wait, line, max, clientGone));
  }

  private static Optional<JsonObject> first(List<JsonObject> tasks) {
    return tasks.isEmpty() ? Optional.empty() : Optional.of(tasks.get(0));
  }

  /** What a completion that brings the executor's next task answers: its own reply, and the claim. */
  public record Chained(JsonObject reply, Optional<JsonObject> next) {
  }

  /** What a batch of completions that brings the executor's next tasks answers: each item's result, and the claim. */
  public record ChainedBatch(List<JsonObject> results, List<JsonObject> next) {
  }

  /**
   * A completion, then the executor's next claim, waiting up to {@code wait}. The completion renewed
   * the executor's liveness and read its registration back, so the claim needs no heartbeat of its
   * own (a repeated completion, which reads nothing back, claims as usual). A claim that fails
   * answers no task; the completion's reply stands.
   */
  public Future<Chained> completeThenClaim(String taskId, String leaseToken, String executorId, StationReport report,
                                           JsonArray artifacts, String idempotencyKey, Duration wait, Future<Void> clientGone) {
    JsonObject[] left = new JsonObject[1];
    return complete(taskId, leaseToken, executorId, report, artifacts, idempotencyKey, view -> left[0] = view)
        .compose(reply -> claimAfter(executorId, left[0], wait, 1, clientGone, "task " + taskId)
            .map(next -> new Chained(reply, first(next))));
  }

  /**
   * A batch of completions, each item answered as its own call would be, then (when at least one
   * completed and {@code max} > 0) up to {@code max} next tasks, waiting up to {@code wait}.
   */
  public Future<ChainedBatch> completeAllThenClaim(String executorId, List<Completion> items, int max, Duration wait,
                                                   Future<Void> clientGone) {
    JsonObject[] left = new JsonObject[1];
    return completeAll(executorId, items, view -> left[0] = view).compose(results -> {
      boolean anyCompleted = results.stream().anyMatch(r -> r.getInteger("status") == 200);
      if (max == 0 || !anyCompleted) {
        return Future.succeededFuture(new ChainedBatch(results, List.of()));
      }
      return claimAfter(executorId, left[0], wait, max, clientGone, results.size() + " tasks")
          .map(next -> new ChainedBatch(results, next));
    });
  }

  /**
   * The claim that rides on a completion. The completion renewed the executor's liveness and read
   * its registration back ({@code view}), so the claim needs no heartbeat of its own (a repeated
   * completion, which reads nothing back, claims as usual). The completion stands whatever the
   * claim meets: its reply is not lost to a refused claim, which the executor's own next claim then
   * meets again (a 404 tells it to register).
   */
  private Future<List<JsonObject>> claimAfter(String executorId, JsonObject view, Duration wait, int max, Future<Void> clientGone,
                                              String completed) {
    return (view == null ? claim(executorId, wait, null, max, clientGone) : claimAs(view, wait, null, max, clientGone))
        .recover(e -> {
          if (!(e instanceof Refusal)) {
            log.warn("Executor {} completed {}; its next claim could not be served: {}", executorId, completed, e.toString());
          }
          return Future.succeededFuture(List.of());
        });
  }

  /** A claim for {@code executor} (its id, capabilities and environment), its liveness renewed already. */
  private Future<List<JsonObject>> claimAs(JsonObject executor, Duration wait, String line, int max, Future<Void> clientGone) {
    Context caller = s.vertx.getOrCreateContext();
    Promise<List<JsonObject>> result = Promise.promise();
    ctx.runOnContext(v -> {
      long seen = generation;
      tryClaim(executor, line, max).onComplete(ar -> {
        if (ar.failed() || !ar.result().isEmpty() || wait.isZero() || !claiming || clientGone.isComplete()) {
          result.handle(ar);
          return;
        }
        park(new Waiter(executor, line, max, result), wait, clientGone);
        if (generation != seen) {
          wake();
        }
      });
    });
    Promise<List<JsonObject>> back = Promise.promise();
    result.future().onComplete(ar -> caller.runOnContext(x -> back.handle(ar)));
    return back.future();
  }


  /** On {@link #ctx}: parks a claim until work comes, its wait runs out, or its client leaves. */
  private void park(Waiter w, Duration wait, Future<Void> clientGone) {
    w.timer = s.vertx.setTimer(wait.toMillis(), t -> {
      waiters.remove(w);
      parked = waiters.size();
      w.result.tryComplete(List.of());
    });
    waiters.add(w);
    parked = waiters.size();
    clientGone.onComplete(x -> ctx.runOnContext(v -> {
      if (waiters.remove(w)) {
        parked = waiters.size();
        s.vertx.cancelTimer(w.timer);
        w.result.tryComplete(List.of());
      }
    }));
  }

  private Future<List<JsonObject>> tryClaim(JsonObject executor, String line, int max) {
    if (!claiming) {
      return Future.succeededFuture(List.of());
    }
    String id = executor.getString("executor_id");
    List<String> caps = executor.getJsonArray("capabilities").stream().map(Object::toString).toList();
    Instant now = s.clock.instant();
    return s.tasks.claim(s.pool, id, caps, executor.getString("environment", "server"), s.leaseSeconds(), now, line, max)
        .map(tasks -> {
          if (tasks.isEmpty()) {
            return List.<JsonObject>of();
          }
          logClaimed(id, tasks);
          for (TaskRow t : tasks) {
            s.metrics.claimed(t.capability());
          }
          // The executor's busy goes to Redis (and the dashboard) after the reply, not before it: the
          // lease is in PostgreSQL already, and the write is stamped so a late one undoes nothing.
          executors.claimed(id, tasks.get(0).id(), now)
              .onSuccess(v -> v.ifPresent(this::publishExecutor))
              .onFailure(e -> log.warn("Executor {} claimed {} tasks; its busy status was not written: {}", id, tasks.size(), e.getMessage()));
          return tasks.stream().map(TaskRow::toClaimJson).toList();
        });
  }

  /** On {@link #ctx}: hands queued work to parked claims, oldest first; a wake during a round starts another. */
  private void wake() {
    generation++;
    if (draining) {
      wokenWhileDraining = true;
      return;
    }
    if (waiters.isEmpty()) {
      return;
    }
    draining = true;
    wokenWhileDraining = false;
    drainNext(waiters.size(), new java.util.HashSet<>());
  }

  /**
   * What a parked claim can take: its capabilities, environment and line. Within one round, once a
   * claim of a shape found fewer tasks than it asked for, the other waiters of that shape find
   * nothing (a task queued meanwhile wakes another round), so they are not asked again: a round
   * costs one query per claim handed tasks plus one per shape, not one per parked executor.
   */
  private static String shape(Waiter w) {
    return w.executor.getJsonArray("capabilities") + "|" + w.executor.getString("environment", "server") + "|" + w.line;
  }

  private void drainNext(int budget, java.util.Set<String> empty) {
    Waiter w = waiters.peek();
    while (w != null && budget > 0 && empty.contains(shape(w))) {
      waiters.add(waiters.poll());
      budget--;
      w = waiters.peek();
    }
    if (w == null || budget == 0) {
      draining = false;
      if (wokenWhileDraining) {
        wake();
      }
      return;
    }
    int left = budget;
    Waiter head = w;
    tryClaim(head.executor, head.line, head.max).onComplete(ar -> {
      if (ar.succeeded() && ar.result().size() < head.max) {
        empty.add(shape(head));
      }
      if (ar.succeeded() && !ar.result().isEmpty()) {
        boolean stillParked = waiters.remove(head);
        parked = waiters.size();
        s.vertx.cancelTimer(head.timer);
        if (!stillParked || !head.result.tryComplete(ar.result())) {
          ar.result().forEach(t -> handBack(t, "its long-poll ended before the claim"));
        }
      } else {
        if (waiters.remove(head)) {
          // Nothing for this executor: to the back, so others with other capabilities get a look.
          waiters.add(head);
        }
      }
      drainNext(left - 1, empty);
    });
  }

  /** Puts a claimed task whose executor never got it back on the queue, same attempt. */
  public void handBack(JsonObject claimed, String why) {
    String taskId = claimed.getString("task_id");
    s.tasks.release(s.pool, taskId, claimed.getString("lease_token"), s.clock.instant()).onComplete(ar -> {
      if (ar.succeeded() && ar.result().isPresent()) {
        log.info("Task {} handed back to the queue: {}", taskId, why, entries(fields(ar.result().get(), "handed_back")
            .put("executor", claimed.getString("executor_id")).put("reason", why).getMap()));
        handedBack(taskId);
      }
    });
  }

  // --- reports from the holder ----------------------------------------------------------------

  /**
   * The task, if {@code leaseToken} holds it and {@code executorId} (when not null: the caller) is
   * its holder; 404, 409 or 403 otherwise. A stale lease is 409; it tells the task's state only to
   * the executor that holds the task, so an executor learns nothing of another's work. The right
   * lease token from the wrong executor is 403.
   */
  public Future<TaskRow> held(String taskId, String leaseToken, String executorId) {
    return s.tasks.findForHolder(s.pool, taskId).map(found -> held(found, taskId, leaseToken, executorId))
        .recover(e -> releasedLease(e, taskId, leaseToken));
  }

  /**
   * A stale lease that an operator released (the task went back to the queue by
   * {@code POST /api/v1/runs/{task}/release}) is refused naming the release: {@code released: true},
   * who, when and why. Anything else stays as it was refused. Read only on the refusal path.
   */
  private <T> Future<T> releasedLease(Throwable e, String taskId, String leaseToken) {
    if (leaseToken == null || Refusal.of(e).status() != 409) {
      return Future.failedFuture(e);
    }
    return runs.releaseOfLease(s.pool, taskId, leaseToken).transform(ar -> {
      if (ar.failed() || ar.result().isEmpty()) {
        return Future.failedFuture(e);
      }
      JsonObject rel = ar.result().get();
      return Future.failedFuture(Refusal.conflict("stale lease: an operator (" + rel.getString("released_by") + ") released task "
              + taskId + " back to the queue at " + rel.getString("released_at")
              + (rel.getString("reason") == null ? "" : " (" + rel.getString("reason") + ")")
              + "; this lease no longer holds it: stop its work and do not complete it")
          .with("released", true).with("released_by", rel.getString("released_by")).with("released_at", rel.getString("released_at"))
          .with("reason", rel.getString("reason")));
    });
  }

  /** {@link #held(String, String, String)} of a task already read ({@code found}). */
  private static TaskRow held(Optional<TaskRow> found, String taskId, String leaseToken, String executorId) {
    TaskRow t = found.orElseThrow(() -> Refusal.notFound("no station task " + taskId));
    boolean holder = executorId == null || executorId.equals(t.executorId());
    if (leaseToken == null || !leaseToken.equals(t.leaseToken())) {
      if (!holder) {
        throw Refusal.conflict("stale lease: this lease token does not hold task " + taskId);
      }
      throw Refusal.conflict("stale lease: this lease token does not hold task " + taskId
          + (t.attempt() > 1 || t.status() == TaskStatus.QUEUED ? " (it is at attempt " + t.attempt() + ", " + t.status() + ")" : ""))
          .with("task_status", t.status().wire()).with("attempt", t.attempt());
    }
    if (!holder) {
      throw new Refusal(403, "Forbidden", "task " + taskId + " is held by another executor, not " + executorId);
    }
    return t;
  }

  /** Progress from the holder; the reply says whether an operator cancelled the task. */
  public Future<JsonObject> progress(String taskId, String leaseToken, String executorId, Double progress, String message,
                                     String idempotencyKey) {
    if (progress != null && (progress < 0 || progress > 1)) {
      return Future.failedFuture(Refusal.badRequest("progress must be between 0.0 and 1.0"));
    }
    return held(taskId, leaseToken, executorId).compose(t -> {
      if (t.status() != TaskStatus.CLAIMED) {
        return Future.succeededFuture(cancelNotice(t));
      }
      return once(taskId, "progress", idempotencyKey, () -> s.tasks.progress(s.pool, taskId, leaseToken, progress, message,
          s.leaseSeconds(), s.clock.instant()).map(updated -> {
            if (updated.isEmpty()) {
              return cancelNotice(t);
            }
            TaskRow u = updated.get();
            Broadcast.publish(s.vertx.eventBus(), Addresses.project(u.projectId()), new JsonObject().put("type", EventType.TASK_PROGRESS)
                .put("project", u.projectId()).put("track_id", u.trackId()).put("task_id", u.id())
                .put("document_type", u.documentType()).put("station", u.stationId()).put("executor_id", u.executorId())
                .put("progress", u.progress()).put("message", u.progressMessage()));
            return new JsonObject().put("updated", true).put("cancel", false)
                .put("lease_expires_at", u.leaseExpiresAt().toString());
          }));
    });
  }

  private static JsonObject cancelNotice(TaskRow t) {
    return new JsonObject().put("updated", false).put("cancel", true).put("task_status", t.status().wire())
        .put("reason", t.status() == TaskStatus.CANCELLED ? "an operator cancelled the track; stop and do not complete" : "the task is " + t.status());
  }

  /**
   * Structured log lines from the holder, kept per task and streamed to watchers. The reply says
   * {@code cancel: true} once the task is no longer the holder's to run.
   */
  public Future<JsonObject> logs(String taskId, String leaseToken, String executorId, JsonArray lines) {
    if (lines == null || lines.isEmpty() || lines.size() > 500) {
      return Future.failedFuture(Refusal.badRequest("events must be an array of 1 to 500 log lines"));
    }
    for (Object o : lines) {
      if (!(o instanceof JsonObject l) || !(l.getValue("message") instanceof String) || ((String) l.getValue("message")).length() > 8192) {
        return Future.failedFuture(Refusal.badRequest("each event needs a message string of at most 8192 characters"));
      }
      if (l.getValue("level") != null && !(l.getValue("level") instanceof String)) {
        return Future.failedFuture(Refusal.badRequest("an event's level must be a string such as info or warn"));
      }
      if (l.getValue("fields") != null && !(l.getValue("fields") instanceof JsonObject)) {
        return Future.failedFuture(Refusal.badRequest("an event's fields must be a JSON object"));
      }
    }
    Instant now = s.clock.instant();
    return held(taskId, leaseToken, executorId).compose(t -> s.tasks.appendLogs(s.pool, taskId, lines, now)
        .map(ids -> {
          for (int i = 0; i < lines.size(); i++) {
            JsonObject l = lines.getJsonObject(i);
            Broadcast.publish(s.vertx.eventBus(), Addresses.TASK_LOGS, new JsonObject().put("task_id", taskId).put("id", ids.get(i)).put("at", now.toString())
                .put("level", l.getString("level", "info")).put("message", l.getString("message"))
                .put("fields", l.getJsonObject("fields", new JsonObject())));
          }
          boolean running = t.status() == TaskStatus.CLAIMED;
          return new JsonObject().put("accepted", lines.size()).put("cancel", !running).put("task_status", t.status().wire());
        }));
  }

  /** Artifacts from the holder: text, JSON, small files (base64) or URLs, each within the size limit. */
  public Future<JsonObject> artifacts(String taskId, String leaseToken, String executorId, JsonArray artifacts) {
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
    return held(taskId, leaseToken, executorId).compose(t -> {
      if (t.status() != TaskStatus.CLAIMED) {
        return Future.failedFuture(Refusal.conflict("task " + taskId + " is " + t.status() + "; artifacts are taken while it runs")
            .with("task_status", t.status().wire()));
      }
      Instant now = s.clock.instant();
      return s.pool.withTransaction(conn -> {
        Future<Void> chain = Future.succeededFuture();
        for (Object o : artifacts) {
          JsonObject a = (JsonObject) o;
          String content = content(a);
          chain = chain.compose(v -> s.tasks.putArtifact(conn, t, a.getString("name"), a.getString("kind"),
              a.getString("content_type"), content, a.getString("url"), size(content), now));
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
    if (a.getValue("content_type") != null && !(a.getValue("content_type") instanceof String)) {
      return Refusal.badRequest("artifact " + n + ": content_type must be a string");
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
    if (size(content(a)) > maxArtifactBytes) {
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

  private static int size(String content) {
    return content == null ? 0 : content.getBytes(StandardCharsets.UTF_8).length;
  }

  /**
   * The holder's outcome: artifacts (if any) stored first, then the track's verticle makes the
   * transition. A repeated call with the same lease token (or the same Idempotency-Key) is answered
   * again with {@code repeated: true} and changes nothing.
   */
  public Future<JsonObject> complete(String taskId, String leaseToken, String executorId, StationReport report, JsonArray artifacts,
                                     String idempotencyKey) {
    return complete(taskId, leaseToken, executorId, report, artifacts, idempotencyKey, view -> { });
  }

  /** As {@link #complete}; {@code left} hears the executor's view the completion read back (not on a repeat). */
  private Future<JsonObject> complete(String taskId, String leaseToken, String executorId, StationReport report, JsonArray artifacts,
                                      String idempotencyKey,
                                      Consumer<JsonObject> left) {
    return held(taskId, leaseToken, executorId)
        .compose(t -> once(taskId, "complete", idempotencyKey, () -> completeHeld(t, leaseToken, executorId, report, artifacts, left)));
  }

  /** One completion of a batch: the task, the lease token, the report and its artifacts; or why the item was refused as it came. */
  public record Completion(String taskId, String leaseToken, StationReport report, JsonArray artifacts, Refusal refused) {
  }

  /**
   * A batch of completions from one executor, each answered as its own call would be
   * ({@code {"task_id", "status", "body"}}, in the order given): one item refused (400, 403, 404,
   * 409) refuses only that item. The holders are checked with one read for the whole batch; the
   * completions then go to their tracks' verticles at once.
   */
  public Future<List<JsonObject>> completeAll(String executorId, List<Completion> items) {
    return completeAll(executorId, items, view -> { });
  }

  private Future<List<JsonObject>> completeAll(String executorId, List<Completion> items, Consumer<JsonObject> left) {
    List<String> ids = items.stream().filter(c -> c.refused() == null).map(Completion::taskId).distinct().toList();
    Future<Map<String, TaskRow>> read = ids.isEmpty()
        ? Future.succeededFuture(Map.of()) : s.tasks.findForHolders(s.pool, ids);
    Tally tally = new Tally();
    return read.compose(found -> {
      List<Future<JsonObject>> results = items.stream().map(c -> {
        Future<JsonObject> reply = c.refused() != null ? Future.failedFuture(c.refused())
            : Future.succeededFuture(found.get(c.taskId()))
                .map(t -> held(Optional.ofNullable(t), c.taskId(), c.leaseToken(), executorId))
                .recover(e -> releasedLease(e, c.taskId(), c.leaseToken()))
                .compose(t -> completeHeld(t, c.leaseToken(), executorId, c.report(), c.artifacts(), left, tally));
        return reply.transform(ar -> {
          Refusal r = ar.failed() ? Refusal.of(ar.cause()) : null;
          return Future.succeededFuture(new JsonObject().put("task_id", c.taskId()).put("status", r == null ? 200 : r.status())
              .put("body", r == null ? ar.result() : r.body()));
        });
      }).toList();
      // The executor's live figures: one count and one view for the batch.
      return Future.join(results).transform(all -> tally.stations == 0 ? Future.succeededFuture()
              : executors.finishStations(executorId, tally.stations, tally.millis, tally.stabilized)
                  .onSuccess(v -> v.ifPresent(view -> {
                    publishExecutor(view);
                    left.accept(view);
                  })).<Void>mapEmpty().recover(e -> {
                    log.warn("Executor {}: its live figures were not counted for {} completed stations: {}", executorId, tally.stations,
                        e.toString());
                    return Future.succeededFuture();
                  }))
          .map(v -> results.stream().map(Future::result).toList());
    });
  }

  /** The completion of a task whose holder and lease were checked ({@code t}). */
  /**
   * The track's node did not take a completion ({@code why}: its owner is gone and its lease still
   * holds, or it did not answer in time): the report is stored with the task while the lease holds
   * it, and the executor is answered that its work is kept ({@code stored: true}); the
   * reconciliation hands it to the track once a node owns it. When the lease no longer holds the
   * task, the refusal stands.
   */
  private Future<JsonObject> storeReport(TaskRow t, String leaseToken, JsonObject command, Throwable why) {
    return s.tasks.storeReport(s.pool, t.id(), leaseToken, command, s.clock.instant()).compose(kept -> {
      if (!kept) {
        return Future.failedFuture(why);
      }
      log.info("Task {} of track {}: its track's node did not take the completion ({}); the report is kept with the task and "
          + "the track takes it once a node owns it", t.id(), t.trackId(), why.getMessage(), entries(fields(t, "report_stored").getMap()));
      return Future.succeededFuture(new JsonObject().put("task_id", t.id()).put("completed", false).put("stored", true)
          .put("detail", "the work is kept: the track's node is away, and the track takes this completion as soon as a node "
              + "owns it; do not send it again"));
    }, e -> Future.failedFuture(why));
  }

  /** The station runs a batch of completions finished: counted in the executor's live figures once, after the batch. */
  private static final class Tally {
    private int stations;
    private long millis;
    private int stabilized;

    synchronized void add(long ms, boolean stable) {
      stations++;
      millis += ms;
      stabilized += stable ? 1 : 0;
    }
  }

  private Future<JsonObject> completeHeld(TaskRow t, String leaseToken, String executorId, StationReport report, JsonArray artifacts,
                                          Consumer<JsonObject> left) {
    return completeHeld(t, leaseToken, executorId, report, artifacts, left, null);
  }

  /**
   * The completion of a task whose holder and lease were checked ({@code t}); the executor's live
   * figures are counted here, or in {@code tally} when the completion is one of a batch.
   */
  private Future<JsonObject> completeHeld(TaskRow t, String leaseToken, String executorId, StationReport report, JsonArray artifacts,
                                          Consumer<JsonObject> left, Tally tally) {
    String taskId = t.id();
    String outcome = report.outcome().wire();
    Future<JsonObject> stored = artifacts == null || artifacts.isEmpty() || t.status() != TaskStatus.CLAIMED
        ? Future.succeededFuture(new JsonObject())
        : artifacts(taskId, leaseToken, executorId, artifacts);
    JsonObject command = report.into(new JsonObject().put("type", "task_completed").put("task_id", taskId).put("lease_token", leaseToken)
        .put("executor_id", t.executorId()));
    // A release that came between the holder check and the track's verticle is named as such too.
    return stored.compose(v -> supervisor.send(t.trackId(), command))
        .recover(e -> releasedLease(e, taskId, leaseToken))
        .recover(e -> Refusal.of(e).status() == 503 ? storeReport(t, leaseToken, command, e) : Future.failedFuture(e))
        .compose(reply -> {
      if (reply.getBoolean("stored", false)) {
        if (tally != null) {
          tally.add(0, report.outcome() == Outcome.STABILIZED);
          return Future.succeededFuture(reply);
        }
        return executors.finishStation(t.executorId(), 0, report.outcome() == Outcome.STABILIZED)
            .onSuccess(v -> v.ifPresent(view -> {
              publishExecutor(view);
              left.accept(view);
            }))
            .map(reply);
      }
      if (reply.getBoolean("repeated", false)) {
        return Future.succeededFuture(reply.put("completed", true));
      }
      Broadcast.publish(s.vertx.eventBus(), Addresses.TASK_LOGS, new JsonObject().put("task_id", taskId).put("end", true).put("task_status", "completed")
          .put("outcome", outcome));
      long ms = t.claimedAt() == null ? 0 : Duration.between(t.claimedAt(), s.clock.instant()).toMillis();
      s.metrics.completed(t.stationKind(), outcome, t.claimedAt() == null ? null : Duration.ofMillis(ms));
      if (tally != null) {
        tally.add(ms, report.outcome() == Outcome.STABILIZED);
        return Future.succeededFuture(reply.put("completed", true).put("repeated", false));
      }
      return executors.finishStation(t.executorId(), ms, report.outcome() == Outcome.STABILIZED)
          .onSuccess(v -> v.ifPresent(view -> {
            publishExecutor(view);
            left.accept(view);
          }))
          .map(v -> reply.put("completed", true).put("repeated", false));
    });
  }

  /** The holder hands its task back (it is stopping): queued again at once, same attempt. */
  public Future<JsonObject> release(String taskId, String leaseToken, String executorId, String reason) {
    return held(taskId, leaseToken, executorId).compose(t -> {
      if (t.status() != TaskStatus.CLAIMED) {
        return Future.succeededFuture(new JsonObject().put("released", false).put("task_status", t.status().wire()));
      }
      return s.tasks.release(s.pool, taskId, leaseToken, s.clock.instant()).compose(r -> {
        if (r.isEmpty()) {
          return Future.succeededFuture(new JsonObject().put("released", false).put("task_status", t.status().wire()));
        }
        log.info("Executor {} handed task {} back: {}", t.executorId(), taskId, reason == null ? "stopping" : reason,
            entries(fields(t, "handed_back").put("reason", reason == null ? "stopping" : reason).getMap()));
        handedBack(taskId);
        return executors.setStatus(t.executorId(), "idle", null)
            .onSuccess(v -> publishExecutor(t.executorId()))
            .map(v -> new JsonObject().put("released", true).put("task_status", "queued").put("attempt", t.attempt()));
      });
    });
  }

  /**
   * Runs {@code action} once per Idempotency-Key (per task and call): a repeat within a day gets the
   * first reply again, marked {@code repeated: true}. Without a key, runs it.
   */
  private Future<JsonObject> once(String taskId, String call, String key, Supplier<Future<JsonObject>> action) {
    if (key == null) {
      return action.get();
    }
    String k = redisPrefix + "idempotency:" + taskId + ":" + call + ":" + key;
    return s.redis.get(k).compose(prior -> prior != null
        ? Future.succeededFuture(new JsonObject(prior.toString()).put("repeated", true))
        : action.get().compose(reply -> s.redis.set(List.of(k, reply.encode(), "EX", Long.toString(IDEMPOTENCY_SECONDS), "NX"))
            .map(ok -> reply)));
  }

  /**
   * One line a claim call: a task's own fields when it took one, and when it took several, the
   * tasks under {@code tasks}, each with the fields a claim of one has (a busy line's executors take
   * tasks by the dozen, and a line each was a tenth of the server's work).
   */
  private static void logClaimed(String executorId, List<TaskRow> tasks) {
    if (tasks.size() == 1) {
      TaskRow t = tasks.get(0);
      log.info("{} / {}: {} claimed by executor {} (task {}, attempt {})", t.projectId(), t.documentType(), t.stationId(), executorId, t.id(),
          t.attempt(), entries(fields(t, "claimed").getMap()));
      return;
    }
    List<Map<String, Object>> each = new ArrayList<>(tasks.size());
    StringBuilder which = new StringBuilder();
    for (TaskRow t : tasks) {
      JsonObject f = fields(t, "claimed");
      f.remove("event");
      f.remove("executor");
      each.add(f.getMap());
      which.append(which.length() == 0 ? "" : ", ").append(t.projectId()).append(" / ").append(t.documentType()).append(' ').append(t.stationId());
    }
    log.info("Executor {} claimed {} tasks: {}", executorId, tasks.size(), which,
        entries(Map.of("event", "claimed", "executor", executorId, "tasks", each)));
  }

  /** The structured fields of a log line about a task (the JSON log; see logback.xml). */
  static JsonObject fields(TaskRow t, String event) {
    return new JsonObject().put("event", event).put("task_id", t.id()).put("track_id", t.trackId()).put("project", t.projectId())
        .put("document_type", t.documentType()).put("station", t.stationId()).put("station_kind", t.stationKind())
        .put("executor", t.executorId()).put("attempt", t.attempt());
  }

  private int cancelGraceSeconds() {
    return s.config.getJsonObject("work", new JsonObject()).getInteger("cancel_grace_seconds", 30);
  }

  void publishExecutor(String executorId) {
    executors.get(executorId).onSuccess(v -> v.ifPresent(this::publishExecutor));
  }

  void publishExecutor(JsonObject view) {
    s.vertx.eventBus().publish(Addresses.EXECUTORS, view.copy().put("type", EventType.EXECUTOR_STATUS));
  }
}
