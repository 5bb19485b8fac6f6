package io.productionline.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Await;
import io.productionline.support.ChildServers;
import io.productionline.support.ServerProcess;
import io.productionline.support.TestServers;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("A server node killed with -9 in mid-line")
class NodeKillTest {

  private final List<ServerProcess> children = new ArrayList<>();

  @TempDir
  Path dir;

  @AfterEach
  void stopChildren() {
    children.forEach(c -> c.stop(Duration.ofSeconds(15)));
  }

  /** Eight independent documents whose assembly takes a while, so both nodes hold some mid-line. */
  private static JsonObject eightWide() {
    JsonArray types = new JsonArray();
    for (int i = 1; i <= 8; i++) {
      JsonArray stations = new JsonArray()
          .add(station("bind", "bind", 100)).add(station("asm", "assemble", 1500))
          .add(station("aud", "audit", 100)).add(station("rem", "remediate", 100));
      types.add(new JsonObject().put("name", "doc_" + i).put("stations", stations));
    }
    return new JsonObject().put("name", "eight").put("title", "Eight at once").put("document_types", types);
  }

  private static JsonObject station(String id, String kind, long ms) {
    return new JsonObject().put("id", id).put("kind", kind).put("capability", "sim")
        .put("step", new JsonObject().put("type", "sim").put("trust", "vetted").put("params", new JsonObject().put("duration_ms", ms)));
  }

  @Test
  @DisplayName("the survivor adopts its tracks and the line finishes, one owner per track at a time, one completed task per station run")
  void survivorFinishesTheLine() throws Exception {
    String pg = TestServers.freshDatabase();
    Path config = ChildServers.writeConfig(dir, eightWide(), "demo", 4);
    String cluster = "pl-kill-" + UUID.randomUUID().toString().substring(0, 8);
    int portA = TestServers.freePort();
    int portB = TestServers.freePort();
    int[] clusterPorts = {TestServers.freePort(), TestServers.freePort()};

    ServerProcess b = child("b", env(config, "b", cluster, portB, clusterPorts, 1, false, pg)).awaitReady(Duration.ofSeconds(90));
    ServerProcess a = child("a", env(config, "a", cluster, portA, clusterPorts, 0, true, pg)).awaitReady(Duration.ofSeconds(90));
    assertEquals(2, a.api().get("/health").json().getJsonObject("checks").getJsonObject("cluster").getJsonArray("members").size());
    String nodeB = b.api().get("/health").json().getString("node");

    // Kill B while it supervises tracks that are at a station.
    Await.until(() -> ChildServers.sql(pg, "SELECT count(*) AS n FROM tracks WHERE owner_node = '" + nodeB
            + "' AND state IN ('binding', 'assembling', 'auditing')"),
        rows -> ((Number) rows.get(0).get("n")).longValue() > 0, Duration.ofSeconds(60), "node B to supervise a track at a station");
    assertEquals(137, b.kill9(), "killed with SIGKILL");

    Await.until(() -> a.api().get("/production?project=demo").json(),
        p -> p.getJsonArray("tracks").stream().allMatch(t -> "stabilized".equals(((JsonObject) t).getString("state"))),
        Duration.ofSeconds(120), "every track stabilized on the survivor");

    for (Map<String, Object> r : ChildServers.sql(pg, """
        SELECT track_id, run_no, item, count(*) AS n, count(*) FILTER (WHERE status = 'completed') AS done
          FROM station_tasks GROUP BY track_id, run_no, item""")) {
      assertEquals(1L, ((Number) r.get("n")).longValue(), "one task per station run: " + r);
      assertEquals(1L, ((Number) r.get("done")).longValue(), "each station run completed exactly once: " + r);
    }
    Map<String, String> owner = new HashMap<>();
    long adopted = 0;
    for (Map<String, Object> r : ChildServers.sql(pg, "SELECT track_id, type, payload::text AS payload FROM track_events "
        + "WHERE track_id IS NOT NULL ORDER BY seq")) {
      JsonObject p = new JsonObject((String) r.get("payload"));
      String track = (String) r.get("track_id");
      if ("track_supervised".equals(r.get("type"))) {
        if (owner.containsKey(track) && !owner.get(track).equals(p.getString("node"))) {
          adopted++;
        }
        owner.put(track, p.getString("node"));
      } else if ("station_transition".equals(r.get("type"))) {
        assertEquals(owner.get(track), p.getString("node"), "track " + track + " moved only by its supervisor");
      }
    }
    assertTrue(adopted > 0, "the survivor adopted the killed node's tracks");
  }

