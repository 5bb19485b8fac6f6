package io.productionline.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.Json;
import io.productionline.line.LineValidator;
import io.productionline.support.Api;
import io.productionline.support.TestNode;
import io.productionline.track.LineCatalog;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Cancellation kinds: qc_reject, redesign and permanent, through the HTTP API")
class CancellationTest {

  private TestNode node;
  private Hand hand;
  private Watch watch;

  @BeforeEach
  void start() {
    node = AuditNodes.start();
    node.createProject("c", "cancels");
    watch = Watch.of(node, "c");
    node.executor("e1");
    hand = new Hand(node, "hand-1");
  }

  @AfterEach
  void stop() {
    node.close();
  }

  /** Run Full Line: the root (done by hand) starts, the middle and the leaf wait for it. */
  private JsonObject runFullLine() {
    Api.Reply r = node.api.post("/production/start?project=c", new JsonObject());
    assertEquals(200, r.status(), r.text());
    JsonObject view = node.production("c");
    assertEquals("binding", TestNode.track(view, "root").getString("state"));
    assertEquals("blocked", TestNode.track(view, "mid").getString("state"));
    return hand.claim("bind");
  }

  private Api.Reply cancel(String trackId, String kind, String reason) {
    return node.api.post("/production/track/" + trackId + "/cancel", new JsonObject().put("kind", kind).put("reason", reason));
  }

  /** Completes the root's remaining stations by hand: assemble, then an audit that passes. */
  private void finishRootByHand() {
    hand.done(hand.claim("asm"), Hand.stabilized());
    hand.done(hand.claim("aud"), Hand.stabilized());
  }

  @Test
  @DisplayName("qc_reject cancels the track and starts a replacement; dependents wait for the replacement and then run")
  void qcRejectStartsReplacement() {
    JsonObject held = runFullLine();
    String rootId = held.getString("track_id");

    Api.Reply r = cancel(rootId, "qc_reject", "wrong template");
    assertEquals(200, r.status(), r.text());
    assertEquals("cancelled", r.json().getString("state"));
    String replacement = r.json().getString("replacement_track_id");
    assertNotNull(replacement);
    assertNotEquals(rootId, replacement);

    Api.Reply stale = hand.complete(held, Hand.stabilized());
    assertEquals(409, stale.status(), "the cancelled track's task is no longer the executor's: " + stale.text());

    JsonObject bind = hand.claim("bind");
    assertEquals(replacement, bind.getString("track_id"), "the replacement runs from its first station");
    hand.done(bind, Hand.stabilized());
    finishRootByHand();

    JsonObject done = node.awaitProduction("c", p -> "stabilized".equals(TestNode.track(p, "leaf").getString("state")), Watch.BOUND);
    List<JsonObject> roots = done.getJsonArray("tracks").stream().map(JsonObject.class::cast)
        .filter(t -> "root".equals(t.getString("document_type"))).toList();
    assertEquals(2, roots.size());
    assertEquals("cancelled", roots.get(0).getString("state"));
    assertEquals("qc_reject: wrong template", roots.get(0).getString("reason"));
    assertEquals("stabilized", roots.get(1).getString("state"));
    assertEquals(rootId, roots.get(1).getString("replaces"));
    assertEquals("stabilized", TestNode.track(done, "mid").getString("state"));

    List<JsonObject> events = watch.events();
    int cancelled = Watch.indexOf(events, e -> rootId.equals(e.getString("track_id")) && "cancelled".equals(e.getString("state")));
    int complete = Watch.indexOf(events, e -> rootId.equals(e.getString("track_id")) && "production_complete".equals(e.getString("type")));
    int replacementBinds = Watch.indexOf(events, e -> replacement.equals(e.getString("track_id")) && "binding".equals(e.getString("state")));
    int replacementDone = Watch.indexOf(events, e -> replacement.equals(e.getString("track_id")) && "stabilized".equals(e.getString("state")));
    int midBinds = Watch.indexOf(events, e -> "mid".equals(e.getString("document_type")) && "binding".equals(e.getString("state")));
    assertTrue(cancelled >= 0 && cancelled < complete && complete < replacementBinds && replacementDone < midBinds,
        Watch.summary(events).toString());
    assertEquals("cancelled", events.get(complete).getString("outcome"));
    assertEquals(1L, node.sql("SELECT count(*) FROM audit_log WHERE action = 'cancel' AND detail->>'kind' = 'qc_reject'").get(0).getLong(0));
  }

