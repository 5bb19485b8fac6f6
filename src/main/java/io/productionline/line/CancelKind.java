package io.productionline.line;

import java.util.Arrays;
import java.util.Optional;

/** How an operator cancels a track. */
public enum CancelKind {
  /** Quality control rejected the document: the track is cancelled and a replacement track starts. */
  QC_REJECT,
  /** The track is re-bound from the current line definition: back to queued, then its first station. */
  REDESIGN,
  /** The track is cancelled for good; its dependents stay blocked with the reason. */
  PERMANENT;

  private final String wire = name().toLowerCase();

  public String wire() {
    return wire;
  }

  public static Optional<CancelKind> parse(String wire) {
    return Arrays.stream(values()).filter(k -> k.wire.equals(wire)).findFirst();
  }

  @Override
  public String toString() {
    return wire;
  }
}
