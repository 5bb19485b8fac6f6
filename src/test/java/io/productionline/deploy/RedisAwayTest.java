package io.productionline.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.productionline.support.Api;
import io.productionline.support.TestNode;
import io.productionline.support.TestServers;
import io.vertx.core.json.JsonObject;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A node whose Redis is away (nothing answers on its port) says so: {@code /health} is degraded
 * with 503 and names Redis, and the answers that need Redis are 503 with a JSON body in the
 * product's words, never a Java exception's name.
 */
@DisplayName("Redis away")
class RedisAwayTest {

  private static final Pattern JAVA_NAME = Pattern.compile("[A-Z][A-Za-z]*(Exception|Error)\\b|java\\.|io\\.netty");

  private TestNode node;

  @AfterEach
  void close() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  @DisplayName("/health is degraded (503) naming Redis; executors' and operators' calls that need Redis are 503 with a plain JSON reason")
  void redisAway() {
    JsonObject config = TestNode.config();
    config.getJsonObject("redis").put("url", "redis://127.0.0.1:" + TestServers.freePort());
    node = TestNode.start(config, java.time.Clock.systemUTC());

    Api.Reply health = new Api(node.node.port()).get("/health");
    assertEquals(503, health.status(), health.text());
    assertEquals("degraded", health.json().getString("status"), health.text());
    assertEquals("down", health.json().getJsonObject("checks").getJsonObject("redis").getString("status"), health.text());
    assertEquals("ok", health.json().getJsonObject("checks").getJsonObject("postgresql").getString("status"), health.text());

    Api.Reply register = node.executorApi("x-1").post("/api/v1/executors",
        new JsonObject().put("executor_id", "x-1").put("capabilities", new io.vertx.core.json.JsonArray().add("sim")));
    assertUnavailable(register);
    assertUnavailable(node.api.get("/api/v1/executors"));
  }

  private static void assertUnavailable(Api.Reply r) {
    assertEquals(503, r.status(), r.text());
    assertEquals("Unavailable", r.json().getString("title"), r.text());
    assertFalse(JAVA_NAME.matcher(r.text()).find(), "no Java exception name in the body: " + r.text());
  }
}
