package io.productionline.line;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Checks a {@link LineDefinition} on load and on submit. Every problem is one sentence that names
 * the document type and the field, for example
 * {@code document type "epics": depends_on names unknown type "prd"}, and, as a {@link Finding},
 * the JSON path of the element it concerns ({@code document_types[1].depends_on[0]}).
 *
 * <p>Rules:
 * <ul>
 *   <li>the line and each document type have a name matching {@link #NAME}; type names are unique;
 *       a line has at least one and at most {@link #MAX_DOCUMENT_TYPES} document types, a type at most
 *       {@link #MAX_STATIONS} stations; titles and descriptions are at most {@link #MAX_TEXT}
 *       characters, a step's params nest at most {@link #MAX_PARAMS_DEPTH} levels;</li>
 *   <li>{@code depends_on}: no unknown type, no self-dependency, no cycle (the cycle is named in order),
 *       and no type that could never start because it depends, directly or not, on a missing or cyclic type;</li>
 *   <li>each type has at least one station, with unique ids, a known kind (long or short name),
 *       automation level, environment, step type and trust level; {@code timeout_seconds > 0},
 *       {@code work_items} 1–100, {@code max_remediations >= 0}, {@code max_attempts >= 1},
 *       {@code priority} 1–10;</li>
 *   <li>the first station is neither an audit nor a remediation; an audit comes after a bind or
 *       assemble station; a remediation comes directly after an audit;</li>
 *   <li>a {@code fully_auto} station runs only a {@code vetted} step (a step without trust counts as
 *       experimental); a station that is not {@code manual} needs a step;</li>
 *   <li>gates only on audit stations, each of a type in {@link GateDef#TYPES} with its fields;</li>
 *   <li>with a skill catalog: every {@code step.skill} names a loaded skill, the station keeps the
 *       skill's step type and trust, and the {@code fully_auto} rule applies to the skill's trust;</li>
 *   <li>{@code fan_out}: {@code station} is a station of the type, {@code items} names a field,
 *       {@code child_type} is another type of the line that has no {@code depends_on} and does not fan
 *       out in turn (a chain of fan-outs that comes back is named as a cycle), no type depends on a
 *       child type (it waits for the fan-out type instead), {@code max_items} 1–{@link FanOut#MAX_ITEMS}.</li>
 * </ul>
 * {@link #problems(LineDefinition)} never throws, whatever it is given.
 */
public final class LineValidator {

  /** Line, document type names: lowercase letters, digits, {@code _} and {@code -}, at most 64 characters. */
  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
  public static final List<String> ENVIRONMENTS = List.of("local", "server", "either");
  public static final List<String> OPERATORS = List.of(">", ">=", "<", "<=", "==");
  public static final int MAX_WORK_ITEMS = 100;
  public static final int MIN_PRIORITY = 1;
  public static final int MAX_PRIORITY = 10;
  public static final int MIN_VERIFICATION_LEVEL = 1;
  public static final int MAX_VERIFICATION_LEVEL = 6;
  /** A line has at most this many document types. */
  public static final int MAX_DOCUMENT_TYPES = 200;
  /** A document type has at most this many stations. */
  public static final int MAX_STATIONS = 50;
  /** Titles and descriptions are at most this many characters. */
  public static final int MAX_TEXT = 2_000;
  /** A step's params nest at most this many objects or lists deep. */
  public static final int MAX_PARAMS_DEPTH = 8;

  private static final String NAME_RULE =
      "use lowercase letters, digits, \"_\" and \"-\", starting with a letter or a digit, at most 64 characters";
  private static final String KINDS = "bind, assemble (asm), audit (aud) or remediate (rem)";
  private static final String AUTOMATIONS = "fully_auto, auto_notify, human_approval or manual";
  private static final String STEP_TYPES = "shell, http or sim";
  private static final String TRUST_LEVELS = "vetted, community or experimental";

  private LineValidator() {
  }

  /** Every problem of {@code line}; empty when it can be used. Never throws. Skill references are not looked up. */
  public static List<String> problems(LineDefinition line) {
    return problems(line, null);
  }

  /**
   * Every problem of {@code line}, skill references checked against {@code skills} (each must
   * exist; a station cannot change a skill's step type or trust; the {@code fully_auto} rule uses the
   * skill's trust level). With {@code skills} null, references are not looked up. Never throws.
   */
  public static List<String> problems(LineDefinition line, Map<String, Skill> skills) {
    return findings(line, skills).stream().map(Finding::message).toList();
  }

  /**
   * Every problem of {@code line} as {@link #problems(LineDefinition, Map)}, each with the JSON path
   * of the element it concerns ({@code document_types[1].stations[0].kind}). Never throws.
   */
  public static List<Finding> findings(LineDefinition line, Map<String, Skill> skills) {
    Out out = new Out();
    try {
      checkLine(line, skills, out);
    } catch (RuntimeException e) {
      // A belt under the braces: a definition this class cannot read is not a usable definition.
      out.add("", "line definition could not be checked completely (" + e.getClass().getSimpleName() + ")");
    }
    return List.copyOf(out.findings);
  }

  /** The findings of one check, in the order found. */
  private static final class Out {
    final List<Finding> findings = new ArrayList<>();

    void add(String path, String message) {
      findings.add(new Finding(path, message));
    }

    /** The messages only (a sub-check whose findings are taken over as they are). */
    void addAll(Out other) {
      findings.addAll(other.findings);
    }
  }

  /**
   * Checks {@code line} and hands it back.
   *
   * @throws LineValidationException carrying every problem when there is at least one
   */
  public static LineDefinition validate(LineDefinition line) {
    return validate(line, null);
  }

  /**
   * Checks {@code line} against the skill catalog and hands it back as written.
   *
   * @throws LineValidationException carrying every problem when there is at least one
   */
  public static LineDefinition validate(LineDefinition line, Map<String, Skill> skills) {
    List<Finding> findings = findings(line, skills);
    if (!findings.isEmpty()) {
      throw LineValidationException.of(findings, null);
    }
    return line;
  }

  // ---------------------------------------------------------------------------------------------
  // The line and its names

  private static void checkLine(LineDefinition line, Map<String, Skill> skills, Out out) {
    if (line == null) {
      out.add("", "line definition is missing");
      return;
    }
    String lineLabel = blank(line.name()) ? "line" : "line \"" + line.name() + "\"";
    if (blank(line.name())) {
      out.add("name", "line: name is missing");
    } else if (!NAME.matcher(line.name()).matches()) {
      out.add("name", lineLabel + ": name is invalid; " + NAME_RULE);
    }
    List<DocumentType> types = nullToEmpty(line.documentTypes());
    if (types.isEmpty()) {
      out.add("document_types", lineLabel + ": document_types is empty; a line needs at least one document type");
      return;
    }
    if (types.size() > MAX_DOCUMENT_TYPES) {
      out.add("document_types", lineLabel + ": document_types holds " + types.size() + " types; a line has at most "
          + MAX_DOCUMENT_TYPES);
      return;
    }
    text(line.title(), "title", lineLabel + ": title", out);
    text(line.description(), "description", lineLabel + ": description", out);

    Map<String, Integer> firstIndex = new HashMap<>();
    for (int i = 0; i < types.size(); i++) {
      DocumentType t = types.get(i);
      if (t == null) {
        out.add(typePath(i), "document_types[" + i + "] is empty");
        continue;
      }
      if (blank(t.name())) {
        out.add(typePath(i) + ".name", "document_types[" + i + "]: name is missing");
        continue;
      }
      if (!NAME.matcher(t.name()).matches()) {
        out.add(typePath(i) + ".name", typeLabel(t, i) + ": name is invalid; " + NAME_RULE);
      }
      Integer first = firstIndex.putIfAbsent(t.name(), i);
      if (first != null) {
        out.add(typePath(i) + ".name", typeLabel(t, i) + ": name is used by more than one document type (document_types["
            + first + "] and document_types[" + i + "])");
      }
    }

    checkGraph(types, out);
    checkFanOuts(types, out);
    for (int i = 0; i < types.size(); i++) {
      DocumentType t = types.get(i);
      if (t != null) {
        checkType(t, typeLabel(t, i), typePath(i), skills, out);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The dependency graph

  private static void checkGraph(List<DocumentType> types, Out out) {
    // The graph holds the first type of each name; a duplicate is already reported.
    Map<String, DocumentType> byName = new LinkedHashMap<>();
    for (DocumentType t : types) {
      if (t != null && !blank(t.name())) {
        byName.putIfAbsent(t.name(), t);
      }
    }

    Map<String, List<String>> edges = new LinkedHashMap<>();
    Map<String, String> paths = new HashMap<>();
    Map<String, List<String>> unknown = new LinkedHashMap<>();
    Set<String> selfDependent = new LinkedHashSet<>();
    for (int i = 0; i < types.size(); i++) {
      DocumentType t = types.get(i);
      if (t == null || blank(t.name()) || byName.get(t.name()) != t) {
        continue;
      }
      String label = typeLabel(t, i);
      String deps = typePath(i) + ".depends_on";
      Set<String> seen = new LinkedHashSet<>();
      List<String> known = new ArrayList<>();
      List<String> missing = new ArrayList<>();
      List<String> dependsOn = nullToEmpty(t.dependsOn());
      for (int d = 0; d < dependsOn.size(); d++) {
        String dep = dependsOn.get(d);
        String at = deps + "[" + d + "]";
        if (blank(dep)) {
          out.add(at, label + ": depends_on holds an empty name");
          continue;
        }
        if (!seen.add(dep)) {
          out.add(at, label + ": depends_on lists \"" + dep + "\" more than once");
          continue;
        }
        if (dep.equals(t.name())) {
          out.add(at, label + ": depends_on names the type itself");
          selfDependent.add(dep);
        } else if (!byName.containsKey(dep)) {
          out.add(at, label + ": depends_on names unknown type \"" + dep + "\"");
          missing.add(dep);
        } else {
          known.add(dep);
        }
      }
      edges.put(t.name(), known);
      paths.put(t.name(), typePath(i));
      unknown.put(t.name(), missing);
    }

    // Cycles: a type is in one when it can reach itself. Each cyclic type is named in at least
    // one reported cycle, the shortest through the first uncovered member in definition order.
    Set<String> cyclic = new LinkedHashSet<>(selfDependent);
    Set<String> covered = new HashSet<>();
    for (String name : edges.keySet()) {
      if (covered.contains(name)) {
        cyclic.add(name);
        continue;
      }
      List<String> path = shortestPath(edges, name, name::equals);
      if (path != null) {
        cyclic.add(name);
        covered.addAll(path);
        out.findings.add(new Finding(paths.get(name) + ".depends_on", typeLabel(name) + ": depends_on forms a dependency cycle: "
            + String.join(" -> ", path), path.subList(0, path.size() - 1)));
      }
    }

    // Types that could never start: they reach, directly or not, a type with an unknown
    // dependency or a type in a cycle (their own problems are reported above).
    for (String name : edges.keySet()) {
      if (cyclic.contains(name) || !unknown.get(name).isEmpty()) {
        continue;
      }
      List<String> path = shortestPath(edges, name, n -> cyclic.contains(n) || !unknown.get(n).isEmpty());
      if (path == null) {
        continue;
      }
      String stuck = path.get(path.size() - 1);
      List<String> missing = unknown.get(stuck);
      if (!missing.isEmpty()) {
        List<String> chain = new ArrayList<>(path);
        chain.add(missing.get(0));
        out.add(paths.get(name) + ".depends_on", typeLabel(name) + ": could never start; its depends_on chain " + String.join(" -> ", chain)
            + " reaches unknown type \"" + missing.get(0) + "\"");
      } else {
        String why = selfDependent.contains(stuck) && !reachesItself(edges, stuck)
            ? "which depends on itself" : "which is in a dependency cycle";
        out.add(paths.get(name) + ".depends_on", typeLabel(name) + ": could never start; its depends_on chain " + String.join(" -> ", path)
            + " reaches \"" + stuck + "\", " + why);
      }
    }
  }

  private static boolean reachesItself(Map<String, List<String>> edges, String name) {
    return shortestPath(edges, name, name::equals) != null;
  }

  /**
   * The shortest path of at least one edge from {@code start} to a node that {@code target}
   * accepts, as the list of names from {@code start} to that node; null when there is none.
   * Breadth first, following {@code depends_on} in the order written, so the answer is stable.
   */
  private static List<String> shortestPath(Map<String, List<String>> edges, String start,
                                           Predicate<String> target) {
    Map<String, String> parent = new HashMap<>();
    Deque<String> queue = new ArrayDeque<>();
    Set<String> visited = new HashSet<>();
    for (String dep : edges.getOrDefault(start, List.of())) {
      if (visited.add(dep)) {
        parent.put(dep, start);
        queue.add(dep);
      }
    }
    while (!queue.isEmpty()) {
      String n = queue.poll();
      if (target.test(n)) {
        // Walk the parents back to start (when n is start itself, its parent is the cycle's last hop).
        List<String> path = new ArrayList<>();
        path.add(n);
        String p = parent.get(n);
        while (p != null) {
          path.add(0, p);
          p = p.equals(start) ? null : parent.get(p);
        }
        return path;
      }
      for (String dep : edges.getOrDefault(n, List.of())) {
        if (visited.add(dep)) {
          parent.put(dep, n);
          queue.add(dep);
        }
      }
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // Fan-out

  private static void checkFanOuts(List<DocumentType> types, Out out) {
    Map<String, Integer> index = new LinkedHashMap<>();
    for (int i = 0; i < types.size(); i++) {
      DocumentType t = types.get(i);
      if (t != null && !blank(t.name())) {
        index.putIfAbsent(t.name(), i);
      }
    }
    // child type -> the types whose fan-out produces it
    Map<String, List<String>> parents = new LinkedHashMap<>();
    for (int i = 0; i < types.size(); i++) {
      DocumentType t = types.get(i);
      if (t == null || t.fanOut() == null) {
        continue;
      }
      FanOut f = t.fanOut();
      String label = typeLabel(t, i);
      String fp = typePath(i) + ".fan_out";
      List<StationDef> stations = nullToEmpty(t.stations());
      List<String> ids = stations.stream().filter(java.util.Objects::nonNull).map(StationDef::id).filter(id -> !blank(id)).toList();
      if (blank(f.station())) {
        out.add(fp + ".station", label + ": fan_out.station is missing; name the station whose result lists the items");
      } else if (!ids.contains(f.station())) {
        out.add(fp + ".station", label + ": fan_out.station names \"" + f.station() + "\", which is not a station of this type"
            + (ids.isEmpty() ? "" : " (its stations: " + String.join(", ", ids) + ")"));
      }
      if (blank(f.items())) {
        out.add(fp + ".items", label + ": fan_out.items is missing; name the field of the station's result that lists the items");
      } else if (f.items().length() > 64) {
        out.add(fp + ".items", label + ": fan_out.items is " + f.items().length() + " characters long; at most 64");
      }
      if (f.maxItems() != null && (f.maxItems() < 1 || f.maxItems() > FanOut.MAX_ITEMS)) {
        out.add(fp + ".max_items", label + ": fan_out.max_items is " + f.maxItems() + "; it must be between 1 and " + FanOut.MAX_ITEMS);
      }
      String child = f.childType();
      if (blank(child)) {
        out.add(fp + ".child_type", label + ": fan_out.child_type is missing; name the document type each item becomes");
        continue;
      }
      if (child.equals(t.name())) {
        out.findings.add(new Finding(fp + ".child_type", label + ": fan_out.child_type names the type itself; a fan-out forms a cycle: "
            + t.name() + " -> " + t.name(), List.of(t.name())));
        continue;
      }
      Integer c = index.get(child);
      if (c == null) {
        out.add(fp + ".child_type", label + ": fan_out.child_type names unknown type \"" + child + "\"");
        continue;
      }
      parents.computeIfAbsent(child, k -> new ArrayList<>()).add(t.name());
      DocumentType childType = types.get(c);
      if (childType.fanOut() != null) {
        // Follow the chain of fan-outs from the child: back to this type is a cycle; anything else is a nested fan-out.
        List<String> chain = new ArrayList<>(List.of(t.name(), child));
        DocumentType at = childType;
        while (at != null && at.fanOut() != null && !blank(at.fanOut().childType()) && !chain.subList(1, chain.size()).contains(at.fanOut().childType())) {
          chain.add(at.fanOut().childType());
          if (chain.get(chain.size() - 1).equals(t.name())) {
            break;
          }
          Integer next = index.get(at.fanOut().childType());
          at = next == null ? null : types.get(next);
        }
        if (chain.get(chain.size() - 1).equals(t.name())) {
          out.findings.add(new Finding(fp + ".child_type", label + ": fan_out forms a cycle: " + String.join(" -> ", chain),
              chain.subList(0, chain.size() - 1)));
        } else {
          out.add(fp + ".child_type", label + ": fan_out.child_type \"" + child + "\" fans out in turn; a child type cannot have a fan_out");
        }
      }
    }
    for (var e : parents.entrySet()) {
      int c = index.get(e.getKey());
      DocumentType childType = types.get(c);
      if (!nullToEmpty(childType.dependsOn()).isEmpty()) {
        out.add(typePath(c) + ".depends_on", typeLabel(childType, c) + ": is the child_type of the fan-out of "
            + quoted(e.getValue()) + "; a child type has no depends_on (its tracks start when the fan-out creates them)");
      }
    }
    for (int i = 0; i < types.size(); i++) {
      DocumentType t = types.get(i);
      if (t == null) {
        continue;
      }
      List<String> deps = nullToEmpty(t.dependsOn());
      for (int d = 0; d < deps.size(); d++) {
        List<String> of = parents.get(deps.get(d));
        if (of != null) {
          out.add(typePath(i) + ".depends_on[" + d + "]", typeLabel(t, i) + ": depends_on names \"" + deps.get(d)
              + "\", the child_type of the fan-out of " + quoted(of) + "; depend on " + quoted(of)
              + " to wait until every child is stabilized or escalated");
        }
      }
    }
  }

  private static String quoted(List<String> names) {
    return String.join(", ", names.stream().map(n -> "\"" + n + "\"").toList());
  }

  // ---------------------------------------------------------------------------------------------
  // One document type and its stations

  private static void checkType(DocumentType t, String label, String path, Map<String, Skill> skills, Out out) {
    text(t.title(), path + ".title", label + ": title", out);
    if (t.maxRemediations() != null && t.maxRemediations() < 0) {
      out.add(path + ".max_remediations", label + ": max_remediations is " + t.maxRemediations() + "; it must be 0 or more");
    }
    if (t.maxAttempts() != null && t.maxAttempts() < 1) {
      out.add(path + ".max_attempts", label + ": max_attempts is " + t.maxAttempts() + "; it must be 1 or more");
    }
    if (t.priority() != null && (t.priority() < MIN_PRIORITY || t.priority() > MAX_PRIORITY)) {
      out.add(path + ".priority", label + ": priority is " + t.priority() + "; it must be between " + MIN_PRIORITY + " and " + MAX_PRIORITY);
    }
    Backoff b = t.backoff();
    if (b != null) {
      if (b.initialMs() != null && b.initialMs() <= 0) {
        out.add(path + ".backoff.initial_ms", label + ": backoff.initial_ms is " + b.initialMs() + "; it must be more than 0");
      }
      if (b.maxMs() != null && b.initialMs() != null && b.maxMs() < b.initialMs()) {
        out.add(path + ".backoff.max_ms", label + ": backoff.max_ms is " + b.maxMs() + "; it must be at least initial_ms (" + b.initialMs() + ")");
      }
      if (b.multiplier() != null && !(b.multiplier() >= 1.0 && Double.isFinite(b.multiplier()))) {
        out.add(path + ".backoff.multiplier", label + ": backoff.multiplier is " + b.multiplier() + "; it must be 1 or more");
      }
    }

    List<StationDef> stations = nullToEmpty(t.stations());
    if (stations.isEmpty()) {
      out.add(path + ".stations", label + ": stations is empty; a document type needs at least one station");
      return;
    }
    if (stations.size() > MAX_STATIONS) {
      out.add(path + ".stations", label + ": stations holds " + stations.size() + " stations; a document type has at most "
          + MAX_STATIONS);
      return;
    }
    Map<String, Integer> firstId = new HashMap<>();
    boolean somethingToAudit = false;
    StationKind previous = null;
    for (int i = 0; i < stations.size(); i++) {
      StationDef s = stations.get(i);
      if (s == null) {
        out.add(path + ".stations[" + i + "]", label + ": stations[" + i + "] is empty");
        previous = null;
        continue;
      }
      String at = label + ": " + stationLabel(s, i);
      String sp = path + ".stations[" + i + "]";
      if (blank(s.id())) {
        out.add(sp + ".id", at + " id is missing");
      } else {
        Integer first = firstId.putIfAbsent(s.id(), i);
        if (first != null) {
          out.add(sp + ".id", at + " id is used by more than one station (stations[" + first + "] and stations[" + i + "])");
        }
      }

      StationKind kind = null;
      if (blank(s.kind())) {
        out.add(sp + ".kind", at + " kind is missing; use " + KINDS);
      } else {
        kind = StationKind.parse(s.kind()).orElse(null);
        if (kind == null) {
          out.add(sp + ".kind", at + " kind \"" + s.kind() + "\" is unknown; use " + KINDS);
        }
      }
      if (kind != null) {
        if (i == 0 && (kind == StationKind.AUDIT || kind == StationKind.REMEDIATE)) {
          out.add(sp + ".kind", at + " kind " + kind.wire() + " cannot be the first station");
        } else if (kind == StationKind.AUDIT && !somethingToAudit) {
          out.add(sp + ".kind", at + " kind audit has nothing to audit; put a bind or assemble station before it");
        } else if (kind == StationKind.REMEDIATE && previous != StationKind.AUDIT && previous != null) {
          out.add(sp + ".kind", at + " kind remediate must come directly after an audit station, not after kind " + previous.wire());
        }
        if (kind == StationKind.BIND || kind == StationKind.ASSEMBLE) {
          somethingToAudit = true;
        }
      }
      previous = kind;

      checkStation(s, kind, at, sp, skills, out);
    }
  }

  private static void checkStation(StationDef s, StationKind kind, String at, String sp, Map<String, Skill> skills, Out out) {
    if (s.id() != null && s.id().length() > 64) {
      out.add(sp + ".id", at + " id is " + s.id().length() + " characters long; at most 64");
    }
    if (s.capability() != null && s.capability().isBlank()) {
      out.add(sp + ".capability", at + " capability is empty");
    } else if (s.capability() != null && s.capability().length() > 64) {
      out.add(sp + ".capability", at + " capability is " + s.capability().length() + " characters long; at most 64");
    }
    if (s.environment() != null && !ENVIRONMENTS.contains(s.environment())) {
      out.add(sp + ".environment", at + " environment \"" + s.environment() + "\" is unknown; use local, server or either");
    }
    if (s.timeoutSeconds() != null && s.timeoutSeconds() <= 0) {
      out.add(sp + ".timeout_seconds", at + " timeout_seconds is " + s.timeoutSeconds() + "; it must be more than 0");
    }
    if (s.workItems() != null && (s.workItems() < 1 || s.workItems() > MAX_WORK_ITEMS)) {
      out.add(sp + ".work_items", at + " work_items is " + s.workItems() + "; it must be between 1 and " + MAX_WORK_ITEMS);
    }

    AutomationLevel automation = null;
    if (blank(s.automation())) {
      out.add(sp + ".automation", at + " automation is missing; use " + AUTOMATIONS);
    } else {
      automation = AutomationLevel.parse(s.automation()).orElse(null);
      if (automation == null) {
        out.add(sp + ".automation", at + " automation \"" + s.automation() + "\" is unknown; use " + AUTOMATIONS);
      }
    }

    StepDef step = s.step();
    if (step == null) {
      if (automation != null && automation != AutomationLevel.MANUAL) {
        out.add(sp + ".step", at + " automation " + automation.wire() + " needs a step (only a manual station runs without one)");
      }
    } else if (skills != null && !blank(step.skill())) {
      checkSkillStep(step, automation, at, sp + ".step", skills, out);
    } else {
      checkStep(step, automation, at, sp + ".step", out);
    }

    List<GateDef> gates = nullToEmpty(s.gates());
    if (!gates.isEmpty() && kind != null && kind != StationKind.AUDIT) {
      out.add(sp + ".gates", at + " gates are allowed only on audit stations, not on kind " + kind.wire());
    }
    for (int g = 0; g < gates.size(); g++) {
      checkGate(gates.get(g), at + " gates[" + g + "]", sp + ".gates[" + g + "]", out);
    }
  }

  private static void checkStep(StepDef step, AutomationLevel automation, String at, String stp, Out out) {
    if (step.params() != null && depth(step.params(), 0) > MAX_PARAMS_DEPTH) {
      out.add(stp + ".params", at + " step.params nests deeper than " + MAX_PARAMS_DEPTH + " levels");
    }
    StepType type = null;
    if (blank(step.type())) {
      if (blank(step.skill())) {
        out.add(stp + ".type", at + " step.type is missing; use " + STEP_TYPES + " (or name a skill)");
      }
    } else {
      type = StepType.parse(step.type()).orElse(null);
      if (type == null) {
        out.add(stp + ".type", at + " step.type \"" + step.type() + "\" is unknown; use " + STEP_TYPES);
      }
    }

    boolean trustKnown = true;
    if (step.trust() != null && TrustLevel.parse(step.trust()).isEmpty()) {
      trustKnown = false;
      out.add(stp + ".trust", at + " step.trust \"" + step.trust() + "\" is unknown; use " + TRUST_LEVELS);
    }
    if (automation == AutomationLevel.FULLY_AUTO && trustKnown && step.trustLevel() != TrustLevel.VETTED) {
      out.add(stp + ".trust", at + " automation fully_auto runs only vetted steps; step.trust is "
          + (step.trust() == null ? "experimental (none given)" : step.trust()));
    }

    Map<String, Object> params = step.params() == null ? Map.of() : step.params();
    if (type == StepType.SIM) {
      nonNegative(params, "duration_ms", at, stp, out);
      nonNegative(params, "reject_limit", at, stp, out);
      share(params, "reject_share", at, stp, out);
      share(params, "needs_input_share", at, stp, out);
      share(params, "halt_share", at, stp, out);
    } else if (type == StepType.SHELL && blank(step.skill()) && !(params.get("command") instanceof String c && !c.isBlank())) {
      out.add(stp + ".params.command", at + " step.params.command is missing; a shell step needs a command line");
    } else if (type == StepType.HTTP && blank(step.skill()) && !(params.get("url") instanceof String u && !u.isBlank())) {
      out.add(stp + ".params.url", at + " step.params.url is missing; an http step needs a URL");
    }
  }

  private static void checkSkillStep(StepDef step, AutomationLevel automation, String at, String stp, Map<String, Skill> skills,
                                     Out out) {
    Skill skill = skills.get(step.skill());
    if (skill == null) {
      out.add(stp + ".skill", at + " step.skill \"" + step.skill() + "\" is unknown; "
          + (skills.isEmpty() ? "no skills are loaded" : "known skills: " + String.join(", ", new java.util.TreeSet<>(skills.keySet()))));
      return;
    }
    if (step.type() != null && !step.type().equals(skill.step().type())) {
      out.add(stp + ".type", at + " step.type \"" + step.type() + "\" does not match skill \"" + skill.id() + "\", which is a "
          + skill.step().type() + " step");
    }
    if (step.trust() != null && !step.trust().equals(skill.trust())) {
      out.add(stp + ".trust", at + " step.trust \"" + step.trust() + "\" does not match skill \"" + skill.id() + "\", which is "
          + skill.trust() + "; a station cannot change a skill's trust");
    }
    if (automation == AutomationLevel.FULLY_AUTO && skill.trustLevel() != TrustLevel.VETTED) {
      out.add(stp + ".skill", at + " automation fully_auto runs only vetted steps; skill \"" + skill.id() + "\" is " + skill.trust());
    }
    // The rest of the step rules on the step the station will run.
    checkStep(Skills.effective(step, skill), null, at, stp, out);
  }

  private static void nonNegative(Map<String, Object> params, String key, String at, String stp, Out out) {
    Object v = params.get(key);
    if (v != null && !(v instanceof Number n && n.doubleValue() >= 0 && Double.isFinite(n.doubleValue()))) {
      out.add(stp + ".params." + key, at + " step.params." + key + " is " + v + "; it must be a number of 0 or more");
    }
  }

  private static void share(Map<String, Object> params, String key, String at, String stp, Out out) {
    Object v = params.get(key);
    if (v != null && !(v instanceof Number n && n.doubleValue() >= 0 && n.doubleValue() <= 1)) {
      out.add(stp + ".params." + key, at + " step.params." + key + " is " + v + "; it must be a number between 0 and 1");
    }
  }

  private static void checkGate(GateDef gate, String at, String gp, Out out) {
    if (gate == null) {
      out.add(gp, at + " is empty");
      return;
    }
    if (blank(gate.type())) {
      out.add(gp + ".type", at + " type is missing; use " + String.join(", ", GateDef.TYPES));
      return;
    }
    switch (gate.type()) {
      case "artifact_exists" -> {
        if (blank(gate.pattern())) {
          out.add(gp + ".pattern", at + " (artifact_exists) pattern is missing");
        }
      }
      case "content_check" -> {
        if (blank(gate.artifact())) {
          out.add(gp + ".artifact", at + " (content_check) artifact is missing");
        }
        List<String> sections = nullToEmpty(gate.sections());
        if (sections.isEmpty()) {
          out.add(gp + ".sections", at + " (content_check) sections is empty; name at least one required section");
        } else if (sections.stream().anyMatch(LineValidator::blank)) {
          out.add(gp + ".sections", at + " (content_check) sections holds an empty name");
        }
      }
      case "metric_threshold" -> {
        if (blank(gate.metric())) {
          out.add(gp + ".metric", at + " (metric_threshold) metric is missing");
        }
        if (blank(gate.operator())) {
          out.add(gp + ".operator", at + " (metric_threshold) operator is missing; use " + String.join(" ", OPERATORS));
        } else if (!OPERATORS.contains(gate.operator())) {
          out.add(gp + ".operator", at + " (metric_threshold) operator \"" + gate.operator() + "\" is unknown; use " + String.join(" ", OPERATORS));
        }
        if (gate.threshold() == null) {
          out.add(gp + ".threshold", at + " (metric_threshold) threshold is missing");
        } else if (!Double.isFinite(gate.threshold())) {
          out.add(gp + ".threshold", at + " (metric_threshold) threshold is " + gate.threshold() + "; it must be a finite number");
        }
      }
      case "verification" -> {
        if (gate.level() == null) {
          out.add(gp + ".level", at + " (verification) level is missing; use " + MIN_VERIFICATION_LEVEL + " to " + MAX_VERIFICATION_LEVEL);
        } else if (gate.level() < MIN_VERIFICATION_LEVEL || gate.level() > MAX_VERIFICATION_LEVEL) {
          out.add(gp + ".level", at + " (verification) level is " + gate.level() + "; it must be between "
              + MIN_VERIFICATION_LEVEL + " and " + MAX_VERIFICATION_LEVEL);
        }
      }
      default -> out.add(gp + ".type", at + " type \"" + gate.type() + "\" is unknown; use " + String.join(", ", GateDef.TYPES));
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static String typePath(int index) {
    return "document_types[" + index + "]";
  }

  private static void text(String value, String path, String label, Out out) {
    if (value != null && value.length() > MAX_TEXT) {
      out.add(path, label + " is " + value.length() + " characters long; at most " + MAX_TEXT);
    }
  }

  /** How deep {@code value} nests objects and lists; stops counting past the limit. */
  private static int depth(Object value, int level) {
    if (level > MAX_PARAMS_DEPTH) {
      return level;
    }
    int deepest = level;
    if (value instanceof Map<?, ?> m) {
      for (Object v : m.values()) {
        deepest = Math.max(deepest, depth(v, level + 1));
      }
    } else if (value instanceof Collection<?> c) {
      for (Object v : c) {
        deepest = Math.max(deepest, depth(v, level + 1));
      }
    }
    return deepest;
  }

  private static String typeLabel(DocumentType t, int index) {
    return blank(t.name()) ? "document_types[" + index + "]" : typeLabel(t.name());
  }

  private static String typeLabel(String name) {
    return "document type \"" + name + "\"";
  }

  private static String stationLabel(StationDef s, int index) {
    return blank(s.id()) ? "stations[" + index + "]" : "stations[" + index + "] (\"" + s.id() + "\")";
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static <T> List<T> nullToEmpty(Collection<T> c) {
    return c == null ? List.of() : new ArrayList<>(c);
  }
}
