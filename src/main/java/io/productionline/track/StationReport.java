package io.productionline.track;

import io.productionline.Refusal;
import io.productionline.line.Outcome;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * What an executor (or an operator, at a manual station) reports at the end of a station task: its
 * {@link Outcome} and the rest of the report ({@code result}: reason, findings, questions, score …).
 * Checked once, at the HTTP edge ({@link #of}); it travels to the track's verticle inside the
 * command ({@link #into}) and is read back there as it was checked ({@link #fromCommand}).
 */
public record StationReport(Outcome outcome, JsonObject result) {

  public StationReport {
    if (outcome == null || result == null) {
      throw new IllegalArgumentException("a station report has an outcome and a result");
    }
  }

  /** The outcomes by wire name, for refusals. */
  public static final String OUTCOMES = Arrays.stream(Outcome.values()).map(Outcome::wire).collect(Collectors.joining(", "));

  /**
   * The report in a request's body: its {@code outcome} (400 unless one of {@link Outcome}) and the
   * rest of the body but {@code outcome}, {@code artifacts}, {@code item} and {@code lease_token}.
   */
  public static StationReport of(JsonObject body) {
    Outcome outcome = body.getValue("outcome") instanceof String wire ? Outcome.parse(wire).orElse(null) : null;
    if (outcome == null) {
      throw Refusal.badRequest("outcome must be one of " + OUTCOMES);
    }
    JsonObject result = body.copy();
    result.remove("outcome");
    result.remove("artifacts");
    result.remove("item");
    result.remove("lease_token");
    return new StationReport(outcome, result);
  }

  /** {@code command} carrying this report ({@code outcome}, {@code result}). */
  public JsonObject into(JsonObject command) {
    return command.put("outcome", outcome.wire()).put("result", result);
  }

  /** The report a command carries, as {@link #into} put it (it was checked at the edge). */
  static StationReport fromCommand(JsonObject command) {
    return new StationReport(Outcome.parse(command.getString("outcome", "")).orElseThrow(
        () -> new IllegalArgumentException("a track command carries an unchecked outcome " + command.getString("outcome"))),
        command.getJsonObject("result", new JsonObject()));
  }
}
