package io.productionline.line;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("The transition table")
class TransitionsTest {

  /**
   * The table written out by hand: each row is a state and every state it may move to. Editing
   * {@link Transitions} without editing this row on purpose makes the test below refuse it.
   */
  private static final String[] EXPECTED = {
      "queued            -> blocked binding assembling auditing awaiting_operator cancelled",
      "blocked           -> queued blocked binding assembling auditing awaiting_operator cancelled",
      "binding           -> binding assembling auditing awaiting_operator halted stabilized cancelled queued",
      "assembling        -> binding assembling auditing awaiting_operator halted stabilized cancelled queued",
      "auditing          -> binding assembling auditing remediating awaiting_operator halted stabilized cancelled queued",
      "remediating       -> auditing awaiting_operator halted cancelled queued",
      "awaiting_operator -> binding assembling auditing remediating halted cancelled queued",
      "halted            -> binding assembling auditing remediating escalated cancelled queued",
      "stabilized        -> cancelled queued",
      "escalated         -> cancelled queued",
      "cancelled         ->",
  };

  private static final Map<TrackState, Set<TrackState>> TABLE = parse(EXPECTED);

  private static Map<TrackState, Set<TrackState>> parse(String[] rows) {
    Map<TrackState, Set<TrackState>> table = new EnumMap<>(TrackState.class);
    for (String row : rows) {
      String[] halves = row.split("->", -1);
      TrackState from = TrackState.parse(halves[0].trim()).orElseThrow();
      Set<TrackState> to = EnumSet.noneOf(TrackState.class);
      Arrays.stream(halves[1].trim().split("\\s+"))
          .filter(s -> !s.isEmpty())
          .forEach(s -> to.add(TrackState.parse(s).orElseThrow()));
      table.put(from, to);
    }
    return table;
  }

  static Stream<Arguments> everyPair() {
    return Arrays.stream(TrackState.values())
        .flatMap(from -> Arrays.stream(TrackState.values())
            .map(to -> Arguments.of(from, to, TABLE.get(from).contains(to))));
  }

  @Test
  @DisplayName("the written table has a row for every state")
  void tableCoversEveryState() {
    assertEquals(EnumSet.allOf(TrackState.class), TABLE.keySet());
  }

  @ParameterizedTest(name = "{0} -> {1}: legal = {2}")
  @MethodSource("everyPair")
  @DisplayName("every move between two states is legal exactly when the written table says so")
  void everyPairMatchesTheTable(TrackState from, TrackState to, boolean legal) {
    assertEquals(legal, Transitions.legal(from, to), from + " -> " + to);
    if (legal) {
      assertDoesNotThrow(() -> Transitions.check(from, to));
    } else {
      IllegalMoveException e = assertThrows(IllegalMoveException.class, () -> Transitions.check(from, to));
      assertEquals(from, e.current(), "the refusal carries the current state");
      assertTrue(e.attempted().contains(to.wire()), "the refusal names the attempted move: " + e.attempted());
      assertTrue(e.getMessage().contains(from.wire()) && e.getMessage().contains(to.wire()), e.getMessage());
    }
  }

  @ParameterizedTest
  @EnumSource(TrackState.class)
  @DisplayName("the moves out of a state are the row of the written table")
  void fromListsTheRow(TrackState from) {
    assertEquals(TABLE.get(from), Transitions.from(from));
  }

  @Test
  @DisplayName("a cancelled track never moves again")
  void cancelledIsFinal() {
    assertTrue(Transitions.from(TrackState.CANCELLED).isEmpty());
  }

  @ParameterizedTest
  @EnumSource(value = TrackState.class, names = {"STABILIZED", "ESCALATED", "CANCELLED"})
  @DisplayName("a terminal state only leads to cancelled or back to queued")
  void terminalStatesStayTerminal(TrackState terminal) {
    assertTrue(terminal.terminal());
    assertTrue(EnumSet.of(TrackState.CANCELLED, TrackState.QUEUED).containsAll(Transitions.from(terminal)));
  }
}
