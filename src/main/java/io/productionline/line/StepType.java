package io.productionline.line;

import java.util.Arrays;
import java.util.Optional;

/** What an executor runs at a station. */
public enum StepType {
  /** A command line, with the track's inputs as files and environment. */
  SHELL,
  /** A call to a URL with the inputs. */
  HTTP,
  /** A simulated duration and outcome, for demos, tests and benchmarks. */
  SIM;

  private final String wire = name().toLowerCase();

  public String wire() {
    return wire;
  }

  public static Optional<StepType> parse(String wire) {
    return Arrays.stream(values()).filter(t -> t.wire.equals(wire)).findFirst();
  }

  @Override
  public String toString() {
    return wire;
  }
}
