package io.productionline.line;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.line.TrackMachine.Cancel;
import io.productionline.line.TrackMachine.Decision;
import io.productionline.line.TrackMachine.Escalate;
import io.productionline.line.TrackMachine.Input;
import io.productionline.line.TrackMachine.OperatorAnswer;
import io.productionline.line.TrackMachine.Snapshot;
import io.productionline.line.TrackMachine.Start;
import io.productionline.line.TrackMachine.TaskLost;
import io.productionline.line.TrackMachine.TaskOutcome;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("The track state machine")
class TrackMachineTest {

  private static final Instant NOW = Instant.parse("2025-01-02T03:04:05Z");
  private static final TrackMachine MACHINE = new TrackMachine(Clock.fixed(NOW, ZoneOffset.UTC));

  // bind(0) -> asm(1) -> aud(2) -> rem(3), at most 2 remediations
  private static final DocumentType DOC = type("doc", 2,
      station("bind", "bind", "fully_auto"),
      station("asm", "assemble", "fully_auto"),
      station("aud", "audit", "fully_auto"),
      station("rem", "remediate", "fully_auto"));

  // spec(0) -> spec_audit(1) -> spec_rem(2) -> build(3) -> build_audit(4) -> build_rem(5)
  private static final DocumentType PHASES = type("build", 1,
      station("spec", "asm", "fully_auto"),
      station("spec_audit", "aud", "fully_auto"),
      station("spec_rem", "rem", "fully_auto"),
      station("build", "asm", "fully_auto"),
      station("build_audit", "aud", "fully_auto"),
      station("build_rem", "rem", "fully_auto"));

  // bind(0) -> asm(1, human_approval) -> aud(2)
  private static final DocumentType APPROVED = type("approved", 2,
      station("bind", "bind", "fully_auto"),
      station("asm", "assemble", "human_approval"),
      station("aud", "audit", "fully_auto"));

  // asm(0) -> aud(1): an audit without a remediation station remediates at the station before it
  private static final DocumentType NO_REM = type("no_rem", 2,
      station("asm", "assemble", "fully_auto"),
      station("aud", "audit", "fully_auto"));

  private static StationDef station(String id, String kind, String automation) {
    return new StationDef(id, kind, "sim", "either", 60, automation,
        new StepDef("sim", "vetted", null, Map.of("duration_ms", 10)), List.of(), 1);
  }

  private static DocumentType type(String name, int maxRemediations, StationDef... stations) {
    return new DocumentType(name, null, List.of(), List.of(stations), maxRemediations, 3, null, 5);
  }

  private static Snapshot at(TrackState state, int station, int remediations) {
    return new Snapshot(state, station, remediations);
  }

  private static Decision decide(DocumentType type, Snapshot track, Input input) {
    Decision d = MACHINE.decide(type, track, input).orElseThrow();
    assertEquals(track.state(), d.from(), "a decision starts from the track's state");
    assertEquals(NOW, d.at(), "a decision is stamped by the injected clock");
    assertTrue(Transitions.legal(d.from(), d.to()), "a decision is a move of the table");
    return d;
  }

  private static Snapshot after(Decision d) {
    return new Snapshot(d.to(), d.stationIndex(), d.remediationCount());
  }

  private static TaskOutcome outcome(int station, Outcome outcome) {
    return new TaskOutcome(station, outcome, null, Map.of());
  }

  private static TaskOutcome rejected(int station, String finding) {
    return new TaskOutcome(station, Outcome.AUDIT_REJECTED, "sections missing", Map.of("findings", List.of(finding)));
  }

  @Nested
  @DisplayName("starting a track")
  class Starting {

    @ParameterizedTest
    @EnumSource(value = TrackState.class, names = {"QUEUED", "BLOCKED"})
    @DisplayName("with its dependencies clear enters the first station and queues its task")
    void depsClearEntersFirstStation(TrackState from) {
      Decision d = decide(DOC, at(from, 0, 0), new Start(true, List.of()));
      assertEquals(TrackState.BINDING, d.to());
      assertEquals(0, d.stationIndex());
      assertNotNull(d.run());
      assertEquals("bind", d.run().station().id());
      assertEquals(Map.of(), d.run().input());
      assertNull(d.interrupt());
    }

