package io.productionline.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.auth.Role;
import io.productionline.line.TrackState;
import io.productionline.store.StaleWriteException;
import io.productionline.store.TrackRepository.Move;
import io.productionline.store.TrackRow;
import io.productionline.store.TrackWrite;
import io.productionline.support.Api;
import io.productionline.support.Await;
import io.productionline.support.TestNode;
import io.productionline.track.Reconciler.Pass;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Ownership is decided in PostgreSQL: each node's lease (node, epoch, expiry by the database's
 * clock) and each track's owner node and epoch. The tests expire a lease with SQL, as a node
 * paused (or cut off) longer than its lease would find it, and drive renewals and the
 * reconciliation by hand ({@code renewOnce()}, {@code runOnce()}): the nodes' own timers are off.
 */
@DisplayName("Track ownership fenced by node leases in PostgreSQL")
class FencingTest {

  private final List<TestNode> nodes = new ArrayList<>();

  @AfterEach
  void stop() {
    for (TestNode n : nodes) {
      try {
        n.close();
      } catch (RuntimeException ignored) {
        // A node whose cluster membership the test ended.
      }
    }
  }

  /** Two clustered nodes whose leases last an hour and are renewed only when the test says so. */
  private void startTwo() {
    JsonObject config = TestNode.config();
    config.getJsonObject("cluster").put("lease_seconds", 3600).put("lease_renew_ms", 3_600_000L);
    String cluster = "pl-fence-" + UUID.randomUUID();
    for (int i = 0; i < 2; i++) {
      nodes.add(TestNode.startClustered(config.copy(), cluster));
    }
  }

  private TestNode byId(String nodeId) {
    return nodes.stream().filter(n -> n.node.services().node.id().equals(nodeId)).findFirst().orElseThrow();
  }

  private TestNode other(TestNode n) {
    return nodes.stream().filter(x -> x != n).findFirst().orElseThrow();
  }

  private static String id(TestNode n) {
    return n.node.services().node.id();
  }

  private static long epoch(TestNode n) {
    return n.node.services().lease.epoch();
  }

  /** A one-document project started, and its first station's task claimed by {@code x}: the track's row, read after the claim. */
  private TrackRow startAndClaim(TestNode n, String project, Executor x) {
    n.createProject(project, "single");
    assertEquals(200, n.api.post("/production/start?project=" + project, new JsonObject()).status());
    JsonObject task = x.claim();
    return n.node.services().tracks.find(n.pool(), task.getString("track_id")).await().orElseThrow();
  }

  /** {@code gone} drops out of the Hazelcast cluster (its lease untouched in PostgreSQL), once {@code seer} sees it leave. */
  private static void dropOut(TestNode gone, TestNode seer) {
    ((HazelcastClusterManager) ((VertxInternal) gone.vertx).clusterManager()).getHazelcastInstance().getLifecycleService().terminate();
    Await.until(() -> seer.node.services().node.liveNodes().size(), n -> n == 1, Duration.ofSeconds(30), "the other node to see it leave");
  }

  private static void expireLease(TestNode n, long epoch) {
    n.sql("UPDATE node_leases SET expires_at = now() - interval '1 second' WHERE epoch = " + epoch);
  }

