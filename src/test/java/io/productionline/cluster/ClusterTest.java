package io.productionline.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Api;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Three server nodes in one Hazelcast cluster over one PostgreSQL and Redis")
class ClusterTest {

  private final List<TestNode> nodes = new ArrayList<>();

  @AfterEach
  void stop() {
    for (TestNode n : nodes) {
      try {
        n.close();
      } catch (RuntimeException ignored) {
        // A node closed by the test itself.
      }
    }
  }

  private void startThree() {
    JsonObject config = TestNode.config();
    String cluster = "pl-test-" + UUID.randomUUID();
    for (int i = 0; i < 3; i++) {
      nodes.add(TestNode.startClustered(config.copy(), cluster));
    }
    TestNode first = nodes.get(0);
    assertEquals(3, first.api.get("/health").json().getJsonObject("checks").getJsonObject("cluster").getJsonArray("members").size(),
        "health lists three members");
    // One signing secret for the cluster, made once and kept in PostgreSQL: a token of one node is good on every node.
    String viewer = first.token("viewer");
    for (TestNode n : nodes) {
      assertEquals(200, new Api(n.node.port()).withToken(viewer).get("/api/v1/projects").status(), "a token minted on one node");
    }
  }

  @Test
  @DisplayName("a node closed mid-line hands over its tracks; the line finishes with one owner per track at any time")
  void nodeLeavesMidLine() {
    startThree();
    TestNode a = nodes.get(0);
    a.createProject("wide", "fast");
    a.createProject("tall", "slowroot");
    a.executor("ea", "sim");
    nodes.get(2).executor("ec", "sim");
    // A client on every node sees every event, wherever the tracks run.
    Map<TestNode, List<JsonObject>> seen = new HashMap<>();
    nodes.forEach(n -> seen.put(n, n.record("tall")));
    a.api.post("/production/start?project=wide", new JsonObject());
    a.api.post("/production/start?project=tall", new JsonObject());

    Set<String> owners = new HashSet<>();
    a.sql("SELECT DISTINCT owner_node FROM tracks WHERE owner_node IS NOT NULL").forEach(r -> owners.add(r.getString(0)));
    assertTrue(owners.size() >= 2, "new tracks spread over the nodes: " + owners);

    // The node that leaves is the one running tall's slow root, so it surely holds an unfinished track.
    a.awaitProduction("tall", p -> !"queued".equals(TestNode.track(p, "root").getString("state")), Duration.ofSeconds(30));
    String rootOwner = a.sql("SELECT owner_node FROM tracks WHERE project_id = 'tall' AND document_type = 'root'").get(0).getString(0);
    TestNode leaving = nodes.stream().filter(n -> n.node.services().node.id().equals(rootOwner)).findFirst().orElseThrow();
    nodes.remove(leaving);
    leaving.close();
    TestNode survivor = nodes.get(0);
    TestNode watcher = nodes.get(1);

    survivor.awaitProduction("wide", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(90));
    survivor.awaitProduction("tall", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(90));

    List<Row> runs = survivor.sql("""
        SELECT track_id, run_no, count(*) AS n, count(*) FILTER (WHERE status = 'completed') AS done
          FROM station_tasks GROUP BY track_id, run_no""");
    for (Row r : runs) {
      assertEquals(1L, r.getLong("n"), "one task per station run");
      assertEquals(1L, r.getLong("done"), "each station run completed exactly once");
    }
    assertOneOwnerAtATime(survivor);
    long adopted = survivor.sql("""
        SELECT count(*) FROM (SELECT track_id FROM track_events WHERE type = 'track_supervised'
                               GROUP BY track_id HAVING count(DISTINCT payload->>'node') > 1) moved""").get(0).getLong(0);
    assertTrue(adopted > 0, "tracks of the node that left were adopted by the others");
    long lastSeq = survivor.sql("SELECT max(seq) FROM track_events WHERE project_id = 'tall'").get(0).getLong(0);
    TestNode.awaitEvent(seen.get(watcher), e -> e.getLong("seq", 0L) == lastSeq, Duration.ofSeconds(10));
  }

