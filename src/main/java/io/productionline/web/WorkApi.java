package io.productionline.web;

import io.productionline.store.TaskStatus;
import io.productionline.track.StationReport;
import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.auth.Caller;
import io.productionline.auth.Role;
import io.productionline.events.Addresses;
import io.productionline.executor.ExecutorInfo;
import io.productionline.store.TaskRow;
import io.productionline.track.ProductionView;
import io.productionline.work.WorkService;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Executors and their work (see {@code docs/executors.md}): register, heartbeat, leave, claim
 * (long-poll), progress, events, artifacts, complete, release; task logs (JSON or SSE) and
 * artifacts for readers. An executor's token names the one executor it may act as ({@link Guard}
 * checks ids in the path and query); here a registration must be for that executor, and a task
 * call must come from the task's holder, with the lease token.
 */
final class WorkApi {

  private static final Set<String> HEARTBEAT_FIELDS = Set.of("status", "current_task", "tasks");
  private static final Set<String> PROGRESS_FIELDS = Set.of("lease_token", "progress", "message");
  private static final Set<String> EVENTS_FIELDS = Set.of("lease_token", "events");
  private static final Set<String> ARTIFACTS_FIELDS = Set.of("lease_token", "artifacts");
  private static final Set<String> RELEASE_FIELDS = Set.of("lease_token", "reason");
  private static final Set<String> BATCH_FIELDS = Set.of("completions");

  private final Services s;
  private final WorkService work;
  private final ProductionView view;
  private final Schemas schemas;
  private final int maxWaitSeconds;
  private final io.productionline.store.RunRepository runs = new io.productionline.store.RunRepository();

  WorkApi(Services s, WorkService work, ProductionView view, Schemas schemas) {
    this.s = s;
    this.schemas = schemas;
    this.work = work;
    this.view = view;
    this.maxWaitSeconds = s.config.getJsonObject("work", new JsonObject()).getInteger("long_poll_max_seconds", 30);
  }

