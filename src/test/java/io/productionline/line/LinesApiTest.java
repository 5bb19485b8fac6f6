package io.productionline.line;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Api;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The line catalogue over the API: versions, diff, validation, retirement, hostile definitions")
class LinesApiTest {

  private TestNode node;
  private Api admin;

  @BeforeEach
  void start() {
    node = TestNode.start();
    admin = node.apiAs("admin");
  }

  @AfterEach
  void stop() {
    node.close();
  }

  /** A station of kind {@code kind} running a vetted sim step of {@code ms}. */
  static JsonObject station(String id, String kind, int ms) {
    return new JsonObject().put("id", id).put("kind", kind).put("capability", "sim")
        .put("step", new JsonObject().put("type", "sim").put("trust", "vetted").put("params", new JsonObject().put("duration_ms", ms)));
  }

  static JsonObject type(String name, String... dependsOn) {
    return new JsonObject().put("name", name).put("depends_on", new JsonArray(List.of(dependsOn)))
        .put("stations", new JsonArray().add(station("bind", "bind", 5)).add(station("asm", "assemble", 5)).add(station("aud", "audit", 5)));
  }

  /** A line of three types: spec, then code and tests after it. */
  static JsonObject threeTypes(String name) {
    return new JsonObject().put("name", name).put("title", "Three types")
        .put("document_types", new JsonArray().add(type("spec")).add(type("code", "spec")).add(type("tests", "spec")));
  }

  static JsonObject write(JsonObject definition, String note) {
    return new JsonObject().put("definition", definition).put("note", note);
  }

  /** What the catalogue holds: every version of every line, with its content hash, and each line's row. */
  private String catalogue() {
    return node.sql("SELECT line, version, content_hash FROM line_versions ORDER BY line, version").stream()
        .map(r -> r.getString(0) + "@" + r.getInteger(1) + ":" + r.getString(2)).collect(Collectors.joining(","))
        + " | " + node.sql("SELECT name, current_version, retired_at FROM lines ORDER BY name").stream()
        .map(r -> r.getString(0) + "@" + r.getInteger(1) + ":" + r.getValue(2)).collect(Collectors.joining(","))
        + " | " + node.sql("SELECT count(*) FROM audit_log WHERE action IN ('create_line', 'line_version', 'retire_line')").get(0).getLong(0);
  }

  @Test
  @DisplayName("a new line is version 1, a PUT stores version 2, both stay readable, the diff names what changed, every write is audited")
  void versionsAndDiff() {
    Api.Reply created = admin.post("/api/v1/lines", write(threeTypes("docs3"), "first cut"));
    assertEquals(201, created.status(), created.text());
    assertEquals(1, created.json().getInteger("version"));
    assertEquals("admin", created.json().getString("created_by"));

    JsonObject v2 = threeTypes("docs3");
    JsonArray types = v2.getJsonArray("document_types");
    types.remove(2); // tests removed
    types.add(type("review", "code"));
    types.getJsonObject(1).getJsonArray("stations").getJsonObject(1).put("capability", "build");
    types.getJsonObject(1).getJsonArray("stations").add(station("rem", "remediate", 5));
    Api.Reply put = admin.put("/api/v1/lines/docs3", write(v2, "review after code"));
    assertEquals(201, put.status(), put.text());
    assertEquals(2, put.json().getInteger("version"));
    assertEquals("review after code", put.json().getString("note"));

    Api.Reply again = admin.put("/api/v1/lines/docs3", write(v2, "same again"));
    assertEquals(200, again.status(), "the current content again stores nothing: " + again.text());
    assertFalse(again.json().getBoolean("stored"));
    assertEquals(2, again.json().getInteger("version"));

    JsonObject current = node.api.get("/api/v1/lines/docs3").json();
    assertEquals(2, current.getInteger("version"));
    assertEquals(List.of("spec", "code", "review"), names(current.getJsonObject("definition")));
    JsonObject first = node.api.get("/api/v1/lines/docs3/versions/1").json();
    assertEquals(List.of("spec", "code", "tests"), names(first.getJsonObject("definition")));
    JsonArray versions = node.api.get("/api/v1/lines/docs3/versions").json().getJsonArray("versions");
    assertEquals(List.of(1, 2), versions.stream().map(v -> ((JsonObject) v).getInteger("version")).toList());
    assertEquals(404, node.api.get("/api/v1/lines/docs3/versions/3").status());

    JsonObject diff = node.api.get("/api/v1/lines/docs3/diff?from=1&to=2").json();
    Map<String, String> changes = diff.getJsonArray("changes").stream().map(JsonObject.class::cast)
        .collect(Collectors.toMap(c -> c.getString("path"), c -> c.getString("change")));
    assertEquals(Map.of(
        "document_types[tests]", "removed",
        "document_types[review]", "added",
        "document_types[code].stations[asm].capability", "changed",
        "document_types[code].stations[rem]", "added"), changes, diff.encodePrettily());
    JsonObject capability = diff.getJsonArray("changes").stream().map(JsonObject.class::cast)
        .filter(c -> c.getString("path").endsWith("capability")).findFirst().orElseThrow();
    assertEquals("sim", capability.getString("from"));
    assertEquals("build", capability.getString("to"));
    assertEquals(diff.getJsonArray("changes"), node.api.get("/api/v1/lines/docs3/diff").json().getJsonArray("changes"),
        "without from and to: the current version against the one before");

    List<String> audited = node.sql("SELECT action || ' ' || actor || ' ' || (detail->>'version') FROM audit_log "
        + "WHERE target = 'docs3' ORDER BY id").stream().map(r -> r.getString(0)).toList();
    assertEquals(List.of("create_line admin 1", "line_version admin 2"), audited);
    assertTrue(node.api.get("/api/v1/lines").json().getJsonArray("lines").stream()
        .anyMatch(l -> "docs3".equals(((JsonObject) l).getString("name")) && ((JsonObject) l).getInteger("current_version") == 2));
  }

