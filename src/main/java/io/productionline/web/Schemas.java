package io.productionline.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.OutputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import io.productionline.Refusal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.DatabindCodec;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The request bodies that change the line, checked against their schemas in the contract
 * ({@link Contract}, {@code openapi.json}): projects, cancel, interrupt answers, executor
 * registration, work completion and tokens, each named by its operation id. The schemas are the
 * contract's (draft 2020-12); none is kept here. A body that does not match is refused with 400 and
 * a detail that names the field and says what it must be, in the product's words (the validator's
 * own texts are not passed on).
 *
 * <p>The validator is networknt's json-schema-validator, compiled once a schema: a completion's
 * body is checked in about half a microsecond, where vertx-json-schema's validator (which
 * vertx-openapi uses to load the contract) took 8 to 15 µs and was a seventh of the server's CPU
 * on a busy line (docs/benchmarks.md, "A log line a state change, a body checked in half a
 * microsecond"). A body is first only asked whether it matches; its findings are collected only
 * when it does not.
 *
 * <p>Why not vertx-openapi's {@code RequestValidator}: it reads the body from the request itself
 * (the router's BodyHandler already has), it checks parameters with its own English messages
 * (the handlers say what was wrong in the product's words), and it collects every finding of every
 * body.
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

  private final Map<String, Body> bodies;

  private Schemas(Map<String, Body> bodies) {
    this.bodies = Map.copyOf(bodies);
  }

  /** The body schemas of {@link #CHECKED}, from {@code contract}. */
  static Schemas of(Contract contract) {
    SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    Map<String, Body> out = new HashMap<>();
    for (String op : CHECKED) {
      JsonObject schema = contract.requestBodySchema(op);
      if (schema.encode().contains("\"$ref\"")) {
        // The schema is compiled as the document writes it, on its own: a reference into the document would not resolve.
        throw new IllegalStateException("the request body of " + op + " has a $ref; write its schema in place");
      }
      out.put(op, new Body(schema, registry.getSchema(tree(schema))));
    }
    return new Schemas(out);
  }

  /** A body's schema as the contract writes it, and as compiled. */
  record Body(JsonObject schema, Schema compiled) {
  }

  /** Refuses {@code body} with 400 naming the field when it does not match the request body of {@code operationId}. */
  JsonObject check(String operationId, JsonObject body) {
    Body expected = bodies.get(operationId);
    if (expected == null) {
      throw new IllegalStateException("no body schema for operation " + operationId);
    }
    JsonNode node = tree(body);
    if (expected.compiled().validate(node, OutputFormat.BOOLEAN)) {
      return body;
    }
    throw Refusal.badRequest(describe(expected.schema(), expected.compiled().validate(node)));
  }

  private static JsonNode tree(JsonObject json) {
    return DatabindCodec.mapper().valueToTree(json);
  }

  // --- saying what was wrong ---------------------------------------------------------------------

  /** The most telling of the validator's findings, in the product's words. */
  static String describe(JsonObject schema, List<Error> errors) {
    Error unknown = errors.stream().filter(e -> e.getKeyword().equals("additionalProperties")).findFirst().orElse(null);
    JsonObject props = schema.getJsonObject("properties", new JsonObject());
    if (unknown != null) {
      return "unknown field \"" + field(unknown.getInstanceLocation(), unknown.getProperty()) + "\"; allowed: "
          + props.fieldNames().stream().sorted().collect(Collectors.joining(", "));
    }
    // The deepest finding: the one about the field itself, not about the object that holds it.
    Error best = errors.stream().max(Comparator.comparingInt(e -> e.getEvaluationPath().getNameCount())).orElse(null);
    if (best == null) {
      return "the body does not have the expected shape";
    }
    String keyword = best.getKeyword();
    String field = field(best.getInstanceLocation(), null);
    JsonObject at = fragment(schema, best.getEvaluationPath());
    return switch (keyword) {
      case "required" -> (best.getProperty() == null ? "a field" : best.getProperty()) + " is required";
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

  /** {@code capabilities/0} → {@code capabilities[0]}, with {@code property} after it when given; the body itself is "the body". */
  private static String field(NodePath instance, String property) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < instance.getNameCount(); i++) {
      Object part = instance.getElement(i);
      out.append(part instanceof Integer n ? "[" + n + "]" : (out.length() == 0 ? "" : ".") + part);
    }
    if (property != null) {
      out.append(out.length() == 0 ? "" : ".").append(property);
    }
    return out.length() == 0 ? "the body" : out.toString();
  }

  /** The schema object that holds the keyword at the end of {@code evaluationPath}. */
  private static JsonObject fragment(JsonObject schema, NodePath evaluationPath) {
    Object node = schema;
    for (int i = 0; i < evaluationPath.getNameCount() - 1; i++) {
      Object part = evaluationPath.getElement(i);
      if (node instanceof JsonObject o) {
        node = o.getValue(String.valueOf(part));
      } else if (node instanceof JsonArray a && part instanceof Integer n) {
        node = a.getValue(n);
      }
    }
    return node instanceof JsonObject o ? o : new JsonObject();
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
