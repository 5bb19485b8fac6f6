package io.productionline.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.auth.Role;
import io.productionline.executor.ExecutorInfo;
import io.productionline.line.CancelKind;
import io.productionline.line.DocumentType;
import io.productionline.line.FanOut;
import io.productionline.line.LineDefinition;
import io.productionline.support.Api;
import io.productionline.support.TestNode;
import io.productionline.track.LineOrchestrator;
import io.productionline.track.Tracks;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The contract ({@code openapi.json}) held to the running router and to {@link Guard}: every route
 * documented, every documented route served, the same roles, the same self-checks and query
 * tokens, and the patterns and enums the code keeps elsewhere the same as the contract's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("The OpenAPI contract matches the router and the guard")
class OpenApiContractTest {

  private static final Set<String> METHODS = Set.of("get", "post", "put", "delete", "patch");

  private TestNode node;
  private JsonObject doc;
  /** "METHOD /path/{param}" of every documented operation → the operation. */
  private final Map<String, JsonObject> documented = new TreeMap<>();

  @BeforeAll
  void start() {
    node = TestNode.start();
    doc = Contract.document();
    JsonObject paths = doc.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        if (METHODS.contains(method)) {
          documented.put(method.toUpperCase() + " " + path, item.getJsonObject(method));
        }
      }
    }
  }

  @AfterAll
  void stop() {
    node.close();
  }

  /** {@code /api/v1/executors/:id} as OpenAPI writes it: {@code /api/v1/executors/{id}}. */
  private static String openapi(String routerPath) {
    return routerPath.replaceAll(":([A-Za-z0-9_]+)", "{$1}");
  }

  private static String wildcardPrefix(Guard.Rule r) {
    return r.path().substring(0, r.path().length() - 1);
  }

  @Test
  @DisplayName("every route the router serves is documented, and every documented operation is a route it serves")
  void routesAndDocumentMatch() {
    Set<String> served = node.node.web().routes().stream()
        .map(r -> r.substring(0, r.indexOf(' ') + 1) + openapi(r.substring(r.indexOf(' ') + 1)))
        .collect(Collectors.toCollection(TreeSet::new));
    Set<String> wildcards = Guard.RULES.stream().filter(r -> r.path().endsWith("/*")).map(OpenApiContractTest::wildcardPrefix)
        .collect(Collectors.toSet());
    Set<String> exact = documented.keySet().stream()
        .filter(k -> wildcards.stream().noneMatch(w -> k.substring(k.indexOf(' ') + 1).startsWith(w)))
        .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(exact, served, "documented (left) and served (right) routes differ");
    assertTrue(served.size() > 40, "the whole API is listed: " + served.size());
  }

  @Test
  @DisplayName("each operation's x-roles, x-acts-as and query token are the guard's rule for it, and every rule is documented")
  void rolesMatchTheGuard() {
    List<String> problems = new ArrayList<>();
    Set<String> covered = new TreeSet<>();
    for (Guard.Rule r : Guard.RULES) {
      List<String> keys;
      if (r.path().endsWith("/*")) {
        keys = documented.keySet().stream().filter(k -> k.substring(k.indexOf(' ') + 1).startsWith(wildcardPrefix(r))).toList();
      } else {
        String key = r.method().name() + " " + openapi(r.path());
        keys = documented.containsKey(key) ? List.of(key) : List.of();
      }
      if (keys.isEmpty()) {
        problems.add("rule " + r.name() + " is not documented");
      }
      for (String key : keys) {
        covered.add(key);
        JsonObject op = documented.get(key);
        Set<String> roles = new TreeSet<>(op.getJsonArray("x-roles", new JsonArray()).stream().map(String::valueOf).toList());
        Set<String> guard = r.roles().stream().map(Role::wire).collect(Collectors.toCollection(TreeSet::new));
        if (!roles.equals(guard)) {
          problems.add(key + ": x-roles " + roles + " but the guard lets " + guard);
        }
        String actsAs = switch (r.self()) {
          case NONE -> null;
          case PATH_ID -> "path:id";
          case QUERY_EXECUTOR_ID -> "query:executor_id";
        };
        if (!java.util.Objects.equals(actsAs, op.getString("x-acts-as"))) {
          problems.add(key + ": x-acts-as " + op.getString("x-acts-as") + " but the guard checks " + actsAs);
        }
        boolean queryToken = op.getJsonArray("security", new JsonArray()).stream()
            .anyMatch(s -> ((JsonObject) s).containsKey("queryToken"));
        if (queryToken != r.tokenInQuery()) {
          problems.add(key + ": a ?token= is " + (queryToken ? "documented" : "not documented") + " but the guard "
              + (r.tokenInQuery() ? "takes one" : "does not take one"));
        }
      }
    }
    for (Map.Entry<String, JsonObject> e : documented.entrySet()) {
      if (covered.contains(e.getKey())) {
        continue;
      }
      String path = e.getKey().substring(e.getKey().indexOf(' ') + 1);
      JsonArray security = e.getValue().getJsonArray("security");
      if (!e.getKey().startsWith("GET ") || !Guard.OPEN.contains(path) || security == null || !security.isEmpty()
          || e.getValue().containsKey("x-roles")) {
        problems.add(e.getKey() + " has no rule in web.Guard and is not one of its open endpoints " + Guard.OPEN);
      }
    }
    assertEquals(Guard.OPEN.size(), documented.size() - covered.size(), "every open endpoint is documented as open");
    assertEquals(List.of(), problems);
  }

  @Test
  @DisplayName("the identifiers and enums the code keeps elsewhere are the contract's")
  void patternsAndEnumsAreTheCodes() {
    JsonObject project = body("/api/v1/projects", "post").getJsonObject("properties");
    assertEquals("^" + LineOrchestrator.PROJECT_ID.pattern() + "$", project.getJsonObject("project_id").getString("pattern"));
    JsonObject register = body("/api/v1/executors", "post").getJsonObject("properties");
    assertEquals("^" + ExecutorInfo.ID.pattern() + "$", register.getJsonObject("executor_id").getString("pattern"));
    assertEquals("^" + Http.ID.pattern() + "$", doc.getJsonObject("paths").getJsonObject("/api/v1/projects/{id}").getJsonObject("get")
        .getJsonArray("parameters").getJsonObject(0).getJsonObject("schema").getString("pattern"));
    assertEquals(Arrays.stream(CancelKind.values()).map(CancelKind::wire).toList(),
        body("/production/track/{id}/cancel", "post").getJsonObject("properties").getJsonObject("kind").getJsonArray("enum").getList());
    assertEquals(new TreeSet<>(Arrays.stream(Role.values()).map(Role::wire).toList()),
        new TreeSet<>(body("/api/v1/tokens", "post").getJsonObject("properties").getJsonObject("role").getJsonArray("enum").getList()));
  }

  private static Set<String> snakeComponents(Class<?> record) {
    return Arrays.stream(record.getRecordComponents()).map(c -> c.getName().replaceAll("([A-Z])", "_$1").toLowerCase())
        .collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  @DisplayName("the line definition's document types and fan_out, and a track's fan-out progress, have the code's fields")
  void fanOutFieldsAreTheCodes() {
    JsonObject schemas = doc.getJsonObject("components").getJsonObject("schemas");
    JsonObject fanOut = schemas.getJsonObject("FanOut");
    assertEquals(snakeComponents(FanOut.class), new TreeSet<>(fanOut.getJsonObject("properties").fieldNames()));
    assertEquals(FanOut.MAX_ITEMS, fanOut.getJsonObject("properties").getJsonObject("max_items").getInteger("maximum"));
    assertEquals(FanOut.DEFAULT_MAX_ITEMS, fanOut.getJsonObject("properties").getJsonObject("max_items").getInteger("default"));
    assertEquals(snakeComponents(DocumentType.class), new TreeSet<>(schemas.getJsonObject("DocumentType").getJsonObject("properties").fieldNames()));
    assertEquals(snakeComponents(LineDefinition.class), new TreeSet<>(schemas.getJsonObject("LineDefinition").getJsonObject("properties").fieldNames()));
    Set<String> progress = new TreeSet<>(new Tracks.FanOutProgress(30, 12, 1, 0).toJson().fieldNames());
    assertTrue(schemas.getJsonObject("FanOutProgress").getJsonObject("properties").fieldNames().containsAll(progress),
        "every field of a fan-out's progress is described: " + progress);
    assertTrue(schemas.getJsonObject("TrackView").getJsonObject("properties").fieldNames()
        .containsAll(List.of("parent_track_id", "fan_out_index", "fan_out_item", "fan_out")));
    assertEquals("#/components/schemas/LineDefinition", body("/api/v1/lines", "post").getJsonObject("properties")
        .getJsonObject("definition").getString("$ref"));
  }

  private JsonObject body(String path, String method) {
    return doc.getJsonObject("paths").getJsonObject(path).getJsonObject(method).getJsonObject("requestBody")
        .getJsonObject("content").getJsonObject("application/json").getJsonObject("schema");
  }

  @Test
  @DisplayName("the contract is served open at /openapi.json, with a page that renders it, and bodies are checked against it")
  void servedAndUsed() {
    Api open = new Api(node.node.port());
    Api.Reply served = open.get("/openapi.json");
    assertEquals(200, served.status(), served.text());
    assertEquals("application/json", served.raw().headers().firstValue("Content-Type").orElse(""));
    assertEquals(doc, served.json(), "the document the node serves is the resource");
    assertEquals("3.1.0", served.json().getString("openapi"));
    Api.Reply page = open.get("/openapi.html");
    assertEquals(200, page.status());
    assertTrue(page.text().contains("/openapi.json"), "the page reads the served contract");

    // An unknown field: the refusal lists the fields the contract declares, not a list kept elsewhere.
    Api.Reply refused = node.api.post("/api/v1/projects", new JsonObject().put("line", "documents").put("colour", "red"));
    assertEquals(400, refused.status());
    String allowed = String.join(", ", new TreeSet<>(body("/api/v1/projects", "post").getJsonObject("properties").fieldNames()));
    assertEquals("unknown field \"colour\"; allowed: " + allowed, refused.json().getString("detail"));
    Api.Reply token = node.apiAs("admin").post("/api/v1/tokens", new JsonObject().put("role", "viewer").put("ttl_seconds", 0));
    assertEquals(400, token.status());
    assertEquals("ttl_seconds must be from 1 to " + body("/api/v1/tokens", "post").getJsonObject("properties")
        .getJsonObject("ttl_seconds").getValue("maximum"), token.json().getString("detail"));
    assertFalse(token.text().contains("Exception"));
  }

  @Test
  @DisplayName("every request body, checked by the contract or by its handler, allows exactly the fields the contract lists")
  void everyBodyAllowsTheContractsFields() {
    List<String> problems = new ArrayList<>();
    int checked = 0;
    for (Map.Entry<String, JsonObject> e : documented.entrySet()) {
      JsonObject op = e.getValue();
      if (!op.containsKey("requestBody")) {
        continue;
      }
      JsonObject schema = op.getJsonObject("requestBody").getJsonObject("content").getJsonObject("application/json").getJsonObject("schema");
      String path = e.getKey().substring(e.getKey().indexOf(' ') + 1);
      String role = op.getJsonArray("x-roles").getString(0);
      Api api = role.equals("executor") ? node.executorApi("x1") : node.apiAs(role);
      String url = path.replace("{id}", role.equals("executor") ? "x1" : "nothing-here").replace("{task}", "task_x")
          .replace("{name}", "nothing-here");
      JsonObject unknown = new JsonObject().put("zz_unknown", 1);
      Api.Reply r = e.getKey().startsWith("PUT ") ? api.put(url, unknown) : api.post(url, unknown);
      String allowed = String.join(", ", new TreeSet<>(schema.getJsonObject("properties").fieldNames()));
      String expected = "unknown field \"zz_unknown\"; allowed: " + allowed;
      if (r.status() != 400 || !expected.equals(r.json().getString("detail"))) {
        problems.add(e.getKey() + ": expected 400 \"" + expected + "\", got " + r.status() + " " + r.text());
      }
      checked++;
    }
    assertEquals(List.of(), problems);
    assertTrue(checked >= 15, "every body of the API: " + checked);
  }
}

