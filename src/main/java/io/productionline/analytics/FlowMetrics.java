package io.productionline.analytics;

import io.productionline.store.TaskStatus;
import io.productionline.line.DocumentType;
import io.productionline.line.LineDefinition;
import io.productionline.line.StationDef;
import io.productionline.line.StationKind;
import io.productionline.line.TrackState;
import io.productionline.store.FlowRepository.Transition;
import io.productionline.store.FlowRepository.Work;
import io.productionline.store.TaskRow;
import io.productionline.store.TrackRow;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Flow metrics of a line from its stored history, per station (document type × station id), per
 * document type and for the line, over a recent window; executor utilisation per capability; and
 * the bottleneck. Pure: it computes from the rows it is given.
 *
 * <p>Definitions. <b>Work in progress</b>: open station tasks (a station), started unfinished tracks
 * (a type, the line). <b>Arrivals / completions per minute</b>: tasks queued / completed (tracks
 * started / finished) in the window, over the window, which starts no earlier than the line's first
 * task in it and lasts at least a minute. <b>Waiting time</b>: queued → claimed; <b>service time</b>: claimed → completed;
 * <b>cycle time</b>: queued → completed for a station, first station queued → finished for a track;
 * each as p50 / p90 of what completed in the window. <b>First-pass yield</b>: the share of tracks
 * whose first run at an audit (every audit, for a type or the line) passed. <b>Remediation rate</b>:
 * the share of audit runs that rejected. <b>Utilisation</b> of a capability: the time its tasks were
 * held by executors over (window × executors online with it). <b>Bottleneck</b>: the station whose
 * demand on its capability is highest — (busy time in the window + queued tasks × mean service) ÷
 * (window × capable executors) — with its evidence; no capable executor is infinite demand. Before
 * a station or its capability has a completed run, its queued tasks count at least as long as the
 * run at work has taken so far.
 */
public final class FlowMetrics {

  /** The rows of one computation. {@code tasks}, {@code tracks} and {@code transitions} are the line's; {@code work} is every capability's. */
  public record Input(Instant now, Duration window, LineDefinition line, String lineName, List<TaskRow> tasks, List<TrackRow> tracks,
                      List<Transition> transitions, List<Work> work, List<JsonObject> executors, StationTimes times) {
  }

  private FlowMetrics() {
  }

