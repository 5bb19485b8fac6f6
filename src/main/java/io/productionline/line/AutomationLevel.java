package io.productionline.line;

import java.util.Arrays;
import java.util.Map;
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
    return Optional.ofNullable(wire == null ? null : BY_WIRE.get(wire));
  }

  private static final Map<String, AutomationLevel> BY_WIRE = Arrays.stream(values())
      .collect(java.util.stream.Collectors.toUnmodifiableMap(a -> a.wire, a -> a));

  @Override
  public String toString() {
    return wire;
  }
}
