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

  public boolean clustered() {
    return clusterManager != null;
  }

  /** The ids of the live members, this node included. */
  public List<String> liveNodes() {
    return clusterManager == null ? List.of(id) : List.copyOf(clusterManager.getNodes());
  }
}
