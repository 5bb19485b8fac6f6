package io.productionline.track;

import io.productionline.Periodic;
import io.productionline.store.LeaseRepository;
import io.productionline.store.LeaseRepository.Lease;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's lease in PostgreSQL ({@code node_leases}): the right to own tracks. Acquired at start
 * with a new epoch, renewed every {@code cluster.lease_renew_ms} for {@code cluster.lease_seconds}
 * by the database's clock. Every write of a track is conditioned on its owner's lease being valid
 * (see {@code TrackSql.leaseHeld}), so this node writes nothing once PostgreSQL finds its lease
 * expired, whatever this node believes.
 *
 * <p>When a renewal finds the lease lapsed (the node was paused, or cut off from PostgreSQL longer
 * than the lease), the node stops serving: {@link #held()} turns false, its track verticles are
 * retired ({@code onLapse}), and only then is a lease with a new epoch acquired, after which it
 * adopts tracks again through the fenced path ({@code onAcquired}). Without an answer from
 * PostgreSQL, the node also stops serving once its own clock says the lease may have run out.
 * {@link #renewOnce()} is what the timer calls and what tests call.
 *
 * <p>A lease is taken at the node's cluster address ({@link Node#address()}): the valid leases of
 * earlier nodes at that address end as it is taken, since their processes cannot be listening
 * there any more; a node killed and started again takes its tracks back at once.
 */
public final class NodeLease {

  private static final Logger log = LoggerFactory.getLogger(NodeLease.class);

  private final Vertx vertx;
  private final Pool pool;
  private final Node node;
  private final LeaseRepository leases = new LeaseRepository();
  private final int seconds;
  private final long renewMs;
  private final Periodic periodic;
  private volatile Lease lease;
  /** System.nanoTime() by which the lease may have run out: the renewal that set it was sent no earlier. */
  private volatile long deadline;
  private Future<Boolean> inFlight;
  private Supplier<Future<?>> onLapse = Future::succeededFuture;
  private Runnable onAcquired = () -> { };

  public NodeLease(Vertx vertx, Pool pool, Node node, JsonObject config) {
    JsonObject cluster = config.getJsonObject("cluster", new JsonObject());
    this.vertx = vertx;
    this.pool = pool;
    this.node = node;
    this.seconds = cluster.getInteger("lease_seconds", 10);
    this.renewMs = cluster.getLong("lease_renew_ms", seconds * 1000L / 3);
    this.periodic = new Periodic(vertx, "Lease renewal", this::renewOnce);
  }

  /** What to do when the lease lapsed, before a new one is taken (retire every track verticle); what to do after. */
  public void listen(Supplier<Future<?>> onLapse, Runnable onAcquired) {
    this.onLapse = onLapse;
    this.onAcquired = onAcquired;
  }

  /** Takes a lease with a new epoch and starts renewing it. */
  public Future<Lease> start() {
    return acquire().onSuccess(l -> periodic.start(renewMs));
  }

  public void stop() {
    periodic.stop();
  }

  /** Stops renewing and ends the lease in PostgreSQL (graceful leave, after the tracks were handed over). */
  public Future<Void> release() {
    periodic.stop();
    Lease l = lease;
    lease = null;
    return l == null ? Future.succeededFuture() : leases.release(pool, node.id(), l.epoch());
  }

  private Future<Lease> acquire() {
    long sent = System.nanoTime();
    return leases.acquire(pool, node.id(), node.address(), seconds).map(l -> {
      deadline = sent + seconds * 1_000_000_000L;
      lease = l;
      log.info("Node {} holds lease epoch {} until {}", node.id(), l.epoch(), l.expiresAt());
      if (!l.superseded().isEmpty()) {
        log.info("Node {} started at the cluster address {} of {}, which are gone: their leases ended now, and their tracks are "
            + "adopted without waiting for them to run out", node.id(), node.address(), String.join(", ", l.superseded()));
      }
      return l;
    });
  }

  /**
   * Renews the lease; when PostgreSQL finds it lapsed, retires this node's tracks and acquires a new
   * epoch. True when the node holds a valid lease afterwards. Calls at the same time share one run.
   */
  public synchronized Future<Boolean> renewOnce() {
    if (inFlight != null) {
      return inFlight;
    }
    Future<Boolean> run = renew();
    if (!run.isComplete()) {
      inFlight = run;
      run.onComplete(ar -> {
        synchronized (this) {
          inFlight = null;
        }
      });
    }
    return run;
  }

  private Future<Boolean> renew() {
    Lease current = lease;
    if (current == null) {
      return Future.succeededFuture(false);
    }
    long sent = System.nanoTime();
    return leases.renew(pool, node.id(), current.epoch(), seconds).compose(renewed -> {
      if (renewed.isPresent()) {
        deadline = sent + seconds * 1_000_000_000L;
        lease = renewed.get();
        return Future.succeededFuture(true);
      }
      return lapsed(current);
    }, e -> {
      if (!held()) {
        log.warn("Node {} could not renew its lease (epoch {}) and it may have run out; its tracks are retired: {}", node.id(),
            current.epoch(), e.toString());
        return onLapse.get().transform(x -> Future.succeededFuture(false));
      }
      return Future.succeededFuture(true);
    });
  }

  /** PostgreSQL found the lease lapsed: stop serving, retire every track, then take a new epoch. */
  private Future<Boolean> lapsed(Lease old) {
    log.warn("Node {} found its lease (epoch {}) lapsed; it retires its tracks and takes a new lease", node.id(), old.epoch());
    deadline = System.nanoTime();
    return onLapse.get().transform(x -> acquire()).map(l -> {
      vertx.runOnContext(v -> onAcquired.run());
      return true;
    });
  }

  /** Whether this node holds a valid lease, as far as it knows: renewed in time, and not found lapsed. */
  public boolean held() {
    return lease != null && System.nanoTime() - deadline < 0;
  }

  /** The epoch of this node's current lease; -1 before it has one. */
  public long epoch() {
    Lease l = lease;
    return l == null ? -1 : l.epoch();
  }

  public int seconds() {
    return seconds;
  }

  /** The lease as {@code /health} shows it: held, epoch, expires_at (by the database's clock), seconds. */
  public JsonObject json() {
    Lease l = lease;
    return new JsonObject().put("held", held()).put("epoch", l == null ? null : l.epoch())
        .put("expires_at", l == null ? null : l.expiresAt().toString()).put("lease_seconds", seconds);
  }
}
