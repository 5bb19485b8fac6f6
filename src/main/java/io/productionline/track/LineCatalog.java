package io.productionline.track;

import io.productionline.Json;
import io.productionline.line.LineDefinition;
import io.productionline.store.ProjectRepository.ProjectRow;
import io.vertx.core.json.JsonObject;
import io.productionline.line.Skill;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The current line definitions of this node, loaded from {@code conf/lines} at start (skill
 * references resolved) and replaced by an admin, and the skills loaded from {@code conf/skills};
 * and the definitions projects run on, parsed once each.
 */
public final class LineCatalog {

  private static final int PARSED_MAX = 10_000;

  private final Map<String, LineDefinition> lines = new ConcurrentHashMap<>();
  private final Map<String, Parsed> parsed = new ConcurrentHashMap<>();

  private record Parsed(JsonObject json, LineDefinition line) {
  }
  private final Map<String, Skill> skills;

  public LineCatalog(Map<String, LineDefinition> initial) {
    this(initial, Map.of());
  }

  public LineCatalog(Map<String, LineDefinition> initial, Map<String, Skill> skills) {
    lines.putAll(initial);
    this.skills = Map.copyOf(skills);
  }

  public Optional<LineDefinition> find(String name) {
    return Optional.ofNullable(lines.get(name));
  }

  public List<LineDefinition> all() {
    return lines.values().stream().sorted((a, b) -> a.name().compareTo(b.name())).toList();
  }

  public void put(LineDefinition def) {
    lines.put(def.name(), def);
  }

  /**
   * The line definition project {@code p} runs on (the copy it keeps), parsed once: parsing a long
   * line is costly, and every track, view and forecast of the project needs it. A definition that
   * changed since (a new line version taken up) is parsed again.
   */
  public LineDefinition ofProject(ProjectRow p) {
    Parsed known = parsed.get(p.id());
    if (known != null && known.json().equals(p.lineDefinition())) {
      return known.line();
    }
    if (parsed.size() >= PARSED_MAX) {
      parsed.clear();
    }
    LineDefinition line = Json.line(p.lineDefinition());
    parsed.put(p.id(), new Parsed(p.lineDefinition(), line));
    return line;
  }

  /** The skills stations may name, keyed by id. */
  public Map<String, Skill> skills() {
    return new TreeMap<>(skills);
  }

  public Optional<Skill> skill(String id) {
    return Optional.ofNullable(skills.get(id));
  }
}
