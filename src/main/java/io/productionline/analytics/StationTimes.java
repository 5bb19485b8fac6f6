package io.productionline.analytics;

import io.productionline.line.StationDef;
import io.productionline.store.FlowRepository.Completed;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How long stations take and how often audits reject, from the latest completed runs (newest
 * first): the mean claim-to-completion time of a station's last {@value #PER_STATION} runs on its
 * line (the slowest left out once there are five), else of its capability's last
 * {@value #PER_CAPABILITY} runs anywhere, else {@code work.default_station_seconds}; an audit's
 * reject share over its last {@value #PER_STATION} runs; and the turnaround, the mean time (the
 * slowest tenth left out) from a task and an executor both being ready to the claim. Pure.
 */
public final class StationTimes implements Forecast.Durations {

  static final int PER_STATION = 10;
  static final int PER_CAPABILITY = 30;
  private static final long MAX_TURNAROUND_MS = 5_000;

  private final Map<String, List<Long>> byStation = new HashMap<>();
  private final Map<String, List<Long>> byCapability = new HashMap<>();
  private final Map<String, int[]> audits = new HashMap<>();
  private final long defaultMs;
  private final long turnaroundMs;

  public StationTimes(List<Completed> newestFirst, long defaultMs) {
    this.defaultMs = defaultMs;
    for (Completed c : newestFirst) {
      long ms = Math.max(0, Duration.between(c.claimedAt(), c.completedAt()).toMillis());
      List<Long> s = byStation.computeIfAbsent(key(c.line(), c.documentType(), c.stationId()), k -> new ArrayList<>());
      if (s.size() < PER_STATION) {
        s.add(ms);
        if ("audit".equals(c.stationKind())) {
          int[] a = audits.computeIfAbsent(key(c.line(), c.documentType(), c.stationId()), k -> new int[2]);
          a[0] += "audit_rejected".equals(c.outcome()) ? 1 : 0;
          a[1]++;
        }
      }
      List<Long> cap = byCapability.computeIfAbsent(c.capability(), k -> new ArrayList<>());
      if (cap.size() < PER_CAPABILITY) {
        cap.add(ms);
      }
    }
    this.turnaroundMs = turnaround(newestFirst);
  }

  private static String key(String line, String type, String station) {
    return line + "\u0000" + type + "\u0000" + station;
  }

  @Override
  public long serviceMs(String line, String documentType, StationDef station) {
    List<Long> s = byStation.get(key(line, documentType, station.id()));
    if (s != null && !s.isEmpty()) {
      return mean(s);
    }
    return capabilityMs(station.capability());
  }

  /** The recent mean of a capability's runs, else the default. */
  public long capabilityMs(String capability) {
    List<Long> cap = byCapability.get(capability);
    return cap == null || cap.isEmpty() ? defaultMs : mean(cap);
  }

  /** The station's recent mean, else its capability's; empty when neither has run (the forecast then assumes the default). */
  public java.util.OptionalLong knownMs(String line, String documentType, StationDef station) {
    List<Long> s = byStation.get(key(line, documentType, station.id()));
    if (s != null && !s.isEmpty()) {
      return java.util.OptionalLong.of(mean(s));
    }
    List<Long> cap = byCapability.get(station.capability());
    return cap == null || cap.isEmpty() ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(mean(cap));
  }

  /** Whether the station's time is measured (not the capability's mean or the default). */
  public boolean measured(String line, String documentType, String stationId) {
    List<Long> s = byStation.get(key(line, documentType, stationId));
    return s != null && !s.isEmpty();
  }

  /** How many recent runs the station's time is the mean of. */
  public int samples(String line, String documentType, String stationId) {
    List<Long> s = byStation.get(key(line, documentType, stationId));
    return s == null ? 0 : s.size();
  }

  @Override
  public double rejectShare(String line, String documentType, StationDef audit) {
    int[] a = audits.get(key(line, documentType, audit.id()));
    return a == null || a[1] == 0 ? 0 : (double) a[0] / a[1];
  }

  public long turnaroundMs() {
    return turnaroundMs;
  }

  /** The mean, the slowest run left out once there are five or more (one stall does not move every ETA). */
  private static long mean(List<Long> values) {
    long sum = 0;
    long max = Long.MIN_VALUE;
    for (long v : values) {
      sum += v;
      max = Math.max(max, v);
    }
    if (values.size() >= 5) {
      return Math.round((double) (sum - max) / (values.size() - 1));
    }
    return Math.round((double) sum / values.size());
  }

  /**
   * The mean time between an executor handing a task in and claiming its next one, counted from
   * when both were ready (the task queued, the executor free): the mean, not the median, because
   * every claim pays it and throughput is a sum.
   */
  private static long turnaround(List<Completed> newestFirst) {
    Map<String, List<Completed>> byExecutor = new HashMap<>();
    for (Completed c : newestFirst) {
      if (c.executorId() != null) {
        byExecutor.computeIfAbsent(c.executorId(), k -> new ArrayList<>()).add(c);
      }
    }
    List<Long> gaps = new ArrayList<>();
    for (List<Completed> runs : byExecutor.values()) {
      runs.sort(Comparator.comparing(Completed::claimedAt));
      for (int i = 1; i < runs.size(); i++) {
        Completed a = runs.get(i - 1);
        Completed b = runs.get(i);
        var ready = b.createdAt().isAfter(a.completedAt()) ? b.createdAt() : a.completedAt();
        long gap = Duration.between(ready, b.claimedAt()).toMillis();
        if (gap >= 0 && gap <= MAX_TURNAROUND_MS) {
          gaps.add(gap);
        }
      }
    }
    if (gaps.isEmpty()) {
      return 0;
    }
    // The mean of all but the slowest tenth: one stalled claim does not slow every forecast.
    gaps.sort(Long::compare);
    int keep = Math.max(1, gaps.size() - gaps.size() / 10);
    long sum = 0;
    for (int i = 0; i < keep; i++) {
      sum += gaps.get(i);
    }
    return Math.round((double) sum / keep);
  }
}