  public static JsonObject compute(Input in) {
    Instant since = in.now().minus(in.window());
    Instant first = in.tasks().stream().map(TaskRow::createdAt).filter(t -> !t.isBefore(since)).min(Instant::compareTo)
        .orElse(in.tasks().stream().map(TaskRow::createdAt).min(Instant::compareTo).orElse(in.now()));
    Instant from = first.isAfter(since) ? first : since;
    // Rates are per minute over the window since the line's first task in it, but never over less
    // than a minute: five tasks in the first second are not 300 a minute.
    double minutes = Math.max(60_000.0, Duration.between(from, in.now()).toMillis()) / 60_000.0;

    Map<String, Capability> caps = capabilities(in, since);
    Map<String, List<TaskRow>> byStation = in.tasks().stream()
        .collect(Collectors.groupingBy(t -> t.documentType() + "\u0000" + t.stationId(), LinkedHashMap::new, Collectors.toList()));
    Map<String, List<TrackRow>> tracksByType = in.tracks().stream()
        .collect(Collectors.groupingBy(TrackRow::documentType, LinkedHashMap::new, Collectors.toList()));
    Map<String, List<TaskRow>> tasksByTrack = in.tasks().stream().collect(Collectors.groupingBy(TaskRow::trackId));
    Map<String, List<JsonObject>> transitionsByTrack = new HashMap<>();
    for (Transition tr : in.transitions()) {
      transitionsByTrack.computeIfAbsent(tr.trackId(), k -> new ArrayList<>()).add(tr.payload());
    }

    JsonArray stations = new JsonArray();
    JsonArray types = new JsonArray();
    JsonArray loops = new JsonArray();
    List<JsonObject> candidates = new ArrayList<>();
    List<Long> lineWaits = new ArrayList<>();
    int lineAuditRuns = 0;
    int lineRejected = 0;

    for (DocumentType type : in.line().documentTypes()) {
      List<Long> typeWaits = new ArrayList<>();
      int typeAuditRuns = 0;
      int typeRejected = 0;
      for (int i = 0; i < type.stations().size(); i++) {
        StationDef def = type.station(i);
        List<TaskRow> runs = byStation.getOrDefault(type.name() + "\u0000" + def.id(), List.of());
        JsonObject st = station(in, type, def, i, runs, since, minutes, caps);
        stations.add(st);
        typeWaits.addAll(waits(runs, since));
        if (def.stationKind() == StationKind.AUDIT) {
          typeAuditRuns += st.getInteger("audit_runs", 0);
          typeRejected += st.getInteger("audit_rejections", 0);
          int rem = remediationIndex(type, i);
          if (rem >= 0) {
            StationDef remDef = type.station(rem);
            long now = in.tracks().stream().filter(t -> t.documentType().equals(type.name()) && t.state() == TrackState.REMEDIATING
                && t.stationIndex() == rem).count();
            loops.add(new JsonObject().put("document_type", type.name()).put("audit", def.id()).put("remediation", remDef.id())
                .put("loops", st.getInteger("audit_rejections", 0)).put("audit_runs", st.getInteger("audit_runs", 0))
                .put("first_pass_yield", st.getValue("first_pass_yield")).put("remediation_rate", st.getValue("remediation_rate"))
                .put("remediating_now", now));
          }
        }
        if (st.getInteger("wip") > 0 || st.getInteger("completed") > 0) {
          candidates.add(st);
        }
      }
      JsonObject typeJson = group(in, tracksByType.getOrDefault(type.name(), List.of()), tasksByTrack, transitionsByTrack, since, minutes)
          .put("document_type", type.name()).put("title", type.title())
          .put("wait_ms", percentiles(typeWaits))
          .put("remediation_rate", share(typeRejected, typeAuditRuns)).put("audit_runs", typeAuditRuns);
      types.add(typeJson);
      lineWaits.addAll(typeWaits);
      lineAuditRuns += typeAuditRuns;
      lineRejected += typeRejected;
    }
    JsonObject lineJson = group(in, in.tracks(), tasksByTrack, transitionsByTrack, since, minutes)
        .put("line", in.lineName())
        .put("wait_ms", percentiles(lineWaits))
        .put("remediation_rate", share(lineRejected, lineAuditRuns)).put("audit_runs", lineAuditRuns);
    double throughput = lineJson.getDouble("completions_per_min", 0.0);
    int wip = lineJson.getInteger("wip", 0);
    lineJson.put("littles_law_cycle_ms", throughput > 0 && wip > 0 ? Math.round(wip / throughput * 60_000) : null);

    JsonArray capJson = new JsonArray();
    new TreeMap<>(caps).forEach((name, c) -> capJson.add(c.toJson()));
    JsonObject busiest = bottleneck(candidates, caps);
    JsonObject bottleneck = busiest != null && constrains(busiest.getJsonObject("evidence")) ? busiest : null;
    if (bottleneck != null) {
      for (Object o : stations) {
        JsonObject st = (JsonObject) o;
        st.put("bottleneck", st.getString("document_type").equals(bottleneck.getString("document_type"))
            && st.getString("station").equals(bottleneck.getString("station")));
      }
    }
    return new JsonObject()
        .put("window_seconds", in.window().toSeconds())
        .put("window_from", from.toString())
        .put("line_metrics", lineJson)
        .put("document_types", types)
        .put("stations", stations)
        .put("remediation_loops", loops)
        .put("capabilities", capJson)
        .put("bottleneck", bottleneck)
        .put("capacity", bottleneck != null ? null : belowCapacity(busiest));
  }

  /** A station's demand from this share of what its executors can do on constrains the line. */
  static final double CONSTRAINING_DEMAND = 0.8;

  /**
   * Whether the busiest station constrains the line: nobody online can do its work, its demand is
   * near or above what its executors can do, or its queue grows. Otherwise no station is the
   * bottleneck: the line runs below capacity.
   */
  static boolean constrains(JsonObject evidence) {
    Object demand = evidence.getValue("demand");
    if (demand == null) {
      return true;
    }
    Number growth = evidence.getNumber("queue_growth_per_min");
    Number queued = evidence.getNumber("queued");
    return ((Number) demand).doubleValue() >= CONSTRAINING_DEMAND
        || (queued != null && queued.longValue() > 0 && growth != null && growth.doubleValue() > 0);
  }