  void mount(Router router) {
    router.route("/api/v1/executors*").handler(this::whileLeaseHeld);
    router.route("/api/v1/work/*").handler(this::whileLeaseHeld);
    router.post("/api/v1/executors").handler(ctx -> {
      ExecutorInfo info;
      List<String> inHand;
      try {
        JsonObject body = schemas.check(Schemas.REGISTER, Http.body(ctx));
        info = ExecutorInfo.from(body);
        inHand = inHand(body);
        Caller caller = Guard.caller(ctx);
        if (!caller.actsAs(info.id())) {
          throw Guard.forbidden("this token is for executor " + caller.executorId() + "; it may not register " + info.id());
        }
      } catch (RuntimeException e) {
        ctx.fail(e);
        return;
      }
      Http.reply(ctx, 201, work.register(info, inHand));
    });
    router.get("/api/v1/executors").handler(ctx -> Http.guarded(ctx, c -> view.floor()
        .map(floor -> floor.put("parked_claims", work.parkedClaims()))));
    router.get("/api/v1/executors/:id").handler(ctx -> Http.guarded(ctx, c -> {
      String id = Http.id(c, "id");
      return work.executors().get(id).map(e -> e.orElseThrow(() -> Refusal.notFound("no executor " + id)));
    }));
    router.delete("/api/v1/executors/:id").handler(ctx -> Http.guarded(ctx, c -> {
      String id = Http.id(c, "id");
      Caller caller = Guard.caller(c);
      // An executor leaving is its own business; an admin taking one off the line is an admin action.
      return work.leave(id).compose(view -> caller.is(Role.ADMIN)
          ? s.audit.record(s.pool, caller.subject(), "remove_executor", id, new JsonObject(), s.clock.instant()).map(view)
          : Future.succeededFuture(view));
    }));
    router.post("/api/v1/executors/:id/heartbeat").handler(ctx -> Http.guarded(ctx, c -> {
      JsonObject body = Http.only(Http.body(c), HEARTBEAT_FIELDS);
      String status = Http.string(body, "status", false, 16);
      if (status != null && !Set.of("idle", "busy").contains(status)) {
        throw Refusal.badRequest("status must be idle or busy");
      }
      return work.heartbeat(Http.id(c, "id"), status, Http.string(body, "current_task", false, 128), inHand(body));
    }));
    router.get("/api/v1/work/next").handler(this::next);
    router.post("/api/v1/work/:task/progress").handler(ctx -> Http.guarded(ctx, c -> {
      JsonObject body = Http.only(Http.body(c), PROGRESS_FIELDS);
      Object p = body.getValue("progress");
      if (p != null && !(p instanceof Number)) {
        throw Refusal.badRequest("progress must be a number between 0.0 and 1.0");
      }
      return work.progress(Http.id(c, "task"), token(c, body), holder(c), p == null ? null : ((Number) p).doubleValue(),
          Http.string(body, "message", false, 2000), idempotencyKey(c));
    }));
    router.post("/api/v1/work/:task/events").handler(ctx -> Http.guarded(ctx, c -> {
      JsonObject body = Http.only(Http.body(c), EVENTS_FIELDS);
      Object events = body.getValue("events");
      if (!(events instanceof JsonArray a)) {
        throw Refusal.badRequest("events must be an array of log lines");
      }
      return work.logs(Http.id(c, "task"), token(c, body), holder(c), a);
    }));
    router.post("/api/v1/work/:task/artifacts").handler(ctx -> Http.guarded(ctx, c -> {
      JsonObject body = Http.only(Http.body(c), ARTIFACTS_FIELDS);
      Object artifacts = body.getValue("artifacts");
      if (!(artifacts instanceof JsonArray a)) {
        throw Refusal.badRequest("artifacts must be an array");
      }
      return work.artifacts(Http.id(c, "task"), token(c, body), holder(c), a);
    }));
    router.post("/api/v1/work/complete").handler(this::completeAll);
    router.post("/api/v1/work/:task/complete").handler(ctx -> Http.guarded(ctx, c -> {
      JsonObject body = schemas.check(Schemas.COMPLETE, Http.body(c));
      String token = token(c, body);
      StationReport report = StationReport.of(body);
      JsonArray artifacts = body.getJsonArray("artifacts");
      // ?next=S: the executor's next claim rides on its completion (waiting up to S seconds), one call per station.
      Integer next = c.queryParams().contains("next") ? Http.intQuery(c, "next", 0, 0, maxWaitSeconds) : null;
      if (next == null) {
        return work.complete(Http.id(c, "task"), token, holder(c), report, artifacts, idempotencyKey(c));
      }
      return work.completeThenClaim(Http.id(c, "task"), token, holder(c), report, artifacts, idempotencyKey(c), Duration.ofSeconds(next), gone(c))
          .map(chained -> chained.reply().put("next", claimed(c, chained.next())));
    }));
    router.post("/api/v1/work/:task/release").handler(ctx -> Http.guarded(ctx, c -> {
      JsonObject body = Http.only(Http.body(c), RELEASE_FIELDS);
      return work.release(Http.id(c, "task"), token(c, body), holder(c), Http.string(body, "reason", false, 500));
    }));
    router.get("/api/v1/runs/:task").handler(ctx -> Http.guarded(ctx, c -> {
      String task = Http.id(c, "task");
      return readable(c, task).map(TaskRow::toJson);
    }));
    router.get("/api/v1/runs/:task/logs").handler(this::logs);
    router.get("/api/v1/runs/:task/artifacts/:name").handler(this::download);
    router.get("/api/v1/runs/:task/artifacts").handler(ctx -> Http.guarded(ctx, c -> {
      String task = Http.id(c, "task");
      return readable(c, task).compose(t -> s.tasks.artifactsOfTask(s.pool, task, true)
          .map(a -> new JsonObject().put("task_id", task).put("artifacts", a)));
    }));
    router.get("/api/v1/tracks/:id/artifacts").handler(ctx -> Http.guarded(ctx, c -> {
      String track = Http.id(c, "id");
      Caller caller = Guard.caller(c);
      return s.tracks.find(s.pool, track).compose(t -> t.isEmpty()
              ? Future.failedFuture(Refusal.notFound("no track " + track))
              : caller.is(Role.EXECUTOR) ? holdsTaskOf(caller, track) : Future.succeededFuture())
          .compose(v -> s.tasks.artifactsOfTrack(s.pool, track, true))
          .map(a -> new JsonObject().put("track_id", track).put("artifacts", a));
    }));
  }

