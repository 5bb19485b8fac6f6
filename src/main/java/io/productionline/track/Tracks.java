package io.productionline.track;

import io.productionline.line.LineDefinition;
import io.productionline.store.TrackRow;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Questions about a project's tracks that several parts of the line ask. */
public final class Tracks {

  private Tracks() {
  }

  /** The refusal of an unknown project: "no project X", with the projects there are, so an operator can pick one. */
  public static <T> io.vertx.core.Future<T> unknownProject(io.productionline.Services s, String projectId) {
    return s.projects.list(s.reads, 100).transform(ar -> {
      List<String> ids = ar.succeeded() ? ar.result().stream().map(p -> p.id()).sorted().toList() : List.of();
      return io.vertx.core.Future.failedFuture(io.productionline.Refusal.notFound("no project " + projectId
              + (ids.isEmpty() ? "; there are no projects yet" : "; the projects are " + String.join(", ", ids)))
          .with("projects", new io.vertx.core.json.JsonArray(ids)));
    });
  }

  /**
   * The current track of a document type: the one no other track replaces (a qc_reject replacement
   * supersedes the track it replaces). Empty when the project has none of that type.
   */
  public static Optional<TrackRow> current(List<TrackRow> rows, String documentType) {
    Set<String> replaced = new java.util.HashSet<>();
    rows.forEach(r -> {
      if (r.replaces() != null) {
        replaced.add(r.replaces());
      }
    });
    TrackRow found = null;
    for (TrackRow r : rows) {
      if (r.documentType().equals(documentType) && !replaced.contains(r.id())) {
        found = r;
      }
    }
    return Optional.ofNullable(found);
  }

  /**
   * The dependencies ({@code deps}, document types) that are not stabilized or escalated, judged by
   * the current track of each ({@link #current}): what keeps a track blocked. One cancelled for good
   * is named with its reason; a fan-out's track is open until every one of its children is
   * stabilized or escalated ({@link #fanOutProgress}). The one rule a track's verticle and the
   * reconciliation both apply.
   */
  public static List<String> openDependencies(List<TrackRow> rows, List<String> deps) {
    List<String> open = new java.util.ArrayList<>();
    for (String dep : deps) {
      Dependency d = dependency(rows, dep);
      if (!d.open()) {
        continue;
      }
      if (d.awaitingChildren()) {
        open.add(dep + " (fan-out: " + d.children().text() + ")");
      } else if (d.current() != null && d.current().state() == io.productionline.line.TrackState.CANCELLED) {
        open.add(dep + " (cancelled: " + d.current().reason() + ")");
      } else {
        open.add(dep);
      }
    }
    return open;
  }

  /**
   * Where one dependency of a track stands: {@code current}, the current track of type
   * {@code documentType} (null: none); when that track is stabilized or escalated, {@code children},
   * the progress of its fan-out (none: done at once), and {@code awaited}, its children not yet
   * stabilized or escalated. The rule of {@link #openDependencies}, and what "why is it waiting" and
   * the forecast read of a join.
   */
  public record Dependency(String documentType, TrackRow current, FanOutProgress children, List<TrackRow> awaited) {

    /** The dependency still holds its dependents: no track cleared it, or its fan-out's children have not. */
    public boolean open() {
      return current == null || !current.state().clearsDependents() || !children.done();
    }

    /** Its track cleared it, but its fan-out's children have not all: a join waits on them, not on it. */
    public boolean awaitingChildren() {
      return current != null && current.state().clearsDependents() && !children.done();
    }
  }

  /** Where dependency {@code dep} stands among the project's {@code rows} ({@link Dependency}). */
  public static Dependency dependency(List<TrackRow> rows, String dep) {
    TrackRow current = current(rows, dep).orElse(null);
    if (current == null || !current.state().clearsDependents()) {
      return new Dependency(dep, current, null, List.of());
    }
    List<TrackRow> children = children(rows, current.id());
    return new Dependency(dep, current, progress(children), children.stream().filter(c -> !c.state().clearsDependents()).toList());
  }

  /**
   * The children of a fan-out's track {@code parentId}: those of its latest round (a parent sent back
   * by a redesign fans out again), each the current one of its item (a qc_reject replacement
   * supersedes the child it replaces), in the order of the items.
   */
  public static List<TrackRow> children(List<TrackRow> rows, String parentId) {
    long round = rows.stream().filter(r -> parentId.equals(r.parentTrackId())).mapToLong(TrackRow::fanOutRound).max().orElse(-1);
    Set<String> replaced = new java.util.HashSet<>();
    rows.forEach(r -> {
      if (r.replaces() != null) {
        replaced.add(r.replaces());
      }
    });
    return rows.stream().filter(r -> parentId.equals(r.parentTrackId()) && r.fanOutRound() == round && !replaced.contains(r.id()))
        .sorted(java.util.Comparator.comparingInt(TrackRow::fanOutIndex)).toList();
  }

  /**
   * Where a fan-out stands: how many children it has and how many are stabilized, escalated,
   * cancelled. Done when every child is stabilized or escalated (none: done). {@link #text} is what
   * the dashboard's collapsed row and a waiting join's reason say.
   */
  public record FanOutProgress(int total, int stabilized, int escalated, int cancelled) {

    public boolean done() {
      return awaited() == 0;
    }

    /** The children not yet stabilized or escalated: what a join still waits for. */
    public int awaited() {
      return total - stabilized - escalated;
    }

    /** "awaiting 18 of 30 children of plan": what a join on the fan-out of {@code parentType} waits for. */
    public String awaitingText(String parentType) {
      return "awaiting " + awaited() + " of " + total + " children of " + parentType;
    }

    /** "12 of 30 stabilized", with the escalated and cancelled ones named when there are any. */
    public String text() {
      return stabilized + " of " + total + " stabilized" + (escalated > 0 ? ", " + escalated + " escalated" : "")
          + (cancelled > 0 ? ", " + cancelled + " cancelled" : "");
    }

    public io.vertx.core.json.JsonObject toJson() {
      return new io.vertx.core.json.JsonObject().put("children", total).put("stabilized", stabilized).put("escalated", escalated)
          .put("cancelled", cancelled).put("finished", stabilized + escalated + cancelled).put("awaited", awaited()).put("done", done()).put("progress", text());
    }
  }

  /** The progress of the fan-out of track {@code parentId} ({@link #children}). */
  public static FanOutProgress fanOutProgress(List<TrackRow> rows, String parentId) {
    return progress(children(rows, parentId));
  }

  private static FanOutProgress progress(List<TrackRow> children) {
    int total = 0;
    int stabilized = 0;
    int escalated = 0;
    int cancelled = 0;
    for (TrackRow c : children) {
      total++;
      switch (c.state()) {
        case STABILIZED -> stabilized++;
        case ESCALATED -> escalated++;
        case CANCELLED -> cancelled++;
        default -> {
        }
      }
    }
    return new FanOutProgress(total, stabilized, escalated, cancelled);
  }

  /** Every document type downstream of {@code documentType}: its dependents, theirs, and so on. */
  static Set<String> downstream(LineDefinition line, String documentType) {
    Set<String> out = new LinkedHashSet<>();
    Deque<String> queue = new ArrayDeque<>(List.of(documentType));
    while (!queue.isEmpty()) {
      for (var t : line.dependentsOf(queue.poll())) {
        if (out.add(t.name())) {
          queue.add(t.name());
        }
      }
    }
    return out;
  }
}
