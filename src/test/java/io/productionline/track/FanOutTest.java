package io.productionline.track;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Api;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Fan-out and join: a parent's assemble result lists items, each becomes a child track, the join waits for them all")
class FanOutTest {

  private TestNode node;

  @BeforeEach
  void start() {
    node = TestNode.start();
  }

  @AfterEach
  void stop() {
    node.close();
  }

  /** The items the parent's assembly lists: {@code n} epics, each an object. */
  static JsonArray epics(int n) {
    return new JsonArray(IntStream.range(0, n).mapToObj(i -> (Object) new JsonObject().put("epic", "E" + i)).toList());
  }

  /** plan (bind, asm listing {@code items}, aud; fans out to epic), epic (asm, aud), release (depends on plan: the join). */
  static JsonObject line(String name, Object items, long epicMs) {
    return new JsonObject().put("name", name).put("title", "Plan, one track per epic, release")
        .put("document_types", new JsonArray()
            .add(new JsonObject().put("name", "plan").put("stations", new JsonArray()
                    .add(station("bind", "bind", 10, null))
                    .add(station("asm", "assemble", 10, new JsonObject().put("epics", items)))
                    .add(station("aud", "audit", 10, null)))
                .put("fan_out", new JsonObject().put("station", "asm").put("items", "epics").put("child_type", "epic").put("max_items", 40)))
            .add(new JsonObject().put("name", "epic").put("stations", new JsonArray()
                .add(station("asm", "assemble", epicMs, null))
                .add(station("aud", "audit", 10, null))))
            .add(new JsonObject().put("name", "release").put("depends_on", new JsonArray().add("plan")).put("stations", new JsonArray()
                .add(station("asm", "assemble", 10, null))
                .add(station("aud", "audit", 10, null)))));
  }

  static JsonObject station(String id, String kind, long ms, JsonObject result) {
    JsonObject params = new JsonObject().put("duration_ms", ms);
    if (result != null) {
      params.put("output", result);
    }
    return new JsonObject().put("id", id).put("kind", kind).put("capability", "sim")
        .put("step", new JsonObject().put("type", "sim").put("trust", "vetted").put("params", params));
  }

  private void createLine(JsonObject line) {
    Api.Reply r = node.apiAs("admin").post("/api/v1/lines", new JsonObject().put("definition", line).put("note", "fan-out"));
    assertEquals(201, r.status(), r.text());
  }

  private static List<JsonObject> ofType(JsonObject production, String type) {
    return production.getJsonArray("tracks").stream().map(JsonObject.class::cast).filter(t -> type.equals(t.getString("document_type"))).toList();
  }

