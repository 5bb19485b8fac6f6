package io.productionline.line;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("Reading line definitions")
class LinesTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static final String GOOD = """
      {
        "name": "docs",
        "title": "Docs",
        "document_types": [
          {
            "name": "intake",
            "max_remediations": 1,
            "max_attempts": 4,
            "backoff": {"initial_ms": 500, "max_ms": 5000, "multiplier": 3.0},
            "stations": [
              {"kind": "bind", "step": {"type": "sim", "trust": "vetted", "params": {"duration_ms": 5}}},
              {"id": "asm", "kind": "asm", "capability": "writer", "environment": "local", "timeout_seconds": 30,
               "work_items": 3, "step": {"type": "sim", "trust": "vetted", "params": {"duration_ms": 5}}},
              {"id": "aud", "kind": "aud", "step": {"type": "sim", "trust": "vetted", "params": {"reject_share": 0.3}},
               "gates": [{"type": "content_check", "artifact": "intake.md", "sections": ["Goals"]}]},
              {"id": "rem", "kind": "rem", "step": {"type": "sim", "trust": "vetted"}}
            ]
          },
          {"name": "plan", "depends_on": ["intake"], "priority": 8, "stations": [
            {"id": "asm", "kind": "assemble", "automation": "manual"}
          ]}
        ]
      }
      """;

  /** A valid one-type line named {@code name}, with {@code extra} spliced into its only document type. */
  private static String oneType(String name, String extra) {
    return """
        {"name": "%s", "document_types": [
          {"name": "a", "stations": [{"id": "asm", "kind": "asm", "step": {"type": "sim", "trust": "vetted"}}]}%s
        ]}
        """.formatted(name, extra);
  }

  @Test
  @DisplayName("a definition is read with snake_case fields and its defaults filled in")
  void readsSnakeCase() {
    LineDefinition line = Lines.parse(MAPPER, GOOD);
    assertEquals("docs", line.name());
    DocumentType intake = line.type("intake").orElseThrow();
    assertEquals(1, intake.maxRemediations());
    assertEquals(4, intake.maxAttempts());
    assertEquals(new Backoff(500L, 5000L, 3.0), intake.backoff());
    assertEquals("bind", intake.station(0).id(), "a station without an id is named by its kind");
    StationDef asm = intake.station(1);
    assertEquals(StationKind.ASSEMBLE, asm.stationKind());
    assertEquals("writer", asm.capability());
    assertEquals("local", asm.environment());
    assertEquals(30, asm.timeoutSeconds());
    assertEquals(3, asm.workItems());
    assertEquals(5, asm.step().params().get("duration_ms"));
    assertEquals(List.of("Goals"), intake.station(2).gates().get(0).sections());
    DocumentType plan = line.type("plan").orElseThrow();
    assertEquals(List.of("intake"), plan.dependsOn());
    assertEquals(8, plan.priority());
    assertEquals(AutomationLevel.MANUAL, plan.station(0).automationLevel());
    assertNull(plan.station(0).step());
    assertEquals(DocumentType.DEFAULT_MAX_REMEDIATIONS, plan.maxRemediations());
  }

  static Stream<Arguments> refusedTexts() {
    return Stream.of(
        Arguments.of("unknown field in a document type",
            """
            {"name": "x", "document_types": [
              {"name": "a", "stations": [{"kind": "asm", "step": {"type": "sim", "trust": "vetted"}}]},
              {"name": "b", "stations": [{"kind": "asm", "step": {"type": "sim", "trust": "vetted"}}]},
              {"name": "c", "dependson": ["a"], "stations": [{"kind": "asm", "step": {"type": "sim", "trust": "vetted"}}]}
            ]}
            """,
            "line definition: unknown field \"dependson\" at document_types[2]"),
        Arguments.of("unknown field in a station",
            """
            {"name": "x", "document_types": [
              {"name": "a", "stations": [{"kind": "asm", "timeout": 5, "step": {"type": "sim", "trust": "vetted"}}]}
            ]}
            """,
            "line definition: unknown field \"timeout\" at document_types[0].stations[0]"),
        Arguments.of("unknown field at the top level",
            """
            {"name": "x", "types": []}
            """,
            "line definition: unknown field \"types\" at the top level"),
        Arguments.of("camelCase instead of snake_case",
            oneType("x", "").replace("\"name\": \"a\"", "\"name\": \"a\", \"maxRemediations\": 1"),
            "line definition: unknown field \"maxRemediations\" at document_types[0]"),
        Arguments.of("malformed JSON",
            "{\"name\": \"x\", \"document_types\": [",
            "line definition: malformed JSON at line 1"),
        Arguments.of("a field given twice",
            "{\"name\": \"x\", \"name\": \"y\", \"document_types\": []}",
            "line definition: malformed JSON at line 1"),
        Arguments.of("content after the definition",
            oneType("x", "") + " {}",
            "line definition: malformed JSON: content after the end of the definition"),
        Arguments.of("a whole number given as text",
            oneType("x", "").replace("\"kind\": \"asm\"", "\"kind\": \"asm\", \"timeout_seconds\": \"60\""),
            "line definition: invalid value at document_types[0].stations[0].timeout_seconds: expected a whole number"),
        Arguments.of("a fraction where a whole number belongs",
            oneType("x", "").replace("\"kind\": \"asm\"", "\"kind\": \"asm\", \"work_items\": 1.5"),
            "line definition: invalid value at document_types[0].stations[0].work_items: expected a whole number"),
        Arguments.of("a number where a name belongs",
            "{\"name\": 5, \"document_types\": []}",
            "line definition: invalid value at name: expected a string"),
        Arguments.of("a number of the wrong kind",
            oneType("x", "").replace("\"name\": \"a\"", "\"name\": \"a\", \"max_remediations\": \"two\""),
            "line definition: invalid value at document_types[0].max_remediations: expected a whole number"),
        Arguments.of("a list where an object belongs",
            "{\"name\": \"x\", \"document_types\": {\"a\": 1}}",
            "line definition: invalid value at document_types: expected a list"),
        Arguments.of("a null inside a list",
            oneType("x", "").replace("\"name\": \"a\"", "\"name\": \"a\", \"depends_on\": [null]"),
            "line definition: invalid value at document_types[0]"),
        Arguments.of("not an object",
            "[1, 2]",
            "line definition: invalid value at the top level: expected an object"),
        Arguments.of("empty text",
            "  ",
            "line definition: the document is empty"),
        Arguments.of("JSON null",
            "null",
            "line definition: the document is empty"),
        Arguments.of("a definition that breaks a rule",
            oneType("x", ", {\"name\": \"b\", \"depends_on\": [\"prd\"], \"stations\": [{\"kind\": \"asm\", \"step\": {\"type\": \"sim\", \"trust\": \"vetted\"}}]}"),
            "document type \"b\": depends_on names unknown type \"prd\""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedTexts")
  @DisplayName("a bad definition is refused with a message that says what and where")
  void refused(String what, String json, String expectedStart) {
    LineValidationException e = assertThrows(LineValidationException.class, () -> Lines.parse(MAPPER, json));
    assertFalse(e.problems().isEmpty());
    assertTrue(e.problems().get(0).startsWith(expectedStart),
        () -> what + "\nexpected to start with: " + expectedStart + "\nbut was: " + e.problems().get(0));
  }

  @Test
  @DisplayName("an unknown field's message lists the fields that are known there")
  void unknownFieldListsKnownOnes() {
    LineValidationException e = assertThrows(LineValidationException.class,
        () -> Lines.parse(MAPPER, oneType("x", "").replace("\"name\": \"a\"", "\"name\": \"a\", \"dependson\": []")));
    assertTrue(e.getMessage().contains("depends_on"), e.getMessage());
  }

  @Test
  @DisplayName("the caller's mapper keeps its own settings")
  void callerMapperUntouched() throws IOException {
    ObjectMapper lenient = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    assertThrows(LineValidationException.class,
        () -> Lines.parse(lenient, oneType("x", "").replace("\"name\": \"a\"", "\"name\": \"a\", \"dependson\": []")));
    assertFalse(lenient.isEnabled(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES));
    assertNull(lenient.getPropertyNamingStrategy());
    assertEquals(new Named("5"), lenient.readValue("{\"name\": 5}", Named.class), "its coercions are unchanged");
  }

  record Named(String name) {
  }

  @Test
  @DisplayName("a definition written back as snake_case JSON reads the same again")
  void roundTrip() throws IOException {
    ObjectMapper snake = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
    for (LineDefinition line : Lines.loadDirectory(MAPPER, Path.of("conf", "lines")).values()) {
      assertEquals(line, Lines.parse(MAPPER, snake.writeValueAsString(line)), line.name());
    }
    LineDefinition good = Lines.parse(MAPPER, GOOD);
    assertEquals(good, Lines.parse(MAPPER, snake.writeValueAsString(good)));
  }

  // ---------------------------------------------------------------------------------------------
  // Directories

  @Test
  @DisplayName("a directory's *.json files load in file-name order, keyed by line name, other files ignored")
  void loadsDirectory(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("b.json"), oneType("second", ""));
    Files.writeString(dir.resolve("a.json"), oneType("first", ""));
    Files.writeString(dir.resolve("notes.txt"), "not a line");
    Files.createDirectory(dir.resolve("sub.json"));
    Map<String, LineDefinition> lines = Lines.loadDirectory(MAPPER, dir);
    assertEquals(List.of("first", "second"), List.copyOf(lines.keySet()));
  }

  @Test
  @DisplayName("an empty directory has no lines")
  void emptyDirectory(@TempDir Path dir) {
    assertEquals(Map.of(), Lines.loadDirectory(MAPPER, dir));
  }

  @Test
  @DisplayName("a bad file is refused, and every problem names the file")
  void badFileNamed(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("good.json"), oneType("good", ""));
    Files.writeString(dir.resolve("bad.json"),
        oneType("bad", ", {\"name\": \"b\", \"depends_on\": [\"prd\", \"b\"], \"stations\": []}"));
    Files.writeString(dir.resolve("broken.json"), "{ nope");
    LineValidationException e = assertThrows(LineValidationException.class, () -> Lines.loadDirectory(MAPPER, dir));
    Path bad = dir.resolve("bad.json");
    Path broken = dir.resolve("broken.json");
    assertTrue(e.problems().contains(bad + ": document type \"b\": depends_on names unknown type \"prd\""), e.getMessage());
    assertTrue(e.problems().contains(bad + ": document type \"b\": depends_on names the type itself"), e.getMessage());
    assertTrue(e.problems().stream().anyMatch(p -> p.startsWith(broken + ": line definition: malformed JSON")), e.getMessage());
    assertTrue(e.problems().stream().allMatch(p -> p.startsWith(bad.toString()) || p.startsWith(broken.toString())),
        "the good file has no problem: " + e.getMessage());
    assertTrue(e.getMessage().contains("bad.json"));
  }

  @Test
  @DisplayName("two files that define the same line name are refused")
  void duplicateLineName(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("one.json"), oneType("same", ""));
    Files.writeString(dir.resolve("two.json"), oneType("same", ""));
    LineValidationException e = assertThrows(LineValidationException.class, () -> Lines.loadDirectory(MAPPER, dir));
    assertEquals(List.of(dir.resolve("two.json") + ": line \"same\" is already defined in " + dir.resolve("one.json")),
        e.problems());
  }

  @Test
  @DisplayName("a directory that does not exist is refused with its name")
  void missingDirectory(@TempDir Path dir) {
    Path missing = dir.resolve("nowhere");
    LineValidationException e = assertThrows(LineValidationException.class, () -> Lines.loadDirectory(MAPPER, missing));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
  }
}
