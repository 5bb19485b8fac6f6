package io.productionline.line;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("The line validator")
class LineValidatorTest {

  private static final Pattern FORBIDDEN =
      Pattern.compile("(?i)\\b(generate|generated|generating|retry|retries|failed|failure|error|errors|success|successful|pending|paused)\\b");

  // ---------------------------------------------------------------------------------------------
  // Builders: a valid line, changed one field at a time.

  private static StepDef vetted() {
    return new StepDef("sim", "vetted", null, Map.of("duration_ms", 10));
  }

  private static StationDef st(String id, String kind) {
    return new StationDef(id, kind, "sim", "either", 60, "fully_auto", vetted(), List.of(), 1);
  }

  private static StationDef st(String id, String kind, String automation, StepDef step) {
    return new StationDef(id, kind, "sim", "either", 60, automation, step, List.of(), 1);
  }

  private static StationDef audit(String id, GateDef... gates) {
    return new StationDef(id, "audit", "sim", "either", 60, "fully_auto", vetted(), List.of(gates), 1);
  }

  private static List<StationDef> standard() {
    return List.of(st("bind", "bind"), st("asm", "asm"), st("aud", "aud"), st("rem", "rem"));
  }

  private static DocumentType type(String name, List<String> deps) {
    return new DocumentType(name, null, deps, standard(), 2, 3, null, 5);
  }

  private static DocumentType type(String name, StationDef... stations) {
    return new DocumentType(name, null, List.of(), List.of(stations), 2, 3, null, 5);
  }

  private static DocumentType limits(String name, int maxRemediations, int maxAttempts, int priority) {
    return new DocumentType(name, null, List.of(), standard(), maxRemediations, maxAttempts, null, priority);
  }

  private static LineDefinition line(DocumentType... types) {
    return new LineDefinition("test", null, null, List.of(types));
  }

  private static DocumentType withStation(StationDef replacement, int index) {
    List<StationDef> stations = new ArrayList<>(standard());
    stations.set(index, replacement);
    return new DocumentType("doc", null, List.of(), stations, 2, 3, null, 5);
  }

