package io.productionline.analytics;

import io.productionline.store.TaskStatus;
import io.productionline.line.AutomationLevel;
import io.productionline.line.DocumentType;
import io.productionline.line.StationDef;
import io.productionline.line.StationKind;
import io.productionline.line.TrackState;
import io.productionline.store.InterruptRepository.InterruptRow;
import io.productionline.store.TaskRow;
import io.productionline.store.TrackRow;
import io.productionline.track.Tracks;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * "Why is it waiting?": the exact cause that holds a track where it is, with the facts behind it.
 * Pure: it reads the rows it is given and the time it is told.
 *
 * <p>Causes ({@code cause}), in the order they are checked:
 * <ul>
 *   <li>{@code finished}: stabilized, escalated or cancelled; nothing to wait for.</li>
 *   <li>{@code not_started}: queued; nobody pressed Start Production or Run Full Line.</li>
 *   <li>{@code open_dependencies}: blocked; names each dependency, where it stands and its ETA; a join
 *       on a fan-out whose track is done waits on its children ("awaiting 18 of 30 children of plan",
 *       {@link Tracks#dependency}), with the last child's ETA.</li>
 *   <li>{@code dependency_cancelled}: blocked for good; a dependency was cancelled permanently.</li>
 *   <li>{@code open_interrupt}: awaiting an operator or halted; the interrupt, its age and SLA, and
 *       for a halt the last audit's failing gate and finding.</li>
 *   <li>{@code manual_outcome}: a manual station waits for an operator to report its outcome.</li>
 *   <li>{@code silent_executor}: the task is held by an executor that stopped beating; when its
 *       lease runs out and what the rescue does.</li>
 *   <li>{@code backoff}: the task was lost and is queued again, but not before {@code available_at}.</li>
 *   <li>{@code no_capable_executor}: nobody online has the station's capability.</li>
 *   <li>{@code queued_behind}: capable executors are online and busy; tasks ahead and the expected start.</li>
 *   <li>{@code audit_rejected}: remediating; the last audit's failing gate and finding (the
 *       remediation itself is moving).</li>
 *   <li>{@code awaiting_claim} and {@code at_work}: moving.</li>
 * </ul>
 */
public final class Why {

  /** What the explanation is given. {@code outlooks} and {@code aheadInQueue} may be empty / null. */
  public record Context(Instant now, TrackRow track, DocumentType type, List<TaskRow> trackTasks, InterruptRow openInterrupt,
                        List<TrackRow> projectTracks, List<JsonObject> executors, int heartbeatSeconds, int staleSeconds,
                        long sweepIntervalMs, Long aheadInQueue, Map<String, Forecast.Outlook> outlooks,
                        Map<String, Integer> slaSeconds) {
  }

  /** The answer: a cause code, whether the track is moving, one sentence, since when, and the facts. */
  public record Answer(String cause, boolean moving, String text, Instant since, JsonObject detail) {

    public JsonObject toJson() {
      return new JsonObject().put("cause", cause).put("moving", moving).put("text", text)
          .put("since", since == null ? null : since.toString()).put("detail", detail);
    }

    /** The short form that rides along with a track in {@code GET /production} and flow events. */
    public JsonObject summary() {
      return new JsonObject().put("cause", cause).put("moving", moving).put("text", text);
    }
  }

  private Why() {
  }

  public static Answer explain(Context c) {
    TrackRow t = c.track();
    TrackState state = t.state();
    Instant since = t.stateEnteredAt();
    if (state.terminal()) {
      String text = switch (state) {
        case STABILIZED -> "Stabilized";
        case ESCALATED -> "Escalated" + (t.reason() == null ? "" : " — " + t.reason());
        default -> "Cancelled" + (t.reason() == null ? "" : " — " + t.reason());
      };
      return new Answer("finished", false, text, t.finalizedAt(), new JsonObject().put("state", state.wire()));
    }
    if (state == TrackState.QUEUED) {
      return new Answer("not_started", false, "Not started — press Start Production or Run Full Line", since,
          new JsonObject().put("state", state.wire()));
    }
    if (state == TrackState.BLOCKED) {
      return blocked(c);
    }
    if (state == TrackState.AWAITING_OPERATOR || state == TrackState.HALTED) {
      return stopped(c);
    }
    return atStation(c);
  }

  // --- blocked ----------------------------------------------------------------------------------

  private static Answer blocked(Context c) {
    TrackRow t = c.track();
    JsonArray deps = new JsonArray();
    List<String> open = new ArrayList<>();
    List<String> awaiting = new ArrayList<>();
    String cancelled = null;
    for (String dep : c.type().dependsOn()) {
      Tracks.Dependency at = Tracks.dependency(c.projectTracks(), dep);
      if (!at.open()) {
        continue;
      }
      Optional<TrackRow> current = Optional.ofNullable(at.current());
      String depState = current.map(r -> r.state().wire()).orElse("missing");
      JsonObject d = new JsonObject().put("document_type", dep).put("state", depState)
          .put("track_id", current.map(TrackRow::id).orElse(null));
      if (at.awaitingChildren()) {
        // A join: the fan-out's track is done; its children are what it waits for, and the last of them is its ETA.
        Instant eta = latestFinish(c, at.awaited());
        d.put("children", at.children().toJson());
        if (eta != null) {
          d.put("eta_at", eta.toString());
        }
        deps.add(d);
        awaiting.add(at.children().awaitingText(dep) + " (" + at.children().text() + (eta != null ? ", ETA " + eta : "") + ")");
        continue;
      }
      Forecast.Outlook o = current.isPresent() && c.outlooks() != null ? c.outlooks().get(current.get().id()) : null;
      if (o != null && o.finish() != null) {
        d.put("eta_at", o.finish().toString());
      }
      if (current.isPresent() && current.get().state() == TrackState.CANCELLED) {
        cancelled = dep;
        d.put("reason", current.get().reason());
      }
      deps.add(d);
      open.add(dep + " (" + depState.replace('_', ' ') + (o != null && o.finish() != null ? ", ETA " + o.finish() : "") + ")");
    }
    JsonObject detail = new JsonObject().put("dependencies", deps).put("reason", t.reason());
    if (cancelled != null || (t.reason() != null && t.reason().contains("cancelled for good"))) {
      String which = cancelled == null ? "a dependency" : cancelled;
      return new Answer("dependency_cancelled", false, "Blocked for good: " + which + " was cancelled permanently"
          + " — cancel or redesign this document", t.stateEnteredAt(), detail);
    }
    if (open.isEmpty() && awaiting.isEmpty()) {
      return new Answer("open_dependencies", false, "Dependencies cleared — entering its first station", t.stateEnteredAt(), detail);
    }
    List<String> parts = new ArrayList<>();
    if (!open.isEmpty()) {
      parts.add("Waiting on " + String.join(", ", open));
    }
    parts.addAll(awaiting);
    String text = String.join("; ", parts);
    return new Answer("open_dependencies", false, Character.toUpperCase(text.charAt(0)) + text.substring(1), t.stateEnteredAt(), detail);
  }

  /** When the last of {@code tracks} is forecast to finish; null when any of them has no finish time. */
  private static Instant latestFinish(Context c, List<TrackRow> tracks) {
    Instant last = null;
    for (TrackRow r : tracks) {
      Forecast.Outlook o = c.outlooks() == null ? null : c.outlooks().get(r.id());
      if (o == null || o.finish() == null) {
        return null;
      }
      last = last == null || o.finish().isAfter(last) ? o.finish() : last;
    }
    return last;
  }

  // --- stopped ----------------------------------------------------------------------------------

  private static Answer stopped(Context c) {
    TrackRow t = c.track();
    InterruptRow it = c.openInterrupt();
    JsonObject audit = lastAudit(c.trackTasks());
    if (it == null) {
      String text = t.state() == TrackState.HALTED ? "Production halted — requires review" : "Line stopped: input required";
      JsonObject detail = new JsonObject().put("state", t.state().wire()).put("reason", t.reason());
      if (audit != null) {
        detail.put("audit", audit);
      }
      return new Answer("open_interrupt", false, text + (t.reason() == null ? "" : " — " + t.reason()), t.stateEnteredAt(), detail);
    }
    long age = Math.max(0, Duration.between(it.createdAt(), c.now()).toSeconds());
    Integer sla = c.slaSeconds() == null ? null : c.slaSeconds().get(it.type());
    JsonObject detail = new JsonObject().put("interrupt_id", it.id()).put("interrupt_type", it.type())
        .put("reason", it.reason()).put("opened_at", it.createdAt().toString()).put("age_seconds", age);
    String slaText = "";
    if (sla != null) {
      Instant due = it.createdAt().plusSeconds(sla);
      detail.put("sla_seconds", sla).put("sla_due_at", due.toString()).put("sla_breached", !due.isAfter(c.now()));
      slaText = due.isAfter(c.now()) ? ", SLA " + span(sla) + ", " + span(Duration.between(c.now(), due).toSeconds()) + " left"
          : ", SLA " + span(sla) + " passed";
    }
    String head = label(it.type()) + " open for " + span(age) + slaText;
    String why = it.reason() == null ? "" : ": " + it.reason();
    if (t.state() == TrackState.HALTED && audit != null) {
      detail.put("audit", audit);
      String finding = audit.getString("finding");
      if (finding != null && (it.reason() == null || !it.reason().contains(finding))) {
        why = why + " — last audit: " + finding;
      }
    }
    return new Answer("open_interrupt", false, head + why, it.createdAt(), detail);
  }

  // --- at a station -----------------------------------------------------------------------------

  private static Answer atStation(Context c) {
    TrackRow t = c.track();
    StationDef station = c.type().station(t.stationIndex());
    List<TaskRow> open = c.trackTasks().stream()
        .filter(x -> x.runNo() == t.runs() && (x.status() == TaskStatus.QUEUED || x.status() == TaskStatus.CLAIMED))
        .sorted(Comparator.comparing(TaskRow::id)).toList();
    JsonObject audit = t.state() == TrackState.REMEDIATING ? lastAudit(c.trackTasks()) : null;
    Answer a = task(c, station, open);
    if (audit == null) {
      return a;
    }
    a.detail().put("audit", audit);
    if (!a.moving()) {
      return a;
    }
    String finding = audit.getString("finding");
    String text = "Audit " + audit.getString("station") + " rejected" + (finding == null ? "" : ": " + finding)
        + " — remediating (" + t.remediationCount() + "/" + c.type().maxRemediations() + "), " + lower(a.text());
    return new Answer("audit_rejected", true, text, a.since(), a.detail());
  }

  private static Answer task(Context c, StationDef station, List<TaskRow> open) {
    TrackRow t = c.track();
    String where = title(station.stationKind()) + " station " + station.id();
    if (station.automationLevel() == AutomationLevel.MANUAL) {
      return new Answer("manual_outcome", false, where + " is manual: waits for an operator to report its outcome",
          t.stateEnteredAt(), new JsonObject().put("station", station.id()));
    }
    if (open.isEmpty()) {
      return new Answer("awaiting_claim", true, "Entering " + where, t.stateEnteredAt(), new JsonObject().put("station", station.id()));
    }
    TaskRow claimed = open.stream().filter(x -> x.status() == TaskStatus.CLAIMED).findFirst().orElse(null);
    TaskRow queued = open.stream().filter(x -> x.status() == TaskStatus.QUEUED).findFirst().orElse(null);
    // A station with several work items is held up by its most stuck item.
    if (queued != null) {
      Answer q = queued(c, station, where, queued);
      if (!q.moving() || claimed == null) {
        return q;
      }
    }
    Answer h = held(c, station, where, claimed);
    return h;
  }

  private static Answer held(Context c, StationDef station, String where, TaskRow task) {
    JsonObject executor = c.executors().stream().filter(e -> task.executorId().equals(e.getString("executor_id"))).findFirst().orElse(null);
    Instant lastBeat = executor == null ? null : instant(executor.getString("last_heartbeat"));
    boolean offline = executor == null || "offline".equals(executor.getString("status"));
    long silentFor = lastBeat == null ? -1 : Math.max(0, Duration.between(lastBeat, c.now()).toSeconds());
    boolean silent = offline || (silentFor >= 0 && silentFor > 2L * c.heartbeatSeconds());
    JsonObject detail = new JsonObject().put("station", station.id()).put("task_id", task.id()).put("executor_id", task.executorId())
        .put("attempt", task.attempt()).put("max_attempts", task.maxAttempts())
        .put("claimed_at", str(task.claimedAt())).put("lease_expires_at", str(task.leaseExpiresAt()));
    if (silent) {
      detail.put("last_heartbeat", str(lastBeat)).put("silent_seconds", silentFor < 0 ? null : silentFor)
          .put("stale_seconds", c.staleSeconds());
      boolean stale = offline || silentFor >= c.staleSeconds();
      String lease = task.leaseExpiresAt() == null ? "" : "; its lease runs out at " + task.leaseExpiresAt()
          + (task.leaseExpiresAt().isAfter(c.now()) ? " (in " + span(Duration.between(c.now(), task.leaseExpiresAt()).toSeconds()) + ")" : "");
      String next = task.attempt() >= task.maxAttempts()
          ? "; it was the last attempt: the rescue halts the track"
          : "; the rescue sweep queues it again as attempt " + (task.attempt() + 1) + " of " + task.maxAttempts();
      Instant rescueAt;
      if (stale) {
        rescueAt = c.now().plusMillis(c.sweepIntervalMs());
      } else {
        Instant staleAt = lastBeat.plusSeconds(c.staleSeconds());
        rescueAt = staleAt;
        if (task.leaseExpiresAt() != null && task.leaseExpiresAt().isBefore(rescueAt)) {
          rescueAt = task.leaseExpiresAt();
        }
      }
      detail.put("rescue_by", rescueAt.toString());
      String beat = lastBeat == null ? "it is not registered any more" : "no heartbeat for " + span(silentFor) + " (since " + lastBeat + ")";
      String when = stale ? "" : "; presumed lost at " + lastBeat.plusSeconds(c.staleSeconds());
      return new Answer("silent_executor", false, where + " is held by executor " + task.executorId() + ", which stopped beating: "
          + beat + when + lease + next, lastBeat == null ? task.claimedAt() : lastBeat, detail);
    }
    detail.put("progress", task.progress()).put("progress_message", task.progressMessage());
    String pct = task.progress() == null ? "" : " (" + Math.round(task.progress() * 100) + "%)";
    Forecast.Outlook o = c.outlooks() == null ? null : c.outlooks().get(c.track().id());
    if (o != null && o.finish() != null) {
      detail.put("eta_at", o.finish().toString());
    }
    return new Answer("at_work", true, "Executor " + task.executorId() + " at work on " + station.id() + pct,
        task.claimedAt(), detail);
  }

  private static Answer queued(Context c, StationDef station, String where, TaskRow task) {
    String cap = task.capability();
    JsonObject detail = new JsonObject().put("station", station.id()).put("task_id", task.id()).put("capability", cap)
        .put("attempt", task.attempt()).put("max_attempts", task.maxAttempts()).put("queued_at", str(task.createdAt()));
    if (task.availableAt() != null && task.availableAt().isAfter(c.now())) {
      long left = Duration.between(c.now(), task.availableAt()).toMillis();
      detail.put("available_at", task.availableAt().toString()).put("backoff_left_ms", left);
      return new Answer("backoff", false, where + " backs off after a lost attempt: queued again, available at "
          + task.availableAt() + " (in " + span((left + 999) / 1000) + "), attempt " + task.attempt() + " of " + task.maxAttempts(),
          task.createdAt(), detail);
    }
    List<JsonObject> capable = c.executors().stream()
        .filter(e -> !"offline".equals(e.getString("status")) && e.getJsonArray("capabilities", new JsonArray()).contains(cap))
        .toList();
    Set<String> offline = new HashSet<>();
    c.executors().stream().filter(e -> "offline".equals(e.getString("status"))
            && e.getJsonArray("capabilities", new JsonArray()).contains(cap))
        .forEach(e -> offline.add(e.getString("executor_id")));
    detail.put("executors_online", capable.size());
    if (capable.isEmpty()) {
      detail.put("executors_offline", new JsonArray(new ArrayList<>(offline)));
      return new Answer("no_capable_executor", false, where + " waits: no executor online with capability " + cap
          + (offline.isEmpty() ? "" : " (" + String.join(", ", offline) + " offline)")
          + " — work starts as soon as one connects", task.createdAt(), detail);
    }
    long busy = capable.stream().filter(e -> "busy".equals(e.getString("status"))).count();
    Long ahead = c.aheadInQueue();
    Forecast.Outlook o = c.outlooks() == null ? null : c.outlooks().get(c.track().id());
    detail.put("executors_busy", busy).put("ahead_in_queue", ahead);
    String expected = "";
    if (o != null && o.nextStart() != null) {
      detail.put("expected_start_at", o.nextStart().toString());
      expected = "; expected to start at " + o.nextStart();
    }
    if ((ahead != null && ahead > 0) || busy >= capable.size()) {
      String aheadText = ahead == null ? "" : ahead + " task" + (ahead == 1 ? "" : "s") + " ahead, ";
      return new Answer("queued_behind", false, where + " queued for capability " + cap + ": " + aheadText + busy + " of "
          + capable.size() + " capable executor" + (capable.size() == 1 ? "" : "s") + " busy" + expected, task.createdAt(), detail);
    }
    return new Answer("awaiting_claim", true, where + " queued for capability " + cap + "; an idle executor takes it next",
        task.createdAt(), detail);
  }

  // --- helpers ----------------------------------------------------------------------------------

  /** The last completed audit run of a track that did not pass: station, verdict, failing gate and finding. */
  static JsonObject lastAudit(List<TaskRow> tasks) {
    TaskRow last = tasks.stream().filter(x -> "audit".equals(x.stationKind()) && x.status() == TaskStatus.COMPLETED)
        .max(Comparator.comparingInt(TaskRow::runNo)).orElse(null);
    if (last == null || "stabilized".equals(last.outcome())) {
      return null;
    }
    JsonObject result = last.result() == null ? new JsonObject() : last.result();
    JsonObject audit = result.getJsonObject("audit", new JsonObject());
    JsonObject out = new JsonObject().put("station", last.stationId()).put("task_id", last.id()).put("run_no", last.runNo())
        .put("verdict", last.outcome()).put("decided_by", audit.getString("decided_by"))
        .put("completed_at", str(last.completedAt()));
    if (result.getValue("score") instanceof Number n) {
      out.put("score", n);
    }
    JsonObject gate = audit.getJsonObject("gate");
    String finding = null;
    if (gate != null) {
      out.put("gate", gate);
      finding = "gate " + gate.getString("type") + " not met: " + gate.getString("finding");
    }
    JsonArray findings = result.getJsonArray("findings");
    if (findings != null) {
      out.put("findings", findings);
      if (finding == null && !findings.isEmpty()) {
        Object f = findings.getValue(0);
        finding = f instanceof JsonObject o ? (o.getString("section") == null ? "" : o.getString("section") + ": ")
            + o.getString("finding", o.encode()) : String.valueOf(f);
      }
    }
    String reason = result.getString("reason");
    if (finding == null) {
      finding = reason;
    }
    out.put("reason", reason).put("finding", finding);
    return out;
  }

  private static String label(String interruptType) {
    return switch (interruptType) {
      case "approval" -> "Approval";
      case "clarification" -> "Clarification";
      case "audit_review" -> "Audit review";
      case "constraint_conflict" -> "Constraint conflict";
      default -> interruptType;
    };
  }

  private static String title(StationKind kind) {
    return switch (kind) {
      case BIND -> "Bind";
      case ASSEMBLE -> "Assemble";
      case AUDIT -> "Audit";
      case REMEDIATE -> "Remediate";
    };
  }

  private static String lower(String s) {
    return s == null || s.isEmpty() ? "" : Character.toLowerCase(s.charAt(0)) + s.substring(1);
  }

  /** 42 s, 3 m 05 s, 2 h 10 m. */
  static String span(long seconds) {
    long s = Math.max(0, seconds);
    if (s < 60) {
      return s + " s";
    }
    if (s < 3600) {
      return (s / 60) + " m " + String.format("%02d", s % 60) + " s";
    }
    return (s / 3600) + " h " + String.format("%02d", (s % 3600) / 60) + " m";
  }

  private static Instant instant(String iso) {
    if (iso == null || iso.isEmpty()) {
      return null;
    }
    try {
      return Instant.parse(iso);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static String str(Instant t) {
    return t == null ? null : t.toString();
  }
}
