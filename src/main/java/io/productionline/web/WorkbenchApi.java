package io.productionline.web;

import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.line.CancelKind;
import io.productionline.store.InterruptRepository.InterruptRow;
import io.productionline.store.TrackRow;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The operator's actions on many things at once, and on a project's life:
 * <ul>
 *   <li>{@code POST /api/v1/projects/{id}/archive}: a finished project (every track stabilized,
 *   escalated or cancelled) leaves the project list; it stays readable by its id;</li>
 *   <li>{@code POST /production/tracks/cancel} ({@code track_ids}, {@code kind}, {@code reason}) and
 *   {@code POST /production/tracks/acknowledge} ({@code track_ids}, {@code notes}): one action on
 *   several tracks. With {@code "dry_run": true} nothing changes and the answer says exactly what
 *   would happen to each track ({@code plan}, {@code says}); without, the same plan is carried out
 *   and each track's result is in the answer.</li>
 * </ul>
 * An unknown track or malformed input refuses the whole request (nothing changes). Each track is
 * cancelled or acknowledged by its own verticle, as one operator command would, and audited there;
 * the bulk action is audited as one entry too.
 */
final class WorkbenchApi {

  private static final Set<String> CANCEL_FIELDS = Set.of("track_ids", "kind", "reason", "dry_run");
  private static final Set<String> ACK_FIELDS = Set.of("track_ids", "notes", "dry_run");
  private static final int MAX_TRACKS = 200;

  private final Services s;
  private final OperatorCommands commands;

  WorkbenchApi(Services s, OperatorCommands commands) {
    this.s = s;
    this.commands = commands;
  }

  void mount(Router router) {
    router.post("/api/v1/projects/:id/archive").handler(ctx -> Http.guarded(ctx, this::archive));
    router.post("/production/tracks/cancel").handler(ctx -> Http.guarded(ctx, this::cancel));
    router.post("/production/tracks/acknowledge").handler(ctx -> Http.guarded(ctx, this::acknowledge));
  }

  // --- archive --------------------------------------------------------------------------------

  private Future<JsonObject> archive(RoutingContext ctx) {
    String id = Http.id(ctx, "id");
    Http.only(Http.body(ctx), Set.of());
    String actor = Actors.of(ctx);
    Instant now = s.clock.instant();
    return s.projects.find(s.pool, id).compose(found -> {
      var p = found.orElseThrow(() -> Refusal.notFound("no project " + id));
      if (p.archivedAt() != null) {
        throw Refusal.conflict("project " + id + " is archived already (" + p.archivedAt() + "); nothing was changed")
            .with("archived_at", p.archivedAt().toString()).with("attempted", "archive");
      }
      return s.projects.archive(s.pool, id, actor, now).compose(done -> done.isPresent()
          ? Future.succeededFuture(done.get())
          : s.projects.unfinished(s.pool, id).map(open -> {
            long n = open.stream().mapToLong(e -> ((Number) e.getValue()).longValue()).sum();
            throw Refusal.conflict("project " + id + " is not finished: " + n + " track" + (n == 1 ? "" : "s") + " still "
                    + String.join(", ", open.fieldNames()) + "; only a finished project can be archived; nothing was changed")
                .with("unfinished", open).with("attempted", "archive");
          }));
    }).compose(p -> s.audit.record(s.pool, actor, "archive_project", id, new JsonObject().put("line", p.line()), now).map(v -> {
      // Its channel hears project_archived; the project selectors hear it leave.
      io.productionline.track.LiveViews.archived(s.vertx.eventBus(), p, actor, now);
      return p.toJson();
    }));
  }

  // --- bulk -----------------------------------------------------------------------------------

  /** What will happen to one track: {@code act} true when the action applies, else {@code why} not. */
  private record Step(TrackRow track, boolean act, String why, InterruptRow interrupt) {

    JsonObject toJson(String action) {
      JsonObject out = new JsonObject().put("track_id", track.id()).put("project_id", track.projectId())
          .put("document_type", track.documentType()).put("state", track.state().wire())
          .put("action", act ? action : "skip").put("why", why);
      if (interrupt != null) {
        out.put("interrupt_id", interrupt.id());
      }
      return out;
    }
  }

  private Future<JsonObject> cancel(RoutingContext ctx) {
    JsonObject body = Http.only(Http.body(ctx), CANCEL_FIELDS);
    List<String> ids = trackIds(body);
    String kindWire = Http.string(body, "kind", true, 32);
    CancelKind kind = CancelKind.parse(kindWire).orElseThrow(() -> Refusal.badRequest("kind must be one of qc_reject, redesign, permanent"));
    String reason = Http.string(body, "reason", false, 2000);
    if (reason == null || reason.isBlank()) {
      throw Refusal.badRequest("reason is required: say why these tracks are cancelled");
    }
    boolean dryRun = dryRun(body);
    String actor = Actors.of(ctx);
    return plan(ids, t -> Future.succeededFuture(t.state().terminal()
            ? new Step(t, false, "already " + t.state().wire() + ": nothing to cancel", null)
            : new Step(t, true, "cancelled (" + kind.wire() + ")" + effect(kind), null)))
        .compose(plan -> run(plan, "cancel", dryRun, actor, new JsonObject().put("kind", kind.wire()).put("reason", reason),
            "Cancel", "(" + kind.wire() + ", reason \u201c" + reason + "\u201d)",
            st -> commands.cancel(st.track().id(), kind.wire(), reason, actor)));
  }

  private static String effect(CancelKind kind) {
    return switch (kind) {
      case QC_REJECT -> "; a new track of the same document starts in its place";
      case REDESIGN -> "; the project follows the line's current definition from now on";
      case PERMANENT -> "; the document will not be produced";
    };
  }

