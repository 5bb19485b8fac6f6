package io.productionline.line;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/** What a station does. Each kind has a long name, a short name, and the track state it runs in. */
public enum StationKind {
  BIND("bind", "bind", TrackState.BINDING),
  ASSEMBLE("assemble", "asm", TrackState.ASSEMBLING),
  AUDIT("audit", "aud", TrackState.AUDITING),
  REMEDIATE("remediate", "rem", TrackState.REMEDIATING);

  private final String wire;
  private final String shortName;
  private final TrackState runningState;

  StationKind(String wire, String shortName, TrackState runningState) {
    this.wire = wire;
    this.shortName = shortName;
    this.runningState = runningState;
  }

  public String wire() {
    return wire;
  }

  public String shortName() {
    return shortName;
  }

  /** The state a track is in while a station of this kind runs. */
  public TrackState runningState() {
    return runningState;
  }

  /** Accepts the long or the short name. */
  public static Optional<StationKind> parse(String name) {
    return Optional.ofNullable(name == null ? null : BY_NAME.get(name));
  }

  /** Every long and short name: the replay of a forecast reads a station's kind at each step. */
  private static final Map<String, StationKind> BY_NAME = Arrays.stream(values())
      .flatMap(k -> java.util.stream.Stream.of(Map.entry(k.wire, k), Map.entry(k.shortName, k)))
      .collect(java.util.stream.Collectors.toUnmodifiableMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a));

  @Override
  public String toString() {
    return wire;
  }
}
