package io.productionline.track;

import io.productionline.events.Addresses;
import io.productionline.Json;
import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.line.DocumentType;
import io.productionline.line.LineDefinition;
import io.productionline.line.TrackState;
import io.productionline.store.Ids;
import io.productionline.store.LineRepository;
import io.productionline.store.ProjectRepository.ProjectRow;
import io.productionline.store.TrackRow;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Projects and Run Full Line: creates a project's tracks (one per document type, but a fan-out's
 * child type, whose tracks its fan-out creates), and starts every
 * queued track — each decides for itself whether it is blocked — or one document.
 */
public final class LineOrchestrator {

  public static final Pattern PROJECT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

  private final Services s;
  private final TrackSupervisor supervisor;

  public LineOrchestrator(Services services, TrackSupervisor supervisor) {
    this.s = services;
    this.supervisor = supervisor;
  }

  /** The result of a create: the project and whether this call made it. */
  public record Created(ProjectRow project, boolean created) {
  }

  /**
   * Creates a project of the line's current version with its queued tracks, in one transaction. A
   * repeated call with the same idempotency key returns the first project and changes nothing.
   */
  public Future<Created> create(String id, String lineName, JsonObject params, String idempotencyKey, String actor) {
    return create(id, lineName, null, params, idempotencyKey, actor);
  }

  /**
   * Creates a project of version {@code lineVersion} of the line (null: its current version, as
   * PostgreSQL says now) with its queued tracks, in one transaction; the project records the
   * version. A retired line takes no new projects. A repeated call with the same idempotency key
   * returns the first project and changes nothing.
   */
  public Future<Created> create(String id, String lineName, Integer lineVersion, JsonObject params, String idempotencyKey,
                                String actor) {
    if (id != null && !PROJECT_ID.matcher(id).matches()) {
      return Future.failedFuture(Refusal.badRequest("project id must match " + PROJECT_ID.pattern()));
    }
    return s.lines.row(lineName).compose(row -> {
      if (row.isEmpty()) {
        return s.lines.rows().compose(all -> Future.failedFuture(Refusal.notFound("no line named " + lineName)
            .with("lines", new JsonArray(all.stream().filter(l -> !l.retired()).map(LineRepository.LineRow::name).toList()))));
      }
      if (row.get().retired()) {
        return Future.failedFuture(Refusal.conflict("line " + lineName + " is retired: it takes no new projects"));
      }
      return s.lines.version(lineName, lineVersion == null ? row.get().currentVersion() : lineVersion);
    }).compose(v -> create(id, v, params, idempotencyKey, actor));
  }

  private Future<Created> create(String id, LineCatalog.LineVersion version, JsonObject params, String idempotencyKey, String actor) {
    LineDefinition line = version.line();
    String projectId = id == null ? Ids.next("prj") : id;
    Instant now = s.clock.instant();
    Future<java.util.Optional<ProjectRow>> existing = idempotencyKey == null
        ? Future.succeededFuture(java.util.Optional.empty())
        : s.projects.byIdempotencyKey(s.pool, idempotencyKey);
    return existing.compose(prior -> {
      if (prior.isPresent()) {
        return Future.succeededFuture(new Created(prior.get(), false));
      }
      return s.pool.withTransaction(conn -> s.projects.insert(conn, projectId, line.name(), version.version(), version.json(), params,
              idempotencyKey, actor, now)
          .compose(inserted -> {
            if (!inserted) {
              return Future.failedFuture(Refusal.conflict("a project with id " + projectId + " (or that idempotency key) exists"));
            }
            Future<Void> chain = Future.succeededFuture();
            // A fan-out's child type is a template: its tracks are the children its fan-out creates.
            for (DocumentType type : line.documentTypes().stream().filter(t -> !line.isChildType(t.name())).toList()) {
              chain = chain.compose(v -> s.tracks.insert(conn, Ids.next("trk"), projectId, type.name(), null, now));
            }
            return chain.compose(v -> s.tracks.audit(conn, actor, "create_project", projectId,
                new JsonObject().put("line", line.name()).put("line_version", version.version()).put("params", params), now));
          }))
          .compose(v -> Future.all(s.projects.find(s.pool, projectId), s.tracks.summary(s.pool, projectId)))
          .map(all -> {
            ProjectRow p = all.<java.util.Optional<ProjectRow>>resultAt(0).orElseThrow();
            JsonObject summary = all.resultAt(1);
            // Dashboards' project selectors hear of it (no event of the project itself is stored yet).
            s.vertx.eventBus().publish(Addresses.PROJECTS,
                LiveViews.projectNews(projectId, summary, io.productionline.store.TrackRepository.lineState(summary), 0L).mergeIn(p.toJson()));
            return new Created(p, true);
          })
          // A simultaneous request with the same key inserted first: answer with its project.
          .recover(e -> idempotencyKey != null && (!(e instanceof Refusal r) || r.status() == 409)
              ? s.projects.byIdempotencyKey(s.pool, idempotencyKey).map(p -> new Created(p.orElseThrow(() -> Refusal.of(e)), false))
              : Future.failedFuture(e));
    });
  }