  /** What the page says when no station constrains the line. */
  static String belowCapacity(JsonObject busiest) {
    if (busiest == null) {
      return "The line runs below capacity: nothing queued or at work in the window.";
    }
    JsonObject e = busiest.getJsonObject("evidence");
    return "The line runs below capacity: the busiest station, " + busiest.getString("station") + " of "
        + busiest.getString("document_type") + ", asks " + Math.round(e.getDouble("demand") * 100) + "% of what its executors with "
        + busiest.getString("capability") + " can do, and its queue does not grow.";
  }

  // --- one station ------------------------------------------------------------------------------

  private static JsonObject station(Input in, DocumentType type, StationDef def, int index, List<TaskRow> runs, Instant since,
                                    double minutes, Map<String, Capability> caps) {
    Instant now = in.now();
    long queued = runs.stream().filter(t -> t.status() == TaskStatus.QUEUED).count();
    long inService = runs.stream().filter(t -> t.status() == TaskStatus.CLAIMED).count();
    List<TaskRow> done = runs.stream().filter(t -> t.status() == TaskStatus.COMPLETED && t.completedAt() != null
        && !t.completedAt().isBefore(since)).toList();
    long arrivals = runs.stream().filter(t -> !t.createdAt().isBefore(since)).count();
    List<Long> cycle = new ArrayList<>();
    List<Long> service = new ArrayList<>();
    for (TaskRow t : done) {
      cycle.add(ms(t.createdAt(), t.completedAt()));
      if (t.claimedAt() != null) {
        service.add(ms(t.claimedAt(), t.completedAt()));
      }
    }
    long oldest = runs.stream().filter(t -> t.status() == TaskStatus.QUEUED).mapToLong(t -> ms(t.createdAt(), now)).max().orElse(0);
    long busy = 0;
    for (TaskRow t : runs) {
      busy += overlap(t.claimedAt(), t.completedAt() == null && t.status() == TaskStatus.CLAIMED ? now : t.completedAt(), since, now);
    }
    long model = in.times().serviceMs(in.lineName(), type.name(), def);
    java.util.OptionalLong known = in.times().knownMs(in.lineName(), type.name(), def);
    long runningFor = runs.stream().filter(t -> t.status() == TaskStatus.CLAIMED && t.claimedAt() != null)
        .mapToLong(t -> ms(t.claimedAt(), now)).max().orElse(0);
    JsonObject out = new JsonObject()
        .put("document_type", type.name()).put("station", def.id()).put("station_index", index)
        .put("kind", def.stationKind().wire()).put("short", def.stationKind().shortName())
        .put("capability", def.capability()).put("automation", def.automation())
        .put("wip", queued + inService).put("queued", queued).put("in_service", inService)
        .put("arrivals_per_min", round(arrivals / minutes)).put("completions_per_min", round(done.size() / minutes))
        .put("queue_growth_per_min", round((arrivals - done.size()) / minutes))
        .put("completed", done.size())
        .put("cycle_ms", percentiles(cycle)).put("wait_ms", percentiles(waits(runs, since))).put("service_ms", percentiles(service))
        .put("mean_service_ms", known.isPresent() ? known.getAsLong() : null).put("model_service_ms", model)
        .put("measured", in.times().measured(in.lineName(), type.name(), def.id()))
        .put("oldest_queued_ms", oldest).put("busy_ms", busy);
    if (def.stationKind() == StationKind.AUDIT) {
      List<TaskRow> audits = runs.stream().filter(t -> t.status() == TaskStatus.COMPLETED).toList();
      int rejected = (int) audits.stream().filter(t -> "audit_rejected".equals(t.outcome())).count();
      Map<String, TaskRow> firstRun = new HashMap<>();
      for (TaskRow t : audits) {
        firstRun.merge(t.trackId(), t, (a, b) -> a.runNo() <= b.runNo() ? a : b);
      }
      long passedFirst = firstRun.values().stream().filter(t -> "stabilized".equals(t.outcome())).count();
      out.put("audit_runs", audits.size()).put("audit_rejections", rejected)
          .put("first_pass_yield", share((int) passedFirst, firstRun.size()))
          .put("remediation_rate", share(rejected, audits.size()));
    }
    Capability cap = caps.get(def.capability());
    if (cap != null) {
      double capacityMs = Math.max(1, cap.windowMs(now)) * Math.max(0, cap.executors);
      // Queued work at its known time per run; before any run of the station or its capability
      // completed, at least what the run at work has taken so far.
      long backlog = queued * (known.isPresent() ? known.getAsLong() : runningFor);
      Double demand = cap.executors == 0 ? (queued + inService > 0 ? null : 0.0) : round((busy + backlog) / capacityMs);
      out.put("utilisation", cap.utilisation(now)).put("demand", demand).put("executors", cap.executors)
          .put("work_share", cap.busyMs == 0 ? 0.0 : round((double) busy / cap.busyMs));
    } else {
      out.put("utilisation", 0.0).put("demand", queued + inService > 0 ? null : 0.0).put("executors", 0).put("work_share", 0.0);
    }
    out.put("bottleneck", false);
    return out;
  }

