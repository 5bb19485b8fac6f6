package io.productionline.web;

import io.productionline.Refusal;
import io.productionline.executor.ExecutorInfo;
import io.productionline.line.CancelKind;
import io.productionline.track.LineOrchestrator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * JSON schemas (draft 2020-12, vertx-json-schema) of the request bodies that change the line:
 * projects, cancel, interrupt answers, executor registration, work completion and tokens. A body
 * that does not match is refused with 400 and a detail that names the field and says what it
 * must be, in the product's words (the validator's own texts are not passed on).
 */
final class Schemas {

  private static final JsonObject ID = string(128).put("pattern", "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$");

  static final Body PROJECT = body(object(Map.of(
      "project_id", string(64).put("pattern", "^" + LineOrchestrator.PROJECT_ID.pattern() + "$"),
      "line", string(64),
      "line_version", type("integer").put("minimum", 1).put("maximum", 1_000_000),
      "params", type("object"),
      "start", type("boolean")), "line"));

  static final Body CANCEL = body(object(Map.of(
      "kind", new JsonObject().put("type", "string").put("enum", new JsonArray(Arrays.stream(CancelKind.values()).map(CancelKind::wire).toList())),
      "reason", string(2000)), "kind"));

  static final Body RESOLVE = body(object(Map.of(
      "resolution", type("object"),
      "answers", type("object"),
      "notes", string(4000),
      "type", string(32)), null));

  static final Body ESCALATE = body(object(Map.of("notes", string(4000)), null));

  static final Body REGISTER = body(object(Map.of(
      "executor_id", string(128).put("pattern", "^" + ExecutorInfo.ID.pattern() + "$"),
      "type", string(128),
      "environment", new JsonObject().put("type", "string").put("enum", new JsonArray().add("local").add("server")),
      "capabilities", new JsonObject().put("type", "array").put("minItems", 1).put("maxItems", 64)
          .put("items", string(64).put("pattern", "^[a-z0-9][a-z0-9_.-]{0,63}$")),
      "role", string(128)), "executor_id"));

  static final Body COMPLETE = body(object(Map.ofEntries(
      Map.entry("lease_token", string(256)),
      Map.entry("outcome", new JsonObject().put("type", "string")
          .put("enum", new JsonArray().add("stabilized").add("audit_rejected").add("needs_input").add("halted"))),
      Map.entry("reason", string(2000)),
      Map.entry("findings", type("array")),
      Map.entry("questions", type("array")),
      Map.entry("conflicts", type("array")),
      Map.entry("score", type("number")),
      Map.entry("metrics", type("object")),
      Map.entry("verification_level", type("integer").put("minimum", 0).put("maximum", 6)),
      Map.entry("artifacts", type("array").put("maxItems", 100)),
      Map.entry("summary", string(8000)),
      Map.entry("exit_code", type("integer")),
      Map.entry("status_code", type("integer"))), "outcome"));

  static final Body TOKEN = body(object(Map.of(
      "role", new JsonObject().put("type", "string").put("enum", new JsonArray().add("admin").add("operator").add("executor").add("viewer")),
      "name", string(128),
      "executor_id", ID,
      "ttl_seconds", type("integer").put("minimum", 1).put("maximum", 366L * 86_400)), "role"));

  private Schemas() {
  }

  /**
   * A body's schema and two validators of it: {@code verdict} only says whether a body matches (it
   * stops at the first mismatch and collects nothing, which is most of the cost on the line's hot
   * path); {@code findings} is asked only of a body that does not, to say what was wrong.
   */
  record Body(JsonObject schema, Validator verdict, Validator findings) {
  }

  /** Refuses {@code body} with 400 naming the field when it does not match {@code expected}. */
  static JsonObject check(Body expected, JsonObject body) {
    if (Boolean.TRUE.equals(expected.verdict().validate(body).getValid())) {
      return body;
    }
    OutputUnit out = expected.findings().validate(body);
    throw Refusal.badRequest(describe(expected.schema(), out.getErrors() == null ? List.of() : out.getErrors()));
  }

  // --- building schemas --------------------------------------------------------------------------

  private static Body body(JsonObject schema) {
    return new Body(schema, validator(schema, OutputFormat.Flag), validator(schema, OutputFormat.Basic));
  }

  private static Validator validator(JsonObject schema, OutputFormat format) {
    return Validator.create(JsonSchema.of(schema), new JsonSchemaOptions().setDraft(Draft.DRAFT202012)
        .setBaseUri("https://production-line.invalid/schemas/").setOutputFormat(format));
  }

  private static JsonObject object(Map<String, JsonObject> properties, String required) {
    JsonObject props = new JsonObject();
    properties.keySet().stream().sorted().forEach(k -> props.put(k, properties.get(k)));
    JsonObject o = new JsonObject().put("type", "object").put("additionalProperties", false).put("properties", props);
    if (required != null) {
      o.put("required", new JsonArray().add(required));
    }
    return o;
  }