  /**
   * {@code POST /api/v1/work/complete}: several completions of the caller's tasks in one call,
   * {@code {"completions": [{"task_id", "lease_token", "outcome", …}, …]}} (1 to
   * {@link WorkService#MAX_BATCH}), each answered in {@code results} as its own call would be
   * ({@code task_id}, {@code status}, {@code body}): an item refused (400, 403, 404, 409) refuses
   * only itself. A body that is not such a list is 400 and completes nothing. {@code ?next=S}
   * claims the executor's next tasks with it, up to {@code max} (default: one per item), when at
   * least one item completed.
   */
  private void completeAll(RoutingContext ctx) {
    Http.guarded(ctx, c -> {
      JsonObject body = Http.only(Http.body(c), BATCH_FIELDS);
      if (!(body.getValue("completions") instanceof JsonArray items) || items.isEmpty() || items.size() > WorkService.MAX_BATCH) {
        throw Refusal.badRequest("completions must be an array of 1 to " + WorkService.MAX_BATCH + " completions, "
            + "each {\"task_id\", \"lease_token\", \"outcome\", …}");
      }
      Integer next = c.queryParams().contains("next") ? Http.intQuery(c, "next", 0, 0, maxWaitSeconds) : null;
      int max = Http.intQuery(c, "max", items.size(), 1, WorkService.MAX_BATCH);
      if (next == null && c.queryParams().contains("max")) {
        throw Refusal.badRequest("query parameter max is taken only with next (the tasks to claim with the completions)");
      }
      List<WorkService.Completion> completions = new ArrayList<>();
      Set<String> seen = new java.util.HashSet<>();
      for (int i = 0; i < items.size(); i++) {
        completions.add(item(items.getValue(i), i, seen));
      }
      if (next == null) {
        return work.completeAll(holder(c), completions).map(results -> new JsonObject().put("results", new JsonArray(results)));
      }
      return work.completeAllThenClaim(holder(c), completions, max, Duration.ofSeconds(next), gone(c))
          .map(chained -> new JsonObject().put("results", new JsonArray(chained.results())).put("next", claimed(c, chained.next(), true)));
    });
  }

  /** Item {@code i} of a batch of completions, checked as the single call checks its body; a refused item carries its refusal. */
  private WorkService.Completion item(Object value, int i, Set<String> seen) {
    String taskId = value instanceof JsonObject o && o.getValue("task_id") instanceof String id && Http.ID.matcher(id).matches()
        ? id : null;
    try {
      if (!(value instanceof JsonObject o)) {
        throw Refusal.badRequest("completions[" + i + "] must be a JSON object");
      }
      if (taskId == null) {
        throw Refusal.badRequest("completions[" + i + "].task_id must be a task's id");
      }
      if (!seen.add(taskId)) {
        throw Refusal.badRequest("completions[" + i + "]: task " + taskId + " is in this batch twice");
      }
      JsonObject report = o.copy();
      report.remove("task_id");
      schemas.check(Schemas.COMPLETE, report);
      String token = Http.string(report, "lease_token", true, 256);
      return new WorkService.Completion(taskId, token, StationReport.of(report), report.getJsonArray("artifacts"), null);
    } catch (Refusal r) {
      return new WorkService.Completion(taskId, null, null, null, r);
    }
  }

  /** The executor a task call must come from: the caller's own id (the guard lets only executors call). */
  private static String holder(RoutingContext ctx) {
    return Guard.caller(ctx).executorId();
  }

  /**
   * A task the caller may read: any, for a reader; for an executor, only one it holds or held
   * (another executor's task is 403, as is one that went back to the queue).
   */
  private Future<TaskRow> readable(RoutingContext ctx, String taskId) {
    Caller caller = Guard.caller(ctx);
    return s.tasks.find(s.pool, taskId).map(found -> {
      TaskRow t = found.orElseThrow(() -> Refusal.notFound("no station task " + taskId));
      if (caller.is(Role.EXECUTOR) && !caller.executorId().equals(t.executorId())) {
        throw Guard.forbidden("task " + taskId + " is not held by executor " + caller.executorId());
      }
      return t;
    });
  }

