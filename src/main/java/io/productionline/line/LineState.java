package io.productionline.line;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The state of a project's line and its summary counts: the one definition of both. Java reads it
 * ({@link #of}, {@link #summary}) and the SQL that computes them inside a write is generated from
 * it ({@link #sqlOf}, {@link #sqlSummary}), so the two cannot drift apart.
 *
 * <p>Each track contributes one {@link Part} to its line ({@link #part}); the line's state is the
 * first constant, in declaration order, whose {@link Rule} holds for the count of tracks in its
 * part. A track counts in the summary under {@code total}, its own state, and {@code active} when
 * it is at a station ({@link #buckets}).
 */
public enum LineState {
  /** Some track waits for an operator or is halted. */
  STOPPED(Part.STOPS, Rule.ANY),
  /** Every track (at least one) is terminal. */
  COMPLETE(Part.FINISHED, Rule.ALL_OF_SOME),
  /** No track has started (or the project has none). */
  IDLE(Part.NOT_STARTED, Rule.ALL),
  /** Anything else: the line is moving. */
  ACTIVE(null, Rule.OTHERWISE);

  /** What one track contributes to its line's state. */
  public enum Part {
    /** Awaiting an operator or halted ({@link TrackState#stopsLine}). */
    STOPS,
    /** Terminal ({@link TrackState#terminal}). */
    FINISHED,
    /** Queued, not started. */
    NOT_STARTED,
    /** Started and neither stopped nor finished (blocked or at a station). */
    UNDER_WAY
  }

  /** When a line state holds, of the count of tracks in its part. */
  public enum Rule {
    /** At least one track. */
    ANY,
    /** Every track, and there is at least one. */
    ALL_OF_SOME,
    /** Every track (none at all included). */
    ALL,
    /** Always (the last constant). */
    OTHERWISE
  }

  /** The summary's key of all tracks. */
  public static final String TOTAL = "total";
  /** The summary's key of the tracks at a station ({@link TrackState#atStation}). */
  public static final String ACTIVE_KEY = "active";

  private final Part part;
  private final Rule rule;
  private final String wire = name().toLowerCase();

  LineState(Part part, Rule rule) {
    this.part = part;
    this.rule = rule;
  }

  public String wire() {
    return wire;
  }

  @Override
  public String toString() {
    return wire;
  }

  /** What a track in {@code s} contributes to its line's state. */
  public static Part part(TrackState s) {
    if (s.stopsLine()) {
      return Part.STOPS;
    }
    if (s.terminal()) {
      return Part.FINISHED;
    }
    return s == TrackState.QUEUED ? Part.NOT_STARTED : Part.UNDER_WAY;
  }

  /** The summary keys a track in {@code s} counts under: {@code total}, its state, and {@code active} at a station. */
  public static List<String> buckets(TrackState s) {
    List<String> out = new ArrayList<>(List.of(TOTAL, s.wire()));
    if (s.atStation()) {
      out.add(ACTIVE_KEY);
    }
    return out;
  }

  /** The summary's keys, in order: {@code total}, every state, {@code active}. */
  public static List<String> summaryKeys() {
    List<String> keys = new ArrayList<>(List.of(TOTAL));
    Arrays.stream(TrackState.values()).map(TrackState::wire).forEach(keys::add);
    keys.add(ACTIVE_KEY);
    return keys;
  }

  /** The line's state when {@code byState} tracks are in each state (a missing state: none). */
  public static LineState of(Map<TrackState, Integer> byState) {
    int total = byState.values().stream().mapToInt(Integer::intValue).sum();
    for (LineState l : values()) {
      int n = byState.entrySet().stream().filter(e -> part(e.getKey()) == l.part).mapToInt(Map.Entry::getValue).sum();
      boolean holds = switch (l.rule) {
        case ANY -> n > 0;
        case ALL_OF_SOME -> total > 0 && n == total;
        case ALL -> n == total;
        case OTHERWISE -> true;
      };
      if (holds) {
        return l;
      }
    }
    throw new IllegalStateException("the last line state holds otherwise");
  }

  /** The line's state of a summary as {@link #summary} gives it. */
  public static LineState ofSummary(Map<String, ?> summary) {
    Map<TrackState, Integer> byState = new LinkedHashMap<>();
    for (TrackState s : TrackState.values()) {
      Object n = summary.get(s.wire());
      byState.put(s, n == null ? 0 : ((Number) n).intValue());
    }
    return of(byState);
  }

  /** The summary counts of {@code byState}: every key of {@link #summaryKeys}, zero where none. */
  public static Map<String, Integer> summary(Map<TrackState, Integer> byState) {
    Map<String, Integer> out = new LinkedHashMap<>();
    summaryKeys().forEach(k -> out.put(k, 0));
    byState.forEach((s, n) -> buckets(s).forEach(k -> out.merge(k, n, Integer::sum)));
    return out;
  }

  /**
   * SQL of the line's state, an aggregate over rows of a track state ({@code state}, text) and a
   * count ({@code n}): the same rules as {@link #of}.
   */
  public static String sqlOf(String state, String n) {
    StringBuilder sql = new StringBuilder("CASE");
    String total = "coalesce(sum(" + n + "), 0)";
    for (LineState l : values()) {
      String inPart = l.part == null ? null : "coalesce(sum(" + n + ") FILTER (WHERE " + state + " IN ("
          + Arrays.stream(TrackState.values()).filter(s -> part(s) == l.part).map(s -> "'" + s.wire() + "'")
              .collect(Collectors.joining(", ")) + ")), 0)";
      switch (l.rule) {
        case ANY -> sql.append(" WHEN ").append(inPart).append(" > 0");
        case ALL_OF_SOME -> sql.append(" WHEN ").append(total).append(" > 0 AND ").append(inPart).append(" = ").append(total);
        case ALL -> sql.append(" WHEN ").append(inPart).append(" = ").append(total);
        case OTHERWISE -> sql.append(" ELSE");
      }
      sql.append(l.rule == Rule.OTHERWISE ? " '" : " THEN '").append(l.wire).append("'");
    }
    return sql.append(" END").toString();
  }

  /**
   * SQL of the summary as a jsonb object, an aggregate over rows of distinct track states
   * ({@code state}) and their counts ({@code n}), as {@link #sqlOf}: {@link #summary}'s counts. Every
   * key at zero, then each state's own count over it, then the keys that gather several states
   * ({@code total}, {@code active}): three aggregates, not one a key (a move computes it, and
   * PostgreSQL sets up each aggregate of a statement every time it runs).
   */
  public static String sqlSummary(String state, String n) {
    List<String> states = Arrays.stream(TrackState.values()).map(TrackState::wire).toList();
    String zeros = summaryKeys().stream().map(k -> "\"" + k + "\": 0").collect(Collectors.joining(", ", "'{", "}'::jsonb"));
    String gathered = summaryKeys().stream().filter(k -> !states.contains(k)).map(k -> {
      List<String> in = Arrays.stream(TrackState.values()).filter(s -> buckets(s).contains(k)).map(s -> "'" + s.wire() + "'").toList();
      String sum = in.size() == states.size() ? "sum(" + n + ")"
          : "sum(" + n + ") FILTER (WHERE " + state + " IN (" + String.join(", ", in) + "))";
      return "'" + k + "', coalesce(" + sum + ", 0)";
    }).collect(Collectors.joining(", "));
    return "(" + zeros + " || coalesce(jsonb_object_agg(" + state + ", " + n + ") FILTER (WHERE " + state + " IS NOT NULL), '{}'::jsonb)"
        + " || jsonb_build_object(" + gathered + "))";
  }
}
