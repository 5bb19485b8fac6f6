package io.productionline.line;

import static io.productionline.line.LinesApiTest.threeTypes;
import static io.productionline.line.LinesApiTest.write;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.productionline.support.Api;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The line catalogue across nodes and restarts")
class LineCatalogueClusterTest {

  private final List<TestNode> nodes = new ArrayList<>();

  @AfterEach
  void stop() {
    for (TestNode n : nodes) {
      try {
        n.close();
      } catch (RuntimeException ignored) {
        // closed by the test
      }
    }
  }

  @Test
  @DisplayName("a line stored through one node of two starts a project on the other at once; a node started later has the catalogue")
  void storedOnOneUsedOnTheOther() {
    JsonObject config = TestNode.config();
    String cluster = "pl-lines-" + UUID.randomUUID();
    TestNode a = TestNode.startClustered(config.copy(), cluster);
    nodes.add(a);
    TestNode b = TestNode.startClustered(config.copy(), cluster);
    nodes.add(b);

    Api.Reply created = a.apiAs("admin").post("/api/v1/lines", write(threeTypes("shared"), "made on A"));
    assertEquals(201, created.status(), created.text());
    Api.Reply project = b.api.post("/api/v1/projects", new JsonObject().put("project_id", "on-b").put("line", "shared").put("start", true));
    assertEquals(201, project.status(), project.text());
    assertEquals(1, project.json().getInteger("line_version"));
    b.executor("eb");
    b.awaitProduction("on-b", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(90));

    JsonObject v2 = threeTypes("shared").put("title", "Shared, second cut");
    assertEquals(201, b.apiAs("admin").put("/api/v1/lines/shared", write(v2, "made on B")).status());
    // The announcement on pl.lines fills A's cache without A asking (a hint: A's create below reads PostgreSQL anyway).
    io.productionline.support.Await.until(() -> a.node.services().lines.find("shared").map(l -> l.title()).orElse(""),
        "Shared, second cut"::equals, Duration.ofSeconds(10), "node A to hear of version 2");
    Api.Reply onA = a.api.post("/api/v1/projects", new JsonObject().put("project_id", "on-a").put("line", "shared"));
    assertEquals(2, onA.json().getInteger("line_version"), "A takes B's version at once: " + onA.text());
    assertEquals("Shared, second cut", a.production("on-a").getString("line_title"));

    TestNode c = TestNode.startClustered(config.copy(), cluster);
    nodes.add(c);
    JsonObject current = c.api.get("/api/v1/lines/shared").json();
    assertEquals(2, current.getInteger("version"), current.encode());
    assertEquals(List.of(1, 2), c.api.get("/api/v1/lines/shared/versions").json().getJsonArray("versions").stream()
        .map(v -> ((JsonObject) v).getInteger("version")).toList());
  }

  @Test
  @DisplayName("after a restart, a project pinned to an older version runs that version's stations, and one on the current version the current's")
  void restartedNodeRunsEachProjectsOwnVersion() {
    JsonObject config = TestNode.config();
    TestNode first = TestNode.start(config, java.time.Clock.systemUTC());
    nodes.add(first);
    Api admin = first.apiAs("admin");
    assertEquals(201, admin.post("/api/v1/lines", write(threeTypes("pinned"), "three stations")).status());
    JsonObject v2 = threeTypes("pinned");
    v2.getJsonArray("document_types").getJsonObject(0).getJsonArray("stations").add(2, LinesApiTest.station("asm2", "assemble", 5));
    assertEquals(201, admin.put("/api/v1/lines/pinned", write(v2, "spec gets a second assembly")).status());
    for (int version = 1; version <= 2; version++) {
      Api.Reply made = first.api.post("/api/v1/projects", new JsonObject().put("project_id", "on-v" + version).put("line", "pinned")
          .put("line_version", version));
      assertEquals(201, made.status(), made.text());
    }
    first.close();
    nodes.remove(first);

    // The restarted node has read the line's current version only: version 1 is read when its project's tracks start.
    TestNode second = TestNode.start(config, java.time.Clock.systemUTC());
    nodes.add(second);
    second.executor("e1");
    for (int version = 1; version <= 2; version++) {
      assertEquals(200, second.api.post("/production/start?project=on-v" + version, new JsonObject()).status());
    }
    for (int version = 1; version <= 2; version++) {
      JsonObject done = second.awaitProduction("on-v" + version, p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(60));
      JsonObject spec = done.getJsonArray("tracks").stream().map(t -> (JsonObject) t)
          .filter(t -> t.getString("document_type").equals("spec")).findFirst().orElseThrow();
      List<String> stations = spec.getJsonArray("stations").stream().map(st -> ((JsonObject) st).getString("id")).toList();
      assertEquals(version == 1 ? List.of("bind", "asm", "aud") : List.of("bind", "asm", "asm2", "aud"), stations, "the spec track of on-v" + version);
      assertEquals(version == 1 ? 3L : 4L, second.sql("SELECT count(*) FROM station_tasks t JOIN tracks k ON k.id = t.track_id"
          + " WHERE k.project_id = 'on-v" + version + "' AND k.document_type = 'spec' AND t.status = 'completed'").get(0).getLong(0),
          "the spec track of on-v" + version + " ran its own version's stations");
    }
  }