  private Future<JsonObject> acknowledge(RoutingContext ctx) {
    JsonObject body = Http.only(Http.body(ctx), ACK_FIELDS);
    List<String> ids = trackIds(body);
    String notes = Http.string(body, "notes", false, 4000);
    boolean dryRun = dryRun(body);
    String actor = Actors.of(ctx);
    return plan(ids, t -> s.interrupts.openOfProject(s.pool, t.projectId()).map(open -> {
          Optional<InterruptRow> it = open.stream().filter(i -> i.trackId().equals(t.id())).findFirst();
          if (it.isEmpty()) {
            return new Step(t, false, "no open halt: it is " + t.state().wire(), null);
          }
          if (!"audit_review".equals(it.get().type())) {
            return new Step(t, false, "it asks " + article(it.get().type()) + " " + it.get().type() + " question: answer it in the inbox",
                it.get());
          }
          return new Step(t, true, "the halt is acknowledged and the track continues", it.get());
        }))
        .compose(plan -> run(plan, "acknowledge", dryRun, actor, new JsonObject().put("notes", notes),
            "Acknowledge & continue", notes == null || notes.isBlank() ? "" : "(notes \u201c" + notes + "\u201d)",
            st -> commands.escalate(st.interrupt().id(), notes, actor)));
  }

  private static String article(String word) {
    return "aeiou".indexOf(word.charAt(0)) >= 0 ? "an" : "a";
  }

  private static List<String> trackIds(JsonObject body) {
    Object v = body.getValue("track_ids");
    if (!(v instanceof JsonArray a) || a.isEmpty() || a.size() > MAX_TRACKS) {
      throw Refusal.badRequest("track_ids must be an array of 1 to " + MAX_TRACKS + " track ids");
    }
    Set<String> ids = new LinkedHashSet<>();
    for (Object o : a) {
      if (!(o instanceof String id) || !Http.ID.matcher(id).matches()) {
        throw Refusal.badRequest("track_ids must hold track ids (strings)");
      }
      if (!ids.add(id)) {
        throw Refusal.badRequest("track " + id + " is named twice in track_ids");
      }
    }
    return List.copyOf(ids);
  }

  private static boolean dryRun(JsonObject body) {
    Object v = body.getValue("dry_run", false);
    if (!(v instanceof Boolean b)) {
      throw Refusal.badRequest("dry_run must be true or false");
    }
    return b;
  }

  /** Reads every track (an unknown one refuses the request) and decides each one's step. */
  private Future<List<Step>> plan(List<String> ids, Function<TrackRow, Future<Step>> decide) {
    List<Step> out = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (String id : ids) {
      chain = chain.compose(v -> s.tracks.find(s.pool, id)).compose(t -> t.isEmpty()
          ? Future.failedFuture(Refusal.notFound("no track " + id + "; nothing was changed").with("track_id", id))
          : decide.apply(t.get()).map(step -> {
            out.add(step);
            return null;
          }));
    }
    return chain.map(v -> out);
  }

  /**
   * Answers the plan ({@code dry_run}) or carries it out, track after track; a track that moved on
   * meanwhile is refused by its verticle, and that refusal is its result.
   */
  private Future<JsonObject> run(List<Step> plan, String action, boolean dryRun, String actor, JsonObject detail, String verb,
                                 String how, Function<Step, Future<JsonObject>> act) {
    JsonArray steps = new JsonArray();
    plan.forEach(st -> steps.add(st.toJson(action)));
    List<Step> acting = plan.stream().filter(Step::act).toList();
    String says = says(plan, acting, verb, how);
    JsonObject out = new JsonObject().put("action", action).put("dry_run", dryRun).put("plan", steps)
        .put("will_change", acting.size()).put("skipped", plan.size() - acting.size()).put("says", says);
    if (dryRun) {
      return Future.succeededFuture(out);
    }
    JsonArray results = new JsonArray();
    Future<Void> chain = Future.succeededFuture();
    for (Step st : acting) {
      chain = chain.compose(v -> act.apply(st)
          .map(r -> new JsonObject().put("track_id", st.track().id()).put("done", true))
          .recover(e -> {
            Refusal r = Refusal.of(e);
            return Future.succeededFuture(new JsonObject().put("track_id", st.track().id()).put("done", false)
                .put("status", r.status()).put("detail", r.body().getString("detail")));
          })
          .map(r -> {
            results.add(r);
            return null;
          }));
    }
    Instant now = s.clock.instant();
    return chain.compose(v -> s.audit.record(s.pool, actor, "bulk_" + action, null, detail.copy()
            .put("track_ids", new JsonArray(acting.stream().map(st -> st.track().id()).toList())).put("results", results), now))
        .map(v -> out.put("results", results)
            .put("done", results.stream().filter(r -> ((JsonObject) r).getBoolean("done")).count()));
  }

  /** The plan in one sentence: what changes, to which documents, and what is skipped and why. */
  private static String says(List<Step> plan, List<Step> acting, String verb, String how) {
    StringBuilder b = new StringBuilder();
    if (acting.isEmpty()) {
      b.append("Nothing will change.");
    } else {
      b.append(verb).append(' ').append(acting.size()).append(acting.size() == 1 ? " track" : " tracks");
      if (!how.isEmpty()) {
        b.append(' ').append(how);
      }
      b.append(": ").append(String.join(", ", acting.stream().map(st -> st.track().documentType() + " (" + st.track().projectId() + ")").toList()))
          .append('.');
    }
    for (Step st : plan) {
      if (!st.act()) {
        b.append(" Skipped: ").append(st.track().documentType()).append(" (").append(st.track().projectId()).append("), ")
            .append(st.why()).append('.');
      }
    }
    return b.toString();
  }
}
