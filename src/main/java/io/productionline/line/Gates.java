package io.productionline.line;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Server-side audit gates, as pure functions over plain data. At an audit station the server
 * evaluates the station's {@link GateDef}s on the track's artifacts and on what the executor reported
 * with its outcome, then combines them with the executor's verdict ({@link #audit}):
 * <ul>
 *   <li>{@code artifact_exists}: some artifact's name matches {@code pattern}, a glob ({@code *},
 *       {@code ?}, {@code [abc]}, {@code {md,txt}});</li>
 *   <li>{@code content_check}: the newest artifact named {@code artifact} (a name or a glob) is text
 *       with a Markdown heading {@code ## Name} for every entry of {@code sections} (case and
 *       surrounding spaces ignored);</li>
 *   <li>{@code metric_threshold}: the metric named {@code metric} in the completion's {@code metrics}
 *       object (or a top-level number of that name, such as {@code score}) compares to
 *       {@code threshold} with {@code operator} ({@code > >= < <= ==});</li>
 *   <li>{@code verification}: the completion's {@code verification_level} is at least {@code level}.</li>
 * </ul>
 * An executor that stabilized an audit whose gate is not met has its verdict turned into
 * {@code audit_rejected}, with the first unmet gate named as the one that decided.
 */
public final class Gates {

  /** One artifact of a track: its name, kind ({@code text}, {@code json}, {@code file}, {@code url}) and text content (null for a URL). */
  public record Artifact(String name, String kind, String content) {
  }

  /** What gates look at: the track's artifacts (oldest first) and the completion's reported values. */
  public record Evidence(List<Artifact> artifacts, Map<String, Object> metrics, Integer verificationLevel) {

    public Evidence {
      artifacts = artifacts == null ? List.of() : List.copyOf(artifacts);
      metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
    }

    /**
     * Evidence from a completion body: {@code metrics} (an object of numbers), top-level numbers
     * such as {@code score} (a {@code metrics} entry of the same name wins), and {@code verification_level}.
     */
    public static Evidence of(List<Artifact> artifacts, Map<String, Object> completion) {
      Map<String, Object> result = completion == null ? Map.of() : completion;
      Map<String, Object> metrics = new LinkedHashMap<>();
      result.forEach((k, v) -> {
        if (v instanceof Number && !k.equals("verification_level")) {
          metrics.put(k, v);
        }
      });
      if (result.get("metrics") instanceof Map<?, ?> reported) {
        reported.forEach((k, v) -> {
          if (k != null && v != null) {
            metrics.put(String.valueOf(k), v);
          }
        });
      }
      Integer level = result.get("verification_level") instanceof Number n ? n.intValue() : null;
      return new Evidence(artifacts, metrics, level);
    }
  }

  /** The result of one gate: which one ({@code index} in the station's list), whether it was met, and what it found. */
  public record Check(int index, String type, boolean passed, String finding) {

