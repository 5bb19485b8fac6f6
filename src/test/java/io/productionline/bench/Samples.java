package io.productionline.bench;

import io.vertx.core.json.JsonObject;
import java.util.Arrays;

/** Latency samples in milliseconds, safe to add from several threads; summarised as percentiles. */
final class Samples {

  private double[] values = new double[1024];
  private int size;

  synchronized void add(double ms) {
    if (size == values.length) {
      values = Arrays.copyOf(values, size * 2);
    }
    values[size++] = ms;
  }

  void addNanos(long nanos) {
    add(nanos / 1_000_000.0);
  }

  synchronized int count() {
    return size;
  }

  synchronized JsonObject summary() {
    double[] v = Arrays.copyOf(values, size);
    Arrays.sort(v);
    JsonObject out = new JsonObject().put("n", size);
    if (size == 0) {
      return out;
    }
    return out.put("p50_ms", round(at(v, 0.50))).put("p90_ms", round(at(v, 0.90))).put("p99_ms", round(at(v, 0.99)))
        .put("max_ms", round(v[size - 1])).put("mean_ms", round(Arrays.stream(v).average().orElse(0)));
  }

  private static double at(double[] sorted, double q) {
    int i = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  static double round(double v) {
    return Math.round(v * 100.0) / 100.0;
  }
}
