package io.productionline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.events.Addresses;
import io.productionline.support.Await;
import io.productionline.support.BridgeFrames;
import io.productionline.support.TestNode;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The demo keeps a line moving and its data bounded: every {@code PL_DEMO_EVERY_SECONDS} a new demo
 * project starts by itself, and the finished demo projects beyond the newest {@code PL_DEMO_KEEP}
 * are archived, the oldest first. An archived one leaves the project list (an open page hears it
 * leave on {@code pl.projects}, through the bridge) and stays readable by its id.
 */
@DisplayName("The demo that keeps moving")
class DemoLineTest {

  private TestNode node;
  private DemoLine demo;
  private BridgeFrames page;
  /** Held while the socket is used: a client nobody references is closed when collected. */
  private WebSocketClient client;

  @AfterEach
  void stop() throws Exception {
    if (page != null) {
      page.close();
    }
    if (demo != null) {
      demo.stop().await(30, TimeUnit.SECONDS);
    }
    if (node != null) {
      node.close();
    }
  }

  @Test
  @DisplayName("starts a new demo project on its interval and archives the oldest finished beyond the bound: it leaves an open page's project list and stays readable")
  void newProjectsOnScheduleOldestArchived() throws Exception {
    JsonObject conf = Config.withEnv(TestNode.config(), Map.of("PL_DEMO_EVERY_SECONDS", "1", "PL_DEMO_KEEP", "1", "PL_DEMO_EXECUTORS", "2"));
    conf.getJsonObject("demo").put("line", "single").put("review_project", "");
    node = TestNode.start(conf, Clock.systemUTC());
    // A page's project selector: a viewer's bridge socket on pl.projects.
    client = node.vertx.createWebSocketClient();
    page = new BridgeFrames(client.connect(new WebSocketConnectOptions().setHost("127.0.0.1")
        .setPort(node.node.port()).setURI("/eventbus/websocket?token=" + node.token("viewer"))).await());
    page.send(new JsonObject().put("type", "register").put("address", Addresses.PROJECTS));

    demo = new DemoLine(node.vertx, node.node, conf.getJsonObject("demo"));
    demo.prepare().await();
    assertEquals("idle", node.production("demo").getString("line_state"), "prepared before the banner, started after it");
    demo.run().await();

    // Nobody asks for them: the timer starts demo projects, and the first one, finished and no longer
    // among the newest finished, is archived.
    JsonArray archived = Await.until(() -> node.api.get("/api/v1/projects?archived=true").json().getJsonArray("projects"),
        a -> ids(a).contains("demo"), Duration.ofSeconds(60), "the first demo project to be archived");
    JsonObject left = page.await(f -> "rec".equals(f.getString("type")) && "demo".equals(body(f).getString("project_id"))
        && body(f).getString("archived_at") != null, "the page to hear the first demo project leave its list");
    assertEquals("projects", body(left).getString("type"), left.encode());
    List<String> listed = ids(node.api.get("/api/v1/projects").json().getJsonArray("projects"));
    assertFalse(listed.contains("demo"), "an archived project leaves the project list: " + listed);
    List<String> started = Await.until(() -> ids(node.api.get("/api/v1/projects").json().getJsonArray("projects")).stream()
            .filter(id -> id.startsWith("demo-")).toList(),
        l -> !l.isEmpty(), Duration.ofSeconds(30), "a demo project the timer started");
    JsonObject newest = node.awaitProduction(started.get(0), v -> !"idle".equals(v.getString("line_state")), Duration.ofSeconds(30));
    assertFalse(newest.getJsonArray("tracks").isEmpty(), newest.encode());

    // Archived, it stays readable: its line to the end, its archive with when and by whom.
    JsonObject first = node.production("demo");
    assertEquals("complete", first.getString("line_state"), first.encode());
    assertTrue(TestNode.allTracks(first, "stabilized"), first.encode());
    JsonObject project = node.api.get("/api/v1/projects/demo").json();
    assertNotNull(project.getString("archived_at"), project.encode());
    assertTrue(archived.stream().map(JsonObject.class::cast).anyMatch(p -> "demo".equals(p.getString("project_id"))));
    assertEquals("demo", node.sql("SELECT actor FROM audit_log WHERE action = 'archive_project' AND target = 'demo'").get(0).getString(0),
        "the demo's archive is in the audit log");

    // Bounded: after a round, at most demo.keep finished demo projects are left in the list.
    DemoLine stopped = demo;
    demo = null;
    stopped.stop().await(30, TimeUnit.SECONDS);
    stopped.next().await(30, TimeUnit.SECONDS);
    long finishedListed = node.sql("""
        SELECT count(*) FROM projects p WHERE p.archived_at IS NULL AND p.idempotency_key LIKE 'demo-project:%'
          AND NOT EXISTS (SELECT 1 FROM tracks t WHERE t.project_id = p.id AND t.finalized_at IS NULL)""").get(0).getLong(0);
    assertTrue(finishedListed <= 1, "at most demo.keep (1) finished demo projects stay listed, not " + finishedListed);
    long all = node.sql("SELECT count(*) FROM projects WHERE idempotency_key LIKE 'demo-project:%'").get(0).getLong(0);
    assertTrue(all >= 3, "the timer started demo projects by itself: " + all + " in all");
  }

  private static JsonObject body(JsonObject frame) {
    return frame.getJsonObject("body", new JsonObject());
  }

  private static List<String> ids(JsonArray projects) {
    return projects.stream().map(p -> ((JsonObject) p).getString("project_id")).toList();
  }
}
