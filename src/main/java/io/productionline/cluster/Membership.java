package io.productionline.cluster;

import com.hazelcast.core.LifecycleEvent;
import io.productionline.events.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this node is part of a whole cluster: the members it sees against the size the cluster
 * is configured to have ({@code cluster.expected_members}, default 1), and what happened at the
 * last merge after a split. A node that sees fewer than a majority of the expected members is on
 * the minority side of a split (it was paused, or cut off); {@code /health} says so with a 503.
 *
 * <p>After Hazelcast merges a split cluster (lifecycle state {@code MERGED}), the event-bus
 * subscriptions of the merging side can be lost (vertx-hazelcast issues #90 and #109). vertx-hazelcast
 * republishes this node's own subscriptions on {@code MERGED}; this class then checks, a moment
 * later, that every address this node must answer on still names it in the cluster's registry, and
 * when one does not, runs the cluster manager's merge handling again (which republishes them) and
 * checks once more. Who owns a track is decided in PostgreSQL; the bus only carries requests and hints.
 */
public final class Membership {

  private static final Logger log = LoggerFactory.getLogger(Membership.class);
  /** How long after a merge the subscriptions are checked: the cluster manager republishes them in the background. */
  static final long CHECK_DELAY_MS = 2_000;

  private final Vertx vertx;
  private final ClusterManager clusterManager;
  private final String nodeId;
  private final int expected;
  private final Clock clock;
  private final AtomicInteger merges = new AtomicInteger();
  private final AtomicInteger restored = new AtomicInteger();
  private volatile Instant lastMerge;
  private volatile JsonObject lastCheck = new JsonObject();
  private volatile Supplier<Future<Collection<String>>> standing = () -> Future.succeededFuture(List.of());

  public Membership(Vertx vertx, ClusterManager clusterManager, String nodeId, JsonObject config, Clock clock) {
    this.vertx = vertx;
    this.clusterManager = clusterManager;
    this.nodeId = nodeId;
    this.expected = expectedMembers(config);
    this.clock = clock;
  }

  /** {@code cluster.expected_members}, at least 1. */
  public static int expectedMembers(JsonObject config) {
    return Math.max(1, config.getJsonObject("cluster", new JsonObject()).getInteger("expected_members", 1));
  }

  /** The smallest number of members that is more than half of {@code expected}. */
  public static int majorityOf(int expected) {
    return expected / 2 + 1;
  }

  /**
   * Names the addresses this node must answer on, beyond its standing ones (its node address, the
   * work relay, the broadcast relay): e.g. the addresses of the tracks it supervises.
   */
  public void alsoStanding(Supplier<Future<Collection<String>>> addresses) {
    this.standing = addresses;
  }

  /** Listens for merges after a split (Hazelcast only; a node that is not clustered is always whole). */
  public void start() {
    if (clusterManager instanceof HazelcastClusterManager hz) {
      hz.getHazelcastInstance().getLifecycleService().addLifecycleListener(e -> {
        if (e.getState() == LifecycleEvent.LifecycleState.MERGED) {
          merges.incrementAndGet();
          lastMerge = clock.instant();
          log.info("Rejoined the cluster after a split: {} members now (expected {}); checking this node's subscriptions",
              members(), expected);
          vertx.setTimer(CHECK_DELAY_MS, t -> checkSubscriptions(true));
        }
      });
    }
  }

  public int members() {
    return clusterManager == null ? 1 : clusterManager.getNodes().size();
  }

  public int expected() {
    return expected;
  }

  public int majority() {
    return majorityOf(expected);
  }

  /** Whether this node sees a majority of the expected members (itself included). */
  public boolean inMajority() {
    return members() >= majority();
  }

  /** What {@code /health} reports of the cluster. */
  public JsonObject toJson() {
    List<String> nodes = clusterManager == null ? List.of(nodeId) : clusterManager.getNodes();
    return new JsonObject()
        .put("clustered", clusterManager != null)
        .put("node", nodeId)
        .put("members", new JsonArray(new ArrayList<>(nodes)))
        .put("member_count", nodes.size())
        .put("expected_members", expected)
        .put("majority", majority())
        .put("in_majority", nodes.size() >= majority())
        .put("merges", merges.get())
        .put("last_merge", lastMerge == null ? null : lastMerge.toString())
        .put("subscriptions", lastCheck.copy());
  }

  /**
   * Checks that each standing address names this node in the cluster's registry; when one does
   * not and {@code repair} holds, runs the cluster manager's merge handling again and checks once
   * more. Completes with the addresses still missing.
   */
  public Future<List<String>> checkSubscriptions(boolean repair) {
    return addresses().compose(this::missing).compose(missing -> {
      if (missing.isEmpty() || !repair || !(clusterManager instanceof HazelcastClusterManager hz)) {
        record(missing, false);
        return Future.succeededFuture(missing);
      }
      log.warn("{} addresses of this node lost their cluster subscription in the merge ({}); republishing them",
          missing.size(), missing.size() <= 5 ? missing : missing.subList(0, 5) + "…");
      // vertx-hazelcast's own merge handling: it puts this node's info back, drops its caches and republishes its subscriptions.
      return vertx.<Void>executeBlocking(() -> {
        hz.stateChanged(new LifecycleEvent(LifecycleEvent.LifecycleState.MERGED));
        return null;
      }).compose(v -> {
        Promise<Void> later = Promise.promise();
        vertx.setTimer(CHECK_DELAY_MS, t -> later.complete());
        return later.future();
      }).compose(v -> addresses()).compose(this::missing).map(still -> {
        restored.addAndGet(missing.size() - still.size());
        record(still, true);
        if (!still.isEmpty()) {
          log.warn("{} addresses of this node still have no cluster subscription after republishing", still.size());
        }
        return still;
      });
    }).onFailure(e -> log.warn("Subscriptions after the merge could not be checked: {}", e.toString()));
  }

  private void record(List<String> missing, boolean republished) {
    lastCheck = new JsonObject().put("checked_at", clock.instant().toString()).put("missing", missing.size())
        .put("republished", republished).put("restored_total", restored.get());
  }

  private Future<List<String>> addresses() {
    return standing.get().map(extra -> {
      List<String> all = new ArrayList<>(List.of(Addresses.node(nodeId), Addresses.WORK_RELAY, Addresses.BROADCAST));
      all.addAll(extra);
      return all;
    });
  }

  private Future<List<String>> missing(List<String> addresses) {
    if (clusterManager == null) {
      return Future.succeededFuture(List.of());
    }
    List<Future<Boolean>> found = new ArrayList<>();
    for (String address : addresses) {
      Promise<List<RegistrationInfo>> p = Promise.promise();
      clusterManager.getRegistrations(address, p);
      found.add(p.future().map(regs -> regs.stream().anyMatch(r -> nodeId.equals(r.nodeId()))));
    }
    return Future.all(found).map(all -> {
      List<String> out = new ArrayList<>();
      for (int i = 0; i < addresses.size(); i++) {
        if (!all.<Boolean>resultAt(i)) {
          out.add(addresses.get(i));
        }
      }
      return out;
    });
  }
}
