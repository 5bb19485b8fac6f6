package io.productionline.line;

import static io.productionline.line.TrackState.*;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The transition table: every legal move of a track. Anything not listed is refused with
 * {@link IllegalMoveException}. {@link TrackMachine} checks each move it decides against this table.
 */
public final class Transitions {

  private static final Map<TrackState, Set<TrackState>> LEGAL = new EnumMap<>(TrackState.class);

  static {
    // Starting: a queued track is blocked or enters its first station (or waits for an approval before it).
    LEGAL.put(QUEUED, EnumSet.of(BLOCKED, BINDING, ASSEMBLING, AUDITING, AWAITING_OPERATOR, CANCELLED));
    // A blocked track stays blocked with a new reason when a dependency is cancelled for good.
    LEGAL.put(BLOCKED, EnumSet.of(QUEUED, BLOCKED, BINDING, ASSEMBLING, AUDITING, AWAITING_OPERATOR, CANCELLED));
    // At a station: the next station, an operator stop, a halt, the end; redesign sends it back to queued.
    LEGAL.put(BINDING, EnumSet.of(BINDING, ASSEMBLING, AUDITING, AWAITING_OPERATOR, HALTED, STABILIZED, CANCELLED, QUEUED));
    LEGAL.put(ASSEMBLING, EnumSet.of(BINDING, ASSEMBLING, AUDITING, AWAITING_OPERATOR, HALTED, STABILIZED, CANCELLED, QUEUED));
    LEGAL.put(AUDITING, EnumSet.of(BINDING, ASSEMBLING, AUDITING, REMEDIATING, AWAITING_OPERATOR, HALTED, STABILIZED, CANCELLED, QUEUED));
    // Remediation always leads back to the audit that rejected (or stops for an operator).
    LEGAL.put(REMEDIATING, EnumSet.of(AUDITING, AWAITING_OPERATOR, HALTED, CANCELLED, QUEUED));
    // An operator's answer resumes the station that stopped.
    LEGAL.put(AWAITING_OPERATOR, EnumSet.of(BINDING, ASSEMBLING, AUDITING, REMEDIATING, HALTED, CANCELLED, QUEUED));
    LEGAL.put(HALTED, EnumSet.of(BINDING, ASSEMBLING, AUDITING, REMEDIATING, ESCALATED, CANCELLED, QUEUED));
    // Terminal states: quality control may still reject a finished document (cancel, or redesign from queued).
    LEGAL.put(STABILIZED, EnumSet.of(CANCELLED, QUEUED));
    LEGAL.put(ESCALATED, EnumSet.of(CANCELLED, QUEUED));
    LEGAL.put(CANCELLED, EnumSet.noneOf(TrackState.class));
  }

  private Transitions() {
  }

  public static boolean legal(TrackState from, TrackState to) {
    return LEGAL.get(from).contains(to);
  }

  /** @throws IllegalMoveException when the table has no such move */
  public static void check(TrackState from, TrackState to) {
    if (!legal(from, to)) {
      throw new IllegalMoveException(from, "move to " + to.wire());
    }
  }

  public static Set<TrackState> from(TrackState state) {
    return Collections.unmodifiableSet(LEGAL.get(state));
  }
}
