package io.productionline.web;

import io.productionline.store.TaskStatus;
import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.events.Addresses;
import io.productionline.events.Broadcast;
import io.productionline.executor.ExecutorInfo;
import io.productionline.store.RunRepository;
import io.productionline.store.RunRepository.Cursor;
import io.productionline.store.RunRepository.Filter;
import io.productionline.store.RunRepository.Sort;
import io.productionline.work.WorkService;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Runs across projects and who holds what:
 * <ul>
 *   <li>{@code GET /api/v1/runs}: station runs filtered by status, project, document type, station,
 *   executor and creation time, in one of four orders, a page at a time with a cursor;
 *   {@code ?stream=true} is the same filter live (SSE): every run that changes and matches, as the
 *   list shows it;</li>
 *   <li>{@code POST /api/v1/runs/{task}/reserve}: an operator reserves a queued task for a named
 *   executor, for a while; only that executor's claim takes it meanwhile;</li>
 *   <li>{@code POST /api/v1/runs/{task}/release}: an operator ends a reservation, or hands a claimed
 *   task back to the queue (its lease is void);</li>
 *   <li>{@code GET /api/v1/assignments}: every claimed task and every reservation, by executor.</li>
 * </ul>
 * Reservations and releases are in the audit log and announced on the project's address.
 */
final class RunsApi {

  static final Set<String> STATUSES = java.util.Arrays.stream(TaskStatus.values()).map(TaskStatus::wire)
      .collect(java.util.stream.Collectors.toUnmodifiableSet());
  private static final Set<String> RESERVE_FIELDS = Set.of("executor_id", "ttl_seconds");
  private static final Set<String> RELEASE_FIELDS = Set.of("reason");
  private static final int DEFAULT_RESERVE_SECONDS = 1800;

  private final Services s;
  private final WorkService work;
  private final RunRepository runs = new RunRepository();

  RunsApi(Services s, WorkService work) {
    this.s = s;
    this.work = work;
  }

  void mount(Router router) {
    router.get("/api/v1/runs").handler(ctx -> {
      if ("true".equals(ctx.queryParams().get("stream"))) {
        stream(ctx);
      } else {
        Http.guarded(ctx, this::list);
      }
    });
    router.post("/api/v1/runs/:task/reserve").handler(ctx -> Http.guarded(ctx, this::reserve));
    router.post("/api/v1/runs/:task/release").handler(ctx -> Http.guarded(ctx, this::release));
    router.get("/api/v1/assignments").handler(ctx -> Http.guarded(ctx, c -> runs.assignments(s.reads, s.clock.instant())
        .map(RunsApi::assignments)));
  }

  // --- the runs list --------------------------------------------------------------------------

  static Filter filter(RoutingContext ctx) {
    String status = ctx.queryParams().get("status");
    if (status != null && !status.isEmpty() && !STATUSES.contains(status)) {
      throw Refusal.badRequest("status must be one of " + String.join(", ", STATUSES.stream().sorted().toList()));
    }
    Instant from = instant(ctx, "from");
    Instant to = instant(ctx, "to");
    if (from != null && to != null && !from.isBefore(to)) {
      throw Refusal.badRequest("from must be before to");
    }
    return new Filter(status == null || status.isEmpty() ? null : status, Http.query(ctx, "project", false),
        Http.query(ctx, "document_type", false), Http.query(ctx, "station", false), Http.query(ctx, "executor", false), from, to);
  }

  private static Instant instant(RoutingContext ctx, String name) {
    String v = ctx.queryParams().get(name);
    if (v == null || v.isEmpty()) {
      return null;
    }
    try {
      return Instant.parse(v);
    } catch (DateTimeParseException e) {
      throw Refusal.badRequest("query parameter " + name + " must be an ISO-8601 instant such as 2026-12-05T04:00:00Z");
    }
  }

  private Future<JsonObject> list(RoutingContext ctx) {
    Filter f = filter(ctx);
    String sortParam = ctx.queryParams().get("sort");
    Sort sort = sortParam == null || sortParam.isEmpty() ? Sort.CREATED_AT_DESC : Sort.parse(sortParam).orElseThrow(() ->
        Refusal.badRequest("sort must be one of created_at, -created_at, completed_at, -completed_at"));
    int limit = Http.intQuery(ctx, "limit", 50, 1, 500);
    Cursor after = cursor(ctx.queryParams().get("cursor"));
    return runs.list(s.reads, f, sort, after, limit).map(page -> new JsonObject()
        .put("runs", page.runs()).put("count", page.runs().size()).put("sort", sort.wire)
        .put("next_cursor", page.next() == null ? null : encode(page.next())));
  }

