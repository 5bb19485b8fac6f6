package io.productionline.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Api;
import io.productionline.support.BridgeFrames;
import io.productionline.support.ServerProcess;
import io.productionline.support.TestNode;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Tokens, the audit log and the bridge's roles end to end: an admin mints tokens (over the API and
 * with {@code scripts/token}); every operator and admin action lands in the audit log, which only
 * an admin reads; the SockJS bridge lets readers listen and only operators send commands, as the
 * subject of their token whatever the frame claims.
 */
@DisplayName("Tokens, the audit log and the bridge's roles")
class AuthFlowsTest {

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
  @DisplayName("an admin mints tokens of each role; each does what its role may and nothing more; minting is audited")
  void mintTokens() {
    Api admin = node.apiAs("admin");
    Api.Reply viewer = admin.post("/api/v1/tokens", new JsonObject().put("role", "viewer").put("name", "grafana").put("ttl_seconds", 3600));
    assertEquals(201, viewer.status(), viewer.text());
    assertEquals("viewer", viewer.json().getString("role"));
    assertEquals("grafana", viewer.json().getString("name"));
    Instant expires = Instant.parse(viewer.json().getString("expires_at"));
    assertTrue(expires.isAfter(Instant.now().plusSeconds(3500)) && expires.isBefore(Instant.now().plusSeconds(3700)), expires.toString());
    Api asViewer = new Api(node.node.port()).withToken(viewer.json().getString("token"));
    node.createProject("t1", "single");
    assertEquals(200, asViewer.get("/production?project=t1").status());
    assertEquals(403, asViewer.post("/production/start?project=t1", new JsonObject()).status());

    Api.Reply bot = admin.post("/api/v1/tokens", new JsonObject().put("role", "executor").put("executor_id", "bot-1"));
    assertEquals(201, bot.status(), bot.text());
    assertEquals("bot-1", bot.json().getString("name"), "an executor token is named after its executor");
    Api asBot = new Api(node.node.port()).withToken(bot.json().getString("token"));
    JsonObject registration = new JsonObject().put("executor_id", "bot-1").put("capabilities", new JsonArray().add("sim"));
    assertEquals(201, asBot.post("/api/v1/executors", registration).status());
    assertEquals(403, asBot.post("/api/v1/executors", registration.copy().put("executor_id", "bot-2")).status());
    assertEquals(403, asBot.get("/production?project=t1").status(), "executors do not read the line");

    assertEquals(403, node.api.post("/api/v1/tokens", new JsonObject().put("role", "admin")).status(), "operators mint nothing");
    JsonArray minted = admin.get("/api/v1/audit?action=mint_token").json().getJsonArray("entries");
    assertEquals(List.of("bot-1", "grafana"), minted.stream().map(e -> ((JsonObject) e).getString("target")).toList(), "newest first");
    JsonObject entry = minted.getJsonObject(1);
    assertEquals("admin", entry.getString("actor"));
    assertEquals("viewer", entry.getJsonObject("detail").getString("role"));
    assertFalse(entry.encode().contains(viewer.json().getString("token")), "the token itself is not kept");
  }

  @Test
  @DisplayName("GET /api/v1/audit: every operator action with who did it, newest first, by action and by actor, pages; admins only")
  void auditLog() {
    Api alice = new Api(node.node.port()).withToken(node.token(io.productionline.auth.Role.OPERATOR, "alice", null));
    assertEquals(201, alice.post("/api/v1/projects", new JsonObject().put("project_id", "au").put("line", "clarify")).status());
    node.executor("e1");
    assertEquals(200, alice.post("/production/start?project=au", new JsonObject()).status());
    JsonObject view = node.awaitProduction("au", p -> "awaiting_operator".equals(TestNode.track(p, "brief").getString("state")),
        Duration.ofSeconds(30));
    String interrupt = view.getJsonArray("interrupts").getJsonObject(0).getString("interrupt_id");
    String plan = TestNode.track(view, "plan").getString("track_id");
    assertEquals(200, alice.post("/production/track/" + plan + "/cancel", new JsonObject().put("kind", "permanent")
        .put("reason", "not this quarter")).status());
    assertEquals(200, node.api.post("/api/v1/interrupts/" + interrupt + "/resolve",
        new JsonObject().put("answers", new JsonObject().put("audience", "operators"))).status());

    Api admin = node.apiAs("admin");
    Api.Reply all = admin.get("/api/v1/audit");
    assertEquals(200, all.status(), all.text());
    List<String> actions = all.json().getJsonArray("entries").stream().map(e -> ((JsonObject) e).getString("action")).toList();
    assertEquals(List.of("resolve", "cancel", "run_full_line", "create_project"), actions, "newest first");
    JsonObject cancel = all.json().getJsonArray("entries").getJsonObject(1);
    assertEquals("alice", cancel.getString("actor"));
    assertEquals(plan, cancel.getString("target"));
    assertEquals("not this quarter", cancel.getJsonObject("detail").getString("reason"));
    assertNotNull(Instant.parse(cancel.getString("at")));
    assertEquals("operator", admin.get("/api/v1/audit?action=resolve").json().getJsonArray("entries").getJsonObject(0).getString("actor"));
    assertEquals(3, admin.get("/api/v1/audit?actor=alice").json().getJsonArray("entries").size());
    JsonObject page = admin.get("/api/v1/audit?limit=2").json();
    assertEquals(2, page.getJsonArray("entries").size());
    JsonObject next = admin.get("/api/v1/audit?limit=2&before=" + page.getLong("next_before")).json();
    assertEquals(List.of("run_full_line", "create_project"),
        next.getJsonArray("entries").stream().map(e -> ((JsonObject) e).getString("action")).toList());

    assertEquals(403, node.api.get("/api/v1/audit").status(), "operators do not read the audit log");
    assertEquals(403, node.apiAs("viewer").get("/api/v1/audit").status());
  }