  @Test
  @DisplayName("cluster executors (over the event bus, one of them batching) and an HTTP executor share one queue; no task runs twice")
  void clusterAndHttpExecutorsShareTheQueue() throws Exception {
    JsonObject config = TestNode.config();
    String cluster = "pl-test-" + UUID.randomUUID();
    TestNode server = TestNode.startClustered(config, cluster);
    nodes.add(server);
    io.vertx.core.Vertx member = clusterMember(cluster);
    try {
      var agent = new io.productionline.agent.ExecutorAgent(member, new io.productionline.agent.ExecutorAgent.Settings(
          "http://127.0.0.1:1", server.token(io.productionline.auth.Role.EXECUTOR, "bus-1", "bus-1"), "bus-1", List.of("sim"),
          "server", "cluster", 5), true);
      agent.start().await();
      // A second cluster executor runs four tasks at once: its batch claims and completions go through the relay too.
      var batching = new io.productionline.agent.ExecutorAgent(member, new io.productionline.agent.ExecutorAgent.Settings(
          "http://127.0.0.1:1", server.token(io.productionline.auth.Role.EXECUTOR, "bus-4", "bus-4"), "bus-4", List.of("sim"),
          "server", "cluster", 5).withConcurrency(4), true);
      batching.start().await();
      server.executor("http-1", "sim");
      server.createProject("shared", "wide");
      server.api.post("/production/start?project=shared", new JsonObject());
      server.awaitProduction("shared", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(120));

      for (Row r : server.sql("""
          SELECT track_id, run_no, item, count(*) AS n, count(*) FILTER (WHERE status = 'completed') AS done
            FROM station_tasks GROUP BY track_id, run_no, item""")) {
        assertEquals(1L, r.getLong("n"), "one task per station run");
        assertEquals(1L, r.getLong("done"), "each station run completed exactly once");
      }
      Map<String, Long> byExecutor = new HashMap<>();
      server.sql("SELECT executor_id, count(*) FROM station_tasks WHERE status = 'completed' GROUP BY executor_id")
          .forEach(r -> byExecutor.put(r.getString(0), r.getLong(1)));
      assertTrue(byExecutor.getOrDefault("bus-1", 0L) > 0, "the cluster executor did work: " + byExecutor);
      assertTrue(byExecutor.getOrDefault("http-1", 0L) > 0, "the HTTP executor did work: " + byExecutor);
      assertTrue(byExecutor.getOrDefault("bus-4", 0L) > 0, "the batching cluster executor did work: " + byExecutor);
      agent.stop().await();
      batching.stop().await();
    } finally {
      member.close().await();
    }
  }

  /** A Vert.x that joins {@code cluster} as a lite member, as {@code scripts/executor --cluster} does. */
  private static io.vertx.core.Vertx clusterMember(String cluster) throws Exception {
    JsonObject c = new JsonObject().put("cluster", new JsonObject().put("name", cluster).put("host", "127.0.0.1")
        .put("port", 5701).put("members", new io.vertx.core.json.JsonArray().add("127.0.0.1")).put("config", "conf/cluster.xml"));
    var hz = io.productionline.Main.hazelcast(c).setLiteMember(true);
    var options = new io.vertx.core.VertxOptions();
    options.getEventBusOptions().setHost("127.0.0.1").setClusterPublicHost("127.0.0.1");
    return io.vertx.core.Vertx.builder().with(options)
        .withClusterManager(new io.vertx.spi.cluster.hazelcast.HazelcastClusterManager(hz)).buildClustered().await();
  }

  /** Between two track_supervised events of a track, every transition was written by the node named in the first. */
  static void assertOneOwnerAtATime(TestNode n) {
    Map<String, String> owner = new HashMap<>();
    for (Row r : n.sql("SELECT track_id, type, payload FROM track_events WHERE track_id IS NOT NULL ORDER BY project_id, seq")) {
      JsonObject p = (JsonObject) r.getValue("payload");
      String track = r.getString("track_id");
      if ("track_supervised".equals(r.getString("type"))) {
        owner.put(track, p.getString("node"));
      } else if ("station_transition".equals(r.getString("type"))) {
        assertEquals(owner.get(track), p.getString("node"), "track " + track + " was moved only by its supervisor");
      }
    }
  }
}