  private static StationDef station(String kind, String environment, int timeout, int workItems) {
    return new StationDef("asm", kind, "sim", environment, timeout, "fully_auto", vetted(), List.of(), workItems);
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  @DisplayName("a well-formed line has no problems and validates to itself")
  void validLine() {
    LineDefinition line = line(type("intake", List.of()), type("epics", List.of("intake")), type("plan", List.of("intake", "epics")));
    assertEquals(List.of(), LineValidator.problems(line));
    assertSame(line, LineValidator.validate(line));
  }

  static Stream<Arguments> rules() {
    return Stream.of(
        // ---- names
        Arguments.of("line name present",
            new LineDefinition(null, null, null, List.of(type("a", List.of()))),
            "line: name is missing"),
        Arguments.of("line name pattern",
            new LineDefinition("Product Docs", null, null, List.of(type("a", List.of()))),
            "line \"Product Docs\": name is invalid; use lowercase letters, digits, \"_\" and \"-\", starting with a letter or a digit, at most 64 characters"),
        Arguments.of("line name at most 64 characters",
            new LineDefinition("a".repeat(65), null, null, List.of(type("a", List.of()))),
            "line \"" + "a".repeat(65) + "\": name is invalid; use lowercase letters, digits, \"_\" and \"-\", starting with a letter or a digit, at most 64 characters"),
        Arguments.of("at least one document type",
            new LineDefinition("empty", null, null, List.of()),
            "line \"empty\": document_types is empty; a line needs at least one document type"),
        Arguments.of("type name present",
            line(type("a", List.of()), type(null, List.of())),
            "document_types[1]: name is missing"),
        Arguments.of("type name pattern",
            line(type("Epic Backlog", List.of())),
            "document type \"Epic Backlog\": name is invalid; use lowercase letters, digits, \"_\" and \"-\", starting with a letter or a digit, at most 64 characters"),
        Arguments.of("type names unique",
            line(type("epics", List.of()), type("plan", List.of()), type("epics", List.of())),
            "document type \"epics\": name is used by more than one document type (document_types[0] and document_types[2])"),
        // ---- dependencies
        Arguments.of("no unknown dependency",
            line(type("epics", List.of("prd"))),
            "document type \"epics\": depends_on names unknown type \"prd\""),
        Arguments.of("no self-dependency",
            line(type("epics", List.of("epics"))),
            "document type \"epics\": depends_on names the type itself"),
        Arguments.of("no dependency listed twice",
            line(type("a", List.of()), type("b", List.of("a", "a"))),
            "document type \"b\": depends_on lists \"a\" more than once"),
        Arguments.of("no cycle, named in order",
            line(type("a", List.of("b")), type("b", List.of("c")), type("c", List.of("a"))),
            "document type \"a\": depends_on forms a dependency cycle: a -> b -> c -> a"),
        Arguments.of("no two-type cycle",
            line(type("root", List.of()), type("x", List.of("root", "y")), type("y", List.of("x"))),
            "document type \"x\": depends_on forms a dependency cycle: x -> y -> x"),
        Arguments.of("no type that depends on a missing type through another",
            line(type("epics", List.of("prd")), type("plan", List.of("epics")), type("notes", List.of("plan"))),
            "document type \"notes\": could never start; its depends_on chain notes -> plan -> epics -> prd reaches unknown type \"prd\""),
        Arguments.of("no type that depends on a cyclic type",
            line(type("a", List.of("b")), type("b", List.of("a")), type("c", List.of("a"))),
            "document type \"c\": could never start; its depends_on chain c -> a reaches \"a\", which is in a dependency cycle"),
        Arguments.of("no type that depends on a self-dependent type",
            line(type("a", List.of("a")), type("b", List.of("a"))),
            "document type \"b\": could never start; its depends_on chain b -> a reaches \"a\", which depends on itself"),
        // ---- type limits
        Arguments.of("max_remediations >= 0",
            line(limits("doc", -1, 3, 5)),
            "document type \"doc\": max_remediations is -1; it must be 0 or more"),
        Arguments.of("max_attempts >= 1",
            line(limits("doc", 2, 0, 5)),
            "document type \"doc\": max_attempts is 0; it must be 1 or more"),
        Arguments.of("priority at least 1",
            line(limits("doc", 2, 3, 0)),
            "document type \"doc\": priority is 0; it must be between 1 and 10"),
        Arguments.of("priority at most 10",
            line(limits("doc", 2, 3, 11)),
            "document type \"doc\": priority is 11; it must be between 1 and 10"),
        Arguments.of("backoff initial_ms > 0",
            line(new DocumentType("doc", null, List.of(), standard(), 2, 3, new Backoff(0L, 10L, 2.0), 5)),
            "document type \"doc\": backoff.initial_ms is 0; it must be more than 0"),
        Arguments.of("backoff multiplier >= 1",
            line(new DocumentType("doc", null, List.of(), standard(), 2, 3, new Backoff(10L, 100L, 0.5), 5)),
            "document type \"doc\": backoff.multiplier is 0.5; it must be 1 or more"),
        // ---- stations
        Arguments.of("at least one station",
            line(type("doc")),
            "document type \"doc\": stations is empty; a document type needs at least one station"),
        Arguments.of("station ids unique within the type",
            line(type("doc", st("asm", "bind"), st("asm", "assemble"), st("aud", "audit"))),
            "document type \"doc\": stations[1] (\"asm\") id is used by more than one station (stations[0] and stations[1])"),
        Arguments.of("station kind known",
            line(withStation(st("asm", "assembel"), 1)),
            "document type \"doc\": stations[1] (\"asm\") kind \"assembel\" is unknown; use bind, assemble (asm), audit (aud) or remediate (rem)"),
        Arguments.of("station kind present",
            line(withStation(st("asm", null), 1)),
            "document type \"doc\": stations[1] (\"asm\") kind is missing; use bind, assemble (asm), audit (aud) or remediate (rem)"),
        Arguments.of("automation level known",
            line(withStation(st("asm", "asm", "semi_auto", vetted()), 1)),
            "document type \"doc\": stations[1] (\"asm\") automation \"semi_auto\" is unknown; use fully_auto, auto_notify, human_approval or manual"),
        Arguments.of("step type known",
            line(withStation(st("asm", "asm", "fully_auto", new StepDef("python", "vetted", null, Map.of())), 1)),
            "document type \"doc\": stations[1] (\"asm\") step.type \"python\" is unknown; use shell, http or sim"),
        Arguments.of("step type present",
            line(withStation(st("asm", "asm", "fully_auto", new StepDef(null, "vetted", null, Map.of())), 1)),
            "document type \"doc\": stations[1] (\"asm\") step.type is missing; use shell, http or sim (or name a skill)"),
        Arguments.of("trust level known",
            line(withStation(st("asm", "asm", "auto_notify", new StepDef("sim", "trusted", null, Map.of())), 1)),
            "document type \"doc\": stations[1] (\"asm\") step.trust \"trusted\" is unknown; use vetted, community or experimental"),
        Arguments.of("environment known",
            line(withStation(station("asm", "cloud", 60, 1), 1)),
            "document type \"doc\": stations[1] (\"asm\") environment \"cloud\" is unknown; use local, server or either"),
        Arguments.of("timeout_seconds > 0",
            line(withStation(station("asm", "either", 0, 1), 1)),
            "document type \"doc\": stations[1] (\"asm\") timeout_seconds is 0; it must be more than 0"),
        Arguments.of("work_items at least 1",
            line(withStation(station("asm", "either", 60, 0), 1)),
            "document type \"doc\": stations[1] (\"asm\") work_items is 0; it must be between 1 and 100"),
        Arguments.of("work_items at most 100",
            line(withStation(station("asm", "either", 60, 101), 1)),
            "document type \"doc\": stations[1] (\"asm\") work_items is 101; it must be between 1 and 100"),
        Arguments.of("capability not empty",
            line(withStation(new StationDef("asm", "asm", " ", "either", 60, "fully_auto", vetted(), List.of(), 1), 1)),
            "document type \"doc\": stations[1] (\"asm\") capability is empty"),
        // ---- station order
        Arguments.of("the first station is not an audit",
            line(type("doc", st("aud", "audit"), st("asm", "assemble"))),
            "document type \"doc\": stations[0] (\"aud\") kind audit cannot be the first station"),
        Arguments.of("the first station is not a remediation",
            line(type("doc", st("rem", "rem"), st("asm", "assemble"))),
            "document type \"doc\": stations[0] (\"rem\") kind remediate cannot be the first station"),
        Arguments.of("an audit comes after something to audit",
            line(type("doc", st("weld", "weld"), st("aud", "aud"))),
            "document type \"doc\": stations[1] (\"aud\") kind audit has nothing to audit; put a bind or assemble station before it"),
        Arguments.of("an audit with only audits before it has nothing to audit",
            line(new DocumentType("doc", null, List.of(),
                List.of(st("first", "aud"), st("second", "aud")), 2, 3, null, 5)),
            "document type \"doc\": stations[1] (\"second\") kind audit has nothing to audit; put a bind or assemble station before it"),
        Arguments.of("a remediation comes directly after an audit",
            line(type("doc", st("bind", "bind"), st("asm", "asm"), st("rem", "rem"), st("aud", "aud"))),
            "document type \"doc\": stations[2] (\"rem\") kind remediate must come directly after an audit station, not after kind assemble"),
        // ---- automation and trust
        Arguments.of("fully_auto runs only vetted steps",
            line(withStation(st("asm", "asm", "fully_auto", new StepDef("sim", "community", null, Map.of())), 1)),
            "document type \"doc\": stations[1] (\"asm\") automation fully_auto runs only vetted steps; step.trust is community"),
        Arguments.of("a step without trust is experimental",
            line(withStation(st("asm", "asm", "fully_auto", new StepDef("sim", null, null, Map.of())), 1)),
            "document type \"doc\": stations[1] (\"asm\") automation fully_auto runs only vetted steps; step.trust is experimental (none given)"),
        Arguments.of("a station that is not manual needs a step",
            line(withStation(st("asm", "asm", "auto_notify", null), 1)),
            "document type \"doc\": stations[1] (\"asm\") automation auto_notify needs a step (only a manual station runs without one)"),
        Arguments.of("sim shares are between 0 and 1",
            line(withStation(st("aud", "aud", "fully_auto", new StepDef("sim", "vetted", null, Map.of("reject_share", 1.5))), 2)),
            "document type \"doc\": stations[2] (\"aud\") step.params.reject_share is 1.5; it must be a number between 0 and 1"),
        Arguments.of("a shell step needs a command",
            line(withStation(st("asm", "asm", "fully_auto", new StepDef("shell", "vetted", null, Map.of())), 1)),
            "document type \"doc\": stations[1] (\"asm\") step.params.command is missing; a shell step needs a command line"),
        // ---- gates
        Arguments.of("gates only on audit stations",
            line(withStation(new StationDef("asm", "asm", "sim", "either", 60, "fully_auto", vetted(),
                List.of(new GateDef("verification", null, null, null, null, null, null, 1)), 1), 1)),
            "document type \"doc\": stations[1] (\"asm\") gates are allowed only on audit stations, not on kind assemble"),
        Arguments.of("gate type known",
            line(withStation(audit("aud", new GateDef("lint", null, null, null, null, null, null, null)), 2)),
            "document type \"doc\": stations[2] (\"aud\") gates[0] type \"lint\" is unknown; use artifact_exists, content_check, metric_threshold, verification"),
        Arguments.of("artifact_exists needs a pattern",
            line(withStation(audit("aud", new GateDef("artifact_exists", null, null, null, null, null, null, null)), 2)),
            "document type \"doc\": stations[2] (\"aud\") gates[0] (artifact_exists) pattern is missing"),
        Arguments.of("content_check needs an artifact",
            line(withStation(audit("aud", new GateDef("content_check", null, null, List.of("Risks"), null, null, null, null)), 2)),
            "document type \"doc\": stations[2] (\"aud\") gates[0] (content_check) artifact is missing"),
        Arguments.of("content_check needs sections",
            line(withStation(audit("aud", new GateDef("content_check", null, "prd.md", List.of(), null, null, null, null)), 2)),
            "document type \"doc\": stations[2] (\"aud\") gates[0] (content_check) sections is empty; name at least one required section"),
        Arguments.of("metric_threshold needs a metric",
            line(withStation(audit("aud", new GateDef("metric_threshold", null, null, null, null, ">=", 0.8, null)), 2)),
            "document type \"doc\": stations[2] (\"aud\") gates[0] (metric_threshold) metric is missing"),
        Arguments.of("metric_threshold needs a known operator",
            line(withStation(audit("aud", new GateDef("metric_threshold", null, null, null, "coverage", "=>", 0.8, null)), 2)),
            "document type \"doc\": stations[2] (\"aud\") gates[0] (metric_threshold) operator \"=>\" is unknown; use > >= < <= =="),
        Arguments.of("metric_threshold needs a threshold",
            line(withStation(audit("aud", new GateDef("metric_threshold", null, null, null, "coverage", ">=", null, null)), 2)),
            "document type \"doc\": stations[2] (\"aud\") gates[0] (metric_threshold) threshold is missing"),
        Arguments.of("verification needs a level",
            line(withStation(audit("aud", new GateDef("verification", null, null, null, null, null, null, null)), 2)),
            "document type \"doc\": stations[2] (\"aud\") gates[0] (verification) level is missing; use 1 to 6"),
        Arguments.of("verification level at most 6",
            line(withStation(audit("aud", new GateDef("verification", null, null, null, null, null, null, 7)), 2)),
            "document type \"doc\": stations[2] (\"aud\") gates[0] (verification) level is 7; it must be between 1 and 6"),
        Arguments.of("verification level at least 1",
            line(withStation(audit("aud", new GateDef("verification", null, null, null, null, null, null, 0)), 2)),
            "document type \"doc\": stations[2] (\"aud\") gates[0] (verification) level is 0; it must be between 1 and 6"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rules")
  @DisplayName("each rule refuses its line with a message that names the type and the field")
  void ruleRefuses(String rule, LineDefinition line, String expected) {
    List<String> problems = LineValidator.problems(line);
    assertTrue(problems.contains(expected), () -> rule + "\nexpected: " + expected + "\nbut got:  " + String.join("\n          ", problems));
    LineValidationException e = assertThrows(LineValidationException.class, () -> LineValidator.validate(line));
    assertEquals(problems, e.problems());
    assertEquals(String.join("; ", problems), e.getMessage());
    problems.forEach(p -> assertFalse(FORBIDDEN.matcher(p).find(), "production vocabulary: " + p));
  }

  @Test
  @DisplayName("a cycle is reported once, and every type in it is named")
  void cycleReportedOnce() {
    List<String> problems = LineValidator.problems(
        line(type("a", List.of("b")), type("b", List.of("c")), type("c", List.of("a"))));
    assertEquals(List.of("document type \"a\": depends_on forms a dependency cycle: a -> b -> c -> a"), problems);
  }

  @Test
  @DisplayName("two cycles through one type each name their members")
  void twoCyclesThroughOneType() {
    List<String> problems = LineValidator.problems(
        line(type("a", List.of("b", "c")), type("b", List.of("a")), type("c", List.of("a"))));
    assertEquals(List.of(
        "document type \"a\": depends_on forms a dependency cycle: a -> b -> a",
        "document type \"c\": depends_on forms a dependency cycle: c -> a -> c"), problems);
  }

  @Test
  @DisplayName("a type with a direct unknown dependency is reported once, for the unknown name")
  void directUnknownReportedOnce() {
    List<String> problems = LineValidator.problems(line(type("epics", List.of("prd"))));
    assertEquals(List.of("document type \"epics\": depends_on names unknown type \"prd\""), problems);
  }

  @Test
  @DisplayName("a diamond (a join of parallel branches) is fine")
  void diamond() {
    assertEquals(List.of(), LineValidator.problems(line(
        type("root", List.of()), type("left", List.of("root")), type("right", List.of("root")),
        type("join", List.of("left", "right")), type("after", List.of("join", "root")))));
  }

  @Test
  @DisplayName("short and long station kind names are both accepted")
  void shortAndLongKinds() {
    assertEquals(List.of(), LineValidator.problems(line(type("doc",
        st("b", "bind"), st("a1", "assemble"), st("a2", "asm"), st("au1", "audit"), st("r1", "remediate"),
        st("a3", "asm"), st("au2", "aud"), st("r2", "rem")))));
  }

  @Test
  @DisplayName("a manual station needs no step and may stand anywhere a station of its kind may")
  void manualWithoutStep() {
    assertEquals(List.of(), LineValidator.problems(line(type("doc",
        st("asm", "asm", "manual", null), st("aud", "aud", "manual", null)))));
  }

  @Test
  @DisplayName("a non-fully_auto station may run a community or experimental step")
  void lowerTrustOutsideFullyAuto() {
    assertEquals(List.of(), LineValidator.problems(line(type("doc",
        st("asm", "asm", "auto_notify", new StepDef("sim", "community", null, Map.of())),
        st("aud", "aud", "human_approval", new StepDef("sim", "experimental", null, Map.of()))))));
  }

  @Test
  @DisplayName("every gate type with its fields passes")
  void everyGateTypePasses() {
    StationDef gated = audit("aud",
        new GateDef("artifact_exists", "*.md", null, null, null, null, null, null),
        new GateDef("content_check", null, "prd.md", List.of("Goals", "Risks"), null, null, null, null),
        new GateDef("metric_threshold", null, null, null, "coverage", ">=", 0.8, null),
        new GateDef("verification", null, null, null, null, null, null, 6));
    assertEquals(List.of(), LineValidator.problems(line(withStation(gated, 2))));
  }

  // ---------------------------------------------------------------------------------------------
  // Never throws

  @Test
  @DisplayName("nulls everywhere are problems, never exceptions")
  void nullsEverywhere() {
    List<LineDefinition> odd = List.of(
        new LineDefinition(null, null, null, null),
        new LineDefinition("x", null, null, List.of(new DocumentType(null, null, null, null, null, null, null, null))),
        new LineDefinition("x", null, null, List.of(new DocumentType("d", null, null,
            List.of(new StationDef(null, null, null, null, null, null, null, null, null)), null, null, null, null))),
        new LineDefinition("x", null, null, List.of(new DocumentType("d", null, null,
            List.of(new StationDef("s", "asm", null, null, null, null, new StepDef(null, null, null, null), null, null),
                new StationDef("a", "aud", null, null, null, null, vetted(),
                    List.of(new GateDef(null, null, null, null, null, null, null, null),
                        new GateDef("content_check", null, null, null, null, null, null, null),
                        new GateDef("metric_threshold", null, null, null, null, null, Double.NaN, null)), null)),
            null, null, new Backoff(null, null, null), null))));
    for (LineDefinition line : odd) {
      List<String> problems = LineValidator.problems(line);
      assertFalse(problems.isEmpty(), line.toString());
      problems.forEach(p -> assertFalse(p.contains("could not be checked"), p));
    }
    assertEquals(List.of("line definition is missing"), LineValidator.problems(null));
  }

  @Test
  @DisplayName("thousands of random definitions never make it throw, and its messages keep the production vocabulary")
  void randomDefinitions() {
    Random random = new Random(20250102L);
    String[] names = {null, "", "a", "b", "c", "d", "Bad Name", "a"};
    String[] kinds = {null, "", "bind", "asm", "assemble", "aud", "audit", "rem", "remediate", "weld"};
    String[] automations = {null, "", "fully_auto", "auto_notify", "human_approval", "manual", "robotic"};
    String[] stepTypes = {null, "", "sim", "shell", "http", "python"};
    String[] trusts = {null, "vetted", "community", "experimental", "blessed"};
    String[] envs = {null, "local", "server", "either", "moon"};
    String[] gateTypes = {null, "artifact_exists", "content_check", "metric_threshold", "verification", "lint"};
    Integer[] ints = {null, -1, 0, 1, 2, 6, 7, 11, 101};
    for (int n = 0; n < 3000; n++) {
      List<DocumentType> types = new ArrayList<>();
      int typeCount = random.nextInt(6);
      for (int t = 0; t < typeCount; t++) {
        List<String> deps = new ArrayList<>();
        for (int d = random.nextInt(4); d > 0; d--) {
          String dep = pick(random, names);
          if (dep != null) {
            deps.add(dep);
          }
        }
        List<StationDef> stations = new ArrayList<>();
        for (int s = random.nextInt(6); s > 0; s--) {
          List<GateDef> gates = new ArrayList<>();
          for (int g = random.nextInt(3); g > 0; g--) {
            gates.add(new GateDef(pick(random, gateTypes), random.nextBoolean() ? "*.md" : null,
                random.nextBoolean() ? "x.md" : null, random.nextBoolean() ? List.of("A") : null,
                random.nextBoolean() ? "m" : null, random.nextBoolean() ? ">=" : "~",
                random.nextBoolean() ? 1.0 : null, pick(random, ints)));
          }
          Map<String, Object> params = new HashMap<>();
          if (random.nextBoolean()) {
            params.put("reject_share", random.nextBoolean() ? 0.3 : "lots");
          }
          StepDef step = random.nextInt(4) == 0 ? null
              : new StepDef(pick(random, stepTypes), pick(random, trusts), random.nextBoolean() ? "skill" : null, params);
          stations.add(new StationDef(pick(random, names), pick(random, kinds), random.nextBoolean() ? "sim" : null,
              pick(random, envs), pick(random, ints), pick(random, automations), step, gates, pick(random, ints)));
        }
        types.add(new DocumentType(pick(random, names), null, deps, stations, pick(random, ints), pick(random, ints),
            random.nextBoolean() ? null : new Backoff(random.nextBoolean() ? -5L : 5L, 1L, random.nextBoolean() ? 0.1 : 2.0),
            pick(random, ints)));
      }
      LineDefinition line = new LineDefinition(pick(random, names), null, null, types);
      List<String> problems = LineValidator.problems(line);
      assertNotNull(problems);
      for (String p : problems) {
        assertFalse(p.contains("could not be checked"), () -> p + " for " + line);
        assertFalse(FORBIDDEN.matcher(p).find(), () -> "production vocabulary: " + p);
      }
    }
  }

  private static <T> T pick(Random random, T[] values) {
    return values[random.nextInt(values.length)];
  }

  // ---------------------------------------------------------------------------------------------
  // The shipped lines

  @Test
  @DisplayName("the shipped lines in conf/lines load and validate")
  void shippedLinesValidate() {
    Map<String, LineDefinition> lines = Lines.loadDirectory(new ObjectMapper(), Path.of("conf", "lines"));
    assertTrue(lines.keySet().containsAll(List.of("documents", "assembly")), lines.keySet().toString());
    lines.values().forEach(l -> assertEquals(List.of(), LineValidator.problems(l), l.name()));
  }

  @Test
  @DisplayName("the documents demo line has a root, parallel branches and a join, and always stabilizes")
  void documentsLineShape() {
    LineDefinition docs = Lines.loadDirectory(new ObjectMapper(), Path.of("conf", "lines")).get("documents");
    assertNotNull(docs);
    assertTrue(docs.documentTypes().size() >= 5, "about seven types");
    List<DocumentType> roots = docs.documentTypes().stream().filter(t -> t.dependsOn().isEmpty()).toList();
    assertEquals(1, roots.size(), "one root");
    assertTrue(docs.documentTypes().stream().anyMatch(t -> t.dependsOn().size() >= 2), "a join");
    assertTrue(docs.documentTypes().stream().anyMatch(t -> docs.dependentsOf(t.name()).size() >= 2), "parallel branches");
    for (DocumentType t : docs.documentTypes()) {
      for (StationDef s : t.stations()) {
        Map<String, Object> params = s.step().params();
        assertFalse(params.containsKey("needs_input_share") || params.containsKey("halt_share"),
            t.name() + "/" + s.id() + ": the demo line never stops for an operator");
        if (params.containsKey("reject_share")) {
          Object limit = params.get("reject_limit");
          assertTrue(limit instanceof Number n && n.intValue() <= t.maxRemediations(),
              t.name() + "/" + s.id() + ": reject_limit keeps the circuit breaker from tripping");
        }
      }
    }
  }

  @Test
  @DisplayName("the assembly line runs spec, build, test and production, each gated by its verification level")
  void assemblyLineShape() {
    LineDefinition assembly = Lines.loadDirectory(new ObjectMapper(), Path.of("conf", "lines")).get("assembly");
    assertNotNull(assembly);
    assertEquals(1, assembly.documentTypes().size());
    DocumentType build = assembly.documentTypes().get(0);
    assertEquals("build", build.name());
    List<String> kinds = build.stations().stream().map(s -> s.stationKind().wire()).toList();
    assertEquals(List.of(
        "assemble", "audit", "remediate", "assemble", "audit", "remediate",
        "assemble", "audit", "remediate", "assemble", "audit", "remediate"), kinds);
    List<Integer> levels = build.stations().stream()
        .flatMap(s -> s.gates().stream())
        .filter(g -> g.type().equals("verification"))
        .map(GateDef::level)
        .toList();
    assertEquals(List.of(1, 2, 4, 6), levels);
    assertEquals(List.of("spec", "build", "test", "production"), build.stations().stream()
        .filter(s -> s.stationKind() == StationKind.ASSEMBLE).map(StationDef::id).toList());
    assertTrue(build.stations().stream().allMatch(s -> s.capability().equals("build")));
  }

  @Test
  @DisplayName("each finding carries the JSON path of the element it concerns; a cycle names its members")
  void findingsCarryPaths() {
    record Case(LineDefinition line, String path, String says) {
    }
    List<Case> cases = List.of(
        new Case(new LineDefinition("Bad Name", null, null, List.of(type("a", List.of()))), "name", "name is invalid"),
        new Case(line(type("a", List.of()), type("b", List.of("zz"))), "document_types[1].depends_on[0]", "unknown type \"zz\""),
        new Case(line(type("a", List.of()), withStation(st("x", "weld"), 2)), "document_types[1].stations[2].kind", "\"weld\" is unknown"),
        new Case(line(withStation(st("aud", "audit"), 0)), "document_types[0].stations[0].kind", "cannot be the first station"),
        new Case(line(withStation(new StationDef("asm", "asm", "sim", "either", 60, "fully_auto", vetted(), List.of(), 500), 1)),
            "document_types[0].stations[1].work_items", "work_items is 500"),
        new Case(line(withStation(st("asm", "asm", "fully_auto", new StepDef("sim", "community", null, Map.of())), 1)),
            "document_types[0].stations[1].step.trust", "runs only vetted steps"),
        new Case(line(withStation(audit("aud", new GateDef("verification", null, null, null, null, null, null, 9)), 2)),
            "document_types[0].stations[2].gates[0].level", "level is 9"),
        new Case(line(limits("a", -1, 3, 5)), "document_types[0].max_remediations", "max_remediations is -1"),
        new Case(new LineDefinition("test", null, "d".repeat(LineValidator.MAX_TEXT + 1), List.of(type("a", List.of()))),
            "description", "at most 2000"));
    for (Case c : cases) {
      List<Finding> findings = LineValidator.findings(c.line(), null);
      assertTrue(findings.stream().anyMatch(f -> f.path().equals(c.path()) && f.message().contains(c.says())),
          () -> c.path() + " / " + c.says() + "\nbut got: " + findings);
    }
    List<Finding> cycle = LineValidator.findings(line(type("a", List.of("c")), type("b", List.of("a")), type("c", List.of("b"))), null);
    assertEquals("document_types[0].depends_on", cycle.get(0).path());
    assertEquals(List.of("a", "c", "b"), cycle.get(0).members());
  }
}
