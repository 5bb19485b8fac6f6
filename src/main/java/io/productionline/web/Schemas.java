package io.productionline.web;

import io.productionline.Refusal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.json.schema.Validator;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The request bodies that change the line, checked against their schemas in the contract
 * ({@link Contract}, {@code openapi.json}): projects, cancel, interrupt answers, executor
 * registration, work completion and tokens, each named by its operation id. The schemas are the
 * contract's (draft 2020-12, through vertx-openapi's schema repository); none is kept here. A body
 * that does not match is refused with 400 and a detail that names the field and says what it must
 * be, in the product's words (the validator's own texts are not passed on).
 *
 * <p>Why not vertx-openapi's {@code RequestValidator}: it reads the body from the request itself
 * (the router's BodyHandler already has), it checks parameters with its own English messages
 * (the handlers say what was wrong in the product's words), and it collects every finding of every
 * body, which on the completion hot path costs more than the one-bit verdict asked first here.
 */
final class Schemas {

  static final String PROJECT = "createProject";
  static final String CANCEL = "cancelTrack";
  static final String RESOLVE = "resolveInterrupt";
  static final String ESCALATE = "escalateInterrupt";
  static final String REGISTER = "registerExecutor";
  static final String COMPLETE = "completeTask";
  static final String TOKEN = "mintToken";
  /** The operations whose bodies are checked here. */
  static final List<String> CHECKED = List.of(PROJECT, CANCEL, RESOLVE, ESCALATE, REGISTER, COMPLETE, TOKEN);

  private static final JsonSchemaOptions OPTIONS = new JsonSchemaOptions().setDraft(Draft.DRAFT202012).setBaseUri("app://");

  private final Map<String, Body> bodies;

  private Schemas(Map<String, Body> bodies) {
    this.bodies = Map.copyOf(bodies);
  }

  /** The body schemas of {@link #CHECKED}, from {@code contract}. */
  static Schemas of(Contract contract) {
    Map<String, Body> out = new HashMap<>();
    SchemaRepository repository = contract.openapi().getSchemaRepository();
    for (String op : CHECKED) {
      JsonSchema schema = contract.openapi().operation(op).getRequestBody().getContent().get("application/json").getSchema();
      out.put(op, new Body(contract.requestBodySchema(op),
          repository.validator(schema, new JsonSchemaOptions(OPTIONS).setOutputFormat(OutputFormat.Flag)),
          repository.validator(schema, new JsonSchemaOptions(OPTIONS).setOutputFormat(OutputFormat.Basic))));
    }
    return new Schemas(out);
  }

  /**
   * A body's schema and two validators of it: {@code verdict} only says whether a body matches (it
   * stops at the first mismatch and collects nothing, which is most of the cost on the line's hot
   * path); {@code findings} is asked only of a body that does not, to say what was wrong.
   */
  record Body(JsonObject schema, Validator verdict, Validator findings) {
  }

  /** Refuses {@code body} with 400 naming the field when it does not match the request body of {@code operationId}. */
  JsonObject check(String operationId, JsonObject body) {
    Body expected = bodies.get(operationId);
    if (expected == null) {
      throw new IllegalStateException("no body schema for operation " + operationId);
    }
    if (Boolean.TRUE.equals(expected.verdict().validate(body).getValid())) {
      return body;
    }
    OutputUnit out = expected.findings().validate(body);
    throw Refusal.badRequest(describe(expected.schema(), out.getErrors() == null ? List.of() : out.getErrors()));
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
