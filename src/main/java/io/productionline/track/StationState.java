package io.productionline.track;

import io.productionline.line.TrackState;

/** Where one station of a track stands, as {@code GET /production} and the dashboard's chips say it. */
public enum StationState {
  /** Not reached yet (or to run again: the audit a remediation returns to). */
  QUEUED,
  /** The track is at this station: its task is queued for an executor or held by one. */
  ACTIVE,
  /** Its latest run completed. */
  COMPLETE,
  /** A remediation station the track is not in. */
  IDLE,
  /** The track waits here for an operator's answer. */
  AWAITING_OPERATOR,
  /** The track halted here; an audit review is open. */
  HALTED;

  private final String wire = name().toLowerCase();

  public String wire() {
    return wire;
  }

  /** The state of the station a track stands at, in the track's {@code state}. */
  static StationState current(TrackState state) {
    return state == TrackState.HALTED ? HALTED : state == TrackState.AWAITING_OPERATOR ? AWAITING_OPERATOR : ACTIVE;
  }
}
