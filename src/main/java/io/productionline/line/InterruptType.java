package io.productionline.line;

import java.util.Arrays;
import java.util.Optional;

/** Why the line stopped for a person. */
public enum InterruptType {
  /** A step needs input (a {@code needs_input} outcome). */
  CLARIFICATION,
  /** A track halted: the circuit breaker tripped, attempts ran out, or an executor halted it. */
  AUDIT_REVIEW,
  /** Binding found conflicting constraints. */
  CONSTRAINT_CONFLICT,
  /** A {@code human_approval} station waits for a yes before it runs. */
  APPROVAL;

  private final String wire = name().toLowerCase();

  public String wire() {
    return wire;
  }

  public static Optional<InterruptType> parse(String wire) {
    return Arrays.stream(values()).filter(t -> t.wire.equals(wire)).findFirst();
  }

  @Override
  public String toString() {
    return wire;
  }
}