  /**
   * An executor reads a track's artifacts (what earlier stations handed in, its step's inputs) only
   * while it holds a task of that track.
   */
  private Future<Void> holdsTaskOf(Caller caller, String trackId) {
    return s.tasks.ofTrack(s.pool, trackId).compose(tasks -> tasks.stream()
            .anyMatch(t -> t.status() == TaskStatus.CLAIMED && caller.executorId().equals(t.executorId()))
        ? Future.succeededFuture()
        : Future.failedFuture(Guard.forbidden("executor " + caller.executorId() + " holds no task of track " + trackId)));
  }

  private static String token(RoutingContext ctx, JsonObject body) {
    String header = ctx.request().getHeader("X-Lease-Token");
    String token = header != null ? header : Http.string(body, "lease_token", false, 256);
    if (token == null) {
      throw Refusal.badRequest("lease_token (or the X-Lease-Token header) is required");
    }
    return token;
  }

  /** The {@code Idempotency-Key} header, checked; null when absent. */
  static String idempotencyKey(RoutingContext ctx) {
    String key = ctx.request().getHeader("Idempotency-Key");
    if (key != null && (key.isEmpty() || key.length() > 200 || !key.chars().allMatch(ch -> ch > 32 && ch < 127))) {
      throw Refusal.badRequest("Idempotency-Key must be 1 to 200 visible ASCII characters");
    }
    return key;
  }

  /**
   * {@code GET /api/v1/work/next}: one task ({@code task}), or with {@code max=K} up to K
   * ({@code tasks}, 1 to {@link WorkService#MAX_BATCH}), each with a lease of its own.
   */
  private void next(RoutingContext ctx) {
    String executorId;
    int wait;
    Integer max;
    try {
      executorId = Http.query(ctx, "executor_id", true);
      wait = Http.intQuery(ctx, "wait", 0, 0, maxWaitSeconds);
      max = ctx.queryParams().contains("max") ? Http.intQuery(ctx, "max", 1, 1, WorkService.MAX_BATCH) : null;
    } catch (RuntimeException e) {
      ctx.fail(e);
      return;
    }
    Future<JsonObject> claimed = max == null ? claimFor(ctx, executorId, wait)
        : work.claim(executorId, Duration.ofSeconds(wait), null, max, gone(ctx)).map(tasks -> claimed(ctx, tasks, true));
    claimed.onSuccess(answer -> {
      if (!ctx.response().closed()) {
        Http.json(ctx, 200, answer);
      }
    }).onFailure(ctx::fail);
  }

  /**
   * A claim for {@code executorId} answered on {@code ctx}: {@code assigned} and the {@code task}.
   * When the client has gone before the answer, a task it was given goes back to the queue.
   */
  private Future<JsonObject> claimFor(RoutingContext ctx, String executorId, int wait) {
    return work.claim(executorId, Duration.ofSeconds(wait), null, gone(ctx)).map(task -> claimed(ctx, task));
  }

  /** Completes when the client of {@code ctx} goes away. */
  private static Future<Void> gone(RoutingContext ctx) {
    Promise<Void> gone = Promise.promise();
    ctx.response().closeHandler(v -> gone.tryComplete());
    return gone.future();
  }

  /** A claim's answer; a task given to a client that has gone goes back to the queue. */
  private JsonObject claimed(RoutingContext ctx, Optional<JsonObject> task) {
    return claimed(ctx, task.stream().toList(), false);
  }

  /** A claim's answer: {@code task} (or, {@code many}, all of them as {@code tasks}); tasks given to a client that has gone go back. */
  private JsonObject claimed(RoutingContext ctx, List<JsonObject> tasks, boolean many) {
    if (ctx.response().closed()) {
      tasks.forEach(t -> work.handBack(t, "its executor left before the reply"));
    }
    JsonObject answer = new JsonObject().put("assigned", !tasks.isEmpty());
    return many ? answer.put("tasks", new JsonArray(tasks)) : tasks.isEmpty() ? answer : answer.put("task", tasks.get(0));
  }

