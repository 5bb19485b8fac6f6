package io.productionline.track;

import io.productionline.line.LineDefinition;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The current line definitions of this node: loaded from {@code conf/lines} at start, replaced by an admin. */
public final class LineCatalog {

  private final Map<String, LineDefinition> lines = new ConcurrentHashMap<>();

  public LineCatalog(Map<String, LineDefinition> initial) {
    lines.putAll(initial);
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
}
