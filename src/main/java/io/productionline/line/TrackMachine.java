package io.productionline.line;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The pure state machine of one track: given where a track stands, its document type and an
 * input, it decides the next state, the station task to queue and the interrupt to open. No I/O;
 * {@code TrackVerticle} persists and publishes what it decides.
 *
 * <p>Station flow of a document type's stations {@code s0 … sn}: a track enters {@code s0}, and
 * after each stabilized station the next one that is not a remediation station. An audit that
 * rejects sends the track to remediation (the {@code remediate} station right after that audit,
 * or the station before the audit when there is none), then back to the same audit. After
 * {@code max_remediations} rejections in a row the circuit breaker halts the track.
 */
public final class TrackMachine {

  /** Where a track stands: its state, its current station, its remediations at the current audit. */
  public record Snapshot(TrackState state, int stationIndex, int remediationCount) {
  }

  /** What can happen to a track. */
  public sealed interface Input permits Start, TaskOutcome, TaskLost, OperatorAnswer, Escalate, Cancel, DependencyCancelled {
  }

  /** Run Full Line, Start Production, or a dependency that cleared. */
  public record Start(boolean dependenciesClear, List<String> openDependencies) implements Input {
  }

  /** The outcome of the station task at {@code stationIndex}. */
  public record TaskOutcome(int stationIndex, Outcome outcome, String reason, Map<String, Object> detail) implements Input {
  }

  /** The station task ran out of attempts. */
  public record TaskLost(int stationIndex, int attempts, String reason) implements Input {
  }

  /** An operator resolved the track's open interrupt. */
  public record OperatorAnswer(InterruptType type, Map<String, Object> resolution) implements Input {
  }

  /** "Acknowledge &amp; Continue" on a halted track. */
  public record Escalate(String notes) implements Input {
  }

  public record Cancel(CancelKind kind, String reason) implements Input {
  }

  /**
   * A document this track waits for (directly or not) was cancelled for good ({@code permanent}):
   * a blocked track stays blocked, and its reason says why it can no longer clear.
   */
  public record DependencyCancelled(String dependency, String reason) implements Input {
  }

  /** A station task to queue. {@code input} is handed to the executor (findings, an operator's answer). */
  public record StationRun(int stationIndex, StationDef station, Map<String, Object> input) {
  }

  /** An interrupt to open. */
  public record InterruptSpec(InterruptType type, String reason, Map<String, Object> payload) {
  }

  /**
   * A decided move. {@code run} and {@code interrupt} are null when there is none.
   */
  public record Decision(
      TrackState from,
      TrackState to,
      int stationIndex,
      int remediationCount,
      StationRun run,
      InterruptSpec interrupt,
      String reason,
      Instant at) {

    public boolean changesState() {
      return from != to || run != null;
    }
  }

  private final Clock clock;

  public TrackMachine(Clock clock) {
    this.clock = clock;
  }

  /**
   * Decides what {@code input} does to a track. Empty when it changes nothing (a dependency cleared
   * for a track that was never started).
   *
   * @throws IllegalMoveException when the input is not legal in the track's state
   */
  public Optional<Decision> decide(DocumentType type, Snapshot track, Input input) {
    Decision d;
    if (input instanceof Start s) {
      d = start(type, track, s);
    } else if (input instanceof TaskOutcome o) {
      d = outcome(type, track, o);
    } else if (input instanceof TaskLost l) {
      d = lost(track, l);
    } else if (input instanceof OperatorAnswer a) {
      d = answer(type, track, a);
    } else if (input instanceof Escalate e) {
      d = escalate(track, e);
    } else if (input instanceof DependencyCancelled c) {
      d = dependencyCancelled(track, c);
    } else {
      d = cancel(track, (Cancel) input);
    }
    if (d == null) {
      return Optional.empty();
    }
    Transitions.check(d.from(), d.to());
    return Optional.of(d);
  }

  private Decision start(DocumentType type, Snapshot t, Start s) {
    if (t.state() != TrackState.QUEUED && t.state() != TrackState.BLOCKED) {
      throw new IllegalMoveException(t.state(), "start production");
    }
    if (!s.dependenciesClear()) {
      if (t.state() == TrackState.BLOCKED) {
        return null;
      }
      return move(t, TrackState.BLOCKED, 0, 0, null, null, "awaiting dependencies: " + String.join(", ", s.openDependencies()));
    }
    return enter(type, t, 0, 0, Map.of(), false, "dependencies clear");
  }

