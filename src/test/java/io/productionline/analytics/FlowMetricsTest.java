package io.productionline.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.events.Addresses;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Flow metrics and the bottleneck on the {@code flow_slow} line: bind, audit and remediation take
 * 0.1 s on capability {@code flow_fast}; assembly takes 1.2 s on {@code flow_slow}, with one
 * executor each. Five items started together queue up in front of assembly.
 */
@DisplayName("Flow metrics: per station, per type and per line, the bottleneck with its evidence, pushed at most once a second")
class FlowMetricsTest {

  private static final List<String> PROJECTS = List.of("slow-1", "slow-2", "slow-3", "slow-4", "slow-5");
  private TestNode node;

  @BeforeEach
  void start() {
    node = TestNode.start();
  }

  @AfterEach
  void stop() {
    node.close();
  }

  @Test
  @DisplayName("A line with one deliberately slow station: the bottleneck is that station, with its evidence in numbers")
  void slowStationIsTheBottleneck() {
    for (String p : PROJECTS) {
      node.createProject(p, "flow_slow");
    }
    String[] addresses = PROJECTS.stream().map(Addresses::project).toArray(String[]::new);
    try (FlowKit.Heard heard = new FlowKit.Heard(node.vertx, addresses)) {
      node.executor("fast-1", "flow_fast");
      node.executor("slow-1", "flow_slow");
      for (String p : PROJECTS) {
        assertEquals(200, node.api.post("/production/start?project=" + p, new JsonObject()).status());
      }

      // Pushed, not asked for: the first flow_metrics whose bottleneck rests on measured assembly runs.
      // A station is named only while it constrains the line: the push that names it while work queues there.
      JsonObject pushed = heard.await(e -> "flow_metrics".equals(e.getString("type")) && e.getJsonObject("bottleneck") != null
              && FlowKit.station(e, "item", "asm").getInteger("completed") >= 2
              && e.getJsonObject("bottleneck").getJsonObject("evidence").getLong("queued") >= 1,
          Duration.ofSeconds(60), "flow_metrics naming a bottleneck after two assemblies, with work queued in front of it");
      JsonObject bottleneck = pushed.getJsonObject("bottleneck");
      assertEquals("item", bottleneck.getString("document_type"));
      assertEquals("asm", bottleneck.getString("station"), bottleneck.encodePrettily());
      assertEquals("flow_slow", bottleneck.getString("capability"));
      JsonObject evidence = bottleneck.getJsonObject("evidence");
      assertTrue(evidence.getDouble("utilisation") >= 0.5, "its one executor is busy most of the time: " + evidence);
      assertTrue(evidence.getDouble("demand") > 0.5, "it asks most of what its executors can do: " + evidence);
      assertTrue(evidence.getLong("queued") >= 1, "work queues in front of it: " + evidence);
      assertTrue(evidence.getLong("mean_service_ms") >= 1000, "a run takes about 1.2 s: " + evidence);
      Double next = evidence.getDouble("next_highest_demand");
      assertTrue(next == null || next < evidence.getDouble("demand"), "no other station asks as much: " + evidence);
      JsonObject asm = FlowKit.station(pushed, "item", "asm");
      JsonObject bind = FlowKit.station(pushed, "item", "bind");
      assertTrue(asm.getBoolean("bottleneck"));
      assertTrue(!bind.getBoolean("bottleneck"));
      assertTrue(asm.getDouble("demand") > bind.getDouble("demand") * 3, "asm " + asm.getDouble("demand") + " vs bind " + bind.getDouble("demand"));
      assertTrue(bottleneck.getString("reason").contains("asm of item limits the line"), bottleneck.getString("reason"));
      assertTrue(bottleneck.getString("reason").contains("flow_slow"), bottleneck.getString("reason"));

      for (String p : PROJECTS) {
        node.awaitProduction(p, v -> TestNode.allTracks(v, "stabilized"), Duration.ofSeconds(60));
      }
      // The last push after everything finished carries the final figures; it equals what GET answers.
      JsonObject last = heard.await(e -> "flow_metrics".equals(e.getString("type")) && "slow-5".equals(e.getString("project"))
          && e.getJsonObject("line_metrics").getInteger("finished") == 5, Duration.ofSeconds(30), "the final flow_metrics of slow-5");
      JsonObject got = node.api.get("/production/metrics?project=slow-5").json();
      for (JsonObject m : List.of(last, got)) {
        JsonObject line = m.getJsonObject("line_metrics");
        assertEquals(5, line.getInteger("finished"), line.encode());
        assertEquals(0, line.getInteger("wip"));
        assertEquals(0.0, line.getDouble("first_pass_yield"), "every item's audit rejected once");
        assertEquals(0.5, line.getDouble("remediation_rate"), "one of two audit runs rejected");
        assertTrue(line.getDouble("completions_per_min") > 0);
        assertNotNull(line.getJsonObject("cycle_ms").getLong("p50"));
        assertTrue(line.getJsonObject("cycle_ms").getLong("p90") >= line.getJsonObject("cycle_ms").getLong("p50"));
        JsonObject aud = FlowKit.station(m, "item", "aud");
        assertEquals(10, aud.getInteger("audit_runs"));
        assertEquals(0.0, aud.getDouble("first_pass_yield"));
        assertEquals(0.5, aud.getDouble("remediation_rate"));
        JsonObject asmDone = FlowKit.station(m, "item", "asm");
        assertEquals(5, asmDone.getInteger("completed"));
        assertTrue(asmDone.getJsonObject("wait_ms").getLong("p90") > FlowKit.station(m, "item", "bind").getJsonObject("wait_ms").getLong("p90"),
            "assembly made its tasks wait longest");
        assertTrue(asmDone.getJsonObject("service_ms").getLong("p50") >= 1000);
        JsonObject loop = m.getJsonArray("remediation_loops").getJsonObject(0);
        assertEquals("aud", loop.getString("audit"));
        assertEquals("rem", loop.getString("remediation"));
        assertEquals(5, loop.getInteger("loops"));
        JsonObject type = m.getJsonArray("document_types").getJsonObject(0);
        assertEquals("item", type.getString("document_type"));
        assertEquals(0.0, type.getDouble("first_pass_yield"));
        assertTrue(m.getJsonArray("capabilities").stream().map(JsonObject.class::cast)
            .anyMatch(c -> "flow_slow".equals(c.getString("capability")) && c.getDouble("utilisation") > 0.5), m.getJsonArray("capabilities").encode());
        assertEquals(5, m.getJsonObject("scope").getInteger("projects"));
      }
      assertTrue(got.getJsonObject("forecast").getJsonArray("stopped").isEmpty());

      // Folded: at most one flow_metrics a second per project, and none of them stored or numbered.
      for (String p : PROJECTS) {
        List<Instant> at = new ArrayList<>();
        for (JsonObject e : heard.ofType("flow_metrics")) {
          if (p.equals(e.getString("project"))) {
            assertEquals(null, e.getValue("seq"), "flow_metrics carries no seq");
            at.add(Instant.parse(e.getString("as_of")));
          }
        }
        assertTrue(at.size() >= 2, p + " had its metrics pushed as it moved: " + at);
        for (int i = 1; i < at.size(); i++) {
          assertTrue(Duration.between(at.get(i - 1), at.get(i)).toMillis() >= 1000, p + " pushes " + at);
        }
      }
      assertEquals(0L, node.sql("SELECT count(*) FROM track_events WHERE type = 'flow_metrics'").get(0).getLong(0));
    }
  }
}