  @Test
  @DisplayName("validate is a dry run: a cycle is found with the path of each member, nothing is stored")
  void validateDryRun() {
    String before = catalogue();
    JsonObject cyclic = threeTypes("loop");
    cyclic.getJsonArray("document_types").getJsonObject(0).put("depends_on", new JsonArray().add("code"));
    Api.Reply r = node.api.post("/api/v1/lines/validate", write(cyclic, null));
    assertEquals(200, r.status(), r.text());
    assertFalse(r.json().getBoolean("valid"));
    List<String> paths = r.json().getJsonArray("findings").stream().map(f -> ((JsonObject) f).getString("path")).toList();
    assertTrue(paths.contains("document_types[0].depends_on"), paths.toString());
    assertTrue(r.json().getJsonArray("findings").getJsonObject(0).getString("message").contains("spec -> code -> spec"), r.text());
    assertEquals(List.of("spec", "code"), r.json().getJsonArray("findings").getJsonObject(0).getJsonArray("members").getList(),
        "the cycle's members, for the designer to mark on the graph");

    JsonObject badKind = threeTypes("kinds");
    badKind.getJsonArray("document_types").getJsonObject(2).getJsonArray("stations").getJsonObject(1).put("kind", "weld");
    JsonObject found = node.api.post("/api/v1/lines/validate", write(badKind, null)).json();
    assertEquals("document_types[2].stations[1].kind", found.getJsonArray("findings").getJsonObject(0).getString("path"), found.encode());

    JsonObject ok = node.api.post("/api/v1/lines/validate", write(threeTypes("fine"), null)).json();
    assertTrue(ok.getBoolean("valid"), ok.encode());
    assertEquals(1, ok.getInteger("next_version"));
    assertEquals(before, catalogue());
  }

  @Test
  @DisplayName("hostile definitions and callers are refused with a JSON body that says what was wrong; the catalogue is unchanged")
  void hostileDefinitions() {
    admin.post("/api/v1/lines", write(threeTypes("kept"), "v1"));
    String before = catalogue();

    JsonObject cycle = threeTypes("hostile");
    cycle.getJsonArray("document_types").getJsonObject(0).put("depends_on", new JsonArray().add("tests"));
    JsonObject unknown = threeTypes("hostile");
    unknown.getJsonArray("document_types").getJsonObject(1).put("depends_on", new JsonArray().add("nowhere"));
    JsonArray many = new JsonArray();
    for (int i = 0; i < 10_000; i++) {
      many.add(new JsonObject().put("name", "t" + i));
    }
    JsonObject tenThousand = new JsonObject().put("name", "hostile").put("document_types", many);
    JsonObject deepParams = threeTypes("hostile");
    JsonObject nest = new JsonObject();
    JsonObject cursor = nest;
    for (int i = 0; i < 100; i++) {
      JsonObject next = new JsonObject();
      cursor.put("n", next);
      cursor = next;
    }
    deepParams.getJsonArray("document_types").getJsonObject(0).getJsonArray("stations").getJsonObject(0)
        .getJsonObject("step").getJsonObject("params").put("deep", nest);
    JsonObject hugeText = threeTypes("hostile").put("description", "x".repeat(500_000));
    JsonObject hugeName = threeTypes("n".repeat(100_000));

    record Hostile(String what, Api caller, String method, String path, String body, int status, String says) {
    }
    String deepBody = "{\"definition\":" + "[".repeat(5_000) + "]".repeat(5_000) + "}";
    List<Hostile> cases = List.of(
        new Hostile("a cycle", admin, "POST", "/api/v1/lines", write(cycle, "").encode(), 400, "spec -> tests -> spec"),
        new Hostile("an unknown dependency", admin, "POST", "/api/v1/lines", write(unknown, "").encode(), 400, "unknown type \"nowhere\""),
        new Hostile("10,000 types", admin, "POST", "/api/v1/lines", write(tenThousand, "").encode(), 400, "at most 200"),
        new Hostile("step params nested 100 deep", admin, "POST", "/api/v1/lines", write(deepParams, "").encode(), 400, "deeper than 8"),
        new Hostile("a body nested 5,000 deep", admin, "POST", "/api/v1/lines", deepBody, 400, "deeper"),
        new Hostile("a 500,000-character description", admin, "POST", "/api/v1/lines", write(hugeText, "").encode(), 400, "at most 2000"),
        new Hostile("a 100,000-character name", admin, "POST", "/api/v1/lines", write(hugeName, "").encode(), 400, "name is invalid"),
        new Hostile("a 2 MB body", admin, "POST", "/api/v1/lines", write(threeTypes("hostile").put("description", "y".repeat(2_000_000)), "")
            .encode(), 413, "larger than the limit"),
        new Hostile("a new version with a cycle", admin, "PUT", "/api/v1/lines/kept", write(cycle.copy().put("name", "kept"), "").encode(),
            400, "dependency cycle"),
        new Hostile("a PUT naming another line", admin, "PUT", "/api/v1/lines/kept", write(threeTypes("other"), "").encode(), 400,
            "keeps its name"),
        new Hostile("an operator creating a line", node.api, "POST", "/api/v1/lines", write(threeTypes("hostile"), "").encode(), 403,
            "role operator may not"),
        new Hostile("a viewer storing a version", node.apiAs("viewer"), "PUT", "/api/v1/lines/kept", write(threeTypes("kept"), "").encode(),
            403, "role viewer may not"),
        new Hostile("an operator retiring a line", node.api, "POST", "/api/v1/lines/kept/retire", "{}", 403, "role operator may not"),
        new Hostile("a line that exists", admin, "POST", "/api/v1/lines", write(threeTypes("kept"), "").encode(), 409, "exists"));
    for (Hostile h : cases) {
      var request = h.caller().builder(h.path()).header("Content-Type", "application/json")
          .method(h.method(), java.net.http.HttpRequest.BodyPublishers.ofString(h.body()));
      Api.Reply r = h.caller().send(request);
      assertEquals(h.status(), r.status(), h.what() + ": " + abbreviate(r.text()));
      assertTrue(r.json().getString("detail", "").contains(h.says()), h.what() + ": " + abbreviate(r.text()));
      assertFalse(r.text().contains("Exception"), h.what() + ": " + abbreviate(r.text()));
    }
    Api.Reply cycleReply = admin.post("/api/v1/lines", write(cycle, ""));
    assertEquals("document_types[0].depends_on", cycleReply.json().getJsonArray("findings").getJsonObject(0).getString("path"),
        cycleReply.text());
    assertEquals(before, catalogue(), "nothing stored, nothing audited");
  }

