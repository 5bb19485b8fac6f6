package io.productionline.line;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads skills from a directory ({@code conf/skills}: one sub-directory per skill, named by its id,
 * holding {@code SKILL.md} and {@code step.json}) and resolves the skill references of a line.
 *
 * <p>{@code SKILL.md} starts with a front-matter block of {@code key: value} lines between
 * {@code ---} lines (lists as {@code [a, b]} or as {@code - item} lines below the key):
 * <pre>
 * ---
 * name: Markdown sections audit
 * description: Rejects a Markdown document that lacks a required section.
 * inputs: [document]
 * outputs: [findings]
 * tags: [audit, markdown]
 * trust: vetted
 * ---
 * </pre>
 * Without front matter, the header-block form is read: the first {@code # Title} is the name, the
 * paragraph under it the description, and {@code ## Inputs}, {@code ## Outputs}, {@code ## Tags},
 * {@code ## Trust} sections (bullets or a comma-separated line) the rest.
 */
public final class Skills {

  private static final Pattern FRONT_MATTER = Pattern.compile("\\A\\s*---\\s*\\n(.*?)\\n---\\s*(\\n|\\z)", Pattern.DOTALL);
  private static final Pattern KEY_VALUE = Pattern.compile("^([A-Za-z_][A-Za-z0-9_]*)\\s*:\\s*(.*)$");
  private static final List<String> KNOWN_KEYS = List.of("name", "description", "inputs", "outputs", "tags", "trust");

  private Skills() {
  }

  /** What {@code SKILL.md} says: name, description, inputs, outputs, tags and trust (null when not given). */
  public record Header(String name, String description, List<String> inputs, List<String> outputs, List<String> tags, String trust) {
  }

  /**
   * Reads every skill of {@code dir}, keyed by id in id order. A directory that does not exist
   * holds no skills.
   *
   * @throws LineValidationException naming each skill that cannot be used and why
   */
  public static Map<String, Skill> loadDirectory(ObjectMapper mapper, Path dir) {
    if (dir == null || !Files.isDirectory(dir)) {
      return Map.of();
    }
    List<Path> dirs;
    try (Stream<Path> listing = Files.list(dir)) {
      dirs = listing.filter(Files::isDirectory).sorted().toList();
    } catch (IOException e) {
      throw new LineValidationException(List.of("skill directory " + dir + " cannot be listed: " + e.getMessage()), e);
    }
    ObjectReader reader = stepReader(mapper);
    Map<String, Skill> out = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    for (Path d : dirs) {
      String id = d.getFileName().toString();
      String label = "skill \"" + id + "\" (" + d + ")";
      Path md = d.resolve("SKILL.md");
      Path stepFile = d.resolve("step.json");
      if (!Files.isRegularFile(md) || !Files.isRegularFile(stepFile)) {
        problems.add(label + ": needs both SKILL.md and step.json");
        continue;
      }
      try {
        Header header = parseHeader(Files.readString(md));
        StepDef step = readStep(reader, Files.readString(stepFile));
        Skill skill = skill(id, header, step);
        List<String> own = problems(skill);
        if (own.isEmpty()) {
          out.put(id, skill);
        } else {
          own.forEach(p -> problems.add(label + ": " + p));
        }
      } catch (LineValidationException e) {
        e.problems().forEach(p -> problems.add(label + ": " + p));
      } catch (IOException e) {
        problems.add(label + ": cannot be read (" + e.getMessage() + ")");
      }
    }
    if (!problems.isEmpty()) {
      throw new LineValidationException(problems);
    }
    return Collections.unmodifiableMap(out);
  }

  /** A skill from its header and step: the trust of {@code SKILL.md}, else of {@code step.json}. */
  public static Skill skill(String id, Header h, StepDef step) {
    String trust = h.trust() != null ? h.trust() : step == null ? null : step.trust();
    return new Skill(id, h.name(), h.description(), h.inputs(), h.outputs(), h.tags(), trust, step);
  }

  /** Every problem of one skill; empty when stations may use it. */
  public static List<String> problems(Skill s) {
    List<String> out = new ArrayList<>();
    if (s.id() == null || !LineValidator.NAME.matcher(s.id()).matches()) {
      out.add("the directory name is the skill id; use lowercase letters, digits, \"_\" and \"-\"");
    }
    if (s.trust() == null) {
      out.add("trust is missing; say vetted, community or experimental in SKILL.md");
    } else if (TrustLevel.parse(s.trust()).isEmpty()) {
      out.add("trust \"" + s.trust() + "\" is unknown; use vetted, community or experimental");
    }
    StepDef step = s.step();
    if (step == null) {
      out.add("step.json is empty");
      return out;
    }
    if (step.trust() != null && s.trust() != null && !step.trust().equals(s.trust())) {
      out.add("step.json says trust " + step.trust() + " but SKILL.md says " + s.trust());
    }
    if (step.skill() != null) {
      out.add("step.json names skill \"" + step.skill() + "\"; a skill's step cannot refer to another skill");
    }
    StepType type = step.type() == null ? null : StepType.parse(step.type()).orElse(null);
    if (type == null) {
      out.add("step.json type " + (step.type() == null ? "is missing" : "\"" + step.type() + "\" is unknown") + "; use shell, http or sim");
    } else if (type == StepType.SHELL && !(step.params().get("command") instanceof String c && !c.isBlank())) {
      out.add("step.json params.command is missing; a shell step needs a command line");
    } else if (type == StepType.HTTP && !(step.params().get("url") instanceof String u && !u.isBlank())) {
      out.add("step.json params.url is missing; an http step needs a URL");
    }
    return out;
  }

  /** The step a station runs when it names {@code skill}: the skill's type and trust, the skill's params with the station's laid over. */
  public static StepDef effective(StepDef reference, Skill skill) {
    Map<String, Object> params = new LinkedHashMap<>(skill.step().params());
    if (reference != null) {
      params.putAll(reference.params());
    }
    return new StepDef(skill.step().type(), skill.trust(), skill.id(), params);
  }

  /** The line with every known skill reference replaced by the step it stands for (unknown ones are left for the validator). */
  public static LineDefinition resolve(LineDefinition line, Map<String, Skill> skills) {
    if (line == null || skills == null || skills.isEmpty()) {
      return line;
    }
    List<DocumentType> types = new ArrayList<>();
    for (DocumentType t : line.documentTypes()) {
      if (t == null) {
        types.add(null);
        continue;
      }
      List<StationDef> stations = new ArrayList<>();
      for (StationDef s : t.stations()) {
        if (s != null && s.step() != null && s.step().skill() != null && skills.containsKey(s.step().skill())) {
          StepDef step = effective(s.step(), skills.get(s.step().skill()));
          stations.add(new StationDef(s.id(), s.kind(), s.capability(), s.environment(), s.timeoutSeconds(), s.automation(), step,
              s.gates(), s.workItems()));
        } else {
          stations.add(s);
        }
      }
      types.add(new DocumentType(t.name(), t.title(), t.dependsOn(), stations, t.maxRemediations(), t.maxAttempts(), t.backoff(),
          t.priority(), t.fanOut()));
    }
    return new LineDefinition(line.name(), line.title(), line.description(), types);
  }

  // ---------------------------------------------------------------------------------------------
  // SKILL.md

  /** Reads the front matter (or, without one, the header block) of a {@code SKILL.md}. */
  public static Header parseHeader(String markdown) {
    String text = markdown == null ? "" : markdown.replace("\r\n", "\n");
    Matcher fm = FRONT_MATTER.matcher(text);
    if (fm.find()) {
      return frontMatter(fm.group(1));
    }
    return headerBlock(text);
  }

  private static Header frontMatter(String block) {
    Map<String, Object> values = new LinkedHashMap<>();
    String listKey = null;
    List<String> problems = new ArrayList<>();
    for (String raw : block.split("\n")) {
      String line = raw.stripTrailing();
      if (line.isBlank() || line.trim().startsWith("#")) {
        continue;
      }
      String trimmed = line.trim();
      if (trimmed.startsWith("- ") && listKey != null) {
        @SuppressWarnings("unchecked")
        List<String> list = (List<String>) values.computeIfAbsent(listKey, k -> new ArrayList<String>());
        list.add(unquote(trimmed.substring(2).trim()));
        continue;
      }
      Matcher kv = KEY_VALUE.matcher(trimmed);
      if (!kv.matches()) {
        problems.add("SKILL.md front matter line \"" + trimmed + "\" is not \"key: value\"");
        continue;
      }
      String key = kv.group(1).toLowerCase();
      String value = kv.group(2).trim();
      if (!KNOWN_KEYS.contains(key)) {
        problems.add("SKILL.md front matter key \"" + key + "\" is unknown; use " + String.join(", ", KNOWN_KEYS));
        continue;
      }
      if (value.isEmpty()) {
        listKey = key;
        values.put(key, new ArrayList<String>());
      } else {
        listKey = null;
        values.put(key, value.startsWith("[") && value.endsWith("]") ? list(value.substring(1, value.length() - 1)) : unquote(value));
      }
    }
    if (!problems.isEmpty()) {
      throw new LineValidationException(problems);
    }
    return new Header(string(values.get("name")), string(values.get("description")), strings(values.get("inputs")),
        strings(values.get("outputs")), strings(values.get("tags")), string(values.get("trust")));
  }

  private static Header headerBlock(String text) {
    String name = null;
    StringBuilder description = new StringBuilder();
    Map<String, List<String>> sections = new LinkedHashMap<>();
    String section = null;
    boolean inDescription = false;
    for (String raw : text.split("\n")) {
      String line = raw.trim();
      if (line.startsWith("# ") && name == null) {
        name = line.substring(2).trim();
        inDescription = true;
        continue;
      }
      if (line.startsWith("## ")) {
        section = line.substring(3).trim().toLowerCase();
        sections.put(section, new ArrayList<>());
        inDescription = false;
        continue;
      }
      if (inDescription) {
        if (line.isEmpty()) {
          if (description.length() > 0) {
            inDescription = false;
          }
        } else {
          description.append(description.length() == 0 ? "" : " ").append(line);
        }
        continue;
      }
      if (section != null && !line.isEmpty()) {
        String item = line.startsWith("- ") || line.startsWith("* ") ? line.substring(2).trim() : line;
        if (line.startsWith("- ") || line.startsWith("* ")) {
          sections.get(section).add(item);
        } else {
          sections.get(section).addAll(list(item));
        }
      }
    }
    List<String> trust = sections.getOrDefault("trust", List.of());
    return new Header(name, description.length() == 0 ? null : description.toString(), sections.get("inputs"),
        sections.get("outputs"), sections.get("tags"), trust.isEmpty() ? null : trust.get(0).split("\\s+")[0].toLowerCase());
  }

  private static List<String> list(String commaSeparated) {
    return Arrays.stream(commaSeparated.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(Skills::unquote).toList();
  }

  private static String unquote(String s) {
    if (s.length() >= 2 && ((s.startsWith("\"") && s.endsWith("\"")) || (s.startsWith("'") && s.endsWith("'")))) {
      return s.substring(1, s.length() - 1);
    }
    return s;
  }

  private static String string(Object v) {
    return v instanceof String s ? s : v instanceof List<?> l ? String.join(", ", l.stream().map(String::valueOf).toList()) : null;
  }

  private static List<String> strings(Object v) {
    if (v == null) {
      return List.of();
    }
    if (v instanceof List<?> l) {
      return l.stream().map(String::valueOf).toList();
    }
    return list(String.valueOf(v));
  }

  // ---------------------------------------------------------------------------------------------
  // step.json

  private static ObjectReader stepReader(ObjectMapper mapper) {
    ObjectMapper copy = mapper.copy();
    copy.setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
    return copy.readerFor(StepDef.class)
        .with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  }

  static StepDef readStep(ObjectReader reader, String json) {
    if (json == null || json.isBlank()) {
      throw new LineValidationException("step.json is empty");
    }
    try {
      StepDef step = reader.readValue(json);
      if (step == null) {
        throw new LineValidationException("step.json is empty");
      }
      return step;
    } catch (JacksonException e) {
      throw new LineValidationException(List.of("step.json cannot be read: " + e.getOriginalMessage()), e);
    }
  }
}