    @Test
    @DisplayName("with open dependencies is blocked, and the reason names them")
    void openDepsBlocks() {
      Decision d = decide(DOC, at(TrackState.QUEUED, 0, 0), new Start(false, List.of("epic_backlog", "risk_register")));
      assertEquals(TrackState.BLOCKED, d.to());
      assertNull(d.run());
      assertTrue(d.reason().contains("epic_backlog") && d.reason().contains("risk_register"), d.reason());
    }

    @Test
    @DisplayName("a blocked track whose dependencies are still open does not move")
    void stillBlockedIsNoMove() {
      assertTrue(MACHINE.decide(DOC, at(TrackState.BLOCKED, 0, 0), new Start(false, List.of("prd"))).isEmpty());
    }

    @ParameterizedTest
    @EnumSource(value = TrackState.class, names = {"QUEUED", "BLOCKED"}, mode = EnumSource.Mode.EXCLUDE)
    @DisplayName("a track that is already started (or finished) cannot be started again")
    void startOnlyFromQueuedOrBlocked(TrackState from) {
      IllegalMoveException e = assertThrows(IllegalMoveException.class,
          () -> MACHINE.decide(DOC, at(from, 0, 0), new Start(true, List.of())));
      assertEquals(from, e.current());
    }
  }

  @Nested
  @DisplayName("moving along the stations")
  class StationFlow {

    static Stream<Arguments> stabilizedMoves() {
      return Stream.of(
          // type, state, station -> next state, next station (-1: no run)
          Arguments.of(DOC, TrackState.BINDING, 0, TrackState.ASSEMBLING, 1),
          Arguments.of(DOC, TrackState.ASSEMBLING, 1, TrackState.AUDITING, 2),
          Arguments.of(DOC, TrackState.AUDITING, 2, TrackState.STABILIZED, -1),
          Arguments.of(PHASES, TrackState.ASSEMBLING, 0, TrackState.AUDITING, 1),
          Arguments.of(PHASES, TrackState.AUDITING, 1, TrackState.ASSEMBLING, 3),
          Arguments.of(PHASES, TrackState.ASSEMBLING, 3, TrackState.AUDITING, 4),
          Arguments.of(PHASES, TrackState.AUDITING, 4, TrackState.STABILIZED, -1));
    }

    @ParameterizedTest(name = "{0}: {1} at station {2} -> {3} at station {4}")
    @MethodSource("stabilizedMoves")
    @DisplayName("a stabilized station moves on to the next one that is not a remediation, or stabilizes the track after the last")
    void stabilizedMovesOn(DocumentType type, TrackState state, int station, TrackState next, int nextStation) {
      Decision d = decide(type, at(state, station, 0), outcome(station, Outcome.STABILIZED));
      assertEquals(next, d.to());
      if (nextStation < 0) {
        assertNull(d.run(), "a stabilized track queues nothing");
      } else {
        assertEquals(nextStation, d.stationIndex());
        assertEquals(nextStation, d.run().stationIndex());
        assertEquals(type.station(nextStation), d.run().station());
      }
    }

    @Test
    @DisplayName("a track runs bind, assemble and audit and ends stabilized")
    void wholeFlow() {
      Snapshot t = after(decide(DOC, at(TrackState.QUEUED, 0, 0), new Start(true, List.of())));
      t = after(decide(DOC, t, outcome(0, Outcome.STABILIZED)));
      t = after(decide(DOC, t, outcome(1, Outcome.STABILIZED)));
      Decision last = decide(DOC, t, outcome(2, Outcome.STABILIZED));
      assertEquals(TrackState.STABILIZED, last.to());
      assertTrue(last.to().terminal());
    }

    @Test
    @DisplayName("a lost task that ran out of attempts halts the track with an audit_review interrupt")
    void lostTaskHalts() {
      Decision d = decide(DOC, at(TrackState.ASSEMBLING, 1, 0), new TaskLost(1, 3, "lease expired"));
      assertEquals(TrackState.HALTED, d.to());
      assertEquals(InterruptType.AUDIT_REVIEW, d.interrupt().type());
      assertEquals(3, d.interrupt().payload().get("attempts"));
    }

    @Test
    @DisplayName("an executor's halt halts the track with an audit_review interrupt carrying the reason")
    void executorHalts() {
      Decision d = decide(DOC, at(TrackState.ASSEMBLING, 1, 0),
          new TaskOutcome(1, Outcome.HALTED, "source repository gone", Map.of()));
      assertEquals(TrackState.HALTED, d.to());
      assertEquals(InterruptType.AUDIT_REVIEW, d.interrupt().type());
      assertEquals("source repository gone", d.interrupt().payload().get("reason"));
    }
  }

