package io.productionline.work;

import static net.logstash.logback.argument.StructuredArguments.entries;

import io.productionline.Periodic;
import io.productionline.Services;
import io.productionline.events.Addresses;
import io.productionline.events.Broadcast;
import io.productionline.events.EventType;
import io.productionline.executor.ExecutorRegistry;
import io.productionline.store.AdvisoryLocks;
import io.productionline.store.TaskRepository.Exhausted;
import io.productionline.store.TaskRepository.Requeued;
import io.productionline.track.TrackSupervisor;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rescues lost work. A claimed task is lost when its lease ran out (its executor stopped renewing
 * it, or it ran past the station's timeout) or when its executor's heartbeat expired (or it left).
 * A lost task goes back to the queue with {@code attempt + 1}, available after an exponential
 * backoff ({@code initial_ms × multiplier^(attempt-1)}, capped at {@code max_ms}); past
 * {@code max_attempts} it is dropped and its track halts with the reason and an interrupt
 * ({@code task_lost} to the track's verticle). Executors whose heartbeat lapsed are announced
 * offline on {@code pl.executors}, once.
 *
 * <p>Runs once cluster-wide at a time: each sweep takes a PostgreSQL advisory lock for its session
 * and skips when another node holds it; it requeues in a transaction and asks Redis about the
 * executors after that transaction is committed. {@link #runOnce()} is what the timer calls and
 * what tests call with a settable clock.
 */
public final class RescueSweeper {

  private static final Logger log = LoggerFactory.getLogger(RescueSweeper.class);
  private static final long LOCK_KEY = 0x50_4c_72_65_73L;

  /**
   * What one sweep did; {@code ran} is false when another node held the lock. {@code deadExecutors}
   * are the holders of claimed tasks that are not alive; {@code wentOffline} the executors announced
   * offline by this sweep.
   */
  public record Sweep(boolean ran, List<Requeued> requeued, List<Exhausted> exhausted, List<String> deadExecutors,
                      List<String> wentOffline) {
  }

  private final Services s;
  private final ExecutorRegistry executors;
  private final TrackSupervisor supervisor;
  private final Periodic periodic;

  public RescueSweeper(Services services, ExecutorRegistry executors, TrackSupervisor supervisor) {
    this.s = services;
    this.periodic = new Periodic(services.vertx, "Rescue sweep", this::runOnce);
    this.executors = executors;
    this.supervisor = supervisor;
  }

  public void start(long intervalMs) {
    periodic.start(intervalMs);
  }

  public void stop() {
    periodic.stop();
  }

  public Future<Sweep> runOnce() {
    Instant now = s.clock.instant();
    // The lost work is requeued in a transaction; the executors are asked about in Redis after it is committed, so no
    // transaction stays open while Redis answers (one took seconds on a busy machine, and PostgreSQL's cost a task
    // doubled meanwhile). The session's lock keeps both to one node at a time.
    return s.tasks.holders(s.pool).compose(executors::dead).compose(dead -> AdvisoryLocks.whileHeld(s.pool, LOCK_KEY, conn ->
        AdvisoryLocks.inTransaction(conn, tx -> s.tasks.requeueLost(tx, dead, now)
                .compose(requeued -> s.tasks.exhausted(tx, dead, now).map(exhausted -> new Sweep(true, requeued, exhausted, dead, List.of()))))
            .compose(swept -> executors.markLapsed().recover(err -> {
              // The requeue is committed: it is announced below whatever Redis says; the lapsed executors wait for the next sweep.
              log.warn("Executors whose heartbeat lapsed not looked up: {}", err.toString());
              return Future.succeededFuture(List.of());
            }).map(offline -> {
              for (JsonObject e : offline) {
                log.info("Executor {} went offline: no heartbeat for {} s", e.getString("executor_id"), executors.staleSeconds());
                s.vertx.eventBus().publish(Addresses.EXECUTORS, e.copy().put("type", EventType.EXECUTOR_STATUS));
              }
              return new Sweep(true, swept.requeued(), swept.exhausted(), dead,
                  offline.stream().map(e -> e.getString("executor_id")).toList());
            })))
        .map(sweep -> sweep == null ? new Sweep(false, List.of(), List.of(), dead, List.of()) : sweep))
        .compose(sweep -> {
          for (Requeued r : sweep.requeued()) {
            String why = sweep.deadExecutors().contains(r.lostBy()) ? "its executor " + r.lostBy() + " stopped answering" : "its lease ran out";
            log.info("Task {} of track {} queued again as attempt {} (available at {}): {}", r.taskId(), r.trackId(), r.attempt(),
                r.availableAt(), why, entries(new JsonObject().put("event", "requeued").put("task_id", r.taskId())
                    .put("track_id", r.trackId()).put("project", r.projectId()).put("capability", r.capability())
                    .put("executor", r.lostBy()).put("attempt", r.attempt()).put("available_at", r.availableAt().toString())
                    .put("reason", why).getMap()));
            s.metrics.requeued("lost");
            Broadcast.publish(s.vertx.eventBus(), Addresses.project(r.projectId()), new JsonObject().put("type", EventType.TASK_REQUEUED)
                .put("project", r.projectId()).put("track_id", r.trackId()).put("task_id", r.taskId())
                .put("attempt", r.attempt()).put("available_at", r.availableAt().toString()).put("reason", why));
          }
          if (!sweep.requeued().isEmpty()) {
            s.vertx.eventBus().publish(Addresses.WORK_AVAILABLE, new JsonObject());
          }
          Future<Void> halts = Future.succeededFuture();
          for (Exhausted e : sweep.exhausted()) {
            String why = e.leaseRanOut() ? "its lease ran out" : "its executor " + e.executorId() + " stopped answering";
            halts = halts.compose(v -> supervisor.send(e.trackId(), new JsonObject().put("type", "task_lost")
                    .put("task_id", e.taskId()).put("lease_token", e.leaseToken()).put("attempt", e.attempt())
                    .put("reason", why))
                .<Void>map(reply -> {
                  log.info("Task {} of track {} lost after {} attempts: {}; the track halts", e.taskId(), e.trackId(),
                      e.attempt(), why, entries(new JsonObject().put("event", "dropped")
                      .put("task_id", e.taskId()).put("track_id", e.trackId()).put("project", e.projectId())
                      .put("executor", e.executorId()).put("attempt", e.attempt()).put("reason", why).getMap()));
                  Broadcast.publish(s.vertx.eventBus(), Addresses.TASK_LOGS, new JsonObject().put("task_id", e.taskId()).put("end", true)
                      .put("task_status", "dropped"));
                  return null;
                })
                .recover(err -> {
                  log.warn("Track {} did not take the loss of task {}: {}", e.trackId(), e.taskId(), err.getMessage());
                  return Future.succeededFuture();
                }));
          }
          return halts.map(sweep);
        });
  }
}
