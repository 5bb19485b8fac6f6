package io.productionline.interrupt;

import io.productionline.line.InterruptType;
import io.productionline.line.LineDefinition;
import io.productionline.track.LineCatalog;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What happens when an operator interrupt's SLA passes ({@code analytics.sla_policy}): per
 * interrupt type, overridable per station id.
 *
 * <pre>
 * "sla_policy": {
 *   "audit_review":  {"action": "escalate", "notes": "no answer within the SLA: acknowledged and continued"},
 *   "clarification": {"action": "answer", "answer": {"answers": {"audience": "operators"}}},
 *   "approval":      {"action": "answer", "answer": {"notes": "approved: no objection within the SLA"}},
 *   "stations": {"legal_review": {"action": "alert"}}
 * }
 * </pre>
 *
 * {@code alert} (the default) only raises the alarm; {@code escalate} acknowledges a halt and
 * continues (as an operator's escalate does, with the policy's {@code notes}; only a halted track,
 * so only for {@code audit_review} by type; at a station whose interrupt is not a halt the track's
 * refusal is recorded as the result); {@code answer} resolves the
 * interrupt with the configured {@code answer} (as an operator's resolve does). A policy that does
 * not hold stops the node from starting.
 */
public final class SlaPolicy {

  /** The actor the audit log names for what the policy does. */
  public static final String ACTOR = "sla-policy";

  public enum Action {
    ALERT, ESCALATE, ANSWER;

    public String wire() {
      return name().toLowerCase();
    }
  }

  /** One rule: its action, the notes of an escalation, the resolution of an answer. */
  public record Rule(Action action, String notes, JsonObject answer) {

    static final Rule ALERT = new Rule(Action.ALERT, null, null);

    public JsonObject toJson() {
      JsonObject out = new JsonObject().put("action", action.wire());
      if (notes != null) {
        out.put("notes", notes);
      }
      if (answer != null) {
        out.put("answer", answer);
      }
      return out.put("says", says());
    }

    /** What the rule did when the SLA passed, in words, as the inbox lists it: taken, or why not. */
    public static String did(Action action, String result) {
      if (!"taken".equals(result)) {
        return "SLA passed: " + (result == null ? "nothing recorded" : result);
      }
      return switch (action) {
        case ALERT -> "SLA passed: alerted";
        case ESCALATE -> "SLA passed: acknowledged and continued automatically";
        case ANSWER -> "SLA passed: answered with the configured default";
      };
    }

    /** The rule in words, as the inbox shows it. */
    public String says() {
      return switch (action) {
        case ALERT -> "when the SLA passes: alert only";
        case ESCALATE -> "when the SLA passes: acknowledged and continued automatically";
        case ANSWER -> "when the SLA passes: answered with the configured default";
      };
    }
  }

  private final Map<String, Rule> byType = new TreeMap<>();
  private final Map<String, Rule> byStation = new TreeMap<>();

  public SlaPolicy(JsonObject config) {
    JsonObject c = config == null ? new JsonObject() : config;
    for (String key : c.fieldNames()) {
      if (key.equals("stations")) {
        JsonObject stations = c.getValue(key) instanceof JsonObject o ? o : null;
        if (stations == null) {
          throw new IllegalArgumentException("analytics.sla_policy.stations must be an object of station id -> rule");
        }
        stations.forEach(e -> byStation.put(e.getKey(), rule("analytics.sla_policy.stations." + e.getKey(), e.getValue())));
      } else if (InterruptType.parse(key).isPresent()) {
        Rule r = rule("analytics.sla_policy." + key, c.getValue(key));
        if (r.action() == Action.ESCALATE && !key.equals(InterruptType.AUDIT_REVIEW.wire())) {
          throw new IllegalArgumentException("analytics.sla_policy." + key + ": escalate (acknowledge and continue) is for the halts of "
              + "audit_review; a " + key + " waits for an answer: use answer or alert");
        }
        byType.put(key, r);
      } else {
        throw new IllegalArgumentException("analytics.sla_policy." + key
            + ": not an interrupt type (clarification, audit_review, constraint_conflict, approval) nor \"stations\"");
      }
    }
  }

  private static Rule rule(String where, Object value) {
    if (!(value instanceof JsonObject o)) {
      throw new IllegalArgumentException(where + " must be an object with an action");
    }
    String action = o.getValue("action") instanceof String a ? a : "";
    Object notes = o.getValue("notes");
    if (notes != null && !(notes instanceof String)) {
      throw new IllegalArgumentException(where + ".notes must be a string");
    }
    return switch (action) {
      case "alert" -> Rule.ALERT;
      case "escalate" -> new Rule(Action.ESCALATE, notes == null ? "acknowledged and continued: no answer within the SLA" : (String) notes, null);
      case "answer" -> {
        if (!(o.getValue("answer") instanceof JsonObject answer) || answer.isEmpty()) {
          throw new IllegalArgumentException(where + ": action answer needs \"answer\", the resolution to give (e.g. {\"answers\": {…}})");
        }
        yield new Rule(Action.ANSWER, null, answer.copy());
      }
      default -> throw new IllegalArgumentException(where + ".action must be alert, escalate or answer");
    };
  }

  /** The rule of an interrupt of {@code type} at {@code station} (null when unknown): the station's, else the type's, else alert. */
  public Rule of(String type, String station) {
    Rule r = station == null ? null : byStation.get(station);
    return r != null ? r : byType.getOrDefault(type, Rule.ALERT);
  }

  /** The station id of an interrupt, by its line (as loaded now), document type and station index. */
  public static String stationOf(LineCatalog lines, String line, String documentType, int stationIndex) {
    Optional<LineDefinition> def = line == null ? Optional.empty() : lines.find(line);
    return def.flatMap(d -> d.type(documentType))
        .filter(t -> stationIndex >= 0 && stationIndex < t.stations().size())
        .map(t -> t.station(stationIndex).id()).orElse(null);
  }

  public JsonObject toJson() {
    JsonObject types = new JsonObject();
    for (InterruptType t : InterruptType.values()) {
      types.put(t.wire(), byType.getOrDefault(t.wire(), Rule.ALERT).toJson());
    }
    JsonObject stations = new JsonObject();
    byStation.forEach((k, v) -> stations.put(k, v.toJson()));
    return new JsonObject().put("types", types).put("stations", stations);
  }
}