  private Decision outcome(DocumentType type, Snapshot t, TaskOutcome o) {
    if (!t.state().atStation()) {
      throw new IllegalMoveException(t.state(), "report a station outcome");
    }
    if (o.stationIndex() != t.stationIndex()) {
      throw new IllegalMoveException(t.state(), "report an outcome for station " + o.stationIndex() + " while at station " + t.stationIndex());
    }
    int i = t.stationIndex();
    StationKind kind = type.station(i).stationKind();
    Map<String, Object> detail = o.detail() == null ? Map.of() : o.detail();
    return switch (o.outcome()) {
      case STABILIZED -> {
        if (t.state() == TrackState.REMEDIATING) {
          int audit = auditAfterRemediation(type, i);
          yield enter(type, t, audit, t.remediationCount(), Map.of("remediation", detail), false, "remediation complete");
        }
        int next = nextStation(type, i);
        int remediations = kind == StationKind.AUDIT ? 0 : t.remediationCount();
        if (next < 0) {
          yield move(t, TrackState.STABILIZED, i, remediations, null, null, "all stations stabilized");
        }
        yield enter(type, t, next, remediations, Map.of(), false, type.station(i).id() + " stabilized");
      }
      case AUDIT_REJECTED -> {
        if (kind != StationKind.AUDIT) {
          throw new IllegalMoveException(t.state(), "report audit_rejected at a " + kind.wire() + " station");
        }
        if (t.remediationCount() >= type.maxRemediations()) {
          yield move(t, TrackState.HALTED, i, t.remediationCount(), null,
              new InterruptSpec(InterruptType.AUDIT_REVIEW, "circuit breaker: audit rejected after "
                  + t.remediationCount() + " remediations", withReason(detail, o.reason())),
              "circuit breaker after " + t.remediationCount() + " remediations");
        }
        int rem = remediationStation(type, i);
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("findings", detail.getOrDefault("findings", List.of()));
        if (o.reason() != null) {
          input.put("reason", o.reason());
        }
        if (detail.get("gate") != null) {
          input.put("gate", detail.get("gate"));
        }
        yield new Decision(t.state(), TrackState.REMEDIATING, rem, t.remediationCount() + 1,
            new StationRun(rem, type.station(rem), input), null,
            o.reason() == null ? "audit rejected" : "audit rejected: " + o.reason(), clock.instant());
      }
      case NEEDS_INPUT -> {
        InterruptType it = kind == StationKind.BIND && detail.containsKey("conflicts")
            ? InterruptType.CONSTRAINT_CONFLICT : InterruptType.CLARIFICATION;
        String reason = o.reason() == null ? "input required" : o.reason();
        yield move(t, TrackState.AWAITING_OPERATOR, i, t.remediationCount(), null,
            new InterruptSpec(it, reason, detail), reason);
      }
      case HALTED -> {
        String reason = o.reason() == null ? "halted by the executor" : o.reason();
        yield move(t, TrackState.HALTED, i, t.remediationCount(), null,
            new InterruptSpec(InterruptType.AUDIT_REVIEW, reason, withReason(detail, reason)), reason);
      }
    };
  }

  private Decision lost(Snapshot t, TaskLost l) {
    if (!t.state().atStation()) {
      throw new IllegalMoveException(t.state(), "lose a station task");
    }
    String reason = "station task lost " + l.attempts() + " times: " + l.reason();
    return move(t, TrackState.HALTED, t.stationIndex(), t.remediationCount(), null,
        new InterruptSpec(InterruptType.AUDIT_REVIEW, reason, Map.of("reason", reason, "attempts", l.attempts())), reason);
  }

