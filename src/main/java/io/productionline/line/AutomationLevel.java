package io.productionline.line;

import java.util.Arrays;
import java.util.Optional;

/** How much of a station runs without a person. */
public enum AutomationLevel {
  /** Run and advance. Only {@code vetted} steps may run this way. */
  FULLY_AUTO,
  /** Run, advance, and tell the operator. */
  AUTO_NOTIFY,
  /** An approval interrupt must be resolved before the station's task is queued. */
  HUMAN_APPROVAL,
  /** No executor: an operator reports the station's outcome through the API. */
  MANUAL;

  private final String wire = name().toLowerCase();

  public String wire() {
    return wire;
  }

  public static Optional<AutomationLevel> parse(String wire) {
    return Arrays.stream(values()).filter(a -> a.wire.equals(wire)).findFirst();
  }

  @Override
  public String toString() {
    return wire;
  }
}
