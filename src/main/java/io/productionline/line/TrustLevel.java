package io.productionline.line;

import java.util.Arrays;
import java.util.Optional;

/** How far a step has been proven. {@code fully_auto} stations run only {@code vetted} steps. */
public enum TrustLevel {
  VETTED, COMMUNITY, EXPERIMENTAL;

  private final String wire = name().toLowerCase();

  public String wire() {
    return wire;
  }

  public static Optional<TrustLevel> parse(String wire) {
    return Arrays.stream(values()).filter(t -> t.wire.equals(wire)).findFirst();
  }

  @Override
  public String toString() {
    return wire;
  }
}