  @Test
  @DisplayName("redesign re-binds the track from the line's current definition: back to queued, then its (new) first station")
  void redesignRebinds() {
    JsonObject held = runFullLine();
    String rootId = held.getString("track_id");

    // The line changes while the root is at its first station: it now opens with an "intake" station.
    JsonObject def = node.api.get("/api/v1/lines/cancels").json().getJsonObject("definition");
    def.getJsonArray("document_types").getJsonObject(0).getJsonArray("stations").getJsonObject(0).put("id", "intake");
    Api.Reply put = node.apiAs("admin").put("/api/v1/lines/cancels", new JsonObject().put("definition", def).put("note", "intake first"));
    assertEquals(201, put.status(), put.text());
    assertEquals(2, put.json().getInteger("version"));

    Api.Reply r = cancel(rootId, "redesign", "new intake form");
    assertEquals(200, r.status(), r.text());
    assertEquals("binding", r.json().getString("state"));
    assertEquals(2, r.json().getInteger("line_version"), "the reply says which version the track was rebuilt from");
    assertEquals(2, node.production("c").getInteger("line_version"), "the project now follows version 2");
    assertEquals(0, r.json().getInteger("station_index"));
    assertEquals(409, hand.complete(held, Hand.stabilized()).status(), "the task of the old design is withdrawn");

    JsonObject intake = hand.claim("intake");
    assertEquals(rootId, intake.getString("track_id"), "the same track runs again");
    hand.done(intake, Hand.stabilized());
    finishRootByHand();
    node.awaitProduction("c", p -> "stabilized".equals(TestNode.track(p, "leaf").getString("state")), Watch.BOUND);

    List<JsonObject> events = watch.events();
    assertEquals(List.of("binding", "queued", "binding", "assembling", "auditing", "stabilized"), Watch.states(events, "root"));
    JsonObject queued = events.stream().filter(e -> "queued".equals(e.getString("state"))).findFirst().orElseThrow();
    assertEquals("redesign: new intake form", queued.getString("reason"));
    JsonObject rebound = events.stream().filter(e -> "binding".equals(e.getString("state")) && "root".equals(e.getString("document_type")))
        .skip(1).findFirst().orElseThrow();
    assertEquals("intake", rebound.getString("station"));
    List<String> stations = node.api.get("/production/track/" + rootId).json().getJsonArray("stations").stream()
        .map(s -> ((JsonObject) s).getString("id")).toList();
    assertEquals(List.of("intake", "asm", "aud", "rem"), stations);
  }

  @Test
  @DisplayName("permanent cancels the track; its dependents stay blocked and /production says why")
  void permanentBlocksDependents() {
    JsonObject held = runFullLine();
    String rootId = held.getString("track_id");

    Api.Reply r = cancel(rootId, "permanent", "scope dropped");
    assertEquals(200, r.status(), r.text());
    assertEquals("cancelled", r.json().getString("state"));
    assertEquals(2, r.json().getInteger("dependents_blocked"));
    assertEquals(409, hand.complete(held, Hand.stabilized()).status());

    JsonObject view = node.production("c");
    String why = "blocked: dependency root was cancelled for good (permanent: scope dropped)";
    assertEquals("cancelled", TestNode.track(view, "root").getString("state"));
    for (String doc : List.of("mid", "leaf")) {
      JsonObject t = TestNode.track(view, doc);
      assertEquals("blocked", t.getString("state"), doc);
      assertEquals(why, t.getString("reason"), doc);
    }
    assertEquals(1, view.getJsonObject("summary").getInteger("cancelled"));
    assertEquals(2, view.getJsonObject("summary").getInteger("blocked"));

    List<JsonObject> midMoves = Watch.of(watch.events(), "mid").stream()
        .filter(e -> "station_transition".equals(e.getString("type"))).toList();
    assertEquals(List.of("blocked", "blocked"), midMoves.stream().map(e -> e.getString("state")).toList());
    assertEquals(why, midMoves.get(1).getString("reason"));
    assertEquals("blocked", midMoves.get(1).getString("from"));

    Api.Reply again = cancel(rootId, "permanent", "twice");
    assertEquals(409, again.status());
    assertEquals("cancelled", again.json().getString("current_state"));
    assertEquals(409, node.api.post("/production/start?project=c&doc=mid", new JsonObject()).status(), "mid stays blocked");
  }

  @Test
  @DisplayName("a dependent started after a permanent cancel is blocked with the cancelled dependency named")
  void permanentBeforeStart() {
    String rootId = TestNode.track(node.production("c"), "root").getString("track_id");
    Api.Reply r = cancel(rootId, "permanent", "not needed");
    assertEquals(200, r.status(), r.text());
    assertEquals(0, r.json().getInteger("dependents_blocked"));

    JsonObject started = node.api.post("/production/start?project=c", new JsonObject()).json();
    assertEquals(2, started.getInteger("started"));
    JsonObject view = node.production("c");
    assertEquals("awaiting dependencies: root (cancelled: permanent: not needed)", TestNode.track(view, "mid").getString("reason"));
    assertEquals("awaiting dependencies: mid", TestNode.track(view, "leaf").getString("reason"));
  }

  @Test
  @DisplayName("an unknown cancellation kind is refused and changes nothing")
  void unknownKind() {
    String rootId = TestNode.track(node.production("c"), "root").getString("track_id");
    Api.Reply r = cancel(rootId, "shred", "no");
    assertEquals(400, r.status());
    assertTrue(r.json().getString("detail").contains("qc_reject, redesign, permanent"), r.text());
    assertEquals("queued", TestNode.track(node.production("c"), "root").getString("state"));
  }
}