  private static List<Long> waits(List<TaskRow> runs, Instant since) {
    List<Long> out = new ArrayList<>();
    for (TaskRow t : runs) {
      if (t.claimedAt() != null && !t.claimedAt().isBefore(since)) {
        out.add(ms(t.createdAt(), t.claimedAt()));
      }
    }
    return out;
  }

  private static int remediationIndex(DocumentType type, int auditIndex) {
    int after = auditIndex + 1;
    if (after < type.stations().size() && type.station(after).stationKind() == StationKind.REMEDIATE) {
      return after;
    }
    for (int j = auditIndex - 1; j >= 0; j--) {
      StationKind k = type.station(j).stationKind();
      if (k != StationKind.AUDIT && k != StationKind.REMEDIATE) {
        return j;
      }
    }
    return -1;
  }

  // --- a group of tracks (a document type, or the line) -----------------------------------------

  private static JsonObject group(Input in, List<TrackRow> tracks, Map<String, List<TaskRow>> tasksByTrack,
                                  Map<String, List<JsonObject>> transitionsByTrack, Instant since, double minutes) {
    Instant now = in.now();
    int wip = 0;
    int started = 0;
    int finished = 0;
    int stabilized = 0;
    int stopped = 0;
    List<Long> cycles = new ArrayList<>();
    List<Long> blocked = new ArrayList<>();
    List<Long> operator = new ArrayList<>();
    int auditedTracks = 0;
    int firstPass = 0;
    for (TrackRow t : tracks) {
      List<TaskRow> own = tasksByTrack.getOrDefault(t.id(), List.of());
      Instant start = own.stream().map(TaskRow::createdAt).min(Instant::compareTo).orElse(null);
      if (start != null && !start.isBefore(since)) {
        started++;
      }
      if (!t.state().terminal() && t.state() != TrackState.QUEUED) {
        wip++;
      }
      if (t.state() == TrackState.AWAITING_OPERATOR || t.state() == TrackState.HALTED) {
        stopped++;
      }
      if (t.finalizedAt() != null && !t.finalizedAt().isBefore(since) && t.state().clearsDependents()) {
        finished++;
        if (t.state() == TrackState.STABILIZED) {
          stabilized++;
        }
        if (start != null) {
          cycles.add(ms(start, t.finalizedAt()));
        }
      }
      for (JsonObject tr : transitionsByTrack.getOrDefault(t.id(), List.of())) {
        String fromState = tr.getString("from");
        long elapsed = tr.getLong("elapsed_ms", 0L);
        if ("blocked".equals(fromState) && !"blocked".equals(tr.getString("state"))) {
          blocked.add(elapsed);
        } else if ("awaiting_operator".equals(fromState) || "halted".equals(fromState)) {
          operator.add(elapsed);
        }
      }
      Map<Integer, TaskRow> firstAudit = new HashMap<>();
      for (TaskRow x : own) {
        if ("audit".equals(x.stationKind()) && x.status() == TaskStatus.COMPLETED) {
          firstAudit.merge(x.stationIndex(), x, (a, b) -> a.runNo() <= b.runNo() ? a : b);
        }
      }
      if (!firstAudit.isEmpty()) {
        auditedTracks++;
        if (firstAudit.values().stream().allMatch(x -> "stabilized".equals(x.outcome()))) {
          firstPass++;
        }
      }
    }
    return new JsonObject()
        .put("tracks", tracks.size()).put("wip", wip).put("stopped", stopped)
        .put("arrivals_per_min", round(started / minutes)).put("completions_per_min", round(finished / minutes))
        .put("finished", finished).put("stabilized", stabilized)
        .put("cycle_ms", percentiles(cycles)).put("blocked_ms", percentiles(blocked)).put("awaiting_operator_ms", percentiles(operator))
        .put("first_pass_yield", share(firstPass, auditedTracks));
  }

