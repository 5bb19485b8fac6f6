package io.productionline.track;

import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.events.Addresses;
import io.productionline.line.LineDefinition;
import io.productionline.line.TrackState;
import io.productionline.store.Ids;
import io.productionline.store.TrackRow;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Places track verticles on this node: sends a command to a track, deploying its verticle here
 * when no node supervises it yet; adopts unfinished tracks whose node is gone; retires verticles of
 * finished tracks.
 */
public final class TrackSupervisor {

  private static final Logger log = LoggerFactory.getLogger(TrackSupervisor.class);
  private static final int SEND_ATTEMPTS = 5;
  private static final long SEND_TIMEOUT_MS = 10_000;
  /** Commands a track answers the same way however often they arrive (lease tokens and CAS make them so). */
  private static final java.util.Set<String> REPEATABLE = java.util.Set.of("task_completed", "task_lost", "dependency_cleared");

  private final Services s;
  /**
   * The context track verticles are deployed from. A deployment made on a verticle's context is that
   * verticle's child and is undeployed with it, so a track placed by another track (a qc_reject
   * replacement, a dependent woken by a stabilized track) would stop when the placing track retires.
   * Deployed from this context, which belongs to no deployment, each track verticle stands alone.
   */
  private final Context home;
  private final Map<String, Future<String>> local = new ConcurrentHashMap<>();
  private volatile boolean accepting = true;

  public TrackSupervisor(Services services) {
    this.s = services;
    this.home = ((VertxInternal) services.vertx).createEventLoopContext();
  }

  /** Sends a command to a track wherever it is supervised, placing it here if nowhere. */
  public Future<JsonObject> send(String trackId, JsonObject command) {
    return send(trackId, command, 1);
  }

  private Future<JsonObject> send(String trackId, JsonObject command, int attempt) {
    DeliveryOptions opts = new DeliveryOptions().setSendTimeout(SEND_TIMEOUT_MS);
    return s.vertx.eventBus().<JsonObject>request(Addresses.track(trackId), command, opts)
        .map(m -> m.body())
        .recover(err -> {
          if (err instanceof ReplyException re && re.failureType() == ReplyFailure.TIMEOUT && attempt < SEND_ATTEMPTS
              && REPEATABLE.contains(command.getString("type"))) {
            // Lost on the way (a member left while it was in flight); these commands are harmless to repeat.
            log.info("Track {} did not answer {}; sending it again", trackId, command.getString("type"));
            return send(trackId, command, attempt + 1);
          }
          if (err instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS && attempt < SEND_ATTEMPTS) {
            return placeSomewhere(trackId)
                .recover(e -> e instanceof OwnedElsewhereException ? later(200L * attempt) : Future.failedFuture(e))
                .compose(v -> send(trackId, command, attempt + 1));
          }
          return Future.failedFuture(err);
        });
  }

  private Future<Void> later(long ms) {
    Promise<Void> p = Promise.promise();
    s.vertx.setTimer(ms, id -> p.complete());
    return p.future();
  }

  /**
   * Places a track that no node supervises on the member chosen for it ({@link Node#placeFor}), so
   * new tracks spread over the cluster; here when that member does not answer.
   */
  private Future<Void> placeSomewhere(String trackId) {
    String target = s.node.placeFor(trackId);
    if (target.equals(s.node.id())) {
      return place(trackId);
    }
    return s.vertx.eventBus().request(Addresses.node(target), new JsonObject().put("type", "place").put("track_id", trackId),
            new DeliveryOptions().setSendTimeout(10_000))
        .<Void>mapEmpty()
        .recover(e -> e instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE
            ? Future.failedFuture(Refusal.of(re).status() == 404 ? Refusal.of(re) : new OwnedElsewhereException(trackId))
            : place(trackId));
  }

  /**
   * Listens for placement requests from the other nodes, and adopts the tracks of members that
   * leave the cluster.
   */
  public Future<Void> listen() {
    s.node.onMemberLeft(left -> s.vertx.runOnContext(v -> {
      log.info("Node {} left the cluster; adopting its unfinished tracks", left);
      adoptOrphans();
    }));
    return s.vertx.eventBus().<JsonObject>consumer(Addresses.node(s.node.id()), m -> {
      String type = m.body().getString("type", "");
      Future<?> done = switch (type) {
        case "place" -> place(m.body().getString("track_id"));
        case "adopt" -> adoptOrphans();
        default -> Future.failedFuture(Refusal.badRequest("unknown node command " + type));
      };
      done.onSuccess(v -> m.reply(new JsonObject().put("ok", true))).onFailure(e -> Refusal.reply(m, e));
    }).completion();
  }