  @Test
  @DisplayName("a node whose lease lapsed has its writes refused and retires its tracks; a live node adopts them and the track finishes")
  void lapsedLeaseWritesNothing() {
    startTwo();
    Executor x = new Executor(nodes.get(0), "x-lapse");
    TrackRow held = startAndClaim(nodes.get(0), "lapse", x);
    TestNode owner = byId(held.ownerNode());
    TestNode live = other(owner);
    assertEquals(epoch(owner), held.ownerEpoch(), "the track is owned under its node's epoch");
    assertEquals(1, owner.node.supervisor().supervised());

    // The owner is paused past its lease: PostgreSQL finds it expired, whatever the owner believes.
    expireLease(owner, held.ownerEpoch());
    JsonObject before = counts(owner, held.id());
    Throwable refused = owner.pool().withTransaction(conn -> TrackWrite.of(held, Instant.now())
            .move(new Move(TrackState.HALTED, held.stationIndex(), held.remediationCount(), held.runs(), held.currentTaskId(), "zombie"), -1)
            .execute(conn))
        .map(v -> (Throwable) null).otherwise(e -> e).await();
    assertInstanceOf(StaleWriteException.class, refused, "the write of a node whose lease lapsed is refused");
    Throwable fenced = owner.pool().withTransaction(conn -> owner.node.services().tracks.fence(conn, held))
        .map(v -> (Throwable) null).otherwise(e -> e).await();
    assertInstanceOf(StaleWriteException.class, fenced, "so is any other write of its track");
    assertEquals(before, counts(owner, held.id()), "nothing was written");

    // The live node's reconciliation adopts the track: its owner's lease expired in PostgreSQL.
    Pass pass = Await.until(() -> live.node.reconciler().runOnce().await(), Pass::ran, Duration.ofSeconds(10), "a reconciliation");
    assertEquals(List.of(held.id()), pass.adopted());
    Row adopted = live.sql("SELECT owner_node, owner_epoch FROM tracks WHERE id = '" + held.id() + "'").get(0);
    assertEquals(id(live), adopted.getString(0));
    assertEquals(epoch(live), adopted.getLong(1));

    // The paused node resumes: its renewal finds the lease lapsed, it retires its verticles and takes a new epoch.
    assertTrue(owner.node.services().lease.renewOnce().await(), "a lease again after re-acquiring");
    assertEquals(0, owner.node.supervisor().supervised(), "the node whose lease lapsed retired its track verticles");
    assertTrue(epoch(owner) > held.ownerEpoch(), "its new lease has a greater epoch");
    assertEquals(id(live), live.sql("SELECT owner_node FROM tracks WHERE id = '" + held.id() + "'").get(0).getString(0),
        "re-acquiring does not take back a track another node's valid lease holds");
    JsonObject lease = owner.api.get("/health").json().getJsonObject("checks").getJsonObject("lease");
    assertEquals("ok", lease.getString("status"));
    assertEquals(epoch(owner), lease.getLong("epoch"));

    // The executor finishes the track, whichever node it talks to.
    x.finish("lapse", owner);
    assertOwnerOfTheTimeWroteEveryMove(live);
    assertTrue(live.sql("SELECT 1 FROM track_events WHERE type = 'station_transition' AND track_id = '" + held.id()
        + "' AND (payload->>'epoch')::bigint = " + epoch(live)).size() > 0, "the adopter moved the track");
  }

  @Test
  @DisplayName("a verticle superseded by another owner retires and forwards the executor's completion to the owner: 200, not 409")
  void supersededVerticleForwards() {
    startTwo();
    Executor x = new Executor(nodes.get(0), "x-forward");
    TrackRow held = startAndClaim(nodes.get(0), "forward", x);
    TestNode owner = byId(held.ownerNode());
    TestNode live = other(owner);
    JsonObject task = x.current;

    // The owner was paused past its lease and the live node took the track (the fenced adoption's own
    // statement; its verticle is not placed yet). The owner's verticle still listens.
    expireLease(owner, held.ownerEpoch());
    assertTrue(live.node.services().tracks.takeOwnership(live.pool(), held.id(), id(live), epoch(live)).await().isPresent());
    assertEquals(1, owner.node.supervisor().supervised());

    Api.Reply done = x.complete(owner, task);
    assertEquals(200, done.status(), done.text());
    assertEquals("completed", owner.sql("SELECT status FROM station_tasks WHERE id = '" + task.getString("task_id") + "'").get(0).getString(0));
    assertEquals(0, owner.node.supervisor().supervised(), "the superseded verticle retired");
    assertEquals(1, live.node.supervisor().supervised(), "the owner supervises the track");
    Row move = owner.sql("SELECT payload FROM track_events WHERE type = 'station_transition' AND track_id = '" + held.id()
        + "' ORDER BY seq DESC LIMIT 1").get(0);
    JsonObject payload = (JsonObject) move.getValue(0);
    assertEquals(id(live), payload.getString("node"), "the owner wrote the move");
    assertEquals(epoch(live), payload.getLong("epoch"));
    assertEquals(1L, owner.sql("SELECT count(*) FROM station_tasks WHERE track_id = '" + held.id() + "' AND status = 'completed'")
        .get(0).getLong(0), "the station run completed once");
  }

