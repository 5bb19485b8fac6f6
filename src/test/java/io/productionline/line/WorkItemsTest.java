package io.productionline.line;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.line.Gates.Check;
import io.productionline.line.Gates.Verdict;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("Work items of a multi-operator station")
class WorkItemsTest {

  private static Verdict v(Outcome o) {
    return Gates.passThrough(o, Map.of());
  }

  static Stream<Arguments> precedence() {
    return Stream.of(
        Arguments.of(List.of(Outcome.STABILIZED, Outcome.STABILIZED, Outcome.STABILIZED), Outcome.STABILIZED),
        Arguments.of(List.of(Outcome.STABILIZED, Outcome.AUDIT_REJECTED, Outcome.STABILIZED), Outcome.AUDIT_REJECTED),
        Arguments.of(List.of(Outcome.AUDIT_REJECTED, Outcome.NEEDS_INPUT), Outcome.NEEDS_INPUT),
        Arguments.of(List.of(Outcome.NEEDS_INPUT, Outcome.HALTED, Outcome.AUDIT_REJECTED), Outcome.HALTED));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("precedence")
  @DisplayName("the station's outcome is the gravest of its items': halted, needs_input, audit_rejected, then stabilized")
  void gravestWins(List<Outcome> items, Outcome expected) {
    assertEquals(expected, WorkItems.combine(items.stream().map(WorkItemsTest::v).toList()).outcome());
  }

  @Test
  @DisplayName("one item is its own verdict")
  void singleItem() {
    Verdict only = v(Outcome.STABILIZED);
    assertSame(only, WorkItems.combine(List.of(only)));
    assertThrows(IllegalArgumentException.class, () -> WorkItems.combine(List.of()));
  }

  @Test
  @DisplayName("an audit rejects if any item rejects; findings are gathered and tagged with their item")
  void anyRejectionRejects() {
    Verdict ok = Gates.audit(Outcome.STABILIZED, Map.of(), List.of());
    Verdict no = Gates.audit(Outcome.AUDIT_REJECTED, Map.of("reason", "tables unreadable",
        "findings", List.of(Map.of("finding", "table 2"), "units missing")), List.of());
    Verdict combined = WorkItems.combine(List.of(ok, no, ok));
    assertEquals(Outcome.AUDIT_REJECTED, combined.outcome());
    assertEquals("1 of 3 work items reported audit_rejected (item 2: tables unreadable)", combined.reason());
    List<?> findings = (List<?>) combined.detail().get("findings");
    assertEquals(Map.of("finding", "table 2", "item", 2), findings.get(0));
    assertEquals("item 2: units missing", findings.get(1));
    assertEquals("executor", combined.audit().get("decided_by"));
    assertEquals(3, ((List<?>) combined.audit().get("items")).size());
  }

  @Test
  @DisplayName("when only gates rejected, the combined audit says a gate decided")
  void gateDecides() {
    Verdict gated = Gates.audit(Outcome.STABILIZED, Map.of(), List.of(new Check(0, "verification", false, "level 1 reached")));
    Verdict combined = WorkItems.combine(List.of(gated, Gates.audit(Outcome.STABILIZED, Map.of(), List.of())));
    assertEquals(Outcome.AUDIT_REJECTED, combined.outcome());
    assertEquals("gate", combined.audit().get("decided_by"));
    assertTrue(combined.reason().contains("gate verification"), combined.reason());
  }

  @Test
  @DisplayName("all stabilized: no reason, and no audit record at a station that is not an audit")
  void allStabilized() {
    Verdict combined = WorkItems.combine(List.of(v(Outcome.STABILIZED), v(Outcome.STABILIZED)));
    assertNull(combined.reason());
    assertNull(combined.audit());
    assertEquals(2, combined.detail().get("work_items"));
  }
}
