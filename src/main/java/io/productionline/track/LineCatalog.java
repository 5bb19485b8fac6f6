package io.productionline.track;

import io.productionline.line.LineDefinition;
import io.productionline.line.Skill;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The current line definitions of this node, loaded from {@code conf/lines} at start (skill
 * references resolved) and replaced by an admin, and the skills loaded from {@code conf/skills}.
 */
public final class LineCatalog {

  private final Map<String, LineDefinition> lines = new ConcurrentHashMap<>();
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

  /** The skills stations may name, keyed by id. */
  public Map<String, Skill> skills() {
    return new TreeMap<>(skills);
  }

  public Optional<Skill> skill(String id) {
    return Optional.ofNullable(skills.get(id));
  }
}