  @Nested
  @DisplayName("audits and remediation")
  class Remediation {

    @Test
    @DisplayName("an audit rejection moves the track to its remediation station with the findings and one more remediation")
    void rejectionRemediates() {
      Decision d = decide(DOC, at(TrackState.AUDITING, 2, 0), rejected(2, "no risks section"));
      assertEquals(TrackState.REMEDIATING, d.to());
      assertEquals(3, d.stationIndex());
      assertEquals(1, d.remediationCount());
      assertEquals("rem", d.run().station().id());
      assertEquals(List.of("no risks section"), d.run().input().get("findings"));
      assertEquals("sections missing", d.run().input().get("reason"));
    }

    @Test
    @DisplayName("a stabilized remediation goes back to the same audit and keeps the count")
    void remediationReturnsToAudit() {
      Decision d = decide(DOC, at(TrackState.REMEDIATING, 3, 1), outcome(3, Outcome.STABILIZED));
      assertEquals(TrackState.AUDITING, d.to());
      assertEquals(2, d.stationIndex());
      assertEquals(1, d.remediationCount());
      assertEquals("aud", d.run().station().id());
    }

    @Test
    @DisplayName("each phase's audit remediates at its own remediation station")
    void phaseAuditsUseTheirOwnRemediation() {
      Decision d = decide(PHASES, at(TrackState.AUDITING, 4, 0), rejected(4, "tests missing"));
      assertEquals(5, d.stationIndex());
      assertEquals("build_rem", d.run().station().id());
      Decision back = decide(PHASES, after(d), outcome(5, Outcome.STABILIZED));
      assertEquals(4, back.stationIndex());
      assertEquals(TrackState.AUDITING, back.to());
    }

    @Test
    @DisplayName("an audit without a remediation station remediates at the station before it")
    void remediationFallsBackToTheStationBefore() {
      Decision d = decide(NO_REM, at(TrackState.AUDITING, 1, 0), rejected(1, "thin"));
      assertEquals(TrackState.REMEDIATING, d.to());
      assertEquals(0, d.stationIndex());
      Decision back = decide(NO_REM, after(d), outcome(0, Outcome.STABILIZED));
      assertEquals(TrackState.AUDITING, back.to());
      assertEquals(1, back.stationIndex());
    }

    @Test
    @DisplayName("an audit that passes after remediation resets the count for the next audit")
    void passingAuditResetsCount() {
      Decision d = decide(PHASES, at(TrackState.AUDITING, 1, 1), outcome(1, Outcome.STABILIZED));
      assertEquals(0, d.remediationCount());
    }

    @Test
    @DisplayName("rejections past max_remediations trip the circuit breaker: halted with an audit_review interrupt")
    void circuitBreakerHalts() {
      Snapshot t = at(TrackState.AUDITING, 2, 0);
      for (int i = 1; i <= DOC.maxRemediations(); i++) {
        Decision reject = decide(DOC, t, rejected(2, "finding " + i));
        assertEquals(TrackState.REMEDIATING, reject.to());
        assertEquals(i, reject.remediationCount());
        t = after(decide(DOC, after(reject), outcome(3, Outcome.STABILIZED)));
        assertEquals(TrackState.AUDITING, t.state());
      }
      Decision halt = decide(DOC, t, rejected(2, "still thin"));
      assertEquals(TrackState.HALTED, halt.to());
      assertEquals(2, halt.stationIndex());
      assertNull(halt.run());
      assertEquals(InterruptType.AUDIT_REVIEW, halt.interrupt().type());
      assertEquals(List.of("still thin"), halt.interrupt().payload().get("findings"));
    }

    @Test
    @DisplayName("with max_remediations 0 the first rejection halts")
    void zeroRemediations() {
      DocumentType strict = type("strict", 0, station("asm", "asm", "fully_auto"), station("aud", "aud", "fully_auto"));
      assertEquals(TrackState.HALTED, decide(strict, at(TrackState.AUDITING, 1, 0), rejected(1, "x")).to());
    }

