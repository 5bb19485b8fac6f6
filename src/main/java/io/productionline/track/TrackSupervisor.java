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
import io.vertx.core.eventbus.Message;
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
 * Places track verticles on this node: sends a command to a track, deploying its verticle on its
 * owner (or, when no node's lease holds it, on the member chosen for it); adopts unfinished tracks
 * whose owner's lease expired in PostgreSQL; retires verticles of finished tracks, of tracks another
 * node took over (forwarding the command that found out to the owner), and every verticle when this
 * node's lease lapsed.
 */
public final class TrackSupervisor {

  private static final Logger log = LoggerFactory.getLogger(TrackSupervisor.class);
  private static final int SEND_ATTEMPTS = 5;
  private static final long SEND_TIMEOUT_MS = 10_000;
  /** Commands a track answers the same way however often they arrive (lease tokens and CAS make them so). */
  private static final java.util.Set<String> REPEATABLE = java.util.Set.of("task_completed", "task_lost", "dependency_cleared",
      "reconcile");

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
    return deliver(trackId, command, attempt).recover(e -> Future.failedFuture(e instanceof OwnedElsewhereException
        ? new Refusal(503, "Unavailable", "the node that owns track " + trackId + " did not take the command; ask again") : e));
  }

  private Future<JsonObject> deliver(String trackId, JsonObject command, int attempt) {
    DeliveryOptions opts = new DeliveryOptions().setSendTimeout(SEND_TIMEOUT_MS);
    return s.vertx.eventBus().<JsonObject>request(Addresses.track(trackId), command, opts)
        .map(m -> m.body())
        .recover(err -> {
          if (err instanceof ReplyException re && re.failureType() == ReplyFailure.TIMEOUT && attempt < SEND_ATTEMPTS
              && REPEATABLE.contains(command.getString("type"))) {
            // Lost on the way (a member left while it was in flight); these commands are harmless to repeat.
            log.info("Track {} did not answer {}; sending it again", trackId, command.getString("type"));
            return deliver(trackId, command, attempt + 1);
          }
          if (err instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS && attempt < SEND_ATTEMPTS) {
            // Placed (or found placed) and sent again. A verticle just placed on another member is reachable from here
            // once this member's copy of the cluster's subscriptions has it: the cluster manager passes those on every
            // 20 ms, so a send that still finds no handler waits 50, 100, then 200 ms before the next (all five went in
            // a few milliseconds before, and a completion forwarded to a new owner was refused with a 503).
            return placeSomewhere(trackId)
                .recover(e -> e instanceof OwnedElsewhereException ? later(200L * attempt) : Future.failedFuture(e))
                .compose(v -> attempt == 1 ? Future.<Void>succeededFuture() : later(50L << (attempt - 2)))
                .compose(v -> deliver(trackId, command, attempt + 1));
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
   * Places a track that has no verticle: on its owner when a valid lease holds it and the owner is a
   * member; otherwise on the member chosen for it ({@link Node#placeFor}), so new tracks spread over
   * the cluster; here when that member does not answer.
   */
  private Future<Void> placeSomewhere(String trackId) {
    return s.tracks.liveOwner(s.pool, trackId).compose(owner -> {
      String target = owner.filter(s.node.liveNodes()::contains).orElseGet(() -> s.node.placeFor(trackId));
      return placeOn(target, trackId);
    });
  }

  /** Asks {@code target} to place the track (here when it is this node); here when it does not answer. */
  Future<Void> placeOn(String target, String trackId) {
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
   * Listens for placement and adoption requests from the other nodes; retires every track verticle
   * when this node's lease lapses, and adopts again once it holds a new one. Members leaving the
   * cluster decide nothing here: {@link Reconciler} adopts a track only when its owner's lease
   * expired in PostgreSQL.
   */
  public Future<Void> listen() {
    s.lease.listen(this::retireAll, () -> adoptOrphans().onFailure(e -> log.warn("Tracks not adopted: {}", e.toString())));
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
        .compose(v -> s.tracks.releaseAll(s.pool, s.node.id(), s.lease.epoch()))
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

  /**
   * Deploys the track's verticle on this node (once, however many callers ask at the same time);
   * refused while this node holds no valid lease.
   */
  public Future<Void> place(String trackId) {
    if (!accepting || !s.lease.held()) {
      return Future.failedFuture(new OwnedElsewhereException(trackId));
    }
    Future<String> f = local.computeIfAbsent(trackId, id -> {
      Promise<String> deployed = Promise.promise();
      home.runOnContext(v -> s.vertx.deployVerticle(new TrackVerticle(id, s, this), new DeploymentOptions()).onComplete(deployed));
      return deployed.future().onFailure(e -> local.remove(id));
    });
    return f.mapEmpty();
  }

  /** Undeploys the track's verticle {@code deploymentId}, when it is still this node's verticle of the track. */
  Future<Void> retire(String trackId, String deploymentId) {
    Future<String> deployment = local.get(trackId);
    if (deployment == null || !deployment.succeeded() || !deploymentId.equals(deployment.result()) || !local.remove(trackId, deployment)) {
      return Future.succeededFuture();
    }
    Promise<Void> undeployed = Promise.promise();
    s.vertx.setTimer(1, t -> s.vertx.undeploy(deploymentId).recover(e -> Future.succeededFuture()).onComplete(undeployed));
    return undeployed.future();
  }

  /**
   * This node's lease lapsed: every track verticle here is retired (each finishes the command in
   * hand, whose write PostgreSQL refuses) before a new lease is taken.
   */
  Future<Void> retireAll() {
    List<Future<?>> undeployed = new ArrayList<>();
    for (String id : new ArrayList<>(local.keySet())) {
      Future<String> deployment = local.remove(id);
      if (deployment != null) {
        undeployed.add(deployment.compose(did -> s.vertx.undeploy(did)).recover(e -> Future.succeededFuture()));
      }
    }
    if (!undeployed.isEmpty()) {
      log.warn("Node {} retired {} track verticles: its lease does not hold their tracks", s.node.id(), undeployed.size());
    }
    return Future.all(undeployed).mapEmpty();
  }

  /**
   * A track verticle's write was refused ({@code cause}): it is retired, and ownership is read again
   * from PostgreSQL. When another node (or another epoch) owns the track now, or this node's own
   * lease had lapsed (it is then renewed, which retires this node's tracks and takes a new epoch),
   * the command goes on to the track's owner and its answer is the reply: the caller never learns
   * that the verticle it reached was superseded; so does a command that was queued behind the
   * refused one. Otherwise (a plain lost race) the refusal is the reply. A command is forwarded once.
   */
  void superseded(TrackRow held, String deploymentId, Message<JsonObject> message, Throwable cause) {
    String trackId = held.id();
    home.runOnContext(v -> retire(trackId, deploymentId)
        .compose(x -> s.tracks.find(s.pool, trackId))
        .compose(now -> {
          TrackRow row = now.orElseThrow(() -> unknownTrack(trackId));
          if (cause instanceof TrackVerticle.Retired) {
            return Future.succeededFuture(true);
          }
          if (!s.node.id().equals(row.ownerNode()) || !java.util.Objects.equals(held.ownerEpoch(), row.ownerEpoch())) {
            log.info("Track {} is owned by node {} (epoch {}) now; its verticle here retired and the command goes to the owner", trackId,
                row.ownerNode(), row.ownerEpoch());
            return Future.succeededFuture(true);
          }
          return s.lease.renewOnce().map(ok -> !Long.valueOf(s.lease.epoch()).equals(held.ownerEpoch()));
        })
        .compose(forward -> forward && !message.body().getBoolean(FORWARDED, false)
            ? send(trackId, message.body().copy().put(FORWARDED, true))
            : Future.failedFuture(cause))
        .onSuccess(message::reply)
        .onFailure(e -> Refusal.reply(message, e instanceof TrackVerticle.StaleRun stale ? stale.refusal() : e)));
  }

  /** Marks a command handed on by a superseded verticle: it is not handed on again. */
  static final String FORWARDED = "forwarded";

  /**
   * Wakes the blocked dependents of a track that stabilized or escalated. The calling track's
   * verticle retires right after, and Vert.x runs nothing more on an undeployed verticle's context:
   * the dependents are looked up and woken from the supervisor's own context. A clearance that is
   * not taken is sent again with a growing pause ({@link #sendUntilTaken}); should every attempt be
   * lost, {@link Reconciler} still finds the blocked track with its dependencies done.
   */
  void clearDependents(TrackRow track, LineDefinition line) {
    home.runOnContext(v -> s.tracks.ofProject(s.pool, track.projectId()).onComplete(ar -> {
      if (ar.failed()) {
        log.warn("Dependents of track {} not woken now ({}); the reconciliation wakes them", track.id(), ar.cause().toString());
        return;
      }
      // A fan-out's child finishing may be the last its parent's dependents (the join) wait for: they are woken to look.
      String cleared = !track.child() ? track.documentType() : ar.result().stream().filter(r -> r.id().equals(track.parentTrackId()))
          .map(TrackRow::documentType).findFirst().orElse(track.documentType());
      for (var dependent : line.dependentsOf(cleared)) {
        ar.result().stream()
            .filter(r -> r.documentType().equals(dependent.name()) && r.state() == TrackState.BLOCKED)
            .forEach(r -> sendUntilTaken(r.id(), new JsonObject().put("type", "dependency_cleared")));
      }
    }));
  }

  /** How often {@link #sendUntilTaken} sends a command, and its first and longest pause between two. */
  private static final int WAKE_ATTEMPTS = 8;
  private static final long WAKE_FIRST_PAUSE_MS = 500;
  private static final long WAKE_MAX_PAUSE_MS = 30_000;

  /**
   * Sends a command whose loss would strand a track (a dependency clearance, a replacement's start)
   * until the track answers it: a refusal that is not final (the track's node did not answer, a lost
   * race) is followed by another send after a pause that doubles each time. A 400 or 404 is final.
   */
  Future<JsonObject> sendUntilTaken(String trackId, JsonObject command) {
    return sendUntilTaken(trackId, command, 1, WAKE_FIRST_PAUSE_MS);
  }

  private Future<JsonObject> sendUntilTaken(String trackId, JsonObject command, int attempt, long pauseMs) {
    return send(trackId, command).recover(e -> {
      int status = Refusal.of(e).status();
      if (status == 400 || status == 404 || attempt >= WAKE_ATTEMPTS) {
        log.warn("Track {} did not take {} ({} attempts): {}; the reconciliation looks at it again", trackId, command.getString("type"),
            attempt, e.getMessage());
        return Future.failedFuture(e);
      }
      log.info("Track {} did not take {} ({}); sending it again in {} ms", trackId, command.getString("type"), e.getMessage(), pauseMs);
      return later(pauseMs).compose(v -> sendUntilTaken(trackId, command, attempt + 1, Math.min(pauseMs * 2, WAKE_MAX_PAUSE_MS)));
    });
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

  /** qc_reject: a new queued track for the same document, linked to the one it replaces (a fan-out's child keeps its parent and item). */
  Future<String> insertReplacement(SqlConnection conn, TrackRow rejected, Instant now) {
    String id = Ids.next("trk");
    return s.tracks.insertReplacement(conn, id, rejected.id(), now).map(id);
  }

  /**
   * Starts the children a fan-out created (committed with their parent's move) with
   * {@code reconcile}, which a queued child answers by starting, from the supervisor's own context: the parent's verticle retires right after. A start that is not taken
   * is sent again ({@link #sendUntilTaken}); the reconciliation starts a child whose start was lost.
   */
  void startChildren(List<String> children) {
    // reconcile, not start: a queued child starts, and one the reconciliation started meanwhile answers as it stands.
    home.runOnContext(v -> children.forEach(id -> sendUntilTaken(id, new JsonObject().put("type", "reconcile"))));
  }

  /**
   * A fan-out's parent was cancelled (committed): each of its unfinished children is cancelled for
   * good, through its own verticle. Completes when each has taken it or been handed to
   * {@link #sendUntilTaken}; returns how many children were unfinished. Should the messages be lost,
   * the reconciliation finds unfinished children of a cancelled parent.
   */
  Future<Integer> cancelChildren(TrackRow parent, String actor) {
    Promise<Integer> done = Promise.promise();
    home.runOnContext(v -> s.tracks.ofProject(s.pool, parent.projectId()).compose(rows -> {
      List<TrackRow> open = Tracks.children(rows, parent.id()).stream().filter(r -> !r.state().terminal()).toList();
      List<Future<JsonObject>> sent = new ArrayList<>();
      for (TrackRow child : open) {
        JsonObject cancel = cancelAsChild(parent, actor);
        sent.add(send(child.id(), cancel).recover(e -> {
          sendUntilTaken(child.id(), cancel);
          return Future.succeededFuture(new JsonObject());
        }));
      }
      return Future.all(sent).map(open.size());
    }).onComplete(done));
    return done.future();
  }

  /** The command that cancels a child of {@code parent}, which was cancelled. */
  static JsonObject cancelAsChild(TrackRow parent, String actor) {
    return new JsonObject().put("type", "cancel").put("kind", io.productionline.line.CancelKind.PERMANENT.wire()).put("actor", actor)
        .put("reason", "its fan-out parent " + parent.documentType() + " (track " + parent.id() + ") was cancelled");
  }

  /** Places here every unfinished, started track whose owner's lease is not valid (or that no node owns). */
  public Future<Integer> adoptOrphans() {
    if (!accepting || !s.lease.held()) {
      return Future.succeededFuture(0);
    }
    return s.tracks.orphans(s.pool).compose(ids -> {
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