  @Test
  @DisplayName("a completion reaching a node whose own lease lapsed is written under the node's new epoch, after its tracks were retired")
  void ownLapseIsFoundByARefusedWrite() {
    JsonObject config = TestNode.config();
    config.getJsonObject("cluster").put("lease_seconds", 3600).put("lease_renew_ms", 3_600_000L);
    TestNode n = TestNode.start(config, java.time.Clock.systemUTC());
    nodes.add(n);
    Executor x = new Executor(n, "x-own");
    TrackRow held = startAndClaim(n, "own", x);
    long lapsed = held.ownerEpoch();
    expireLease(n, lapsed);

    // The write is refused; the refusal makes the node renew, find its lease lapsed, retire its tracks and take a new
    // epoch; the completion then goes to the track, adopted again through the fenced path.
    Api.Reply done = x.complete(n, x.current);
    assertEquals(200, done.status(), done.text());
    assertTrue(epoch(n) > lapsed, "a new epoch");
    Row owner = n.sql("SELECT owner_node, owner_epoch FROM tracks WHERE id = '" + held.id() + "'").get(0);
    assertEquals(id(n), owner.getString(0));
    assertEquals(epoch(n), owner.getLong(1), "the track is owned under the new epoch");
    JsonObject move = (JsonObject) n.sql("SELECT payload FROM track_events WHERE type = 'station_transition' AND track_id = '"
        + held.id() + "' ORDER BY seq DESC LIMIT 1").get(0).getValue(0);
    assertEquals(epoch(n), move.getLong("epoch"), "the move was written under the new epoch");
    assertEquals(1L, n.sql("SELECT count(*) FROM station_tasks WHERE track_id = '" + held.id() + "' AND status = 'completed'")
        .get(0).getLong(0), "the station run completed once");
    assertOwnerOfTheTimeWroteEveryMove(n);
  }

  @Test
  @DisplayName("a node without a valid lease serves executors nothing (503, so they turn to another node): a request that "
      + "waited out its stall is stale; reads go on")
  void nodeWithoutLeaseServesNoExecutor() {
    TestNode n = TestNode.start();
    nodes.add(n);
    n.createProject("unserved", "slowjob");
    n.api.post("/production/start?project=unserved&doc=job", new JsonObject());
    Api x = n.executorApi("stale");
    JsonObject registration = new JsonObject().put("executor_id", "stale").put("capabilities", new JsonArray().add("slow"));
    assertEquals(201, x.post("/api/v1/executors", registration).status());

    n.node.services().lease.release().await();
    for (Api.Reply r : List.of(x.post("/api/v1/executors", registration),
        x.post("/api/v1/executors/stale/heartbeat", new JsonObject().put("tasks", new JsonArray())),
        x.get("/api/v1/work/next?executor_id=stale&wait=0"))) {
      assertEquals(503, r.status(), r.text());
      assertTrue(r.json().getString("detail").contains("serves executors again once it holds a new one"), r.text());
    }
    assertEquals("queued", n.sql("SELECT status FROM station_tasks WHERE project_id = 'unserved'").get(0).getString(0),
        "nothing was claimed");
    assertEquals(200, n.apiAs("operator").get("/api/v1/executors").status(), "reads go on");
  }