  @Test
  @DisplayName("conf/lines is imported once: a restart imports nothing, a changed file becomes the next version")
  void restartImportsNothingNew(@TempDir Path dir) throws IOException {
    Path linesDir = dir.resolve("lines");
    Files.createDirectories(linesDir);
    Files.writeString(linesDir.resolve("conf3.json"), threeTypes("conf3").encodePrettily());
    JsonObject config = TestNode.config().put("lines_dir", linesDir.toString());

    TestNode first = TestNode.start(config, java.time.Clock.systemUTC());
    nodes.add(first);
    String before = versions(first);
    assertEquals("conf3@1:conf", before);
    first.close();
    nodes.remove(first);

    // Same content, formatted differently: still not new.
    Files.writeString(linesDir.resolve("conf3.json"), threeTypes("conf3").encode());
    TestNode second = TestNode.start(config, java.time.Clock.systemUTC());
    nodes.add(second);
    assertEquals(before, versions(second), "a restart imports nothing");
    assertEquals(1L, second.sql("SELECT count(*) FROM line_versions WHERE source = 'conf'").get(0).getLong(0));

    // An admin's version is not undone by the file at the next start.
    second.apiAs("admin").put("/api/v1/lines/conf3", write(threeTypes("conf3").put("title", "admin's"), "by hand"));
    second.close();
    nodes.remove(second);

    Files.writeString(linesDir.resolve("conf3.json"), threeTypes("conf3").put("title", "edited file").encodePrettily());
    TestNode third = TestNode.start(config, java.time.Clock.systemUTC());
    nodes.add(third);
    assertEquals("conf3@1:conf,conf3@2:api,conf3@3:conf", versions(third), "the edited file is new content: version 3");
    assertEquals("edited file", third.api.get("/api/v1/lines/conf3").json().getJsonObject("definition").getString("title"));
  }

  @Test
  @DisplayName("two nodes starting at once on one database import each conf/lines file once")
  void concurrentStartsImportOnce() throws Exception {
    JsonObject config = TestNode.config();
    var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      var one = pool.submit(() -> TestNode.start(config.copy(), java.time.Clock.systemUTC()));
      var two = pool.submit(() -> TestNode.start(config.copy(), java.time.Clock.systemUTC()));
      nodes.add(one.get());
      nodes.add(two.get());
    } finally {
      pool.shutdown();
    }
    long files;
    try (var listing = Files.list(Path.of("src/test/resources/lines"))) {
      files = listing.filter(p -> p.toString().endsWith(".json")).count();
    }
    assertEquals(files, nodes.get(0).sql("SELECT count(*) FROM line_versions").get(0).getLong(0), "one version per file");
    assertEquals(files, nodes.get(1).sql("SELECT count(DISTINCT line) FROM line_versions WHERE source = 'conf'").get(0).getLong(0),
        "every file imported");
  }

  private static String versions(TestNode node) {
    return node.sql("SELECT line, version, source FROM line_versions WHERE line = 'conf3' ORDER BY version").stream()
        .map(r -> r.getString(0) + "@" + r.getInteger(1) + ":" + r.getString(2)).collect(Collectors.joining(","));
  }
}