    @Test
    @DisplayName("an operator's answer on a halted track runs the station again with a fresh count")
    void answerOnHaltedRunsAgain() {
      Decision d = decide(DOC, at(TrackState.HALTED, 2, 2),
          new OperatorAnswer(InterruptType.AUDIT_REVIEW, Map.of("notes", "sources added")));
      assertEquals(TrackState.AUDITING, d.to());
      assertEquals(0, d.remediationCount());
      assertEquals(Map.of("notes", "sources added"), d.run().input().get("operator_answer"));
    }
  }

  @Nested
  @DisplayName("operator interrupts")
  class Interrupts {

    @Test
    @DisplayName("needs_input stops the line for a clarification at the same station")
    void needsInputAsksForClarification() {
      Decision d = decide(DOC, at(TrackState.ASSEMBLING, 1, 0),
          new TaskOutcome(1, Outcome.NEEDS_INPUT, "which market?", Map.of("questions", List.of("which market?"))));
      assertEquals(TrackState.AWAITING_OPERATOR, d.to());
      assertEquals(1, d.stationIndex());
      assertNull(d.run());
      assertEquals(InterruptType.CLARIFICATION, d.interrupt().type());
      assertEquals(List.of("which market?"), d.interrupt().payload().get("questions"));
    }

    @Test
    @DisplayName("needs_input at a bind station with conflicts opens a constraint_conflict")
    void bindConflict() {
      Decision d = decide(DOC, at(TrackState.BINDING, 0, 0),
          new TaskOutcome(0, Outcome.NEEDS_INPUT, "budget and deadline conflict", Map.of("conflicts", List.of("budget", "deadline"))));
      assertEquals(InterruptType.CONSTRAINT_CONFLICT, d.interrupt().type());
    }

    @Test
    @DisplayName("needs_input at a bind station without conflicts is a clarification")
    void bindWithoutConflicts() {
      Decision d = decide(DOC, at(TrackState.BINDING, 0, 0), outcome(0, Outcome.NEEDS_INPUT));
      assertEquals(InterruptType.CLARIFICATION, d.interrupt().type());
    }

    @Test
    @DisplayName("conflicts at a station that is not a bind are a clarification")
    void conflictsOutsideBind() {
      Decision d = decide(DOC, at(TrackState.ASSEMBLING, 1, 0),
          new TaskOutcome(1, Outcome.NEEDS_INPUT, null, Map.of("conflicts", List.of("a"))));
      assertEquals(InterruptType.CLARIFICATION, d.interrupt().type());
    }

    @Test
    @DisplayName("an operator's answer re-enters the station with the answer in the task input")
    void answerReentersStation() {
      Decision d = decide(DOC, at(TrackState.AWAITING_OPERATOR, 1, 1),
          new OperatorAnswer(InterruptType.CLARIFICATION, Map.of("answer", "EU market")));
      assertEquals(TrackState.ASSEMBLING, d.to());
      assertEquals(1, d.stationIndex());
      assertEquals(1, d.remediationCount(), "a clarification keeps the remediation count");
      assertEquals(Map.of("answer", "EU market"), d.run().input().get("operator_answer"));
    }

    @Test
    @DisplayName("an answer at a remediation station resumes remediating")
    void answerResumesRemediation() {
      Decision d = decide(DOC, at(TrackState.AWAITING_OPERATOR, 3, 1),
          new OperatorAnswer(InterruptType.CLARIFICATION, Map.of("answer", "yes")));
      assertEquals(TrackState.REMEDIATING, d.to());
      assertEquals(3, d.stationIndex());
    }

    @Test
    @DisplayName("a human_approval station opens an approval interrupt before its task, and the answer queues the task")
    void approvalBeforeTheTask() {
      Decision stop = decide(APPROVED, at(TrackState.BINDING, 0, 0), outcome(0, Outcome.STABILIZED));
      assertEquals(TrackState.AWAITING_OPERATOR, stop.to());
      assertEquals(1, stop.stationIndex());
      assertNull(stop.run(), "nothing runs before the approval");
      assertEquals(InterruptType.APPROVAL, stop.interrupt().type());
      assertEquals("asm", stop.interrupt().payload().get("station"));

      Decision go = decide(APPROVED, after(stop), new OperatorAnswer(InterruptType.APPROVAL, Map.of("approved", true)));
      assertEquals(TrackState.ASSEMBLING, go.to());
      assertEquals(1, go.run().stationIndex());
      assertNull(go.interrupt());
    }