  @Test
  @DisplayName("a completion whose track's owner is gone while its lease holds is kept with the task, not lost: the executor "
      + "is answered at once, no rescue re-runs the work, and the track takes it once a live node adopts it")
  void completionForAGoneOwnerIsKept() {
    startTwo();
    Executor x = new Executor(nodes.get(0), "x-kept");
    TrackRow held = startAndClaim(nodes.get(0), "kept", x);
    TestNode owner = byId(held.ownerNode());
    TestNode survivor = other(owner);
    String taskId = x.current.getString("task_id");
    // The owner dies as a killed process does: out of the cluster, its verticles and event bus gone, its lease still
    // valid in PostgreSQL (nothing released it).
    dropOut(owner, survivor);
    owner.vertx.close().await();

    Api.Reply r = x.complete(survivor, x.current);
    assertEquals(200, r.status(), r.text());
    assertEquals(true, r.json().getBoolean("stored"), r.text());
    assertEquals(false, r.json().getBoolean("completed"), r.text());
    Row kept = survivor.sql("SELECT status, report IS NOT NULL AS kept FROM station_tasks WHERE id = '" + taskId + "'").get(0);
    assertEquals("claimed", kept.getString("status"), "the track has not taken it yet");
    assertTrue(kept.getBoolean("kept"), "the report is kept with the task");

    // The executor has let it go: its lease runs out, and still nothing rescues the task (its work is done).
    survivor.sql("UPDATE station_tasks SET lease_expires_at = now() - interval '1 second' WHERE id = '" + taskId + "'");
    assertEquals(List.of(), survivor.node.sweeper().runOnce().await().requeued(), "kept work is not lost work");
    Pass early = Await.until(() -> survivor.node.reconciler().runOnce().await(), Pass::ran, Duration.ofSeconds(30), "a reconciliation");
    assertEquals(List.of(), early.reportsTaken(), "no node may write the track while its owner's lease holds");

    expireLease(survivor, held.ownerEpoch());
    Pass pass = Await.until(() -> survivor.node.reconciler().runOnce().await(), Pass::ran, Duration.ofSeconds(30), "a reconciliation");
    assertEquals(List.of(held.id()), pass.adopted());
    assertEquals(List.of(taskId), pass.reportsTaken(), "the adopted track took the kept completion");
    assertEquals("completed", survivor.sql("SELECT status FROM station_tasks WHERE id = '" + taskId + "'").get(0).getString(0));
    assertEquals(1L, survivor.sql("SELECT count(*) FROM station_tasks WHERE track_id = '" + held.id() + "' AND run_no = 1").get(0).getLong(0),
        "the station run was not run again");
    assertEquals(id(survivor), survivor.sql("SELECT owner_node FROM tracks WHERE id = '" + held.id() + "'").get(0).getString(0));
    assertEquals(List.of(), survivor.node.reconciler().runOnce().await().reportsTaken(), "taken once");
  }

  @Test
  @DisplayName("/health shows the node's lease, and a node without a lease is not healthy")
  void healthShowsTheLease() {
    TestNode n = TestNode.start();
    nodes.add(n);
    JsonObject held = n.api.get("/health").json().getJsonObject("checks").getJsonObject("lease");
    assertEquals("ok", held.getString("status"), held.encode());
    assertEquals(true, held.getBoolean("held"));
    assertEquals(epoch(n), held.getLong("epoch"));
    Row row = n.sql("SELECT node_id, expires_at > now() AS valid FROM node_leases WHERE epoch = " + epoch(n)).get(0);
    assertEquals(id(n), row.getString(0));
    assertTrue(row.getBoolean(1), "valid in PostgreSQL");

    n.node.services().lease.release().await();
    Api.Reply health = n.api.get("/health");
    assertEquals(503, health.status(), health.text());
    assertEquals("degraded", health.json().getString("status"));
    JsonObject lease = health.json().getJsonObject("checks").getJsonObject("lease");
    assertEquals("down", lease.getString("status"), lease.encode());
    assertEquals(false, lease.getBoolean("held"));
  }

  @Test
  @DisplayName("a member leaving the cluster while its lease holds in PostgreSQL has none of its tracks adopted; once the lease expired they are")
  void memberLeftWithValidLeaseAdoptsNothing() {
    startTwo();
    TestNode a = nodes.get(0);
    TestNode b = nodes.get(1);
    a.createProject("wide", "wide");
    assertEquals(200, a.api.post("/production/start?project=wide", new JsonObject()).status());
    List<String> ofB = a.sql("SELECT id FROM tracks WHERE owner_node = '" + id(b) + "' AND finalized_at IS NULL").stream()
        .map(r -> r.getString(0)).toList();
    assertFalse(ofB.isEmpty(), "node B owns some tracks");
    long eventsBefore = a.sql("SELECT count(*) FROM track_events WHERE type = 'track_supervised'").get(0).getLong(0);

    // B drops out of the Hazelcast cluster (as a paused or cut-off member does) but its lease stays valid.
    dropOut(b, a);
    Pass pass = Await.until(() -> a.node.reconciler().runOnce().await(), Pass::ran, Duration.ofSeconds(10), "a reconciliation on A");
    assertEquals(List.of(), pass.adopted(), "nothing adopted while B's lease holds");
    for (String t : ofB) {
      assertEquals(id(b), a.sql("SELECT owner_node FROM tracks WHERE id = '" + t + "'").get(0).getString(0), "B still owns " + t);
    }
    assertEquals(eventsBefore, a.sql("SELECT count(*) FROM track_events WHERE type = 'track_supervised'").get(0).getLong(0),
        "no supervision changed hands");

    expireLease(a, epoch(b));
    pass = Await.until(() -> a.node.reconciler().runOnce().await(), Pass::ran, Duration.ofSeconds(10), "a reconciliation on A");
    assertEquals(ofB.stream().sorted().toList(), pass.adopted().stream().sorted().toList(), "B's tracks adopted once its lease expired");
    for (String t : ofB) {
      assertEquals(id(a), a.sql("SELECT owner_node FROM tracks WHERE id = '" + t + "'").get(0).getString(0), "A owns " + t);
    }
  }