  /**
   * Logs of a task as JSON, or as SSE ({@code stream=true}): the stored lines (after
   * {@code Last-Event-ID} or {@code ?after=}), then live ones, each with its id; an {@code end}
   * event closes the stream when the task is finished.
   */
  private void logs(RoutingContext ctx) {
    String task;
    long after;
    try {
      task = Http.id(ctx, "task");
      String from = ctx.request().getHeader("Last-Event-ID") != null ? ctx.request().getHeader("Last-Event-ID") : ctx.queryParams().get("after");
      after = from == null || from.isBlank() ? 0 : Long.parseLong(from.trim());
      if (after < 0) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      ctx.fail(Refusal.badRequest("Last-Event-ID (or after) must be a log line id, a whole number"));
      return;
    } catch (RuntimeException e) {
      ctx.fail(e);
      return;
    }
    boolean stream = "true".equals(ctx.queryParams().get("stream"));
    LogFilter filter;
    try {
      filter = LogFilter.of(ctx);
    } catch (RuntimeException e) {
      ctx.fail(e);
      return;
    }
    readable(ctx, task).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      if (!stream) {
        Http.guarded(ctx, c -> page(c, task, after, filter, ar.result().status().wire()));
        return;
      }
      streamLogs(ctx, task, after, filter);
    });
  }

  /**
   * Which lines of a log a reader asks for: {@code level} (comma-separated levels) and
   * {@code contains} (a text, any case); null each when not asked. {@link #matches} is the rule the
   * SQL of {@code RunRepository.logs} applies, for the lines a stream hears live.
   */
  record LogFilter(List<String> levels, String contains) {

    static LogFilter of(RoutingContext ctx) {
      String level = ctx.queryParams().get("level");
      List<String> levels = null;
      if (level != null && !level.isEmpty()) {
        levels = List.of(level.split(","));
        if (levels.size() > 10 || levels.stream().anyMatch(l -> !Http.ID.matcher(l).matches() || l.length() > 16)) {
          throw Refusal.badRequest("level must be a comma-separated list of levels such as info,warn");
        }
      }
      String contains = ctx.queryParams().get("contains");
      if (contains != null && (contains.isEmpty() || contains.length() > 200)) {
        throw Refusal.badRequest("contains must be 1 to 200 characters");
      }
      return new LogFilter(levels, contains);
    }

    boolean matches(JsonObject line) {
      return (levels == null || levels.contains(line.getString("level")))
          && (contains == null || String.valueOf(line.getString("message")).toLowerCase(java.util.Locale.ROOT)
              .contains(contains.toLowerCase(java.util.Locale.ROOT)));
    }
  }

  /**
   * A page of a task's log for the run view, narrowed by {@link LogFilter} and {@code limit} (1 to
   * 10,000). Forward from {@code after} (the default: from the first line): {@code next_after} is
   * the id to ask after for the next page and {@code more} says whether there is one. Backward with
   * {@code before=<id>}, or {@code tail=true} for the latest lines: the {@code limit} matching lines
   * before it, oldest first, {@code earlier} saying whether more lie before them and
   * {@code first_id} the id to ask before for them; {@code next_after} is where a live stream of the
   * same filter goes on. {@code levels} counts all the task's lines by level.
   */
  private Future<JsonObject> page(RoutingContext ctx, String task, long after, LogFilter filter, String status) {
    int limit = Http.intQuery(ctx, "limit", 10_000, 1, 10_000);
    String beforeParam = ctx.queryParams().get("before");
    boolean tail = "true".equals(ctx.queryParams().get("tail"));
    Long before = null;
    if (beforeParam != null && !beforeParam.isEmpty()) {
      try {
        before = Long.parseLong(beforeParam.trim());
      } catch (NumberFormatException e) {
        before = -1L;
      }
      if (before < 1) {
        throw Refusal.badRequest("before must be a log line id, a whole number from 1");
      }
      if (tail) {
        throw Refusal.badRequest("before and tail=true exclude each other: tail asks for the latest lines, before for the lines before an id");
      }
    } else if (tail) {
      before = Long.MAX_VALUE;
    }
    if (before != null && after > 0) {
      throw Refusal.badRequest("after pages forward and before (or tail=true) backward: ask with one of them");
    }
    Future<JsonObject> counts = runs.logLevels(s.reads, task);
    if (before != null) {
      Future<JsonArray> lines = runs.logsBefore(s.reads, task, before, filter.levels(), filter.contains(), limit);
      return Future.all(lines, counts).map(all -> {
        JsonArray l = lines.result();
        return new JsonObject().put("task_id", task).put("task_status", status).put("logs", l)
            .put("first_id", l.isEmpty() ? null : l.getJsonObject(0).getLong("id")).put("earlier", l.size() == limit)
            .put("next_after", l.isEmpty() ? 0L : l.getJsonObject(l.size() - 1).getLong("id")).put("levels", counts.result());
      });
    }
    Future<JsonArray> lines = runs.logs(s.reads, task, after, filter.levels(), filter.contains(), limit);
    return Future.all(lines, counts).map(all -> {
      JsonArray l = lines.result();
      long last = l.isEmpty() ? after : l.getJsonObject(l.size() - 1).getLong("id");
      return new JsonObject().put("task_id", task).put("task_status", status).put("logs", l)
          .put("next_after", last).put("more", l.size() == limit).put("levels", counts.result());
    });
  }

  /**
   * One artifact as a file: its content with its content type (a file artifact decoded from base64),
   * as an attachment, never sniffed nor run as a page of this site; a URL artifact is a redirect.
   */
  private void download(RoutingContext ctx) {
    String task;
    String name;
    try {
      task = Http.id(ctx, "task");
      name = ctx.pathParam("name");
      if (name == null || name.isEmpty() || name.length() > 200 || name.contains("/") || name.contains("\\") || name.startsWith(".")
          || name.chars().anyMatch(ch -> ch < 32)) {
        throw Refusal.badRequest("name is not an artifact name");
      }
    } catch (RuntimeException e) {
      ctx.fail(e);
      return;
    }
    readable(ctx, task).compose(t -> s.tasks.artifactsOfTask(s.reads, task, true)).onSuccess(all -> {
      JsonObject a = all.stream().map(JsonObject.class::cast).filter(x -> name.equals(x.getString("name"))).findFirst().orElse(null);
      if (a == null) {
        ctx.fail(Refusal.notFound("task " + task + " has no artifact " + name));
        return;
      }
      String kind = a.getString("kind");
      if ("url".equals(kind)) {
        ctx.response().setStatusCode(303).putHeader("Location", a.getString("url")).end();
        return;
      }
      io.vertx.core.buffer.Buffer body;
      if ("file".equals(kind)) {
        try {
          body = io.vertx.core.buffer.Buffer.buffer(java.util.Base64.getDecoder().decode(a.getString("content", "")));
        } catch (IllegalArgumentException e) {
          body = io.vertx.core.buffer.Buffer.buffer(a.getString("content", ""));
        }
      } else {
        body = io.vertx.core.buffer.Buffer.buffer(a.getString("content", ""));
      }
      String type = a.getString("content_type");
      if (type == null || type.isBlank()) {
        type = "json".equals(kind) ? "application/json" : "file".equals(kind) ? "application/octet-stream" : "text/plain";
      }
      if (type.startsWith("text/") && !type.contains("charset")) {
        type = type + "; charset=utf-8";
      }
      ctx.response().putHeader("Content-Type", type).putHeader("X-Content-Type-Options", "nosniff")
          .putHeader("Content-Security-Policy", "sandbox; default-src 'none'")
          .putHeader("Content-Disposition", "attachment; filename=\"" + name.replaceAll("[^A-Za-z0-9_.-]", "_")
              + "\"; filename*=UTF-8''" + java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20"))
          .end(body);
    }).onFailure(ctx::fail);
  }

  /**
   * The log as SSE: the stored lines after {@code after} of the filter, page after page, then the
   * live ones of the filter; live lines that arrive during the replay are held and sent after it,
   * none twice (each line's id is its event id).
   */
  private void streamLogs(RoutingContext ctx, String task, long after, LogFilter filter) {
    HttpServerResponse res = ctx.response().setChunked(true)
        .putHeader("Content-Type", "text/event-stream").putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no");
    Sse.comment(res, "log lines of task " + task);
    long[] last = {after};
    List<JsonObject> held = new ArrayList<>();
    boolean[] replaying = {true};
    Runnable[] deliver = new Runnable[1];
    MessageConsumer<JsonObject> live = s.vertx.eventBus().consumer(Addresses.TASK_LOGS, m -> {
      if (!task.equals(m.body().getString("task_id"))) {
        return;
      }
      held.add(m.body());
      if (!replaying[0]) {
        deliver[0].run();
      }
    });
    deliver[0] = () -> {
      for (JsonObject line : held) {
        if (line.getBoolean("end", false)) {
          Sse.write(res, null, "end", new JsonObject().put("task_id", task).put("task_status", line.getString("task_status"))
              .put("outcome", line.getString("outcome")));
          if (!res.ended()) {
            res.end();
          }
          break;
        }
        long id = line.getLong("id", 0L);
        if (id > last[0]) {
          last[0] = id;
          if (filter.matches(line)) {
            JsonObject out = line.copy();
            out.remove("task_id");
            Sse.write(res, id, "log", out);
          }
        }
      }
      held.clear();
    };
    long ping = s.vertx.setPeriodic(15_000, t -> Sse.comment(res, "keep-alive"));
    Runnable release = () -> {
      s.vertx.cancelTimer(ping);
      live.unregister();
    };
    res.closeHandler(v -> release.run());
    res.endHandler(v -> release.run());
    live.completion()
        .compose(v -> replay(res, task, filter, last))
        .compose(v -> s.tasks.find(s.pool, task).map(t -> t.orElseThrow()))
        .onSuccess(t -> {
          replaying[0] = false;
          if (!t.status().open()) {
            held.add(new JsonObject().put("end", true).put("task_status", t.status().wire()).put("outcome", t.outcome()));
          }
          deliver[0].run();
        })
        .onFailure(e -> {
          if (!res.ended()) {
            res.end();
          }
        });
  }

  /**
   * The heartbeat's {@code tasks}: the ids of the tasks the executor has in hand (at most
   * {@link WorkService#MAX_BATCH}); null when it does not say.
   */
  /**
   * A node whose lease lapsed (it was stalled, or cut off from PostgreSQL, longer than the lease)
   * serves executors nothing until it holds a new one: a request that waited out the stall in its
   * socket is stale (a heartbeat sent before a claim made elsewhere would hand that task back, a
   * claim would go to an executor that gave up on it). Answered 503, and the executor turns to
   * another node; reads other than a claim go on.
   */
  private void whileLeaseHeld(RoutingContext ctx) {
    boolean read = ctx.request().method() == HttpMethod.GET && !ctx.request().path().equals("/api/v1/work/next");
    if (read || s.lease.held()) {
      ctx.next();
      return;
    }
    s.lease.renewOnce();
    ctx.fail(new Refusal(503, "Unavailable", "this node is rejoining the cluster: its lease lapsed (it was stalled or cut off "
        + "from PostgreSQL) and it serves executors again once it holds a new one; ask another node, or ask again in a second"));
  }

  private static List<String> inHand(JsonObject body) {
    Object v = body.getValue("tasks");
    if (v == null) {
      return null;
    }
    if (!(v instanceof JsonArray a) || a.size() > WorkService.MAX_BATCH) {
      throw Refusal.badRequest("tasks must be an array of at most " + WorkService.MAX_BATCH + " task ids, the tasks the executor has in hand");
    }
    List<String> ids = new ArrayList<>();
    for (Object id : a) {
      if (!(id instanceof String t) || t.isEmpty() || t.length() > 128) {
        throw Refusal.badRequest("tasks must hold task ids (strings of 1 to 128 characters)");
      }
      ids.add(t);
    }
    return ids;
  }

  /** Sends the stored lines of the filter after {@code last[0]}, a page of 10,000 at a time, until none are left. */
  private Future<Void> replay(HttpServerResponse res, String task, LogFilter filter, long[] last) {
    return runs.logs(s.pool, task, last[0], filter.levels(), filter.contains(), 10_000).compose(lines -> {
      for (Object o : lines) {
        JsonObject l = (JsonObject) o;
        last[0] = Math.max(last[0], l.getLong("id"));
        Sse.write(res, l.getLong("id"), "log", l);
      }
      return lines.size() < 10_000 || res.ended() ? Future.succeededFuture() : replay(res, task, filter, last);
    });
  }
}
