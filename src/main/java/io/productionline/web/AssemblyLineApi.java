package io.productionline.web;

import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.auth.Caller;
import io.productionline.executor.ExecutorInfo;
import io.productionline.track.LineOrchestrator;
import io.productionline.work.IntentService;
import io.productionline.work.WorkService;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.Set;

/**
 * The build-intent API of the {@code unified-assembly-line} design, same paths and shapes:
 * submit an intent, pull work by executor id, report progress and completion without a lease
 * token, and the queue's state. ({@code /assembly-line/verify} and the dashboard live elsewhere.)
 * The {@code executor_id} of a pull, progress or completion must be the one the caller's executor
 * token names.
 */
final class AssemblyLineApi {

  private static final Set<String> INTENT_FIELDS = Set.of("title", "spec_path", "priority", "environment_preference");
  private static final Set<String> PROGRESS_FIELDS = Set.of("intent_id", "executor_id", "phase", "progress", "message");
  private static final Set<String> COMPLETE_FIELDS = Set.of("intent_id", "executor_id", "status", "artifacts", "phase",
      "reason", "findings", "questions", "score", "metrics", "verification_level", "conflicts", "summary");
  private static final Set<String> DETAIL_FIELDS = Set.of("reason", "findings", "questions", "score", "metrics",
      "verification_level", "conflicts", "summary");

  private final Services s;
  private final IntentService intents;
  private final int maxWaitSeconds;

  AssemblyLineApi(Services s, LineOrchestrator orchestrator, WorkService work) {
    this.s = s;
    this.intents = new IntentService(s, work, orchestrator);
    this.maxWaitSeconds = s.config.getJsonObject("work", new JsonObject()).getInteger("long_poll_max_seconds", 30);
  }

  void mount(Router router) {
    router.post("/assembly-line/intent").handler(this::submit);
    router.get("/assembly-line/intent/:id").handler(ctx -> Http.guarded(ctx, c -> intents.intent(Http.id(c, "id"))));
    router.get("/assembly-line/work/next").handler(this::next);
    router.post("/assembly-line/work/progress").handler(ctx -> Http.guarded(ctx, c -> {
      JsonObject body = Http.only(Http.body(c), PROGRESS_FIELDS);
      Object p = body.getValue("progress");
      if (p != null && !(p instanceof Number)) {
        throw Refusal.badRequest("progress must be a number between 0.0 and 1.0");
      }
      return intents.progress(intentId(body), executorId(c, body), Http.string(body, "phase", false, 64),
          p == null ? null : ((Number) p).doubleValue(), Http.string(body, "message", false, 2000), WorkApi.idempotencyKey(c));
    }));
    router.post("/assembly-line/work/complete").handler(ctx -> Http.guarded(ctx, c -> {
      JsonObject body = Http.only(Http.body(c), COMPLETE_FIELDS);
      String status = Http.string(body, "status", true, 32);
      JsonObject artifacts = Http.object(body, "artifacts");
      if (body.containsKey("score") && !(body.getValue("score") instanceof Number)) {
        throw Refusal.badRequest("score must be a number");
      }
      if (body.containsKey("verification_level") && !(body.getValue("verification_level") instanceof Integer v && v >= 0 && v <= 6)) {
        throw Refusal.badRequest("verification_level must be a whole number from 0 to 6");
      }
      if (body.containsKey("findings") && !(body.getValue("findings") instanceof JsonArray)) {
        throw Refusal.badRequest("findings must be an array");
      }
      Http.string(body, "reason", false, 2000);
      JsonObject detail = new JsonObject();
      DETAIL_FIELDS.stream().filter(body::containsKey).forEach(k -> detail.put(k, body.getValue(k)));
      return intents.complete(intentId(body), executorId(c, body), status, artifacts, detail, Http.string(body, "phase", false, 64),
          WorkApi.idempotencyKey(c));
    }));
    router.get("/assembly-line/state").handler(ctx -> Http.guarded(ctx, c -> intents.state()));
    // The seed's dashboard view: queued, in progress, completed; ?stream=true keeps it live (SSE, event "queue").
    router.get("/assembly-line/queue").handler(ctx -> {
      if ("true".equals(ctx.queryParams().get("stream"))) {
        LiveView.serve(ctx, s, "queue", 300, intents::queue, e -> true);
      } else {
        Http.guarded(ctx, c -> intents.queue());
      }
    });
  }

  private void submit(RoutingContext ctx) {
    IntentService.Submission in;
    String key;
    try {
      JsonObject body = Http.only(Http.body(ctx), INTENT_FIELDS);
      Object priority = body.getValue("priority", 5);
      if (!(priority instanceof Integer)) {
        throw Refusal.badRequest("priority must be a whole number from 1 to 10");
      }
      String env = Http.string(body, "environment_preference", false, 16);
      in = new IntentService.Submission(Http.string(body, "title", true, 200), Http.string(body, "spec_path", true, 500),
          (Integer) priority, env == null ? "either" : env);
      key = WorkApi.idempotencyKey(ctx);
    } catch (RuntimeException e) {
      ctx.fail(e);
      return;
    }
    intents.submit(in, key, Actors.of(ctx))
        .onSuccess(out -> Http.json(ctx, out.getBoolean("created") ? 201 : 200, out))
        .onFailure(ctx::fail);
  }

  private void next(RoutingContext ctx) {
    String executorId;
    String environment;
    String type;
    int wait;
    try {
      executorId = Http.query(ctx, "executor_id", true);
      environment = Http.query(ctx, "environment", false);
      if (environment != null && !Set.of("server", "local").contains(environment)) {
        throw Refusal.badRequest("environment must be server or local");
      }
      type = Http.query(ctx, "type", false);
      wait = Http.intQuery(ctx, "wait", 0, 0, maxWaitSeconds);
      if (!ExecutorInfo.ID.matcher(executorId).matches()) {
        throw Refusal.badRequest("executor_id must match " + ExecutorInfo.ID.pattern());
      }
    } catch (RuntimeException e) {
      ctx.fail(e);
      return;
    }
    Promise<Void> gone = Promise.promise();
    ctx.response().closeHandler(v -> gone.tryComplete());
    intents.next(executorId, environment, type, Duration.ofSeconds(wait), gone.future())
        .onSuccess(out -> Http.json(ctx, 200, out))
        .onFailure(ctx::fail);
  }

  private static String intentId(JsonObject body) {
    String id = Http.string(body, "intent_id", true, 128);
    if (!Http.ID.matcher(id).matches()) {
      throw Refusal.badRequest("intent_id is not a valid identifier");
    }
    return id;
  }

  /** The body's executor_id, which must be the caller's own. */
  private static String executorId(RoutingContext ctx, JsonObject body) {
    String id = Http.string(body, "executor_id", true, 128);
    if (!ExecutorInfo.ID.matcher(id).matches()) {
      throw Refusal.badRequest("executor_id must match " + ExecutorInfo.ID.pattern());
    }
    Caller caller = Guard.caller(ctx);
    if (!caller.actsAs(id)) {
      throw Guard.forbidden("executor " + caller.executorId() + " may act only as itself, not as " + id);
    }
    return id;
  }
}
