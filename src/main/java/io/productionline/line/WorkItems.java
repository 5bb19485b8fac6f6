package io.productionline.line;

import io.productionline.line.Gates.Verdict;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Multi-operator stations: a station with {@code work_items: N} runs as N tasks of one station run
 * (items 1..N), each claimed by an executor of its own. The station completes when every item has;
 * this class combines the items' verdicts into the station's one outcome:
 * {@code halted} if any item halted, else {@code needs_input} if any needs input, else
 * {@code audit_rejected} if any audit rejected, else {@code stabilized}. Findings and questions of
 * the deciding items are gathered, each tagged with its item.
 */
public final class WorkItems {

  private WorkItems() {
  }

  /** The station's verdict from its items' verdicts, in item order (item 1 first). */
  public static Verdict combine(List<Verdict> items) {
    if (items == null || items.isEmpty()) {
      throw new IllegalArgumentException("a station run has at least one item");
    }
    if (items.size() == 1) {
      return items.get(0);
    }
    Outcome outcome = Outcome.STABILIZED;
    for (Outcome o : List.of(Outcome.HALTED, Outcome.NEEDS_INPUT, Outcome.AUDIT_REJECTED)) {
      if (items.stream().anyMatch(v -> v.outcome() == o)) {
        outcome = o;
        break;
      }
    }
    Outcome decided = outcome;
    List<String> reasons = new ArrayList<>();
    List<Object> findings = new ArrayList<>();
    List<Object> questions = new ArrayList<>();
    List<Object> conflicts = new ArrayList<>();
    List<Map<String, Object>> audits = new ArrayList<>();
    Map<String, Object> firstGate = null;
    for (int i = 0; i < items.size(); i++) {
      Verdict v = items.get(i);
      int item = i + 1;
      if (v.audit() != null) {
        Map<String, Object> a = new LinkedHashMap<>(v.audit());
        a.put("item", item);
        audits.add(a);
      }
      if (v.outcome() != decided) {
        continue;
      }
      if (v.reason() != null) {
        reasons.add("item " + item + ": " + v.reason());
      }
      tagged(v.detail().get("findings"), item, findings);
      tagged(v.detail().get("questions"), item, questions);
      tagged(v.detail().get("conflicts"), item, conflicts);
      if (firstGate == null && v.detail().get("gate") instanceof Map<?, ?> g) {
        @SuppressWarnings("unchecked")
        Map<String, Object> gate = (Map<String, Object>) g;
        firstGate = gate;
      }
    }
    long count = items.stream().filter(v -> v.outcome() == decided).count();
    String reason = decided == Outcome.STABILIZED
        ? null
        : count + " of " + items.size() + " work items reported " + decided.wire() + (reasons.isEmpty() ? "" : " (" + String.join("; ", reasons) + ")");
    Map<String, Object> detail = new LinkedHashMap<>();
    detail.put("work_items", items.size());
    if (!findings.isEmpty() || decided == Outcome.AUDIT_REJECTED) {
      detail.put("findings", findings);
    }
    if (!questions.isEmpty()) {
      detail.put("questions", questions);
    }
    if (!conflicts.isEmpty()) {
      detail.put("conflicts", conflicts);
    }
    if (firstGate != null) {
      detail.put("gate", firstGate);
    }
    if (reason != null) {
      detail.put("reason", reason);
    }
    Map<String, Object> audit = null;
    if (!audits.isEmpty()) {
      audit = new LinkedHashMap<>();
      audit.put("verdict", decided.wire());
      audit.put("decided_by", firstGate != null && decided == Outcome.AUDIT_REJECTED
          && audits.stream().noneMatch(a -> Outcome.AUDIT_REJECTED.wire().equals(a.get("executor_outcome")))
          ? Gates.DECIDED_BY_GATE : Gates.DECIDED_BY_EXECUTOR);
      if (firstGate != null && decided == Outcome.AUDIT_REJECTED) {
        audit.put("gate", firstGate);
      }
      audit.put("items", audits);
    }
    return new Verdict(decided, reason, detail, audit);
  }

  private static void tagged(Object list, int item, List<Object> into) {
    if (!(list instanceof List<?> l)) {
      return;
    }
    for (Object o : l) {
      if (o instanceof Map<?, ?> m) {
        Map<String, Object> copy = new LinkedHashMap<>();
        m.forEach((k, v) -> copy.put(String.valueOf(k), v));
        copy.putIfAbsent("item", item);
        into.add(copy);
      } else if (o instanceof String str) {
        into.add("item " + item + ": " + str);
      } else {
        into.add(o);
      }
    }
  }
}
