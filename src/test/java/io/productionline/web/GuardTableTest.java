package io.productionline.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.auth.Role;
import io.productionline.auth.Tokens;
import io.productionline.support.Api;
import io.productionline.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

/**
 * The central route table ({@link Guard#RULES}) swept route by route: without a valid token every
 * protected endpoint answers 401, a token of a role the route is not for answers 403, and a token of
 * a role it is for gets past the guard (whatever the handler then says about the empty request).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("Authentication and roles on every route of the central table")
class GuardTableTest {

  /** The executor id of the executor token; path and query ids of executor routes name it. */
  private static final String SELF = "x1";

  private TestNode node;
  private String secret;
  private final Map<String, String> tokens = new LinkedHashMap<>();

  @BeforeAll
  void start() {
    node = TestNode.start();
    secret = node.sql("SELECT value FROM settings WHERE key = 'auth.secret'").get(0).getString(0);
    for (Role r : Role.values()) {
      tokens.put(r.wire(), r == Role.EXECUTOR ? node.token(Role.EXECUTOR, SELF, SELF) : node.token(r.wire()));
    }
  }

  @AfterAll
  void stop() {
    node.close();
  }

  @TestFactory
  @DisplayName("every route × no token, bad tokens and every role")
  Stream<DynamicTest> everyRouteEveryRole() {
    List<DynamicTest> tests = new ArrayList<>();
    Map<String, String> bad = new LinkedHashMap<>();
    bad.put("no token", null);
    bad.put("a token that is not a JWT", "not-a-jwt");
    bad.put("a token signed with another secret",
        Tokens.withSecret(node.vertx, "another-secret-of-at-least-32-characters!").mint(Role.ADMIN, "admin", null, Duration.ofHours(1)));
    bad.put("an expired token", jwt(Map.of("alg", "HS256", "typ", "JWT"), claims("admin").put("exp", Instant.now().minusSeconds(60).getEpochSecond()), secret));
    bad.put("a token of another issuer", jwt(Map.of("alg", "HS256", "typ", "JWT"), claims("admin").put("iss", "someone-else"), secret));
    bad.put("an unsigned token (alg none)", jwt(Map.of("alg", "none", "typ", "JWT"), claims("admin"), null));
    bad.put("a token with no role", jwt(Map.of("alg", "HS256", "typ", "JWT"), claims("admin").put("role", "root"), secret));
    bad.put("an executor token without executor_id", jwt(Map.of("alg", "HS256", "typ", "JWT"), claims("executor"), secret));
    for (Guard.Rule rule : Guard.RULES) {
      String method = rule.method() == null ? "GET" : rule.method().name();
      String path = concrete(rule);
      bad.forEach((what, token) -> tests.add(DynamicTest.dynamicTest(rule.name() + " with " + what + " → 401", () -> {
        Api.Reply r = call(method, path, token);
        assertEquals(401, r.status(), method + " " + path + ": " + r.text());
        assertEquals(401, r.json().getInteger("status", -1), r.text());
        assertTrue(r.raw().headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"), "WWW-Authenticate: Bearer");
      })));
      for (Role role : Role.values()) {
        boolean allowed = rule.roles().contains(role);
        tests.add(DynamicTest.dynamicTest(rule.name() + " as " + role.wire() + (allowed ? " → past the guard" : " → 403"), () -> {
          Api.Reply r = call(method, path, tokens.get(role.wire()));
          if (allowed) {
            assertFalse(r.status() == 401 || r.status() == 403, method + " " + path + " as " + role.wire() + ": " + r.status() + " " + r.text());
          } else {
            assertEquals(403, r.status(), method + " " + path + " as " + role.wire() + ": " + r.text());
            assertEquals(403, r.json().getInteger("status", -1), r.text());
            assertTrue(r.json().getString("detail").contains(role.wire()), "the refusal names the role: " + r.text());
          }
        }));
      }
    }
    return tests.stream();
  }

  @Test
  @DisplayName("a valid token made by hand passes (the bad ones above fail for what they say, not for being made by hand)")
  void handMadeTokenPasses() {
    String token = jwt(Map.of("alg", "HS256", "typ", "JWT"), claims("viewer").put("exp", Instant.now().plusSeconds(600).getEpochSecond()), secret);
    assertEquals(200, call("GET", "/api/v1/projects", token).status());
  }

  @Test
  @DisplayName("deny by default: an unknown path under a protected prefix is 401 without a token and 404 with one")
  void denyByDefault() {
    for (String path : List.of("/api/v1/secrets", "/api/v2/projects", "/production/nothing/here", "/assembly-line/other", "/metricsx",
        "/eventbusy")) {
      assertEquals(401, call("GET", path, null).status(), path);
      Api.Reply r = call("GET", path, tokens.get("admin"));
      assertEquals(404, r.status(), path + ": " + r.text());
    }
    Api.Reply wrongMethod = call("DELETE", "/production", tokens.get("admin"));
    assertEquals(405, wrongMethod.status(), wrongMethod.text());
  }

  @Test
  @DisplayName("the dashboard shell and /health need no token; ?token= is taken only where a rule says so")
  void openPaths() {
    for (String path : List.of("/", "/index.html", "/js/main.js", "/js/auth.js", "/css/line.css", "/assembly-line/dashboard", "/health")) {
      assertEquals(200, call("GET", path, null).status(), path);
    }
    Api plain = new Api(node.node.port());
    assertEquals(401, plain.get("/production?project=x&token=" + tokens.get("admin")).status(), "no query token for plain API calls");
    assertEquals(400, plain.get("/production/events?token=" + tokens.get("viewer")).status(), "SSE takes ?token= (then wants a project)");
    assertEquals(200, plain.get("/eventbus/info?token=" + tokens.get("viewer")).status(), "the bridge takes ?token=");
    assertEquals(401, plain.get("/eventbus/info").status(), "no bridge without a token");
  }

  @Test
  @DisplayName("a protected route with no rule in the table stops the node from starting")
  void routeWithoutRule() {
    Vertx vertx = Vertx.vertx();
    try {
      Router router = Router.router(vertx);
      router.get("/api/v1/projects").handler(ctx -> ctx.end());
      Guard.check(router);
      router.get("/api/v1/forgotten").handler(ctx -> ctx.end());
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> Guard.check(router));
      assertTrue(e.getMessage().contains("/api/v1/forgotten"), e.getMessage());
    } finally {
      vertx.close().await();
    }
  }

  // --- helpers -----------------------------------------------------------------------------------

  /** The rule's path with its parameters filled in (executor ids with the executor token's own). */
  private static String concrete(Guard.Rule rule) {
    String path = rule.path().endsWith("/*") ? rule.path().replace("/*", "/info") : rule.path().replaceAll(":[a-z]+", SELF);
    return rule.self() == Guard.Self.QUERY_EXECUTOR_ID ? path + "?executor_id=" + SELF : path;
  }

  private Api.Reply call(String method, String path, String token) {
    Api api = new Api(node.node.port());
    if (token != null) {
      api.withToken(token);
    }
    HttpRequest.Builder b = api.builder(path).header("Content-Type", "application/json");
    b.method(method, method.equals("GET") || method.equals("DELETE") ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString("{}"));
    return api.send(b);
  }

  private static JsonObject claims(String role) {
    long now = Instant.now().getEpochSecond();
    return new JsonObject().put("sub", role).put("role", role).put("iss", Tokens.ISSUER).put("iat", now).put("exp", now + 600);
  }

  /** A JWT made by hand: HS256 with {@code secret}, or unsigned when it is null. */
  private static String jwt(Map<String, String> header, JsonObject claims, String secret) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String signing = b64.encodeToString(new JsonObject(new LinkedHashMap<>(header)).encode().getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8));
    if (secret == null) {
      return signing + ".";
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return signing + "." + b64.encodeToString(mac.doFinal(signing.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
