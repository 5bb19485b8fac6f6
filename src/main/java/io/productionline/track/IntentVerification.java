package io.productionline.track;

import io.productionline.store.TaskStatus;
import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.line.DocumentType;
import io.productionline.line.GateDef;
import io.productionline.line.LineDefinition;
import io.productionline.line.StationDef;
import io.productionline.line.StationKind;
import io.productionline.line.TrackState;
import io.productionline.store.TaskRow;
import io.productionline.store.TrackRow;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The verification protocol of a build intent ({@code POST /assembly-line/verify}). An intent is a
 * one-document project (its id is the intent id), usually on the built-in {@code assembly} line. Its
 * phases are the document's assemble stations (spec, build, test, production), each with the audit
 * (and remediation) stations after it; a phase's audit names the verification level it requires in
 * a {@code verification} gate.
 *
 * <p>Verifying phase P at level L checks, from the stored station runs: P was assembled, it left
 * artifacts, its audit passed, and an audit of P reported a verification level of at least L.
 * {@code passed} is all of these; {@code can_advance} also needs L to meet the level P requires and
 * the track not to be stopped. A phase the intent has not reached is an illegal move (409).
 */
public final class IntentVerification {

  /** One phase: the assemble station that opens it and the stations up to the next phase. */
  record Phase(String id, int assemble, int first, int last, int required) {
  }

  private final Services s;

  public IntentVerification(Services services) {
    this.s = services;
  }

  public Future<JsonObject> verify(String intentId, int level, String phaseId) {
    return s.projects.find(s.pool, intentId).compose(found -> {
      var project = found.orElseThrow(() -> Refusal.notFound("no intent " + intentId));
      LineDefinition line = s.lines.ofProject(project);
      if (line.documentTypes().size() != 1) {
        throw Refusal.badRequest("intent " + intentId + " is a project of line " + line.name() + " with "
            + line.documentTypes().size() + " documents; verification works on build intents (one-document projects)");
      }
      DocumentType type = line.documentTypes().get(0);
      List<Phase> phases = phases(type);
      int p = indexOf(phases, phaseId);
      if (p < 0) {
        throw Refusal.badRequest("phase " + phaseId + " is unknown; the phases of intent " + intentId + " are "
            + phases.stream().map(Phase::id).collect(Collectors.joining(", ")));
      }
      return s.tracks.ofProject(s.pool, intentId).compose(rows -> {
        TrackRow track = Tracks.current(rows, type.name()).orElseThrow(() -> Refusal.notFound("intent " + intentId + " has no track"));
        int current = currentPhase(phases, track);
        if (p > current) {
          String at = current < phases.size() ? phases.get(current).id() : "done";
          throw Refusal.conflict("Illegal move: intent " + intentId + " is in phase " + at + " (" + track.state().wire()
                  + "); phase " + phaseId + " cannot be verified before the phases ahead of it are through")
              .with("current_state", track.state().wire()).with("current_phase", at).with("attempted", "verify phase " + phaseId);
        }
        return Future.all(s.tasks.ofTrack(s.pool, track.id()), s.tasks.artifactsOfTrack(s.pool, track.id(), false))
            .map(all -> report(intentId, type, phases, p, current, level, track, all.resultAt(0), all.resultAt(1)));
      });
    });
  }

