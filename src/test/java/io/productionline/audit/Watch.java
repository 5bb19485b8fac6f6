package io.productionline.audit;

import io.productionline.support.EventStream;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Every event of a project as a client of the event stream ({@code GET /production/events}) gets
 * them — in history order — with a wait that wakes on each arrival (never on a timer); the bound
 * ends a test that never sees what it waits for.
 */
public final class Watch implements AutoCloseable {

  public static final Duration BOUND = Duration.ofSeconds(20);

  private final EventStream stream;

  private Watch(TestNode node, String project) {
    stream = EventStream.open(node.node.port(), project, 0, node.operatorToken());
  }

  public static Watch of(TestNode node, String project) {
    return new Watch(node, project);
  }

  public List<JsonObject> events() {
    return stream.seen();
  }

  /** Waits until {@code done} holds for the events seen so far; returns them. */
  public List<JsonObject> await(Predicate<List<JsonObject>> done, String what) {
    return stream.awaitUntil(done, BOUND, what);
  }

  /** Waits for the first event that matches; returns it. */
  public JsonObject awaitEvent(Predicate<JsonObject> match, String what) {
    return await(list -> list.stream().anyMatch(match), what).stream().filter(match).findFirst().orElseThrow();
  }

  /** The events of one document type's tracks (and the project-wide ones when {@code withProject}). */
  public static List<JsonObject> of(List<JsonObject> events, String documentType) {
    return events.stream().filter(e -> documentType.equals(e.getString("document_type"))).toList();
  }

  /** The states the station_transition events of {@code documentType} moved to, in order. */
  public static List<String> states(List<JsonObject> events, String documentType) {
    return of(events, documentType).stream().filter(e -> "station_transition".equals(e.getString("type")))
        .map(e -> e.getString("state")).toList();
  }

  /** Each event as {@code type[/state]}, for failure messages and order checks. */
  public static List<String> summary(List<JsonObject> events) {
    List<String> out = new ArrayList<>();
    for (JsonObject e : events) {
      String s = e.getString("type") + (e.getString("document_type") == null ? "" : ":" + e.getString("document_type"))
          + (e.getString("state") == null ? "" : "/" + e.getString("state"));
      out.add(s);
    }
    return out;
  }

  /** The index of the first event matching {@code match}; -1 when none. */
  public static int indexOf(List<JsonObject> events, Predicate<JsonObject> match) {
    for (int i = 0; i < events.size(); i++) {
      if (match.test(events.get(i))) {
        return i;
      }
    }
    return -1;
  }

  /** The events' {@code seq} numbers are increasing in arrival order. */
  public static boolean inHistoryOrder(List<JsonObject> events) {
    long last = Long.MIN_VALUE;
    for (JsonObject e : events) {
      Long seq = e.getLong("seq");
      if (seq == null) {
        continue;
      }
      if (seq <= last) {
        return false;
      }
      last = seq;
    }
    return true;
  }

  @Override
  public void close() {
    stream.close();
  }
}