  @Test
  @DisplayName("scripts/token mints a token with the admin token of PL_ADMIN_TOKEN (or data/tokens/admin.token), and says why when it cannot")
  void scriptsToken() throws Exception {
    Map<String, String> env = Map.of("PL_SERVER", node.api.base(), "PL_ADMIN_TOKEN", node.token("admin"));
    Run viewer = run(env, "viewer", "ci-reader", "--ttl-seconds", "600");
    assertEquals(0, viewer.code(), viewer.err());
    assertEquals(200, new Api(node.node.port()).withToken(viewer.out().trim()).get("/api/v1/projects").status());
    Run bot = run(env, "executor", "--executor-id", "bot-9");
    assertEquals(0, bot.code(), bot.err());
    assertEquals(201, new Api(node.node.port()).withToken(bot.out().trim()).post("/api/v1/executors",
        new JsonObject().put("executor_id", "bot-9").put("capabilities", new JsonArray().add("sim"))).status());
    assertEquals(2, run(env, "executor").code(), "an executor token needs --executor-id");
    assertEquals(2, run(env, "root").code(), "no such role");
    Run refused = run(Map.of("PL_SERVER", node.api.base(), "PL_ADMIN_TOKEN", node.token("operator")), "viewer");
    assertEquals(1, refused.code());
    assertTrue(refused.err().contains("403"), refused.err());
    Run none = run(Map.of("PL_SERVER", node.api.base(), "PL_DATA_DIR", "/nonexistent"), "viewer");
    assertEquals(1, none.code());
    assertTrue(none.err().contains("admin token"), none.err());
  }

  @Test
  @DisplayName("the bridge: no token, no connection; a viewer listens but sends nothing; an operator's command runs as its token's subject")
  void bridgeRoles() throws Exception {
    node.createProject("br", "single");
    WebSocketClient client = node.vertx.createWebSocketClient();
    var refused = client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.node.port())
        .setURI("/eventbus/websocket"));
    assertTrue(refused.transform(ar -> io.vertx.core.Future.succeededFuture(ar.failed())).await(), "no token: the upgrade is refused");

    BridgeFrames viewer = new BridgeFrames(client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.node.port())
        .setURI("/eventbus/websocket?token=" + node.token("viewer"))).await());
    try {
      viewer.send(new JsonObject().put("type", "register").put("address", "pl.project.br"));
      viewer.send(new JsonObject().put("type", "send").put("address", "pl.command.start").put("replyAddress", "v1")
          .put("body", new JsonObject().put("project", "br")));
      JsonObject denied = viewer.await(f -> "err".equals(f.getString("type")), "the viewer's command refused");
      assertNotNull(denied.getString("body"), denied.encode());
      assertEquals(0L, node.sql("SELECT count(*) FROM audit_log WHERE action = 'run_full_line'").get(0).getLong(0));

      // The same connection, a frame with an operator's token, and a forged actor.
      String carol = node.token(io.productionline.auth.Role.OPERATOR, "carol", null);
      viewer.send(new JsonObject().put("type", "send").put("address", "pl.command.start").put("replyAddress", "c1")
          .put("headers", new JsonObject().put("token", carol).put("actor", "mallory"))
          .put("body", new JsonObject().put("project", "br")));
      JsonObject reply = viewer.await(f -> "c1".equals(f.getString("address")), "the operator's command answered");
      assertEquals(true, reply.getJsonObject("body").getBoolean("ok"), reply.encode());
      assertEquals("carol", node.sql("SELECT actor FROM audit_log WHERE action = 'run_full_line'").get(0).getString(0),
          "the command ran as the token's subject, not as the frame said");
      viewer.await(f -> "rec".equals(f.getString("type")) && "pl.project.br".equals(f.getString("address")), "the viewer hears the line");

      viewer.send(new JsonObject().put("type", "register").put("address", "pl.project.br")
          .put("headers", new JsonObject().put("token", node.token(io.productionline.auth.Role.EXECUTOR, "e9", "e9"))));
      viewer.await(f -> "err".equals(f.getString("type")), "an executor token may not listen");
    } finally {
      viewer.close();
    }
  }

  // --- helpers -----------------------------------------------------------------------------------

  record Run(int code, String out, String err) {
  }

  private static Run run(Map<String, String> env, String... args) throws IOException, InterruptedException {
    List<String> cmd = new java.util.ArrayList<>(List.of(ServerProcess.baseDir().resolve("scripts/token").toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().keySet().removeIf(k -> k.startsWith("PL_"));
    pb.environment().putAll(env);
    Process p = pb.start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "scripts/token ran");
    return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
        new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
  }
}