  private static JsonObject report(String intentId, DocumentType type, List<Phase> phases, int p, int current, int level,
                                   TrackRow track, List<TaskRow> tasks, JsonArray artifacts) {
    Phase phase = phases.get(p);
    List<TaskRow> ofPhase = tasks.stream().filter(t -> t.stationIndex() >= phase.first() && t.stationIndex() <= phase.last()).toList();
    Set<String> phaseTasks = new HashSet<>();
    ofPhase.forEach(t -> phaseTasks.add(t.id()));
    boolean assembled = ofPhase.stream().anyMatch(t -> t.stationIndex() == phase.assemble() && done(t));
    long artifactCount = artifacts.stream().map(JsonObject.class::cast).filter(a -> phaseTasks.contains(a.getString("task_id"))).count();
    List<TaskRow> audits = ofPhase.stream()
        .filter(t -> type.station(t.stationIndex()).stationKind() == StationKind.AUDIT && done(t)).toList();
    boolean hasAudit = type.stations().subList(phase.first(), phase.last() + 1).stream().anyMatch(st -> st.stationKind() == StationKind.AUDIT);
    Integer reached = audits.stream().map(t -> t.result() == null ? null : t.result().getInteger("verification_level"))
        .filter(v -> v != null).max(Integer::compare).orElse(null);
    boolean stopped = track.state() == TrackState.HALTED || track.state() == TrackState.AWAITING_OPERATOR
        || track.state() == TrackState.CANCELLED;

    JsonObject checks = new JsonObject();
    checks.put("assembled", check(assembled, assembled
        ? "station " + phase.id() + " stabilized" : "station " + phase.id() + " has not stabilized yet"));
    checks.put("artifacts", check(artifactCount > 0, artifactCount + " artifact" + (artifactCount == 1 ? "" : "s") + " from phase " + phase.id()));
    checks.put("audit_passed", check(!hasAudit || !audits.isEmpty(), !hasAudit ? "phase " + phase.id() + " has no audit station"
        : audits.isEmpty() ? "no audit of phase " + phase.id() + " has passed yet" : "the audit of phase " + phase.id() + " passed"));
    checks.put("verification_level", check(reached != null && reached >= level, reached == null
        ? "no verification level reported for phase " + phase.id() + "; level " + level + " asked"
        : "level " + reached + " reached; level " + level + " asked"));
    checks.put("phase_requirement", check(level >= phase.required(), "phase " + phase.id() + " requires level " + phase.required()
        + "; level " + level + " asked"));
    checks.put("line_running", check(!stopped, "the intent's track is " + track.state().wire()));

    boolean passed = checks.getJsonObject("assembled").getBoolean("passed")
        && checks.getJsonObject("artifacts").getBoolean("passed")
        && checks.getJsonObject("audit_passed").getBoolean("passed")
        && checks.getJsonObject("verification_level").getBoolean("passed");
    boolean canAdvance = passed && level >= phase.required() && !stopped;
    return new JsonObject()
        .put("intent_id", intentId).put("phase", phase.id()).put("passed", passed).put("level", level)
        .put("reached_level", reached).put("required_level", phase.required())
        .put("checks", checks).put("can_advance", canAdvance)
        .put("current_phase", current < phases.size() ? phases.get(current).id() : null)
        .put("next_phase", p + 1 < phases.size() ? phases.get(p + 1).id() : null)
        .put("state", track.state().wire());
  }

  private static JsonObject check(boolean passed, String detail) {
    return new JsonObject().put("passed", passed).put("detail", detail);
  }

  private static boolean done(TaskRow t) {
    return t.status() == TaskStatus.COMPLETED && "stabilized".equals(t.outcome());
  }

  /** The phases of a document type: each assemble station opens one (a type without one is a single phase). */
  static List<Phase> phases(DocumentType type) {
    List<Integer> starts = new ArrayList<>();
    for (int i = 0; i < type.stations().size(); i++) {
      if (type.station(i).stationKind() == StationKind.ASSEMBLE) {
        starts.add(i);
      }
    }
    if (starts.isEmpty()) {
      starts.add(0);
    }
    List<Phase> out = new ArrayList<>();
    for (int k = 0; k < starts.size(); k++) {
      int first = k == 0 ? 0 : starts.get(k);
      int last = k + 1 < starts.size() ? starts.get(k + 1) - 1 : type.stations().size() - 1;
      int required = 1;
      for (int i = first; i <= last; i++) {
        StationDef st = type.station(i);
        for (GateDef g : st.gates()) {
          if ("verification".equals(g.type()) && g.level() != null) {
            required = Math.max(required, g.level());
          }
        }
      }
      out.add(new Phase(type.station(starts.get(k)).id(), starts.get(k), first, last, required));
    }
    return out;
  }

  private static int indexOf(List<Phase> phases, String id) {
    for (int i = 0; i < phases.size(); i++) {
      if (phases.get(i).id().equals(id)) {
        return i;
      }
    }
    return -1;
  }

  /** The phase the track stands in; {@code phases.size()} once it is through all of them. */
  private static int currentPhase(List<Phase> phases, TrackRow track) {
    if (track.state() == TrackState.STABILIZED || track.state() == TrackState.ESCALATED) {
      return phases.size();
    }
    for (int k = phases.size() - 1; k >= 0; k--) {
      if (track.stationIndex() >= phases.get(k).first()) {
        return k;
      }
    }
    return 0;
  }
}
