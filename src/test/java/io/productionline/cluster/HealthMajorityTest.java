package io.productionline.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Api;
import io.productionline.support.Await;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("/health says when a node is not part of a majority of the expected cluster")
class HealthMajorityTest {

  private final List<TestNode> nodes = new ArrayList<>();

  @AfterEach
  void stop() {
    nodes.forEach(TestNode::close);
  }

  private TestNode start(JsonObject config, String cluster) {
    TestNode n = TestNode.startClustered(config.copy(), cluster);
    nodes.add(n);
    return n;
  }

  @Test
  @DisplayName("a node expecting three members that sees only itself is 503 degraded with the count and the majority; a second member makes both whole")
  void minorityIsDegraded() {
    JsonObject config = TestNode.config().put("cluster", new JsonObject().put("expected_members", 3));
    String cluster = "pl-test-" + UUID.randomUUID();
    TestNode alone = start(config, cluster);

    Api.Reply health = alone.api.get("/health");
    assertEquals(503, health.status(), health.text());
    assertEquals("degraded", health.json().getString("status"), health.text());
    JsonObject c = health.json().getJsonObject("checks").getJsonObject("cluster");
    assertEquals("down", c.getString("status"), health.text());
    assertEquals(1, c.getInteger("member_count"), health.text());
    assertEquals(3, c.getInteger("expected_members"), health.text());
    assertEquals(2, c.getInteger("majority"), health.text());
    assertEquals(Boolean.FALSE, c.getBoolean("in_majority"), health.text());
    assertTrue(c.getString("reason", "").contains("1 of 3"), health.text());
    assertEquals("ok", health.json().getJsonObject("checks").getJsonObject("postgresql").getString("status"),
        "PostgreSQL itself is fine: " + health.text());

    TestNode second = start(config, cluster);
    for (TestNode n : nodes) {
      Api.Reply whole = Await.until(() -> n.api.get("/health"), r -> r.status() == 200, Duration.ofSeconds(30),
          "health 200 once two of three members see each other");
      assertEquals("ok", whole.json().getString("status"), whole.text());
      JsonObject cluster2 = whole.json().getJsonObject("checks").getJsonObject("cluster");
      assertEquals(2, cluster2.getInteger("member_count"), whole.text());
      assertEquals(Boolean.TRUE, cluster2.getBoolean("in_majority"), whole.text());
    }
    assertTrue(second.node.membership().inMajority());
  }

  @Test
  @DisplayName("a node of the default configuration (one member expected) is whole on its own")
  void singleNodeIsWhole() {
    TestNode one = start(TestNode.config(), "pl-test-" + UUID.randomUUID());
    Api.Reply health = one.api.get("/health");
    assertEquals(200, health.status(), health.text());
    JsonObject c = health.json().getJsonObject("checks").getJsonObject("cluster");
    assertEquals(1, c.getInteger("expected_members"));
    assertEquals(1, c.getInteger("majority"));
    assertEquals(Boolean.TRUE, c.getBoolean("in_majority"));
  }
}