    public Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("gate", index);
      m.put("type", type);
      m.put("passed", passed);
      m.put("finding", finding);
      return m;
    }
  }

  /**
   * An audit's combined verdict: the outcome the track machine gets, its reason and detail
   * ({@code findings}, {@code gate}), and the record kept in the task result and the event
   * ({@code audit}: verdict, executor_outcome, decided_by, gates).
   */
  public record Verdict(Outcome outcome, String reason, Map<String, Object> detail, Map<String, Object> audit) {
  }

  public static final String DECIDED_BY_EXECUTOR = "executor";
  public static final String DECIDED_BY_GATE = "gate";

  private static final Pattern HEADING = Pattern.compile("^##[ \\t]+(.+?)[ \\t#]*$", Pattern.MULTILINE);
  private static final Set<String> GLOB_SPECIALS = Set.of("*", "?", "[", "{");

  private Gates() {
  }

  /**
   * What a station's gates require of the executor that audits there, one entry per gate, in
   * order: {@code gate} (its type), {@code text} (a sentence for people) and the machine fields
   * of the check: {@code field}, {@code operator}, {@code value} for what the completion must
   * report ({@code verification_level}, a metric), {@code pattern} / {@code artifact} /
   * {@code sections} for what the track's artifacts must hold. An executor that meets them is not
   * overruled by the gates ({@link #audit}).
   */
  public static List<Map<String, Object>> requirements(List<GateDef> gates) {
    List<Map<String, Object>> out = new ArrayList<>();
    if (gates == null) {
      return out;
    }
    for (GateDef g : gates) {
      Map<String, Object> r = new LinkedHashMap<>();
      String type = g == null || g.type() == null ? "unknown" : g.type();
      r.put("gate", type);
      switch (type) {
        case "verification" -> {
          r.put("text", "verification level \u2265 " + g.level() + ": report \"verification_level\": " + g.level()
              + " or higher with the completion, or the audit is rejected");
          r.put("field", "verification_level");
          r.put("operator", ">=");
          r.put("value", g.level());
        }
        case "metric_threshold" -> {
          String rule = g.operator() + " " + (g.threshold() == null ? "?" : number(g.threshold()));
          r.put("text", "metric " + g.metric() + " " + rule + ": report it in \"metrics\" (or as a top-level number) with the completion");
          r.put("field", "metrics." + g.metric());
          r.put("operator", g.operator());
          r.put("value", g.threshold());
        }
        case "artifact_exists" -> {
          r.put("text", "an artifact whose name matches \"" + g.pattern() + "\", handed in at this station or an earlier one of the track");
          r.put("pattern", g.pattern());
        }
        case "content_check" -> {
          r.put("text", "the newest artifact \"" + g.artifact() + "\" is text with the section"
              + (g.sections().size() == 1 ? " " : "s ") + g.sections().stream().map(x -> "## " + x.trim()).collect(Collectors.joining(", ")));
          r.put("artifact", g.artifact());
          r.put("sections", g.sections());
        }
        default -> r.put("text", "gate type \"" + type + "\" is unknown; it cannot be met");
      }
      out.add(r);
    }
    return out;
  }

  /** Evaluates every gate, in order. An empty list when there are none. */
  public static List<Check> evaluate(List<GateDef> gates, Evidence evidence) {
    List<Check> out = new ArrayList<>();
    if (gates == null) {
      return out;
    }
    for (int i = 0; i < gates.size(); i++) {
      out.add(check(i, gates.get(i), evidence));
    }
    return out;
  }

  /** Evaluates one gate. A gate with missing fields is not met (the validator refuses such lines). */
  public static Check check(int index, GateDef gate, Evidence evidence) {
    String type = gate == null || gate.type() == null ? "unknown" : gate.type();
    return switch (type) {
      case "artifact_exists" -> artifactExists(index, gate, evidence);
      case "content_check" -> contentCheck(index, gate, evidence);
      case "metric_threshold" -> metricThreshold(index, gate, evidence);
      case "verification" -> verification(index, gate, evidence);
      default -> new Check(index, type, false, "gate type \"" + type + "\" is unknown");
    };
  }

  private static Check artifactExists(int index, GateDef gate, Evidence e) {
    if (gate.pattern() == null || gate.pattern().isBlank()) {
      return new Check(index, gate.type(), false, "no pattern given");
    }
    Pattern p = glob(gate.pattern());
    List<String> names = e.artifacts().stream().map(Artifact::name).filter(n -> n != null && p.matcher(n).matches())
        .distinct().toList();
    if (names.isEmpty()) {
      return new Check(index, gate.type(), false, "no artifact matches \"" + gate.pattern() + "\""
          + (e.artifacts().isEmpty() ? " (the track has no artifacts)" : ""));
    }
    return new Check(index, gate.type(), true, "artifact " + quoted(names) + " matches \"" + gate.pattern() + "\"");
  }

  private static Check contentCheck(int index, GateDef gate, Evidence e) {
    if (gate.artifact() == null || gate.artifact().isBlank()) {
      return new Check(index, gate.type(), false, "no artifact named");
    }
    Optional<Artifact> found = newest(e.artifacts(), gate.artifact());
    if (found.isEmpty()) {
      return new Check(index, gate.type(), false, "no artifact \"" + gate.artifact() + "\" to check");
    }
    Artifact a = found.get();
    if (a.content() == null) {
      return new Check(index, gate.type(), false, "artifact \"" + a.name() + "\" has no text content to check");
    }
    Set<String> headings = sections(a.content());
    List<String> missing = gate.sections().stream()
        .filter(s -> !headings.contains(normalize(s)))
        .map(s -> "## " + s.trim())
        .toList();
    if (!missing.isEmpty()) {
      return new Check(index, gate.type(), false, "\"" + a.name() + "\" lacks the section" + (missing.size() == 1 ? " " : "s ")
          + String.join(", ", missing));
    }
    return new Check(index, gate.type(), true, "\"" + a.name() + "\" has every required section ("
        + gate.sections().stream().map(s -> "## " + s.trim()).collect(Collectors.joining(", ")) + ")");
  }

  private static Check metricThreshold(int index, GateDef gate, Evidence e) {
    if (gate.metric() == null || gate.operator() == null || gate.threshold() == null) {
      return new Check(index, gate.type(), false, "metric, operator and threshold are required");
    }
    Object v = e.metrics().get(gate.metric());
    String rule = gate.operator() + " " + number(gate.threshold());
    if (v == null) {
      return new Check(index, gate.type(), false, "metric \"" + gate.metric() + "\" was not reported; it must be " + rule);
    }
    if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) {
      return new Check(index, gate.type(), false, "metric \"" + gate.metric() + "\" is " + v + ", not a number; it must be " + rule);
    }
    double value = n.doubleValue();
    boolean met = compare(value, gate.operator(), gate.threshold());
    return new Check(index, gate.type(), met, gate.metric() + " is " + number(value) + (met ? ", " : "; it must be ") + rule);
  }

  private static Check verification(int index, GateDef gate, Evidence e) {
    if (gate.level() == null) {
      return new Check(index, gate.type(), false, "no level given");
    }
    Integer reached = e.verificationLevel();
    if (reached == null) {
      return new Check(index, gate.type(), false, "no verification level reported; level " + gate.level() + " is required");
    }
    boolean met = reached >= gate.level();
    return new Check(index, gate.type(), met, "verification level " + reached + " reached; level " + gate.level() + " is required");
  }

  /**
   * Combines the executor's verdict with the gates' checks. {@code needs_input} and {@code halted}
   * pass through. A rejection by the executor stays one (unmet gates add their findings). A
   * stabilized audit with an unmet gate becomes {@code audit_rejected}, decided by the first unmet gate.
   *
   * @param completion the executor's completion body (reason, findings, metrics, …)
   */
  public static Verdict audit(Outcome executor, Map<String, Object> completion, List<Check> checks) {
    Map<String, Object> result = completion == null ? Map.of() : completion;
    String executorReason = result.get("reason") instanceof String r && !r.isBlank() ? r : null;
    List<Check> unmet = checks == null ? List.of() : checks.stream().filter(c -> !c.passed()).toList();
    Map<String, Object> audit = new LinkedHashMap<>();
    audit.put("executor_outcome", executor.wire());
    audit.put("gates", checks == null ? List.of() : checks.stream().map(Check::toMap).toList());
    Map<String, Object> detail = new LinkedHashMap<>(result);

    Outcome outcome = executor;
    String reason = executorReason;
    String decidedBy = DECIDED_BY_EXECUTOR;
    if (executor == Outcome.STABILIZED && !unmet.isEmpty()) {
      Check first = unmet.get(0);
      outcome = Outcome.AUDIT_REJECTED;
      decidedBy = DECIDED_BY_GATE;
      reason = "gate " + first.type() + ": " + first.finding();
      detail.put("gate", first.toMap());
      audit.put("gate", first.toMap());
    }
    if (outcome == Outcome.AUDIT_REJECTED) {
      List<Object> findings = new ArrayList<>();
      if (result.get("findings") instanceof List<?> reported) {
        findings.addAll(reported);
      }
      for (Check c : unmet) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("gate", c.type());
        f.put("finding", c.finding());
        findings.add(f);
      }
      detail.put("findings", findings);
      if (reason == null) {
        reason = "the audit rejected the document";
      }
    }
    if (reason != null) {
      detail.put("reason", reason);
    }
    audit.put("verdict", outcome.wire());
    audit.put("decided_by", decidedBy);
    return new Verdict(outcome, reason, detail, audit);
  }

  /** The executor's outcome as a verdict, for stations without gates to combine. */
  public static Verdict passThrough(Outcome executor, Map<String, Object> completion) {
    Map<String, Object> detail = completion == null ? Map.of() : new LinkedHashMap<>(completion);
    String reason = detail.get("reason") instanceof String r && !r.isBlank() ? r : null;
    return new Verdict(executor, reason, detail, null);
  }

  // ---------------------------------------------------------------------------------------------

  /** The newest artifact whose name is {@code nameOrGlob} (or matches it, when it is a glob). */
  static Optional<Artifact> newest(List<Artifact> artifacts, String nameOrGlob) {
    boolean isGlob = GLOB_SPECIALS.stream().anyMatch(nameOrGlob::contains);
    Pattern p = isGlob ? glob(nameOrGlob) : null;
    Artifact found = null;
    for (Artifact a : artifacts) {
      if (a.name() != null && (isGlob ? p.matcher(a.name()).matches() : a.name().equals(nameOrGlob))) {
        found = a;
      }
    }
    return Optional.ofNullable(found);
  }

  /** The level-2 Markdown headings of {@code markdown}, normalized. */
  static Set<String> sections(String markdown) {
    Matcher m = HEADING.matcher(markdown.replace("\r\n", "\n"));
    Set<String> out = new java.util.HashSet<>();
    while (m.find()) {
      out.add(normalize(m.group(1)));
    }
    return out;
  }

  private static String normalize(String heading) {
    return heading.trim().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
  }

  /** A glob as a regular expression: {@code *} any run, {@code ?} one character, {@code [..]} a class, {@code {a,b}} alternatives. */
  static Pattern glob(String glob) {
    StringBuilder re = new StringBuilder();
    boolean inGroup = false;
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      switch (c) {
        case '*' -> re.append(".*");
        case '?' -> re.append('.');
        case '{' -> {
          re.append("(?:");
          inGroup = true;
        }
        case '}' -> {
          re.append(inGroup ? ")" : "\\}");
          inGroup = false;
        }
        case ',' -> re.append(inGroup ? "|" : ",");
        case '[' -> {
          int end = glob.indexOf(']', i + 1);
          if (end < 0) {
            re.append("\\[");
          } else {
            String cls = glob.substring(i + 1, end);
            if (cls.startsWith("!")) {
              cls = "^" + cls.substring(1);
            }
            re.append('[').append(cls.replace("\\", "\\\\").replace("[", "\\[")).append(']');
            i = end;
          }
        }
        default -> re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(re.toString());
  }

  private static boolean compare(double value, String operator, double threshold) {
    return switch (operator) {
      case ">" -> value > threshold;
      case ">=" -> value >= threshold;
      case "<" -> value < threshold;
      case "<=" -> value <= threshold;
      case "==" -> Double.compare(value, threshold) == 0;
      default -> false;
    };
  }

  private static String number(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d) : String.valueOf(d);
  }

  private static String quoted(List<String> names) {
    return names.stream().map(n -> "\"" + n + "\"").collect(Collectors.joining(", "));
  }
}