  @Test
  @DisplayName("a node killed and started again at its cluster address takes its tracks back at once, not after their lease runs out")
  void restartAtTheSameAddressTakesItsTracksBack() throws Exception {
    String pg = TestServers.freshDatabase();
    Path config = ChildServers.writeConfig(dir, eightWide(), "demo", 4);
    // Node leases of an hour: only the restarted node's proof that its predecessor is gone can free the tracks in time.
    JsonObject conf = new JsonObject(Files.readString(config));
    conf.getJsonObject("cluster").put("lease_seconds", 3600).put("lease_renew_ms", 20_000);
    Files.writeString(config, conf.encodePrettily());
    int clusterPort = TestServers.freePort();
    Map<String, String> env = env(config, "solo", "pl-restart-" + UUID.randomUUID().toString().substring(0, 8), TestServers.freePort(),
        new int[] {clusterPort, clusterPort}, 0, true, pg);
    ServerProcess first = child("solo", env).awaitReady(Duration.ofSeconds(90));
    String firstNode = first.api().get("/health").json().getString("node");
    Await.until(() -> ChildServers.sql(pg, "SELECT count(*) AS n FROM tracks WHERE owner_node = '" + firstNode
            + "' AND state IN ('binding', 'assembling', 'auditing')"),
        rows -> ((Number) rows.get(0).get("n")).longValue() > 0, Duration.ofSeconds(60), "the node to supervise a track at a station");
    assertEquals(137, first.kill9(), "killed with SIGKILL");

    ServerProcess again = child("solo-again", env).awaitReady(Duration.ofSeconds(90));
    String againNode = again.api().get("/health").json().getString("node");
    Await.until(() -> again.api().get("/production?project=demo").json(),
        p -> p.getJsonArray("tracks").stream().allMatch(t -> "stabilized".equals(((JsonObject) t).getString("state"))),
        Duration.ofSeconds(120), "every track stabilized after the restart");
    Map<String, Object> lease = ChildServers.sql(pg, "SELECT bool_and(expires_at <= now() AND released_at IS NOT NULL) AS ended "
        + "FROM node_leases WHERE node_id = '" + firstNode + "'").get(0);
    assertEquals(Boolean.TRUE, lease.get("ended"), "the killed node's lease was ended by its successor, not left to run out");
    assertEquals(0L, ((Number) ChildServers.sql(pg, "SELECT count(*) AS n FROM tracks WHERE owner_node <> '" + againNode + "'")
        .get(0).get("n")).longValue(), "the restarted node owns every track");
  }

  private ServerProcess child(String name, Map<String, String> env) {
    ServerProcess p = ServerProcess.start(name, env, ServerProcess.baseDir().resolve("target/node-kill/" + dir.getFileName()));
    children.add(p);
    return p;
  }

  private Map<String, String> env(Path config, String name, String cluster, int httpPort, int[] clusterPorts, int mine,
                                  boolean demo, String pg) throws Exception {
    Map<String, String> env = new LinkedHashMap<>(ChildServers.env(config, Files.createDirectories(dir.resolve("data-" + name))));
    env.put("PL_HTTP_PORT", Integer.toString(httpPort));
    env.put("PL_CLUSTER_NAME", cluster);
    env.put("PL_CLUSTER_PORT", Integer.toString(clusterPorts[mine]));
    env.put("PL_CLUSTER_MEMBERS", "127.0.0.1:" + clusterPorts[0] + ",127.0.0.1:" + clusterPorts[1]);
    env.put("PL_DEMO", demo ? "on" : "off");
    env.put("PL_PG_URL", pg);
    env.put("PL_REDIS_URL", TestServers.redisUrl());
    return env;
  }
}