  /**
   * Run Full Line ({@code doc == null}) or Start Production of one document. Tracks whose
   * dependencies are open become blocked and start by themselves as they clear.
   */
  public Future<JsonObject> start(String projectId, String doc, String actor) {
    return s.projects.find(s.pool, projectId).compose(p -> {
      if (p.isEmpty()) {
        return Tracks.<List<TrackRow>>unknownProject(s, projectId);
      }
      return s.tracks.ofProject(s.pool, projectId);
    }).compose(rows -> {
      List<TrackRow> targets;
      if (doc == null) {
        targets = rows.stream().filter(r -> r.state() == TrackState.QUEUED).toList();
        if (targets.isEmpty() && !rows.isEmpty() && rows.stream().allMatch(r -> r.state().terminal())) {
          JsonObject summary = io.productionline.store.TrackRepository.summaryOf(rows);
          return Future.failedFuture(Refusal.conflict("nothing to start: " + summary.getInteger(TrackState.STABILIZED.wire(), 0) + "/"
                  + rows.size() + " stabilized")
              .with("line_state", io.productionline.store.TrackRepository.lineState(summary)).with("summary", summary));
        }
      } else {
        List<TrackRow> ofDoc = rows.stream().filter(r -> r.documentType().equals(doc)).toList();
        if (ofDoc.isEmpty()) {
          return Future.failedFuture(Refusal.notFound("project " + projectId + " has no document type " + doc));
        }
        TrackRow latest = ofDoc.get(ofDoc.size() - 1);
        if (latest.state() != TrackState.QUEUED) {
          return Future.failedFuture(Refusal.conflict("Illegal move: document " + doc + " is already " + latest.state().wire())
              .with("current_state", latest.state().wire()).with("attempted", "start production"));
        }
        targets = List.of(latest);
      }
      // Durable before the commands go: a start lost with its node is found by the reconciliation.
      return s.tracks.requestStart(s.pool, targets.stream().map(TrackRow::id).toList()).compose(marked -> {
        List<Future<JsonObject>> started = new ArrayList<>();
        for (TrackRow t : targets) {
          started.add(supervisor.send(t.id(), new JsonObject().put("type", "start").put("actor", actor)));
        }
        return Future.all(started).compose(all -> s.tracks.audit(s.pool, actor, doc == null ? "run_full_line" : "start_production",
                projectId, new JsonObject().put("doc", doc).put("tracks", targets.size()), s.clock.instant())
            .map(v -> {
              JsonArray tracks = new JsonArray();
              started.forEach(f -> tracks.add(f.result()));
              return new JsonObject().put("project_id", projectId).put("started", tracks.size()).put("tracks", tracks);
            }));
      });
    });
  }
}
