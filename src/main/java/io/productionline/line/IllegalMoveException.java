package io.productionline.line;

/** A move the transition table does not allow. Carries what an operator needs to see: where the track stands and what was tried. */
public final class IllegalMoveException extends RuntimeException {

  private final TrackState current;
  private final String attempted;

  public IllegalMoveException(TrackState current, String attempted) {
    super("Illegal move: a track in state " + current.wire() + " cannot " + attempted);
    this.current = current;
    this.attempted = attempted;
  }

  public TrackState current() {
    return current;
  }

  public String attempted() {
    return attempted;
  }
}
