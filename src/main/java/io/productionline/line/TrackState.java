package io.productionline.line;

import java.util.Arrays;
import java.util.Optional;

/**
 * The states of a track, the production of one document. Each constant says how a track enters
 * it and how it leaves it; the legal moves are the table in {@link Transitions}.
 */
public enum TrackState {
  /** Created by a project and not started yet. Leaves when Run Full Line or Start Production starts it. */
  QUEUED,
  /** Started, but a dependency is neither stabilized nor escalated. Leaves when the last one clears; when a dependency is cancelled for good it stays, and its reason says so. */
  BLOCKED,
  /** A {@code bind} station task is queued or held by an executor. Leaves on that task's outcome. */
  BINDING,
  /** An {@code assemble} station task is queued or running. Leaves on that task's outcome. */
  ASSEMBLING,
  /** An {@code audit} station task is queued or running. Leaves to the next station, to remediating when the audit rejected, or to halted when the circuit breaker trips. */
  AUDITING,
  /** Remediation after an audit rejected: the remediation station runs, then the audit runs again. */
  REMEDIATING,
  /** An operator interrupt (clarification, approval, constraint conflict) is open. Leaves when an operator resolves it. */
  AWAITING_OPERATOR,
  /** Production halted: the circuit breaker tripped, the station ran out of attempts, or an executor reported a halt. An audit_review interrupt is open; leaves when an operator resolves it (the station runs again) or acknowledges it (escalated). */
  HALTED,
  /** Terminal: the last station's outcome stabilized the document. Dependents may proceed. */
  STABILIZED,
  /** Terminal: an operator acknowledged a halt and let the line continue. Dependents may proceed. */
  ESCALATED,
  /** Terminal: an operator cancelled the track. */
  CANCELLED;

  private final String wire = name().toLowerCase();

  /** The snake_case name used in the API, the events and the database. */
  public String wire() {
    return wire;
  }

  public boolean terminal() {
    return this == STABILIZED || this == ESCALATED || this == CANCELLED;
  }

  /** Stabilized or escalated: a dependent track may start. */
  public boolean clearsDependents() {
    return this == STABILIZED || this == ESCALATED;
  }

  /** A station of this track is queued or running. */
  public boolean atStation() {
    return this == BINDING || this == ASSEMBLING || this == AUDITING || this == REMEDIATING;
  }

  /** Waiting for an operator or halted: while a track is here, its project's line is stopped. */
  public boolean stopsLine() {
    return this == AWAITING_OPERATOR || this == HALTED;
  }

  public static Optional<TrackState> parse(String wire) {
    return Arrays.stream(values()).filter(s -> s.wire.equals(wire)).findFirst();
  }

  @Override
  public String toString() {
    return wire;
  }
}