  /**
   * Graceful leave: stops placing tracks here, undeploys this node's track verticles (each finishes
   * the command in hand), gives up their ownership and asks the other members to adopt them.
   */
  public Future<Integer> handOver() {
    accepting = false;
    List<String> ids = new ArrayList<>(local.keySet());
    List<Future<?>> undeployed = new ArrayList<>();
    for (String id : ids) {
      Future<String> deployment = local.remove(id);
      if (deployment != null) {
        undeployed.add(deployment.compose(did -> s.vertx.undeploy(did)).recover(e -> Future.succeededFuture()));
      }
    }
    return Future.all(undeployed)
        .compose(v -> s.tracks.releaseAll(s.pool, s.node.id()))
        .map(released -> {
          for (String other : s.node.liveNodes()) {
            if (!other.equals(s.node.id())) {
              s.vertx.eventBus().request(Addresses.node(other), new JsonObject().put("type", "adopt"));
            }
          }
          log.info("Handed over {} tracks to the other nodes", released);
          return released;
        });
  }

  /** Deploys the track's verticle on this node (once, however many callers ask at the same time). */
  public Future<Void> place(String trackId) {
    if (!accepting) {
      return Future.failedFuture(new OwnedElsewhereException(trackId));
    }
    Future<String> f = local.computeIfAbsent(trackId, id -> {
      Promise<String> deployed = Promise.promise();
      home.runOnContext(v -> s.vertx.deployVerticle(new TrackVerticle(id, s, this), new DeploymentOptions()).onComplete(deployed));
      return deployed.future().onFailure(e -> local.remove(id));
    });
    return f.mapEmpty();
  }

  void retire(String trackId, String deploymentId) {
    if (local.remove(trackId) != null) {
      s.vertx.setTimer(1, t -> s.vertx.undeploy(deploymentId));
    }
  }

  /**
   * Wakes the blocked dependents of a track that stabilized or escalated. The calling track's
   * verticle retires right after, and Vert.x runs nothing more on an undeployed verticle's context:
   * the dependents are looked up and woken from the supervisor's own context.
   */
  void clearDependents(TrackRow track, LineDefinition line) {
    home.runOnContext(v -> s.tracks.ofProject(s.pool, track.projectId()).onComplete(ar -> {
      if (ar.failed()) {
        log.warn("Dependents of track {} not woken: {}", track.id(), ar.cause().toString());
        return;
      }
      for (var dependent : line.dependentsOf(track.documentType())) {
        ar.result().stream()
            .filter(r -> r.documentType().equals(dependent.name()) && r.state() == TrackState.BLOCKED)
            .forEach(r -> send(r.id(), new JsonObject().put("type", "dependency_cleared"))
                .onFailure(e -> log.warn("Track {} did not take its dependency clearance: {}", r.id(), e.getMessage())));
      }
    }));
  }

  /**
   * permanent: the blocked tracks downstream of a track cancelled for good stay blocked, and their
   * reason names the cancelled document and why. Completes when each has taken it; returns how many.
   */
  Future<Integer> blockDependents(TrackRow cancelled, LineDefinition line, String reason) {
    return s.tracks.ofProject(s.pool, cancelled.projectId()).compose(rows -> {
      List<Future<JsonObject>> sent = new ArrayList<>();
      for (String type : Tracks.downstream(line, cancelled.documentType())) {
        Tracks.current(rows, type).filter(r -> r.state() == TrackState.BLOCKED).ifPresent(r -> sent.add(
            send(r.id(), new JsonObject().put("type", "dependency_cancelled").put("dependency", cancelled.documentType())
                .put("reason", reason))
                .recover(e -> {
                  log.warn("Track {} did not take the cancellation of {}: {}", r.id(), cancelled.documentType(), e.getMessage());
                  return Future.succeededFuture(new JsonObject());
                })));
      }
      return Future.all(sent).map(sent.size());
    });
  }

  /** qc_reject: a new queued track for the same document, linked to the one it replaces. */
  Future<String> insertReplacement(SqlConnection conn, TrackRow rejected, Instant now) {
    String id = Ids.next("trk");
    return s.tracks.insert(conn, id, rejected.projectId(), rejected.documentType(), rejected.id(), now).map(id);
  }

  /** Places every unfinished, started track that no live node supervises. */
  public Future<Integer> adoptOrphans() {
    if (!accepting) {
      return Future.succeededFuture(0);
    }
    return s.tracks.orphans(s.pool, s.node.liveNodes()).compose(ids -> {
      if (!ids.isEmpty()) {
        log.info("Adopting {} unfinished tracks", ids.size());
      }
      Future<Void> all = Future.succeededFuture();
      for (String id : ids) {
        all = all.compose(v -> place(id).recover(e -> {
          log.debug("Track {} not adopted: {}", id, e.getMessage());
          return Future.succeededFuture();
        }));
      }
      return all.map(ids.size());
    });
  }

  public int supervised() {
    return local.size();
  }

  /** Stops placing tracks here (graceful leave). */
  public void stopAccepting() {
    accepting = false;
  }

  static Refusal unknownTrack(String trackId) {
    return Refusal.notFound("no track " + trackId);
  }
}
