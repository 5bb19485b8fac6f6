package io.productionline.track;

import io.vertx.core.spi.cluster.ClusterManager;
import java.util.List;
import java.util.UUID;

/** This server node's identity and its view of the cluster's live members. */
public final class Node {

  private final ClusterManager clusterManager;
  private final String id;

  public Node(ClusterManager clusterManager) {
    this.clusterManager = clusterManager;
    this.id = clusterManager == null ? "local-" + UUID.randomUUID() : clusterManager.getNodeId();
  }

  public String id() {
    return id;
  }

  /**
   * The address (host:port) this node listens on for the cluster, unique among live members; null
   * when the node is not clustered.
   */
  public String address() {
    if (clusterManager instanceof io.vertx.spi.cluster.hazelcast.HazelcastClusterManager hz && hz.getHazelcastInstance() != null) {
      com.hazelcast.cluster.Address a = hz.getHazelcastInstance().getCluster().getLocalMember().getAddress();
      return a.getHost() + ":" + a.getPort();
    }
    return null;
  }

  public boolean clustered() {
    return clusterManager != null;
  }

  /**
   * Calls {@code listener} with the id of each member that leaves the cluster (on a Hazelcast
   * thread). Vert.x keeps the cluster manager's own node listener; this one sits beside it.
   */
  public void onMemberLeft(java.util.function.Consumer<String> listener) {
    if (clusterManager instanceof io.vertx.spi.cluster.hazelcast.HazelcastClusterManager hz) {
      hz.getHazelcastInstance().getCluster().addMembershipListener(new com.hazelcast.cluster.MembershipListener() {
        @Override
        public void memberAdded(com.hazelcast.cluster.MembershipEvent e) {
        }

        @Override
        public void memberRemoved(com.hazelcast.cluster.MembershipEvent e) {
          listener.accept(e.getMember().getUuid().toString());
        }
      });
    }
  }

  /** The live member that should supervise {@code trackId}: the same answer on every node while membership holds. */
  public String placeFor(String trackId) {
    List<String> nodes = new java.util.ArrayList<>(liveNodes());
    java.util.Collections.sort(nodes);
    return nodes.get(Math.floorMod(trackId.hashCode(), nodes.size()));
  }

  /**
   * Whether any member has a consumer of {@code address} (an SSE or WebSocket client, a bridge
   * socket, a test's recorder); true when the node is not clustered and cannot tell.
   */
  public io.vertx.core.Future<Boolean> hasConsumers(String address) {
    if (clusterManager == null) {
      return io.vertx.core.Future.succeededFuture(true);
    }
    io.vertx.core.Promise<List<io.vertx.core.spi.cluster.RegistrationInfo>> found = io.vertx.core.Promise.promise();
    clusterManager.getRegistrations(address, found);
    return found.future().map(registrations -> !registrations.isEmpty());
  }

  /** The ids of the live members, this node included. */
  public List<String> liveNodes() {
    return clusterManager == null ? List.of(id) : List.copyOf(clusterManager.getNodes());
  }
}
