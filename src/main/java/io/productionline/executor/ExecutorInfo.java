package io.productionline.executor;

import io.productionline.Refusal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** What an executor says about itself when it registers. */
public record ExecutorInfo(String id, String type, String environment, List<String> capabilities, String role) {

  public static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}");
  private static final Pattern CAPABILITY = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,63}");
  private static final Set<String> ENVIRONMENTS = Set.of("local", "server");
  /** The fields of a registration; {@code tasks} (what the executor has in hand) is the work API's to read. */
  private static final Set<String> FIELDS = Set.of("executor_id", "type", "environment", "capabilities", "role", "tasks");

  /** Reads and checks a registration body; refuses with 400 naming the field. */
  public static ExecutorInfo from(JsonObject body) {
    for (String k : body.fieldNames()) {
      if (!FIELDS.contains(k)) {
        throw Refusal.badRequest("unknown field \"" + k + "\"; allowed: " + String.join(", ", FIELDS.stream().sorted().toList()));
      }
    }
    String id = string(body, "executor_id", true);
    if (!ID.matcher(id).matches()) {
      throw Refusal.badRequest("executor_id must match " + ID.pattern());
    }
    String env = string(body, "environment", false);
    env = env == null ? "server" : env;
    if (!ENVIRONMENTS.contains(env)) {
      throw Refusal.badRequest("environment must be local or server");
    }
    Object caps = body.getValue("capabilities");
    if (!(caps instanceof JsonArray arr) || arr.isEmpty() || arr.size() > 64) {
      throw Refusal.badRequest("capabilities must be a non-empty array of at most 64 names");
    }
    for (Object c : arr) {
      if (!(c instanceof String cs) || !CAPABILITY.matcher(cs).matches()) {
        throw Refusal.badRequest("each capability must be a string matching " + CAPABILITY.pattern());
      }
    }
    String type = string(body, "type", false);
    String role = string(body, "role", false);
    return new ExecutorInfo(id, type == null ? "generic" : type, env,
        arr.stream().map(Object::toString).distinct().toList(), role == null ? "worker" : role);
  }

  private static String string(JsonObject body, String field, boolean required) {
    Object v = body.getValue(field);
    if (v == null) {
      if (required) {
        throw Refusal.badRequest(field + " is required");
      }
      return null;
    }
    if (!(v instanceof String s) || s.length() > 128) {
      throw Refusal.badRequest(field + " must be a string of at most 128 characters");
    }
    return s;
  }
}