  @Test
  @DisplayName("a project pins its line version: a new version changes no running project, a retired line takes no new project")
  void projectsPinVersions() {
    admin.post("/api/v1/lines", write(threeTypes("pinned"), "v1"));
    node.createProject("p1", "pinned");
    node.executor("e1");
    assertEquals(200, node.api.post("/production/start?project=p1", new JsonObject()).status());

    JsonObject v2 = threeTypes("pinned");
    v2.getJsonArray("document_types").add(type("docs", "code"));
    assertEquals(201, admin.put("/api/v1/lines/pinned", write(v2, "docs too")).status());

    JsonObject done = node.awaitProduction("p1", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(60));
    assertEquals(1, done.getInteger("line_version"));
    assertEquals(3, done.getJsonArray("tracks").size(), "the running project keeps version 1's three types");

    Api.Reply p2 = node.api.post("/api/v1/projects", new JsonObject().put("project_id", "p2").put("line", "pinned"));
    assertEquals(201, p2.status(), p2.text());
    assertEquals(2, p2.json().getInteger("line_version"));
    assertEquals(4, node.production("p2").getJsonArray("tracks").size());
    Api.Reply p3 = node.api.post("/api/v1/projects", new JsonObject().put("project_id", "p3").put("line", "pinned").put("line_version", 1));
    assertEquals(1, p3.json().getInteger("line_version"), p3.text());
    assertEquals(404, node.api.post("/api/v1/projects", new JsonObject().put("project_id", "p4").put("line", "pinned")
        .put("line_version", 7)).status());

    Api.Reply retired = admin.post("/api/v1/lines/pinned/retire", new JsonObject());
    assertEquals(200, retired.status(), retired.text());
    assertTrue(retired.json().getBoolean("retired"));
    Api.Reply refused = node.api.post("/api/v1/projects", new JsonObject().put("project_id", "p5").put("line", "pinned"));
    assertEquals(409, refused.status());
    assertTrue(refused.json().getString("detail").contains("retired"), refused.text());
    assertEquals(409, admin.post("/api/v1/lines/pinned/retire", new JsonObject()).status(), "retired already");
    assertEquals(200, node.api.post("/production/start?project=p2", new JsonObject()).status(), "a project of a retired line runs on");
    node.awaitProduction("p2", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(60));
    assertEquals(1L, node.sql("SELECT count(*) FROM audit_log WHERE action = 'retire_line' AND actor = 'admin'").get(0).getLong(0));
  }

  private static List<String> names(JsonObject def) {
    return def.getJsonArray("document_types").stream().map(t -> ((JsonObject) t).getString("name")).toList();
  }

  private static String abbreviate(String s) {
    return s.length() > 400 ? s.substring(0, 400) + "…" : s;
  }
}
