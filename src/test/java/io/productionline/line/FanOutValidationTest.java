package io.productionline.line;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("The validator knows fan_out and names its fields")
class FanOutValidationTest {

  private static JsonObject type(String name, JsonArray deps, JsonObject fanOut) {
    JsonObject step = new JsonObject().put("type", "sim").put("trust", "vetted");
    JsonObject t = new JsonObject().put("name", name).put("depends_on", deps).put("stations", new JsonArray()
        .add(new JsonObject().put("id", "asm").put("kind", "assemble").put("step", step))
        .add(new JsonObject().put("id", "aud").put("kind", "audit").put("step", step)));
    return fanOut == null ? t : t.put("fan_out", fanOut);
  }

  private static JsonObject fan(String station, String items, String child, Integer max) {
    JsonObject f = new JsonObject().put("station", station).put("items", items).put("child_type", child);
    return max == null ? f : f.put("max_items", max);
  }

  private static List<Finding> findings(JsonObject... types) {
    try {
      Lines.parse(Json.MAPPER, new JsonObject().put("name", "l").put("document_types", new JsonArray(List.of((Object[]) types))).encode());
      return List.of();
    } catch (LineValidationException e) {
      return e.findings();
    }
  }

  @Test
  @DisplayName("a valid fan-out: parent, child template, join")
  void valid() {
    assertEquals(List.of(), findings(type("plan", new JsonArray(), fan("asm", "epics", "epic", 30)), type("epic", new JsonArray(), null),
        type("release", new JsonArray().add("plan"), null)));
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("unknown child type", new JsonObject[] {type("plan", new JsonArray(), fan("asm", "epics", "story", null))},
            "document_types[0].fan_out.child_type", "names unknown type \"story\""),
        Arguments.of("a station that is not the type's", new JsonObject[] {type("plan", new JsonArray(), fan("bind", "epics", "epic", null)),
            type("epic", new JsonArray(), null)}, "document_types[0].fan_out.station", "its stations: asm, aud"),
        Arguments.of("a child type that depends on things", new JsonObject[] {type("plan", new JsonArray(), fan("asm", "epics", "epic", null)),
            type("other", new JsonArray(), null), type("epic", new JsonArray().add("other"), null)},
            "document_types[2].depends_on", "a child type has no depends_on"),
        Arguments.of("a cycle through fan-out", new JsonObject[] {type("a", new JsonArray(), fan("asm", "x", "b", null)),
            type("b", new JsonArray(), fan("asm", "x", "a", null))}, "document_types[0].fan_out.child_type", "fan_out forms a cycle: a -> b -> a"),
        Arguments.of("a fan-out of itself", new JsonObject[] {type("a", new JsonArray(), fan("asm", "x", "a", null))},
            "document_types[0].fan_out.child_type", "names the type itself"),
        Arguments.of("max_items above the bound", new JsonObject[] {type("plan", new JsonArray(), fan("asm", "epics", "epic", 5000)),
            type("epic", new JsonArray(), null)}, "document_types[0].fan_out.max_items", "between 1 and 1000"),
        Arguments.of("max_items below 1", new JsonObject[] {type("plan", new JsonArray(), fan("asm", "epics", "epic", 0)),
            type("epic", new JsonArray(), null)}, "document_types[0].fan_out.max_items", "between 1 and 1000"),
        Arguments.of("items missing", new JsonObject[] {type("plan", new JsonArray(), fan("asm", null, "epic", null)),
            type("epic", new JsonArray(), null)}, "document_types[0].fan_out.items", "fan_out.items is missing"),
        Arguments.of("a type that depends on the child type", new JsonObject[] {type("plan", new JsonArray(), fan("asm", "epics", "epic", null)),
            type("epic", new JsonArray(), null), type("release", new JsonArray().add("epic"), null)},
            "document_types[2].depends_on[0]", "depend on \"plan\""),
        Arguments.of("an unknown field of fan_out", new JsonObject[] {type("plan", new JsonArray(), fan("asm", "epics", "epic", null).put("child", "x")),
            type("epic", new JsonArray(), null)}, "document_types[0].fan_out.child", "unknown field \"child\""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void refused(String name, JsonObject[] types, String path, String says) {
    List<Finding> found = findings(types);
    assertTrue(found.stream().anyMatch(f -> f.path().equals(path) && f.message().contains(says)), name + ": " + found);
  }
}