  // --- capabilities -----------------------------------------------------------------------------

  /** A capability's executors and work: everything the utilisation and the bottleneck need. */
  static final class Capability {
    final String name;
    int executors;
    int busyNow;
    long busyMs;
    long queued;
    long inService;
    Instant firstWork;
    final Instant since;
    final Instant now;
    final Set<String> workedBy = new HashSet<>();

    Capability(String name, Instant since, Instant now) {
      this.name = name;
      this.since = since;
      this.now = now;
    }

    long windowMs(Instant now) {
      Instant from = firstWork != null && firstWork.isAfter(since) ? firstWork : since;
      return Math.max(1, Duration.between(from, now).toMillis());
    }

    double utilisation(Instant now) {
      int n = executors > 0 ? executors : workedBy.size();
      if (n == 0) {
        return 0.0;
      }
      return round(Math.min(1.0, busyMs / ((double) windowMs(now) * n)));
    }

    JsonObject toJson() {
      return new JsonObject().put("capability", name).put("executors", executors).put("busy", busyNow)
          .put("utilisation", utilisation(now)).put("queued", queued).put("in_service", inService).put("busy_ms", busyMs);
    }
  }

  private static Map<String, Capability> capabilities(Input in, Instant since) {
    Map<String, Capability> caps = new LinkedHashMap<>();
    Instant now = in.now();
    for (JsonObject e : in.executors()) {
      if ("offline".equals(e.getString("status"))) {
        continue;
      }
      for (Object c : e.getJsonArray("capabilities", new JsonArray())) {
        Capability cap = caps.computeIfAbsent(c.toString(), k -> new Capability(k, since, now));
        cap.executors++;
        if ("busy".equals(e.getString("status"))) {
          cap.busyNow++;
        }
      }
    }
    for (Work w : in.work()) {
      Capability cap = caps.computeIfAbsent(w.capability(), k -> new Capability(k, since, now));
      if (cap.firstWork == null || w.createdAt().isBefore(cap.firstWork)) {
        cap.firstWork = w.createdAt();
      }
      if (w.status() == TaskStatus.QUEUED) {
        cap.queued++;
      } else if (w.status() == TaskStatus.CLAIMED) {
        cap.inService++;
      }
      if (w.claimedAt() != null) {
        cap.busyMs += overlap(w.claimedAt(), w.status() == TaskStatus.CLAIMED ? now : w.completedAt(), since, now);
        if (w.executorId() != null) {
          cap.workedBy.add(w.executorId());
        }
      }
    }
    for (DocumentType type : in.line().documentTypes()) {
      for (StationDef def : type.stations()) {
        caps.computeIfAbsent(def.capability(), k -> new Capability(k, since, now));
      }
    }
    return caps;
  }

  // --- the bottleneck ---------------------------------------------------------------------------

