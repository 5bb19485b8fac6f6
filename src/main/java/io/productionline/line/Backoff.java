package io.productionline.line;

import java.time.Duration;

/** Exponential backoff before lost work is queued again: {@code initial_ms * multiplier^(attempt-1)}, capped. */
public record Backoff(Long initialMs, Long maxMs, Double multiplier) {

  public static final Backoff DEFAULT = new Backoff(1_000L, 60_000L, 2.0);

  public Backoff {
    initialMs = initialMs == null ? 1_000L : initialMs;
    maxMs = maxMs == null ? 60_000L : maxMs;
    multiplier = multiplier == null ? 2.0 : multiplier;
  }

  /** The delay before attempt {@code nextAttempt} (2 for the first re-queue). */
  public Duration delayBefore(int nextAttempt) {
    double ms = initialMs * Math.pow(multiplier, Math.max(0, nextAttempt - 2));
    return Duration.ofMillis((long) Math.min(ms, maxMs));
  }
}