    @Test
    @DisplayName("a human_approval first station asks for approval as the track starts")
    void approvalAtStart() {
      DocumentType first = type("first", 2, station("asm", "asm", "human_approval"), station("aud", "aud", "fully_auto"));
      Decision d = decide(first, at(TrackState.QUEUED, 0, 0), new Start(true, List.of()));
      assertEquals(TrackState.AWAITING_OPERATOR, d.to());
      assertEquals(InterruptType.APPROVAL, d.interrupt().type());
    }

    @ParameterizedTest
    @EnumSource(value = TrackState.class, names = {"AWAITING_OPERATOR", "HALTED"}, mode = EnumSource.Mode.EXCLUDE)
    @DisplayName("an answer is refused when no interrupt can be open")
    void answerOnlyWhenStopped(TrackState state) {
      assertThrows(IllegalMoveException.class,
          () -> MACHINE.decide(DOC, at(state, 1, 0), new OperatorAnswer(InterruptType.CLARIFICATION, Map.of())));
    }
  }

  @Nested
  @DisplayName("escalation and cancellation")
  class EscalateAndCancel {

    @Test
    @DisplayName("a halted track acknowledged by an operator is escalated, with the notes in the reason")
    void escalateHalted() {
      Decision d = decide(DOC, at(TrackState.HALTED, 2, 2), new Escalate("ship it, fix later"));
      assertEquals(TrackState.ESCALATED, d.to());
      assertTrue(d.to().clearsDependents());
      assertTrue(d.reason().contains("ship it, fix later"), d.reason());
    }

    @ParameterizedTest
    @EnumSource(value = TrackState.class, names = "HALTED", mode = EnumSource.Mode.EXCLUDE)
    @DisplayName("only a halted track can be escalated")
    void escalateOnlyHalted(TrackState state) {
      IllegalMoveException e = assertThrows(IllegalMoveException.class,
          () -> MACHINE.decide(DOC, at(state, 0, 0), new Escalate("go")));
      assertEquals(state, e.current());
    }

    static Stream<Arguments> cancels() {
      return Arrays.stream(TrackState.values())
          .filter(s -> s != TrackState.CANCELLED)
          .flatMap(s -> Arrays.stream(CancelKind.values()).map(k -> Arguments.of(s, k)));
    }

    @ParameterizedTest(name = "{1} from {0}")
    @MethodSource("cancels")
    @DisplayName("redesign sends a track back to queued, from its first station; qc_reject and permanent cancel it where it stood")
    void cancelKinds(TrackState from, CancelKind kind) {
      Snapshot t = at(from, 1, 1);
      if (kind == CancelKind.REDESIGN && from == TrackState.QUEUED) {
        // Already queued: there is nothing to re-bind.
        assertThrows(IllegalMoveException.class, () -> MACHINE.decide(DOC, t, new Cancel(kind, "again")));
        return;
      }
      Decision d = decide(DOC, t, new Cancel(kind, "wrong audience"));
      boolean redesign = kind == CancelKind.REDESIGN;
      assertEquals(redesign ? TrackState.QUEUED : TrackState.CANCELLED, d.to());
      // A cancelled track keeps the station it was cancelled at, so the line shows where it stopped.
      assertEquals(redesign ? 0 : 1, d.stationIndex());
      assertEquals(redesign ? 0 : 1, d.remediationCount());
      assertNull(d.run());
      assertTrue(d.reason().startsWith(kind.wire()) && d.reason().contains("wrong audience"), d.reason());
    }

    @ParameterizedTest
    @EnumSource(CancelKind.class)
    @DisplayName("a cancelled track cannot be cancelled again")
    void cancelledIsFinal(CancelKind kind) {
      IllegalMoveException e = assertThrows(IllegalMoveException.class,
          () -> MACHINE.decide(DOC, at(TrackState.CANCELLED, 0, 0), new Cancel(kind, null)));
      assertEquals(TrackState.CANCELLED, e.current());
      assertTrue(e.attempted().contains(kind.wire()), e.attempted());
    }
  }

  @Nested
  @DisplayName("illegal inputs")
  class Illegal {

    @ParameterizedTest
    @EnumSource(value = TrackState.class, names = {"BINDING", "ASSEMBLING", "AUDITING", "REMEDIATING"}, mode = EnumSource.Mode.EXCLUDE)
    @DisplayName("a station outcome is refused when the track is at no station")
    void outcomeAwayFromStation(TrackState state) {
      IllegalMoveException e = assertThrows(IllegalMoveException.class,
          () -> MACHINE.decide(DOC, at(state, 0, 0), outcome(0, Outcome.STABILIZED)));
      assertEquals(state, e.current());
      assertTrue(e.attempted().contains("outcome"), e.attempted());
    }