  private Decision answer(DocumentType type, Snapshot t, OperatorAnswer a) {
    if (t.state() != TrackState.AWAITING_OPERATOR && t.state() != TrackState.HALTED) {
      throw new IllegalMoveException(t.state(), "resolve an interrupt");
    }
    Map<String, Object> input = Map.of("operator_answer", a.resolution() == null ? Map.of() : a.resolution());
    int remediations = t.state() == TrackState.HALTED ? 0 : t.remediationCount();
    return enter(type, t, t.stationIndex(), remediations, input, true, a.type().wire() + " resolved");
  }

  private Decision escalate(Snapshot t, Escalate e) {
    if (t.state() != TrackState.HALTED) {
      throw new IllegalMoveException(t.state(), "escalate (only a halted track can be acknowledged)");
    }
    String notes = e.notes() == null || e.notes().isBlank() ? "acknowledged" : e.notes();
    return move(t, TrackState.ESCALATED, t.stationIndex(), t.remediationCount(), null, null, "escalated: " + notes);
  }

  private Decision dependencyCancelled(Snapshot t, DependencyCancelled c) {
    if (t.state() != TrackState.BLOCKED) {
      // Queued tracks learn it when they start; running or finished ones no longer wait for it.
      return null;
    }
    String why = c.reason() == null || c.reason().isBlank() ? "" : " (" + c.reason() + ")";
    return move(t, TrackState.BLOCKED, 0, 0, null, null, "blocked: dependency " + c.dependency() + " was cancelled for good" + why);
  }

  private Decision cancel(Snapshot t, Cancel c) {
    if (t.state() == TrackState.CANCELLED) {
      throw new IllegalMoveException(t.state(), "cancel (" + c.kind().wire() + ")");
    }
    String reason = c.kind().wire() + (c.reason() == null || c.reason().isBlank() ? "" : ": " + c.reason());
    TrackState to = c.kind() == CancelKind.REDESIGN ? TrackState.QUEUED : TrackState.CANCELLED;
    if (!Transitions.legal(t.state(), to)) {
      throw new IllegalMoveException(t.state(), "cancel (" + c.kind().wire() + ")");
    }
    return move(t, to, to == TrackState.QUEUED ? 0 : t.stationIndex(), to == TrackState.QUEUED ? 0 : t.remediationCount(), null, null, reason);
  }

  /** Enters station {@code index}: queues its task, or opens an approval interrupt first. */
  private Decision enter(DocumentType type, Snapshot t, int index, int remediations, Map<String, Object> input,
                         boolean approved, String reason) {
    StationDef station = type.station(index);
    if (station.automationLevel() == AutomationLevel.HUMAN_APPROVAL && !approved) {
      return move(t, TrackState.AWAITING_OPERATOR, index, remediations, null,
          new InterruptSpec(InterruptType.APPROVAL, "approval required before " + station.id(),
              Map.of("station", station.id(), "kind", station.stationKind().wire())),
          "approval required before " + station.id());
    }
    return new Decision(t.state(), station.stationKind().runningState(), index, remediations,
        new StationRun(index, station, input), null, reason, clock.instant());
  }

  private Decision move(Snapshot t, TrackState to, int index, int remediations, StationRun run, InterruptSpec interrupt, String reason) {
    return new Decision(t.state(), to, index, remediations, run, interrupt, reason, clock.instant());
  }

  private static Map<String, Object> withReason(Map<String, Object> detail, String reason) {
    Map<String, Object> m = new LinkedHashMap<>(detail);
    if (reason != null) {
      m.putIfAbsent("reason", reason);
    }
    return m;
  }

  /** The next station after {@code index} that is not a remediation station; -1 after the last. */
  public static int nextStation(DocumentType type, int index) {
    for (int j = index + 1; j < type.stations().size(); j++) {
      if (type.station(j).stationKind() != StationKind.REMEDIATE) {
        return j;
      }
    }
    return -1;
  }

  /** The station that remediates for the audit at {@code auditIndex}. */
  public static int remediationStation(DocumentType type, int auditIndex) {
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
    throw new IllegalStateException("audit at " + auditIndex + " of " + type.name() + " has nothing to remediate");
  }

  /** The audit a finished remediation returns to. */
  public static int auditAfterRemediation(DocumentType type, int remediationIndex) {
    if (type.station(remediationIndex).stationKind() == StationKind.REMEDIATE) {
      return remediationIndex - 1;
    }
    return nextStation(type, remediationIndex);
  }
}
