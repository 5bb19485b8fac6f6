package io.productionline.line;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What changed between two versions of a line, element by element: document types matched by
 * name, stations by id, dependencies by the type they name, every other field by its path. Paths
 * name elements rather than positions ({@code document_types[b].stations[asm].capability}), so a
 * type moved in the list is not a change. Works on definitions as JSON trees of maps and lists
 * (snake_case, as stored).
 */
public final class LineDiff {

  /**
   * One change: {@code added}, {@code removed} or {@code changed}; the element's path; the
   * document type and station it concerns (null when none); for a changed field its value before
   * and after.
   */
  public record Change(String change, String path, String documentType, String station, Object from, Object to) {
  }

  private LineDiff() {
  }

  /** Every change from {@code from} to {@code to}, in the order of the definitions. */
  public static List<Change> between(Map<String, Object> from, Map<String, Object> to) {
    List<Change> out = new ArrayList<>();
    fields("", from, to, Set.of("document_types"), null, null, out);
    Map<String, Map<String, Object>> before = byKey(from.get("document_types"), "name");
    Map<String, Map<String, Object>> after = byKey(to.get("document_types"), "name");
    for (String name : before.keySet()) {
      if (!after.containsKey(name)) {
        out.add(new Change("removed", typePath(name), name, null, null, null));
      }
    }
    for (Map.Entry<String, Map<String, Object>> e : after.entrySet()) {
      String name = e.getKey();
      Map<String, Object> was = before.get(name);
      if (was == null) {
        out.add(new Change("added", typePath(name), name, null, null, null));
      } else {
        type(name, was, e.getValue(), out);
      }
    }
    return out;
  }

  private static void type(String name, Map<String, Object> was, Map<String, Object> is, List<Change> out) {
    String path = typePath(name);
    fields(path, was, is, Set.of("stations", "depends_on"), name, null, out);
    Set<String> depsBefore = names(was.get("depends_on"));
    Set<String> depsAfter = names(is.get("depends_on"));
    for (String d : depsBefore) {
      if (!depsAfter.contains(d)) {
        out.add(new Change("removed", path + ".depends_on[" + d + "]", name, null, d, null));
      }
    }
    for (String d : depsAfter) {
      if (!depsBefore.contains(d)) {
        out.add(new Change("added", path + ".depends_on[" + d + "]", name, null, null, d));
      }
    }
    Map<String, Map<String, Object>> before = byKey(was.get("stations"), "id");
    Map<String, Map<String, Object>> after = byKey(is.get("stations"), "id");
    for (String id : before.keySet()) {
      if (!after.containsKey(id)) {
        out.add(new Change("removed", path + ".stations[" + id + "]", name, id, null, null));
      }
    }
    for (Map.Entry<String, Map<String, Object>> e : after.entrySet()) {
      Map<String, Object> s = before.get(e.getKey());
      if (s == null) {
        out.add(new Change("added", path + ".stations[" + e.getKey() + "]", name, e.getKey(), null, null));
      } else {
        fields(path + ".stations[" + e.getKey() + "]", s, e.getValue(), Set.of(), name, e.getKey(), out);
      }
    }
    List<String> orderBefore = before.keySet().stream().filter(after::containsKey).toList();
    List<String> orderAfter = after.keySet().stream().filter(before::containsKey).toList();
    if (!orderBefore.equals(orderAfter)) {
      out.add(new Change("changed", path + ".stations", name, null, orderBefore, orderAfter));
    }
  }

  /** Every field of two objects but {@code skip}, objects compared field by field, anything else as a whole. */
  @SuppressWarnings("unchecked")
  private static void fields(String path, Map<String, Object> was, Map<String, Object> is, Set<String> skip, String type,
                             String station, List<Change> out) {
    Set<String> keys = new LinkedHashSet<>(was.keySet());
    keys.addAll(is.keySet());
    for (String k : keys) {
      if (skip.contains(k)) {
        continue;
      }
      Object a = was.get(k);
      Object b = is.get(k);
      String at = path.isEmpty() ? k : path + "." + k;
      if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
        fields(at, (Map<String, Object>) ma, (Map<String, Object>) mb, Set.of(), type, station, out);
      } else if (!same(a, b)) {
        out.add(new Change(a == null ? "added" : b == null ? "removed" : "changed", at, type, station, a, b));
      }
    }
  }

  private static boolean same(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y) {
      return x.doubleValue() == y.doubleValue();
    }
    if (a instanceof List<?> x && b instanceof List<?> y) {
      if (x.size() != y.size()) {
        return false;
      }
      for (int i = 0; i < x.size(); i++) {
        if (!same(x.get(i), y.get(i))) {
          return false;
        }
      }
      return true;
    }
    if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
      if (!x.keySet().equals(y.keySet())) {
        return false;
      }
      return x.keySet().stream().allMatch(k -> same(x.get(k), y.get(k)));
    }
    return Objects.equals(a, b);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Map<String, Object>> byKey(Object list, String key) {
    Map<String, Map<String, Object>> out = new java.util.LinkedHashMap<>();
    if (list instanceof List<?> l) {
      for (Object o : l) {
        if (o instanceof Map<?, ?> m && m.get(key) instanceof String k) {
          out.putIfAbsent(k, (Map<String, Object>) m);
        }
      }
    }
    return out;
  }

  private static Set<String> names(Object list) {
    Set<String> out = new LinkedHashSet<>();
    if (list instanceof List<?> l) {
      l.forEach(o -> out.add(String.valueOf(o)));
    }
    return out;
  }

  private static String typePath(String name) {
    return "document_types[" + name + "]";
  }
}
