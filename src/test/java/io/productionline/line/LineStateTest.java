package io.productionline.line;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.productionline.line.LineState.Part;
import io.productionline.support.ChildServers;
import io.productionline.support.TestServers;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The line's state and summary counts: one definition, in Java and in the SQL generated from it")
class LineStateTest {

  /**
   * Every track state, written out by hand: what a track in it contributes to its line's state, and
   * the summary keys it counts under. Adding a state to {@link TrackState} without a row here fails.
   */
  private static final String[] EXPECTED = {
      "queued            NOT_STARTED  total queued",
      "blocked           UNDER_WAY    total blocked",
      "binding           UNDER_WAY    total binding active",
      "assembling        UNDER_WAY    total assembling active",
      "auditing          UNDER_WAY    total auditing active",
      "remediating       UNDER_WAY    total remediating active",
      "awaiting_operator STOPS        total awaiting_operator",
      "halted            STOPS        total halted",
      "stabilized        FINISHED     total stabilized",
      "escalated         FINISHED     total escalated",
      "cancelled         FINISHED     total cancelled",
  };

  @Test
  @DisplayName("every track state has its line-state contribution and its count buckets")
  void everyStateHasItsRow() {
    Map<TrackState, String> actual = new LinkedHashMap<>();
    for (TrackState s : TrackState.values()) {
      actual.put(s, String.format("%-17s %-12s %s", s.wire(), LineState.part(s), String.join(" ", LineState.buckets(s))));
    }
    assertEquals(Arrays.stream(EXPECTED).collect(Collectors.joining("\n")),
        String.join("\n", actual.values()), "the table of track states");
  }

  @Test
  @DisplayName("a line is stopped, complete, idle or active as its tracks say")
  void lineStates() {
    assertEquals(LineState.IDLE, LineState.of(Map.of()), "a project without tracks has not started");
    assertEquals(LineState.IDLE, LineState.of(Map.of(TrackState.QUEUED, 3)));
    assertEquals(LineState.ACTIVE, LineState.of(Map.of(TrackState.QUEUED, 2, TrackState.BINDING, 1)));
    assertEquals(LineState.ACTIVE, LineState.of(Map.of(TrackState.BLOCKED, 1, TrackState.STABILIZED, 1)));
    assertEquals(LineState.ACTIVE, LineState.of(Map.of(TrackState.QUEUED, 1, TrackState.CANCELLED, 1)),
        "a finished track beside one not started: under way");
    assertEquals(LineState.STOPPED, LineState.of(Map.of(TrackState.HALTED, 1, TrackState.ASSEMBLING, 4)));
    assertEquals(LineState.STOPPED, LineState.of(Map.of(TrackState.AWAITING_OPERATOR, 1, TrackState.STABILIZED, 6)),
        "a stop wins over everything else");
    assertEquals(LineState.COMPLETE, LineState.of(Map.of(TrackState.STABILIZED, 5, TrackState.ESCALATED, 1, TrackState.CANCELLED, 1)));
    Map<String, Integer> summary = LineState.summary(Map.of(TrackState.AUDITING, 2, TrackState.BLOCKED, 1, TrackState.STABILIZED, 4));
    assertEquals(7, summary.get("total"));
    assertEquals(2, summary.get("active"), "only tracks at a station are active");
    assertEquals(0, summary.get("halted"), "every state is present, zero where none");
    assertEquals(LineState.summaryKeys(), new ArrayList<>(summary.keySet()));
  }

  @Test
  @DisplayName("PostgreSQL computes the same summary and line state from the SQL generated from the definition")
  void sqlAgreesWithJava() {
    List<Map<TrackState, Integer>> cases = new ArrayList<>();
    cases.add(Map.of());
    for (TrackState s : TrackState.values()) {
      cases.add(Map.of(s, 1));
      for (TrackState t : TrackState.values()) {
        if (t.ordinal() > s.ordinal()) {
          cases.add(Map.of(s, 2, t, 3));
        }
      }
    }
    for (Part p : Part.values()) {
      Map<TrackState, Integer> all = new EnumMap<>(TrackState.class);
      Arrays.stream(TrackState.values()).filter(s -> LineState.part(s) == p).forEach(s -> all.put(s, 1));
      cases.add(all);
    }
    StringBuilder sql = new StringBuilder();
    for (int i = 0; i < cases.size(); i++) {
      String rows = cases.get(i).isEmpty() ? "SELECT NULL::text AS state, NULL::bigint AS n WHERE false"
          : cases.get(i).entrySet().stream().map(e -> "SELECT '" + e.getKey().wire() + "'::text AS state, " + e.getValue() + "::bigint AS n")
              .collect(Collectors.joining(" UNION ALL "));
      sql.append(i == 0 ? "" : " UNION ALL ").append("SELECT ").append(i).append(" AS i, ")
          .append(LineState.sqlSummary("state", "n")).append("::text AS summary, ")
          .append(LineState.sqlOf("state", "n")).append(" AS line_state FROM (").append(rows).append(") c");
    }
    List<Map<String, Object>> rows = ChildServers.sql(TestServers.pgBase() + "/postgres", "SELECT * FROM (" + sql + ") x ORDER BY i");
    assertEquals(cases.size(), rows.size());
    for (Map<String, Object> r : rows) {
      Map<TrackState, Integer> c = cases.get(((Number) r.get("i")).intValue());
      assertEquals(LineState.of(c).wire(), r.get("line_state"), "the line state of " + c);
      assertEquals(new JsonObject(new LinkedHashMap<>(LineState.summary(c))), new JsonObject((String) r.get("summary")), "the summary of " + c);
    }
  }
}