    @Test
    @DisplayName("an outcome while blocked is refused with the current state")
    void outcomeWhileBlocked() {
      IllegalMoveException e = assertThrows(IllegalMoveException.class,
          () -> MACHINE.decide(DOC, at(TrackState.BLOCKED, 0, 0), outcome(0, Outcome.STABILIZED)));
      assertEquals(TrackState.BLOCKED, e.current());
      assertTrue(e.getMessage().contains("blocked"), e.getMessage());
    }

    @ParameterizedTest
    @MethodSource("notAudits")
    @DisplayName("audit_rejected is refused at a station that is not an audit")
    void rejectionOnlyAtAudits(TrackState state, int station) {
      IllegalMoveException e = assertThrows(IllegalMoveException.class,
          () -> MACHINE.decide(DOC, at(state, station, 1), rejected(station, "x")));
      assertTrue(e.attempted().contains("audit_rejected"), e.attempted());
    }

    static Stream<Arguments> notAudits() {
      return Stream.of(
          Arguments.of(TrackState.BINDING, 0),
          Arguments.of(TrackState.ASSEMBLING, 1),
          Arguments.of(TrackState.REMEDIATING, 3));
    }

    @Test
    @DisplayName("an outcome for another station than the current one is refused")
    void outcomeForTheWrongStation() {
      IllegalMoveException e = assertThrows(IllegalMoveException.class,
          () -> MACHINE.decide(DOC, at(TrackState.AUDITING, 2, 0), outcome(1, Outcome.STABILIZED)));
      assertEquals(TrackState.AUDITING, e.current());
      assertTrue(e.attempted().contains("station 1") && e.attempted().contains("station 2"), e.attempted());
    }

    @ParameterizedTest
    @EnumSource(value = TrackState.class, names = {"BINDING", "ASSEMBLING", "AUDITING", "REMEDIATING"}, mode = EnumSource.Mode.EXCLUDE)
    @DisplayName("a lost task is refused when the track is at no station")
    void lostAwayFromStation(TrackState state) {
      assertThrows(IllegalMoveException.class,
          () -> MACHINE.decide(DOC, at(state, 0, 0), new TaskLost(0, 3, "lease expired")));
    }
  }

  @Nested
  @DisplayName("gates and cancelled dependencies")
  class GatesAndDependencies {

    @Test
    @DisplayName("a gate's rejection names the gate in the move's reason and hands it to the remediation station")
    void gateRejectionReachesRemediation() {
      Map<String, Object> gate = Map.of("gate", 0, "type", "content_check", "passed", false, "finding", "lacks ## Scope");
      Decision d = decide(DOC, at(TrackState.AUDITING, 2, 0), new TaskOutcome(2, Outcome.AUDIT_REJECTED,
          "gate content_check: lacks ## Scope", Map.of("findings", List.of("lacks ## Scope"), "gate", gate)));
      assertEquals(TrackState.REMEDIATING, d.to());
      assertEquals("audit rejected: gate content_check: lacks ## Scope", d.reason());
      assertEquals(gate, d.run().input().get("gate"));
      assertEquals(List.of("lacks ## Scope"), d.run().input().get("findings"));
    }

    @Test
    @DisplayName("a blocked track whose dependency was cancelled for good stays blocked and says why")
    void blockedTrackLearnsOfCancelledDependency() {
      Decision d = decide(DOC, at(TrackState.BLOCKED, 0, 0), new TrackMachine.DependencyCancelled("prd", "permanent: scope dropped"));
      assertEquals(TrackState.BLOCKED, d.to());
      assertNull(d.run());
      assertNull(d.interrupt());
      assertEquals("blocked: dependency prd was cancelled for good (permanent: scope dropped)", d.reason());
    }

    @ParameterizedTest
    @EnumSource(value = TrackState.class, names = {"BLOCKED"}, mode = EnumSource.Mode.EXCLUDE)
    @DisplayName("a track that is not blocked is not moved by a cancelled dependency")
    void otherStatesIgnoreCancelledDependency(TrackState state) {
      assertTrue(MACHINE.decide(DOC, at(state, 1, 0), new TrackMachine.DependencyCancelled("prd", "permanent")).isEmpty());
    }
  }
}