  /** The track's version, its tasks by status and the project's events: what a write would change. */
  private static JsonObject counts(TestNode n, String track) {
    return n.sql("SELECT t.version, (SELECT count(*) FROM track_events e WHERE e.track_id = t.id) AS events, "
        + "(SELECT string_agg(k.status, ',' ORDER BY k.run_no) FROM station_tasks k WHERE k.track_id = t.id) AS tasks "
        + "FROM tracks t WHERE t.id = '" + track + "'").get(0).toJson();
  }

  /**
   * Every {@code station_transition} of a track names the node and epoch of the track's latest
   * {@code track_supervised} before it: each move was written by the track's owner of the time.
   */
  static void assertOwnerOfTheTimeWroteEveryMove(TestNode n) {
    Map<String, String> owner = new HashMap<>();
    for (Row r : n.sql("SELECT track_id, type, payload FROM track_events WHERE track_id IS NOT NULL ORDER BY project_id, seq")) {
      JsonObject p = (JsonObject) r.getValue("payload");
      String lease = p.getString("node") + "@" + p.getValue("epoch");
      if ("track_supervised".equals(r.getString("type"))) {
        owner.put(r.getString("track_id"), lease);
      } else if ("station_transition".equals(r.getString("type"))) {
        assertEquals(owner.get(r.getString("track_id")), lease, "a move of " + r.getString("track_id") + " by its owner of the time");
      }
    }
  }

  /** An executor driven by hand over HTTP: claims and completes one task at a time, on the node it is told. */
  private static final class Executor {
    private final String id;
    private final String token;
    private final Api api;
    JsonObject current;

    Executor(TestNode n, String id) {
      this.id = id;
      this.token = n.token(Role.EXECUTOR, id, id);
      this.api = new Api(n.node.port()).withToken(token);
      Api.Reply r = api.post("/api/v1/executors", new JsonObject().put("executor_id", id).put("environment", "server")
          .put("type", "test").put("capabilities", new JsonArray().add("sim")));
      assertEquals(201, r.status(), r.text());
    }

    JsonObject claim() {
      return next(api).orElseThrow(() -> new AssertionError("no task for " + id));
    }

    private Optional<JsonObject> next(Api via) {
      Api.Reply r = via.get("/api/v1/work/next?executor_id=" + id + "&wait=5");
      assertEquals(200, r.status(), r.text());
      current = r.json().getBoolean("assigned") ? r.json().getJsonObject("task") : null;
      return Optional.ofNullable(current);
    }

    Api.Reply complete(TestNode via, JsonObject task) {
      return new Api(via.node.port()).withToken(token).post("/api/v1/work/" + task.getString("task_id") + "/complete",
          new JsonObject().put("lease_token", task.getString("lease_token")).put("outcome", "stabilized"));
    }

    /** Completes the task in hand and every next one through {@code via} until the project is complete. */
    void finish(String project, TestNode via) {
      Api on = new Api(via.node.port()).withToken(token);
      for (JsonObject task = current; task != null; task = next(on).orElse(null)) {
        Api.Reply r = complete(via, task);
        assertEquals(200, r.status(), r.text());
        if ("complete".equals(via.production(project).getString("line_state"))) {
          return;
        }
      }
      assertEquals("complete", via.production(project).getString("line_state"), "the line finished");
    }
  }
}
