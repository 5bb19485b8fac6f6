package io.productionline.track;

import io.productionline.Periodic;
import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.line.LineDefinition;
import io.productionline.line.TrackState;
import io.productionline.store.AdvisoryLocks;
import io.productionline.store.LeaseRepository;
import io.productionline.store.TaskRepository.StoredReport;
import io.productionline.store.TrackRow;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The level-triggered half of supervision: what a lost message would leave undone is found in
 * PostgreSQL and done again, through the tracks' own fenced path.
 *
 * <ul>
 *   <li>Adoption: unfinished, started tracks whose owner's lease expired in PostgreSQL (or that no
 *       node owns) are placed on the members that hold a valid lease, spread by track id. A member
 *       leaving the Hazelcast cluster only makes the next pass come sooner: its tracks are adopted
 *       once its lease has expired, never because this node's member view lost it.</li>
 *   <li>Wake-ups: blocked tracks whose dependencies are all stabilized or escalated (their
 *       {@code dependency_cleared} may have been lost), queued qc_reject replacements (their
 *       {@code start} may have been lost) and tracks at a station with no open task in their
 *       current run, that have not moved for {@link #STILL} (a busy line's tracks all move within
 *       seconds; only one that stands still can be stranded, so the pass does not read every open
 *       task of the line), are sent {@code reconcile}, which their verticle answers as the lost
 *       command would have been.</li>
 * </ul>
 *
 * <p>Runs once cluster-wide at a time: each pass takes a PostgreSQL advisory lock for the
 * transaction that reads what to do, and skips when another node holds it. A node without a valid
 * lease does not run it. {@link #runOnce()} is what the timer calls and what tests call.
 */
public final class Reconciler {

  private static final Logger log = LoggerFactory.getLogger(Reconciler.class);
  private static final long LOCK_KEY = 0x50_4c_72_65_63L;
  private static final int STORED_REPORTS_PER_PASS = 500;
  /** How long a track at a station stands still before a pass looks for its open task. */
  static final java.time.Duration STILL = java.time.Duration.ofSeconds(5);

  /**
   * What one pass did: {@code ran} is false when another node held the lock (or this node holds no
   * lease); {@code adopted} the tracks placed on a lease holder; {@code woken} the tracks sent
   * {@code reconcile}; {@code reportsTaken} the tasks whose stored completion their track took.
   */
  public record Pass(boolean ran, List<String> adopted, List<String> woken, List<String> reportsTaken) {
    static final Pass SKIPPED = new Pass(false, List.of(), List.of(), List.of());
  }

  private record Found(List<String> orphans, List<TrackRow> stranded, List<String> holders) {
  }

  private final Services s;
  private final TrackSupervisor supervisor;
  private final LeaseRepository leases = new LeaseRepository();
  private final Periodic periodic;

  public Reconciler(Services services, TrackSupervisor supervisor) {
    this.s = services;
    this.supervisor = supervisor;
    this.periodic = new Periodic(services.vertx, "Reconciliation", this::runOnce);
  }

  /**
   * Runs a pass every {@code intervalMs}; and when a member leaves the cluster, one at once and one
   * just after its lease can have expired.
   */
  public void start(long intervalMs) {
    periodic.start(intervalMs);
    s.node.onMemberLeft(left -> s.vertx.runOnContext(v -> {
      log.info("Node {} left the cluster; its tracks are adopted once its lease has expired in PostgreSQL", left);
      hint();
      s.vertx.setTimer(s.lease.seconds() * 1000L + 500, t -> hint());
    }));
  }

  public void stop() {
    periodic.stop();
  }

  private void hint() {
    runOnce().onFailure(e -> log.warn("Reconciliation did not complete: {}", e.toString()));
  }

  public Future<Pass> runOnce() {
    if (!s.lease.held()) {
      return Future.succeededFuture(Pass.SKIPPED);
    }
    return s.pool.withTransaction(conn -> AdvisoryLocks.tryForTransaction(conn, LOCK_KEY).compose(locked -> !locked
            ? Future.succeededFuture((Found) null)
            : s.tracks.orphans(conn).compose(orphans -> s.tracks.stranded(conn, s.clock.instant().minus(STILL))
                .compose(stranded -> leases.holders(conn).map(holders -> new Found(orphans, stranded, holders))))))
        .compose(found -> found == null ? Future.succeededFuture(Pass.SKIPPED)
            : adopt(found.orphans(), found.holders()).compose(adopted -> wake(found.stranded())
                .compose(woken -> handStoredReports().map(taken -> new Pass(true, adopted, woken, taken)))));
  }

  /**
   * Hands each stored completion (an executor's report its track's node could not take: see
   * {@code WorkService}) to its track, which places the track where a lease holds it; a track that
   * refuses it for good (it moved on without it) has the report dropped, and the task is at work
   * again for the rescue sweep. One that cannot be reached yet is handed at the next pass.
   */
  private Future<List<String>> handStoredReports() {
    return s.tasks.storedReports(s.pool, STORED_REPORTS_PER_PASS).compose(reports -> {
      List<String> taken = Collections.synchronizedList(new ArrayList<>());
      List<Future<?>> sent = new ArrayList<>();
      for (StoredReport r : reports) {
        sent.add(supervisor.send(r.trackId(), r.command()).map(reply -> {
          if (reply.getBoolean("repeated", false)) {
            return false; // another node's reconciliation handed it first
          }
          log.info("Track {} took the stored completion of task {}", r.trackId(), r.taskId());
          return taken.add(r.taskId());
        }).recover(e -> {
          int status = Refusal.of(e).status();
          if (status == 409 || status == 404 || status == 410) {
            log.warn("Track {} refused the stored completion of task {} ({}); the task is at work again", r.trackId(), r.taskId(),
                e.getMessage());
            return s.tasks.dropReport(s.pool, r.taskId()).map(false);
          }
          log.info("Track {} did not take the stored completion of task {} yet: {}", r.trackId(), r.taskId(), e.getMessage());
          return Future.succeededFuture(false);
        }));
      }
      return Future.join(sent).<List<String>>map(v -> List.copyOf(taken)).recover(e -> Future.succeededFuture(List.copyOf(taken)));
    });
  }

  /** Places each orphan on a member holding a valid lease (this node when none other answers). */
  private Future<List<String>> adopt(List<String> orphans, List<String> holders) {
    if (orphans.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    List<String> candidates = new ArrayList<>(holders);
    candidates.retainAll(Set.copyOf(s.node.liveNodes()));
    if (!candidates.contains(s.node.id())) {
      candidates.add(s.node.id());
    }
    Collections.sort(candidates);
    log.info("Adopting {} tracks whose owner's lease expired", orphans.size());
    List<String> adopted = Collections.synchronizedList(new ArrayList<>());
    Future<Void> all = Future.succeededFuture();
    for (String id : orphans) {
      String target = candidates.get(Math.floorMod(id.hashCode(), candidates.size()));
      all = all.compose(v -> supervisor.placeOn(target, id).map(x -> adopted.add(id)).<Void>mapEmpty().recover(e -> {
        log.debug("Track {} not adopted: {}", id, e.getMessage());
        return Future.succeededFuture();
      }));
    }
    return all.map(v -> List.copyOf(adopted));
  }

  /**
   * Sends {@code reconcile} to the stranded tracks: blocked ones only when every dependency is done
   * ({@link Tracks#openDependencies}, the rule their verticle applies).
   */
  private Future<List<String>> wake(List<TrackRow> stranded) {
    Map<String, List<TrackRow>> byProject = new LinkedHashMap<>();
    stranded.forEach(t -> byProject.computeIfAbsent(t.projectId(), k -> new ArrayList<>()).add(t));
    List<String> woken = Collections.synchronizedList(new ArrayList<>());
    Future<Void> all = Future.succeededFuture();
    for (var project : byProject.entrySet()) {
      all = all.compose(v -> due(project.getKey(), project.getValue())).compose(due -> {
        List<Future<?>> sent = new ArrayList<>();
        for (TrackRow t : due) {
          log.info("Track {} ({}, {}) was left {}; the reconciliation moves it on", t.id(), t.documentType(), t.state().wire(),
              t.state() == TrackState.BLOCKED ? "blocked with its dependencies done" : "without the command it waits for");
          sent.add(supervisor.send(t.id(), new JsonObject().put("type", "reconcile")).map(r -> woken.add(t.id()))
              .onFailure(e -> log.warn("Track {} did not take its reconciliation: {}", t.id(), e.getMessage())));
        }
        return Future.join(sent).<Void>mapEmpty().recover(e -> Future.succeededFuture());
      });
    }
    return all.map(v -> List.copyOf(woken));
  }

  /** The project's stranded tracks that are due: a blocked one only when none of its dependencies is open. */
  private Future<List<TrackRow>> due(String projectId, List<TrackRow> stranded) {
    if (stranded.stream().noneMatch(t -> t.state() == TrackState.BLOCKED)) {
      return Future.succeededFuture(stranded);
    }
    return s.projects.find(s.pool, projectId).compose(p -> s.tracks.ofProject(s.pool, projectId).map(rows -> {
      LineDefinition line = s.lines.ofProject(p.orElseThrow());
      return stranded.stream().filter(t -> t.state() != TrackState.BLOCKED || line.type(t.documentType())
          .map(type -> Tracks.openDependencies(rows, type.dependsOn()).isEmpty()).orElse(false)).toList();
    }));
  }
}
