package io.productionline.line;

import java.util.Arrays;
import java.util.Optional;

/** What an executor (or an operator, at a manual station) reports at the end of a station task. */
public enum Outcome {
  /** The station's work is done and sound. */
  STABILIZED,
  /** An audit said no; findings say why. Only audit stations report it. */
  AUDIT_REJECTED,
  /** The step needs an operator's answer; questions say what. */
  NEEDS_INPUT,
  /** The executor gave up on the document; a reason says why. */
  HALTED;

  private final String wire = name().toLowerCase();

  public String wire() {
    return wire;
  }

  public static Optional<Outcome> parse(String wire) {
    return Arrays.stream(values()).filter(o -> o.wire.equals(wire)).findFirst();
  }

  @Override
  public String toString() {
    return wire;
  }
}