  static String encode(Cursor c) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString((c.key() + "|" + c.id()).getBytes(StandardCharsets.UTF_8));
  }

  static Cursor cursor(String value) {
    if (value == null || value.isEmpty()) {
      return null;
    }
    try {
      String text = new String(Base64.getUrlDecoder().decode(value), StandardCharsets.UTF_8);
      int bar = text.indexOf('|');
      String id = text.substring(bar + 1);
      if (bar < 0 || !Http.ID.matcher(id).matches()) {
        throw new IllegalArgumentException();
      }
      return new Cursor(Instant.parse(text.substring(0, bar)), id);
    } catch (IllegalArgumentException | DateTimeParseException | StringIndexOutOfBoundsException e) {
      throw Refusal.badRequest("cursor is not one this server gave (take next_cursor of the page before)");
    }
  }

  /**
   * The runs of a filter, live: an event of any project (or an executor's status) names tasks and
   * tracks; at most four times a second the runs they touch that pass the filter are read and sent
   * as {@code run} events, each the run as the list shows it.
   */
  private void stream(RoutingContext ctx) {
    Filter f;
    try {
      f = filter(ctx);
    } catch (RuntimeException e) {
      ctx.fail(e);
      return;
    }
    HttpServerResponse res = ctx.response().setChunked(true).putHeader("Content-Type", "text/event-stream")
        .putHeader("Cache-Control", "no-cache").putHeader("X-Accel-Buffering", "no");
    Sse.comment(res, "runs, live");
    Set<String> tasks = new LinkedHashSet<>();
    Set<String> tracks = new LinkedHashSet<>();
    long[] timer = {-1};
    Runnable flush = () -> {
      timer[0] = -1;
      List<String> taskIds = new ArrayList<>(tasks);
      List<String> trackIds = new ArrayList<>(tracks);
      tasks.clear();
      tracks.clear();
      changed(f, taskIds, trackIds).onSuccess(list -> list.forEach(run -> Sse.write(res, null, "run", run)));
    };
    io.vertx.core.Handler<JsonObject> heard = e -> {
      String task = e.getString("task_id", e.getString("current_task"));
      if (task != null) {
        tasks.add(task);
      }
      if (e.getString("track_id") != null) {
        tracks.add(e.getString("track_id"));
      }
      if ((task != null || e.getString("track_id") != null) && timer[0] < 0) {
        timer[0] = s.vertx.setTimer(250, t -> flush.run());
      }
    };
    LiveView.hear(s, res, heard, timer);
  }

  /** The runs of these tasks and tracks that pass the filter. */
  private Future<List<JsonObject>> changed(Filter f, List<String> taskIds, List<String> trackIds) {
    Future<List<String>> ofTracks = trackIds.isEmpty() ? Future.succeededFuture(List.of())
        : s.tasks.viewOfTracks(s.reads, trackIds).map(rows -> rows.stream().map(t -> t.id()).toList());
    return ofTracks.compose(more -> {
      Set<String> ids = new LinkedHashSet<>(taskIds);
      ids.addAll(more);
      return ids.isEmpty() ? Future.succeededFuture(List.<String>of()) : runs.matching(s.reads, f, List.copyOf(ids));
    }).compose(ids -> ids.isEmpty() ? Future.succeededFuture(List.of()) : runs.byIds(s.reads, ids));
  }

  // --- assignment -----------------------------------------------------------------------------

  private Future<JsonObject> reserve(RoutingContext ctx) {
    String task = Http.id(ctx, "task");
    JsonObject body = Http.only(Http.body(ctx), RESERVE_FIELDS);
    String executor = Http.string(body, "executor_id", true, 128);
    if (!ExecutorInfo.ID.matcher(executor).matches()) {
      throw Refusal.badRequest("executor_id must match " + ExecutorInfo.ID.pattern());
    }
    Object ttl = body.getValue("ttl_seconds", DEFAULT_RESERVE_SECONDS);
    if (!(ttl instanceof Integer seconds) || seconds < 10 || seconds > 86_400) {
      throw Refusal.badRequest("ttl_seconds must be a whole number from 10 to 86400");
    }
    String actor = Actors.of(ctx);
    Instant now = s.clock.instant();
    Instant until = now.plusSeconds((Integer) ttl);
    return s.tasks.findForHolder(s.pool, task).compose(found -> {
      var t = found.orElseThrow(() -> Refusal.notFound("no station task " + task));
      if (t.status() != TaskStatus.QUEUED) {
        throw Refusal.conflict("task " + task + " is " + t.status() + ", not queued: only a queued task can be reserved; nothing was changed")
            .with("current_state", t.status().wire()).with("attempted", "reserve");
      }
      return work.executors().get(executor).map(e -> {
        JsonObject info = e.orElseThrow(() -> Refusal.notFound("no executor " + executor + " is registered"));
        JsonArray caps = info.getJsonArray("capabilities", new JsonArray());
        if (!caps.contains(t.capability())) {
          throw Refusal.conflict("executor " + executor + " cannot do " + t.capability() + " (it offers " + caps.encode()
              + "); nothing was changed").with("capability", t.capability());
        }
        return t;
      });
    }).compose(t -> runs.reserve(s.pool, task, executor, until, actor)).compose(r -> {
      JsonObject run = r.orElseThrow(() -> Refusal.conflict("task " + task + " was claimed meanwhile; nothing was changed"));
      JsonObject detail = new JsonObject().put("executor_id", executor).put("reserved_until", until.toString())
          .put("project_id", run.getString("project_id")).put("track_id", run.getString("track_id"));
      return s.audit.record(s.pool, actor, "reserve_task", task, detail, now).map(v -> {
        announce(run, "task_reserved", detail.copy().put("by", actor));
        // Wakes the long-polling claims: the executor it is for may be waiting.
        s.vertx.eventBus().publish(Addresses.WORK_AVAILABLE, new JsonObject().put("task_id", task));
        return run;
      });
    });
  }

  private Future<JsonObject> release(RoutingContext ctx) {
    String task = Http.id(ctx, "task");
    JsonObject body = Http.only(Http.body(ctx), RELEASE_FIELDS);
    String reason = Http.string(body, "reason", false, 2000);
    String actor = Actors.of(ctx);
    Instant now = s.clock.instant();
    return s.tasks.findForHolder(s.pool, task).compose(found -> {
      var t = found.orElseThrow(() -> Refusal.notFound("no station task " + task));
      return runs.release(s.pool, task, now, actor, reason).map(r -> r.orElseThrow(() -> Refusal.conflict("task " + task + " is " + t.status()
              + " and reserved for nobody: there is nothing to release; nothing was changed")
          .with("current_state", t.status().wire()).with("attempted", "release")));
    }).compose(r -> {
      JsonObject detail = new JsonObject().put("was", r.was()).put("held_by", r.heldBy()).put("reserved_for", r.wasReservedFor())
          .put("project_id", r.projectId()).put("track_id", r.trackId()).put("reason", reason);
      return s.audit.record(s.pool, actor, "release_task", task, detail, now)
          .compose(v -> "claimed".equals(r.was()) && r.heldBy() != null
              ? work.executors().setStatus(r.heldBy(), "idle", null).recover(e -> Future.succeededFuture())
              : Future.succeededFuture())
          .compose(v -> runs.byIds(s.pool, List.of(task)))
          .map(list -> {
            JsonObject run = list.get(0);
            announce(run, "task_released", detail.copy().put("by", actor));
            s.vertx.eventBus().publish(Addresses.WORK_AVAILABLE, new JsonObject().put("task_id", task));
            return run.put("released", true).put("was", r.was()).put("held_by", r.heldBy()).put("was_reserved_for", r.wasReservedFor());
          });
    });
  }

  private void announce(JsonObject run, String type, JsonObject detail) {
    Broadcast.publish(s.vertx.eventBus(), Addresses.project(run.getString("project_id")), detail.copy().put("type", type)
        .put("task_id", run.getString("task_id")).put("track_id", run.getString("track_id"))
        .put("document_type", run.getString("document_type")).put("station", run.getString("station"))
        .put("at", s.clock.instant().toString()));
  }

  private static JsonObject assignments(List<JsonObject> rows) {
    JsonArray held = new JsonArray();
    JsonArray reserved = new JsonArray();
    JsonObject byExecutor = new JsonObject();
    for (JsonObject r : rows) {
      boolean claimed = "claimed".equals(r.getString("status"));
      (claimed ? held : reserved).add(r);
      String who = claimed ? r.getString("executor_id") : r.getString("reserved_for");
      JsonObject e = byExecutor.getJsonObject(who);
      if (e == null) {
        e = new JsonObject().put("holds", new JsonArray()).put("reserved", new JsonArray());
        byExecutor.put(who, e);
      }
      e.getJsonArray(claimed ? "holds" : "reserved").add(r.getString("task_id"));
    }
    return new JsonObject().put("held", held).put("reserved", reserved).put("by_executor", byExecutor);
  }
}