  private static JsonObject bottleneck(List<JsonObject> candidates, Map<String, Capability> caps) {
    JsonObject best = null;
    double bestDemand = -1;
    for (JsonObject st : candidates) {
      if ("manual".equals(st.getString("automation"))) {
        continue;
      }
      Double d = st.getDouble("demand");
      double demand = d == null ? Double.POSITIVE_INFINITY : d;
      long wait90 = st.getJsonObject("wait_ms").getLong("p90") == null ? 0 : st.getJsonObject("wait_ms").getLong("p90");
      long bestWait = best == null || best.getJsonObject("wait_ms").getLong("p90") == null ? 0 : best.getJsonObject("wait_ms").getLong("p90");
      if (best == null || demand > bestDemand || (demand == bestDemand && wait90 > bestWait)) {
        best = st;
        bestDemand = demand;
      }
    }
    if (best == null || bestDemand <= 0) {
      return null;
    }
    Capability cap = caps.get(best.getString("capability"));
    JsonObject evidence = new JsonObject()
        .put("demand", best.getValue("demand"))
        .put("utilisation", best.getValue("utilisation"))
        .put("executors", best.getValue("executors"))
        .put("queued", best.getValue("queued")).put("in_service", best.getValue("in_service"))
        .put("queue_growth_per_min", best.getValue("queue_growth_per_min"))
        .put("oldest_queued_ms", best.getValue("oldest_queued_ms"))
        .put("wait_ms", best.getValue("wait_ms")).put("mean_service_ms", best.getValue("mean_service_ms"))
        .put("work_share", best.getValue("work_share"))
        .put("arrivals_per_min", best.getValue("arrivals_per_min")).put("completions_per_min", best.getValue("completions_per_min"));
    double runnerUp = -1;
    for (JsonObject s : candidates) {
      if (s == best) {
        continue;
      }
      Double d = s.getDouble("demand");
      runnerUp = Math.max(runnerUp, d == null ? Double.POSITIVE_INFINITY : d);
    }
    evidence.put("next_highest_demand", runnerUp < 0 ? null : runnerUp == Double.POSITIVE_INFINITY ? null : round(runnerUp));
    String reason = reason(best, cap);
    return new JsonObject().put("document_type", best.getString("document_type")).put("station", best.getString("station"))
        .put("station_index", best.getInteger("station_index")).put("kind", best.getString("kind"))
        .put("capability", best.getString("capability")).put("reason", reason).put("evidence", evidence);
  }

  private static String reason(JsonObject st, Capability cap) {
    String where = st.getString("station") + " of " + st.getString("document_type");
    long queued = st.getLong("queued");
    JsonObject wait = st.getJsonObject("wait_ms");
    String waits = wait.getLong("p90") == null ? "" : ", tasks waited p50 " + seconds(wait.getLong("p50")) + " / p90 "
        + seconds(wait.getLong("p90"));
    if (st.getValue("demand") == null) {
      return where + " limits the line: no executor online with capability " + st.getString("capability") + ", " + queued
          + " queued" + waits;
    }
    int pct = (int) Math.round(st.getDouble("demand") * 100);
    String growth = st.getDouble("queue_growth_per_min") > 0 && queued > 0
        ? " (growing " + String.format(java.util.Locale.ROOT, "%.1f", st.getDouble("queue_growth_per_min")) + "/min)" : "";
    return where + " limits the line: it asks " + pct + "% of what its " + st.getInteger("executors") + " executor"
        + (st.getInteger("executors") == 1 ? "" : "s") + " with capability " + st.getString("capability") + " can do (busy "
        + Math.round(st.getDouble("utilisation") * 100) + "% of the time), " + queued + " queued" + growth + waits
        + (st.getValue("mean_service_ms") == null ? "" : ", " + seconds(st.getLong("mean_service_ms")) + " per run");
  }

  // --- numbers ----------------------------------------------------------------------------------

  static JsonObject percentiles(List<Long> values) {
    if (values.isEmpty()) {
      return new JsonObject().put("p50", null).put("p90", null).put("n", 0);
    }
    List<Long> sorted = values.stream().sorted(Comparator.naturalOrder()).toList();
    return new JsonObject().put("p50", rank(sorted, 0.5)).put("p90", rank(sorted, 0.9)).put("n", sorted.size());
  }

  /** Nearest-rank percentile. */
  static long rank(List<Long> sorted, double p) {
    int i = (int) Math.ceil(p * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }

  private static Double share(int part, int whole) {
    return whole == 0 ? null : round((double) part / whole);
  }

  static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  private static long ms(Instant a, Instant b) {
    return Math.max(0, Duration.between(a, b).toMillis());
  }

  /** How much of [a, b] lies in [from, to]. */
  private static long overlap(Instant a, Instant b, Instant from, Instant to) {
    if (a == null || b == null) {
      return 0;
    }
    Instant s = a.isAfter(from) ? a : from;
    Instant e = b.isBefore(to) ? b : to;
    return Math.max(0, Duration.between(s, e).toMillis());
  }

  private static String seconds(Long ms) {
    if (ms == null) {
      return "—";
    }
    return ms < 10_000 ? String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0) : Why.span(ms / 1000);
  }
}
