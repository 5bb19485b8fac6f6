package io.productionline.track;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.events.Addresses;
import io.productionline.support.Await;
import io.productionline.support.MutableClock;
import io.productionline.support.TestNode;
import io.productionline.track.Reconciler.Pass;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Wake-ups cannot be dropped: whatever messages were lost, a blocked track whose dependencies are
 * done moves on at the next reconciliation. The test's event-bus interceptors drop every
 * {@code dependency_cleared}, on the way out and on the way in, for the whole run.
 */
@DisplayName("Reconciliation: tracks that a lost message would strand move on")
class ReconciliationTest {

  private TestNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  @DisplayName("blocked tracks whose dependencies finished while every dependency_cleared was dropped move on after a reconciliation")
  void droppedClearancesAreReconciled() {
    node = TestNode.start();
    Map<String, AtomicInteger> dropped = new ConcurrentHashMap<>();
    Handler<DeliveryContext<Object>> drop = ctx -> {
      if (ctx.message().body() instanceof JsonObject b && "dependency_cleared".equals(b.getString("type"))) {
        dropped.computeIfAbsent(ctx.message().address(), k -> new AtomicInteger()).incrementAndGet();
        return;
      }
      ctx.next();
    };
    node.vertx.eventBus().addOutboundInterceptor(drop).addInboundInterceptor(drop);
    node.createProject("dag", "slowroot");
    node.executor("e1", "sim");
    assertEquals(200, node.api.post("/production/start?project=dag", new JsonObject()).status());

    // root stabilizes; the clearances of leaf_a and leaf_b are all dropped, so they stay blocked.
    node.awaitProduction("dag", p -> "stabilized".equals(TestNode.track(p, "root").getString("state")), Duration.ofSeconds(60));
    JsonObject view = node.production("dag");
    awaitDropped(dropped, view, "leaf_a");
    awaitDropped(dropped, view, "leaf_b");
    for (String leaf : List.of("leaf_a", "leaf_b", "leaf_c")) {
      assertEquals("blocked", TestNode.track(view, leaf).getString("state"), leaf + " is stranded: " + view.encode());
    }

    Pass pass = node.node.reconciler().runOnce().await();
    assertTrue(pass.ran());
    assertEquals(Set.of(id(view, "leaf_a"), id(view, "leaf_b")), Set.copyOf(pass.woken()), "the blocked tracks with their dependencies done");
    node.awaitProduction("dag", p -> Set.of("leaf_a", "leaf_b").stream()
        .allMatch(t -> "stabilized".equals(TestNode.track(p, t).getString("state"))), Duration.ofSeconds(60));
    awaitDropped(dropped, view, "leaf_c");
    assertEquals("blocked", TestNode.track(node.production("dag"), "leaf_c").getString("state"));

    assertEquals(List.of(id(view, "leaf_c")), node.node.reconciler().runOnce().await().woken());
    node.awaitProduction("dag", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(60));
  }

  @Test
  @DisplayName("a track left at a station with no open task halts for an operator once it has stood still for 5 s; one at work is left alone")
  void trackWithoutWorkHalts() {
    MutableClock clock = new MutableClock();
    node = TestNode.start(TestNode.config(), clock);
    node.createProject("idle", "fast");
    assertEquals(200, node.api.post("/production/start?project=idle", new JsonObject()).status());
    JsonObject view = node.awaitProduction("idle", p -> "binding".equals(TestNode.track(p, "root").getString("state")),
        Duration.ofSeconds(30));
    String root = id(view, "root");
    assertEquals(List.of(), node.node.reconciler().runOnce().await().woken(), "a track with its task queued is not stranded");

    // The current run's task closed without the track moving (as a lost task_lost would leave it).
    node.sql("UPDATE station_tasks SET status = 'dropped', completed_at = now() WHERE track_id = '" + root + "'");
    assertEquals(List.of(), node.node.reconciler().runOnce().await().woken(),
        "a track that moved less than 5 s ago is not looked at: on a busy line every track has just moved");
    clock.advance(Duration.ofSeconds(6));
    assertEquals(List.of(root), node.node.reconciler().runOnce().await().woken());
    JsonObject halted = TestNode.track(node.production("idle"), "root");
    assertEquals("halted", halted.getString("state"), halted.encode());
    assertTrue(halted.getString("reason").contains("its station run has no open task"), halted.encode());
    assertEquals(1L, node.sql("SELECT count(*) FROM interrupts WHERE track_id = '" + root + "' AND status = 'open'").get(0).getLong(0),
        "an operator is asked");
    assertEquals(List.of(), node.node.reconciler().runOnce().await().woken(), "a halted track is not stranded");
  }

  @Test
  @DisplayName("a Run Full Line whose start commands were all lost still starts every track at the next reconciliation")
  void lostStartsAreReconciled() {
    node = TestNode.start();
    Map<String, AtomicInteger> dropped = new ConcurrentHashMap<>();
    // Every start command is lost on its way to the track, as when the node that sent it dies at once.
    node.vertx.eventBus().addOutboundInterceptor(ctx -> {
      if (ctx.message().body() instanceof JsonObject b && "start".equals(b.getString("type"))) {
        dropped.computeIfAbsent(ctx.message().address(), k -> new AtomicInteger()).incrementAndGet();
        return;
      }
      ctx.next();
    });
    node.createProject("lost", "slowroot");
    JsonObject view = node.production("lost");
    java.util.concurrent.CompletableFuture<Integer> answered = java.util.concurrent.CompletableFuture.supplyAsync(
        () -> node.api.post("/production/start?project=lost", new JsonObject()).status());
    Await.until(() -> dropped.size(), n -> n == view.getJsonArray("tracks").size(), Duration.ofSeconds(10), "every start to be lost");
    assertTrue(TestNode.allTracks(node.production("lost"), "queued"), "no track started");
    assertEquals(List.of(), node.node.reconciler().runOnce().await().woken(), "a start just asked for may still be on its way");
    // Time passes: the starts were asked for a minute ago and never arrived.
    node.sql("UPDATE tracks SET start_requested_at = start_requested_at - interval '1 minute' WHERE project_id = 'lost'");

    Pass pass = node.node.reconciler().runOnce().await();
    assertEquals(view.getJsonArray("tracks").stream().map(t -> ((JsonObject) t).getString("track_id")).collect(java.util.stream.Collectors.toSet()),
        Set.copyOf(pass.woken()), "every track asked to start was found");
    node.executor("e1", "sim");
    node.awaitProduction("lost", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(60));
    answered.cancel(true);
  }

  @Test
  @DisplayName("a queued track nobody asked to start is left alone by the reconciliation")
  void unstartedTracksStayQueued() {
    node = TestNode.start();
    node.createProject("idle", "slowroot");
    Pass pass = node.node.reconciler().runOnce().await();
    assertTrue(pass.ran());
    assertEquals(List.of(), pass.woken());
    assertTrue(TestNode.allTracks(node.production("idle"), "queued"));
  }

  private static void awaitDropped(Map<String, AtomicInteger> dropped, JsonObject view, String documentType) {
    String address = Addresses.track(id(view, documentType));
    Await.until(() -> dropped.getOrDefault(address, new AtomicInteger()).get(), n -> n > 0, Duration.ofSeconds(10),
        "a dependency_cleared to " + documentType + " to be dropped");
  }

  private static String id(JsonObject view, String documentType) {
    return TestNode.track(view, documentType).getString("track_id");
  }
}
