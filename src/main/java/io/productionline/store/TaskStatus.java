package io.productionline.store;

import java.util.Arrays;

/** Where one station task ({@code station_tasks.status}) stands. */
public enum TaskStatus {
  /** Waiting for an executor (or for its backoff to pass). */
  QUEUED,
  /** Held by an executor under a lease. */
  CLAIMED,
  /** Reported by its executor (or an operator, at a manual station); its outcome is set. */
  COMPLETED,
  /** Withdrawn: the track moved on (a new run, a cancel) before it completed. */
  CANCELLED,
  /** Out of attempts: the rescue sweep gave it up and the track halted. */
  DROPPED;

  private final String wire = name().toLowerCase();

  public String wire() {
    return wire;
  }

  /** Still to be done: queued or held. */
  public boolean open() {
    return this == QUEUED || this == CLAIMED;
  }

  /** The status of a stored row; the database's CHECK allows no other. */
  public static TaskStatus of(String wire) {
    return Arrays.stream(values()).filter(s -> s.wire.equals(wire)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no task status " + wire));
  }

  @Override
  public String toString() {
    return wire;
  }
}
