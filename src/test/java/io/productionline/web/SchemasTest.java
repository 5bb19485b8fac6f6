package io.productionline.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.productionline.Refusal;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collections;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The request bodies checked against the contract's schemas ({@link Schemas}): a body that matches
 * is taken as it is, one that does not is refused with 400 and a detail in the product's words that
 * names the field, for each kind of rule the contract's bodies use.
 */
@DisplayName("Request bodies checked against the contract's schemas, refused in the product's words")
class SchemasTest {

  private static Vertx vertx;
  private static Schemas schemas;

  @BeforeAll
  static void load() {
    vertx = Vertx.vertx();
    schemas = Schemas.of(Contract.load(vertx).await());
  }

  @AfterAll
  static void close() {
    vertx.close().await();
  }

  static Stream<Arguments> refused() {
    String token = "task_1.1.abc";
    return Stream.of(
        Arguments.of(Schemas.COMPLETE, new JsonObject().put("lease_token", token), "outcome is required"),
        Arguments.of(Schemas.COMPLETE, new JsonObject().put("outcome", "done"),
            "outcome must be one of stabilized, audit_rejected, needs_input, halted"),
        Arguments.of(Schemas.COMPLETE, new JsonObject().put("outcome", "stabilized").put("summary", 5), "summary must be a string"),
        Arguments.of(Schemas.COMPLETE, new JsonObject().put("outcome", "stabilized").put("output", "x"), "output must be a JSON object"),
        Arguments.of(Schemas.COMPLETE, new JsonObject().put("outcome", "stabilized").put("score", "high"), "score must be a number"),
        Arguments.of(Schemas.COMPLETE, new JsonObject().put("outcome", "stabilized").put("verification_level", 9),
            "verification_level must be from 0 to 6"),
        Arguments.of(Schemas.COMPLETE, new JsonObject().put("outcome", "stabilized").put("exit_code", 1.5), "exit_code must be a whole number"),
        Arguments.of(Schemas.COMPLETE, new JsonObject().put("outcome", "stabilized").put("artifacts", new JsonArray(Collections.nCopies(101, 1))),
            "artifacts must have at most 100 items"),
        Arguments.of(Schemas.COMPLETE, new JsonObject().put("outcome", "stabilized").put("colour", "red"),
            "unknown field \"colour\"; allowed: artifacts, conflicts, exit_code, findings, lease_token, metrics, outcome, output, questions, "
                + "reason, score, status_code, summary, verification_level"),
        Arguments.of(Schemas.COMPLETE, new JsonObject().put("outcome", "stabilized").put("reason", "r".repeat(2001)),
            "reason must be at most 2000 characters"),
        Arguments.of(Schemas.REGISTER, new JsonObject().put("executor_id", "x").put("capabilities", new JsonArray()),
            "capabilities must have at least 1 item"),
        Arguments.of(Schemas.REGISTER, new JsonObject().put("executor_id", "x").put("capabilities", new JsonArray().add("Bad Cap")),
            "capabilities[0] must match ^[a-z0-9][a-z0-9_.-]{0,63}$"),
        Arguments.of(Schemas.REGISTER, new JsonObject().put("executor_id", "x").put("capabilities", new JsonArray().add("ok").add(5)),
            "capabilities[1] must be a string"),
        Arguments.of(Schemas.REGISTER, new JsonObject().put("executor_id", "x").put("tasks", new JsonArray().add("")),
            "tasks[0] must be at least 1 characters"),
        Arguments.of(Schemas.REGISTER, new JsonObject().put("executor_id", "x").put("environment", "cloud"),
            "environment must be one of local, server"),
        Arguments.of(Schemas.PROJECT, new JsonObject().put("line", "l".repeat(65)), "line must be at most 64 characters"),
        Arguments.of(Schemas.PROJECT, new JsonObject().put("line", "l").put("start", "yes"), "start must be true or false"),
        Arguments.of(Schemas.PROJECT, new JsonObject().put("line", "l").put("line_version", 0), "line_version must be from 1 to 1000000"),
        Arguments.of(Schemas.PROJECT, new JsonObject().put("line", "l").put("project_id", "-x"),
            "project_id must match ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"),
        Arguments.of(Schemas.TOKEN, new JsonObject().put("role", "root"), "role must be one of admin, operator, executor, viewer"),
        Arguments.of(Schemas.CANCEL, new JsonObject(), "kind is required"),
        Arguments.of(Schemas.ESCALATE, new JsonObject().put("notes", new JsonArray()), "notes must be a string"));
  }

  @ParameterizedTest(name = "{0} {1}: {2}")
  @MethodSource("refused")
  @DisplayName("a body that breaks a rule is refused with 400 naming the field and the rule")
  void refusedInTheProductsWords(String operation, JsonObject body, String detail) {
    Refusal r = assertThrows(Refusal.class, () -> schemas.check(operation, body));
    assertEquals(400, r.status(), r.getMessage());
    assertEquals(detail, r.getMessage());
  }

  @Test
  @DisplayName("a body that matches is taken as it is, with nested documents of any shape where the contract allows them")
  void matchingBodyTaken() {
    JsonObject body = new JsonObject().put("lease_token", "task_1.1.abc").put("outcome", "audit_rejected").put("summary", "two findings")
        .put("output", new JsonObject().put("epics", new JsonArray().add("a").add(new JsonObject().put("b", 1))))
        .put("findings", new JsonArray().add(new JsonObject().put("text", "x"))).put("score", 0.5).put("verification_level", 6);
    assertSame(body, schemas.check(Schemas.COMPLETE, body));
    JsonObject register = new JsonObject().put("executor_id", "exec-1:a").put("capabilities", new JsonArray().add("sim").add("llm.big"))
        .put("environment", "local").put("tasks", new JsonArray().add("task_1"));
    assertSame(register, schemas.check(Schemas.REGISTER, register));
  }
}
