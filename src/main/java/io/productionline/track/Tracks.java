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
   * is named with its reason. The one rule a track's verticle and the reconciliation both apply.
   */
  public static List<String> openDependencies(List<TrackRow> rows, List<String> deps) {
    List<String> open = new java.util.ArrayList<>();
    for (String dep : deps) {
      Optional<TrackRow> current = current(rows, dep);
      if (current.isPresent() && current.get().state().clearsDependents()) {
        continue;
      }
      if (current.isPresent() && current.get().state() == io.productionline.line.TrackState.CANCELLED) {
        open.add(dep + " (cancelled: " + current.get().reason() + ")");
      } else {
        open.add(dep);
      }
    }
    return open;
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