  @Test
  @DisplayName("30 items: 30 children run their own stations with their item, and the join starts only after the last of them stabilized")
  void thirtyChildrenThenTheJoin() {
    createLine(line("fan30", epics(30), 20));
    node.createProject("f1", "fan30");
    List<JsonObject> events = node.record("f1");
    JsonObject created = node.production("f1");
    assertEquals(List.of("plan", "release"), created.getJsonArray("tracks").stream()
        .map(t -> ((JsonObject) t).getString("document_type")).sorted().toList(), "the child type is a template: no track of its own at the start");
    node.executor(4, "e1");
    node.executor(4, "e2");
    assertEquals(200, node.api.post("/production/start?project=f1", new JsonObject()).status());

    JsonObject done = node.awaitProduction("f1", p -> "complete".equals(p.getString("line_state")), Duration.ofSeconds(90));

    assertTrue(TestNode.allTracks(done, "stabilized"), done.encode());
    JsonObject plan = TestNode.track(done, "plan");
    List<JsonObject> children = ofType(done, "epic");
    assertEquals(30, children.size(), "one child per item");
    assertEquals(IntStream.range(0, 30).boxed().toList(), children.stream().map(c -> c.getInteger("fan_out_index")).toList(),
        "each item once, in the order of the list");
    children.forEach(c -> assertEquals(plan.getString("track_id"), c.getString("parent_track_id")));
    assertEquals(epics(30), new JsonArray(children.stream().map(c -> c.getValue("fan_out_item")).toList()), "each child carries its item");
    assertEquals("30 of 30 stabilized", plan.getJsonObject("fan_out").getString("progress"));
    assertEquals(30, plan.getJsonObject("fan_out").getInteger("children"));
    assertEquals(32, done.getJsonObject("summary").getInteger("total"));

    // Each child's station tasks were handed its item.
    List<Row> inputs = node.sql("SELECT input FROM station_tasks WHERE document_type = 'epic'");
    assertEquals(60, inputs.size(), "two stations per child, each run once");
    inputs.forEach(r -> assertTrue(((JsonObject) r.getValue(0)).getJsonObject("fan_out").getJsonObject("item").containsKey("epic")));

    // The fan-out is one event with the children; the join's first station after every child's stabilization.
    List<JsonObject> fanOuts = events.stream().filter(e -> "fan_out".equals(e.getString("type"))).toList();
    assertEquals(1, fanOuts.size());
    assertEquals(30, fanOuts.get(0).getInteger("children"));
    long lastChild = events.stream().filter(e -> "station_transition".equals(e.getString("type")) && "epic".equals(e.getString("document_type"))
        && "stabilized".equals(e.getString("state"))).mapToLong(e -> e.getLong("seq")).max().orElseThrow();
    long joinStarts = events.stream().filter(e -> "station_transition".equals(e.getString("type")) && "release".equals(e.getString("document_type"))
        && "assembling".equals(e.getString("state"))).mapToLong(e -> e.getLong("seq")).min().orElseThrow();
    assertTrue(joinStarts > lastChild, "the join entered its first station (seq " + joinStarts + ") after the last child stabilized (seq "
        + lastChild + ")");
    assertTrue(events.stream().anyMatch(e -> "station_transition".equals(e.getString("type")) && "epic".equals(e.getString("document_type"))
        && plan.getString("track_id").equals(e.getString("parent_track_id"))), "a child's events name its parent");
  }

  @Test
  @DisplayName("Cancelling the parent cancels its unfinished children; the join stays blocked and says why")
  void cancelParentCancelsChildren() {
    createLine(line("fanslow", epics(12), 3_000));
    node.createProject("f2", "fanslow");
    node.executor(2, "e1");
    node.api.post("/production/start?project=f2", new JsonObject());
    JsonObject running = node.awaitProduction("f2", p -> ofType(p, "epic").size() == 12
        && ofType(p, "epic").stream().anyMatch(t -> "assembling".equals(t.getString("state"))), Duration.ofSeconds(60));
    String plan = TestNode.track(running, "plan").getString("track_id");

    Api.Reply cancelled = node.api.post("/production/track/" + plan + "/cancel",
        new JsonObject().put("kind", "permanent").put("reason", "plan withdrawn"));
    assertEquals(200, cancelled.status(), cancelled.text());
    assertEquals(12, cancelled.json().getInteger("children_cancelled"));

    JsonObject after = node.awaitProduction("f2", p -> ofType(p, "epic").stream().allMatch(t -> "cancelled".equals(t.getString("state"))),
        Duration.ofSeconds(30));
    assertEquals("cancelled", TestNode.track(after, "plan").getString("state"));
    JsonObject release = TestNode.track(after, "release");
    assertEquals("blocked", release.getString("state"));
    assertTrue(release.getString("reason").contains("plan"), release.getString("reason"));
    assertEquals(0L, node.sql("SELECT count(*) FROM station_tasks WHERE document_type = 'epic' AND status IN ('queued', 'claimed')")
        .get(0).getLong(0), "no child's task is left to run");
  }

  @Test
  @DisplayName("A result whose items field is not a list creates no child: the parent halts for an operator with the reason")
  void notAListHalts() {
    createLine(line("fanbad", "three epics", 10));
    node.createProject("f3", "fanbad");
    node.executor("e1");
    node.api.post("/production/start?project=f3", new JsonObject());
    JsonObject halted = node.awaitProduction("f3", p -> "halted".equals(TestNode.track(p, "plan").getString("state")), Duration.ofSeconds(30));
    String reason = TestNode.track(halted, "plan").getString("reason");
    assertTrue(reason.contains("\"epics\"") && reason.contains("is not a list"), reason);
    assertTrue(ofType(halted, "epic").isEmpty(), "no child");
    assertEquals("audit_review", halted.getJsonArray("interrupts").getJsonObject(0).getString("type"));
  }
}