  private static JsonObject type(String type) {
    return new JsonObject().put("type", type);
  }

  private static JsonObject string(int max) {
    return type("string").put("maxLength", max);
  }

  // --- saying what was wrong ---------------------------------------------------------------------

  /** The most telling of the validator's findings, in the product's words. */
  static String describe(JsonObject schema, List<OutputUnit> errors) {
    OutputUnit unknown = null;
    OutputUnit best = null;
    for (OutputUnit e : errors) {
      String keyword = last(e.getKeywordLocation());
      if (keyword.equals("additionalProperties")) {
        if (unknown == null && !declared(schema, field(e.getInstanceLocation()))) {
          unknown = e;
        }
        continue;
      }
      if (keyword.equals("properties") || keyword.equals("items")) {
        continue;
      }
      if (best == null || e.getKeywordLocation().length() > best.getKeywordLocation().length()) {
        best = e;
      }
    }
    JsonObject props = schema.getJsonObject("properties", new JsonObject());
    if (unknown != null) {
      return "unknown field \"" + field(unknown.getInstanceLocation()) + "\"; allowed: "
          + props.fieldNames().stream().sorted().collect(Collectors.joining(", "));
    }
    if (best == null) {
      return "the body does not have the expected shape";
    }
    String keyword = last(best.getKeywordLocation());
    String field = field(best.getInstanceLocation());
    JsonObject at = fragment(schema, best.getKeywordLocation());
    return switch (keyword) {
      case "required" -> quoted(best.getError()) + " is required";
      case "type" -> field + " must be " + typeName(at.getValue("type"));
      case "maxLength" -> field + " must be at most " + at.getValue("maxLength") + " characters";
      case "minLength" -> field + " must be at least " + at.getValue("minLength") + " characters";
      case "pattern" -> field + " must match " + at.getString("pattern");
      case "enum" -> field + " must be one of " + at.getJsonArray("enum").stream().map(String::valueOf).collect(Collectors.joining(", "));
      case "minimum", "maximum" -> field + (at.containsKey("minimum") && at.containsKey("maximum")
          ? " must be from " + at.getValue("minimum") + " to " + at.getValue("maximum")
          : at.containsKey("minimum") ? " must be at least " + at.getValue("minimum") : " must be at most " + at.getValue("maximum"));
      case "minItems" -> field + " must have at least " + at.getValue("minItems") + " item" + ("1".equals(String.valueOf(at.getValue("minItems"))) ? "" : "s");
      case "maxItems" -> field + " must have at most " + at.getValue("maxItems") + " items";
      default -> field + " is not valid here";
    };
  }

  private static boolean declared(JsonObject schema, String field) {
    return schema.getJsonObject("properties", new JsonObject()).containsKey(field.contains(".") ? field.substring(0, field.indexOf('.')) : field);
  }

  /** {@code #/capabilities/0} → {@code capabilities[0]}; the body itself is "the body". */
  private static String field(String instanceLocation) {
    String path = instanceLocation == null ? "" : instanceLocation.replaceFirst("^#?/?", "");
    if (path.isEmpty()) {
      return "the body";
    }
    return Arrays.stream(path.split("/")).map(p -> p.chars().allMatch(Character::isDigit) ? "[" + p + "]" : "." + p)
        .collect(Collectors.joining()).substring(1).replace(".[", "[");
  }

  private static String last(String keywordLocation) {
    String k = keywordLocation == null ? "" : keywordLocation;
    return k.substring(k.lastIndexOf('/') + 1);
  }

  /** The schema object that holds the keyword at {@code keywordLocation}. */
  private static JsonObject fragment(JsonObject schema, String keywordLocation) {
    List<String> parts = Arrays.stream(keywordLocation.replaceFirst("^#?/?", "").split("/")).filter(p -> !p.isEmpty()).toList();
    Object node = schema;
    for (String p : parts.subList(0, Math.max(0, parts.size() - 1))) {
      if (node instanceof JsonObject o) {
        node = o.getValue(p);
      } else if (node instanceof JsonArray a && p.chars().allMatch(Character::isDigit)) {
        node = a.getValue(Integer.parseInt(p));
      }
    }
    return node instanceof JsonObject o ? o : new JsonObject();
  }

  private static String quoted(String text) {
    int open = text == null ? -1 : text.indexOf('"');
    int close = open < 0 ? -1 : text.indexOf('"', open + 1);
    return close > open ? text.substring(open + 1, close) : "a field";
  }

  private static String typeName(Object type) {
    if (type instanceof JsonArray a) {
      return a.stream().map(Schemas::typeName).sorted(Comparator.naturalOrder()).collect(Collectors.joining(" or "));
    }
    return switch (String.valueOf(type)) {
      case "string" -> "a string";
      case "object" -> "a JSON object";
      case "array" -> "an array";
      case "integer" -> "a whole number";
      case "number" -> "a number";
      case "boolean" -> "true or false";
      case "null" -> "null";
      default -> String.valueOf(type);
    };
  }
}
