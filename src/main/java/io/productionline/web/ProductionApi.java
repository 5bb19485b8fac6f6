package io.productionline.web;

import io.productionline.track.StationReport;
import io.productionline.Refusal;
import io.productionline.track.ProductionView;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code /production}: the line's state, Run Full Line / Start Production, one track, cancel; the
 * operator's outcome of a manual station ({@code POST /api/v1/tracks/{id}/outcome}); and the
 * verification protocol of a build intent ({@code POST /assembly-line/verify}).
 */
final class ProductionApi {

  private static final Set<String> OUTCOME_FIELDS = Set.of("outcome", "reason", "findings", "questions", "conflicts", "score",
      "metrics", "verification_level", "summary", "item", "artifacts", "output");
  private static final Set<String> VERIFY_FIELDS = Set.of("intent_id", "verification_level", "phase");
  private static final Set<String> ARTIFACT_KINDS = Set.of("text", "json", "url");
  private static final Pattern ARTIFACT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,199}");

  private final OperatorCommands commands;
  private final ProductionView view;
  private final Schemas schemas;
  private final int maxArtifactBytes;

  ProductionApi(OperatorCommands commands, ProductionView view, Schemas schemas) {
    this.commands = commands;
    this.view = view;
    this.schemas = schemas;
    this.maxArtifactBytes = commands.maxArtifactBytes();
  }

  void mount(Router router) {
    router.get("/production").handler(ctx -> Http.guarded(ctx, c -> {
      String project = Http.query(c, "project", true);
      // Paging is optional: without limit every track is listed; summary counts are always whole.
      boolean paged = c.queryParams().contains("limit");
      int limit = Http.intQuery(c, "limit", 0, 0, 10_000);
      int offset = Http.intQuery(c, "offset", 0, 0, Integer.MAX_VALUE);
      return view.projectJson(project, paged ? Integer.valueOf(limit) : null, offset);
    }));
    router.post("/production/start").handler(ctx -> Http.guarded(ctx, this::start));
    router.get("/production/track/:id").handler(ctx -> Http.guarded(ctx, c -> view.track(Http.id(c, "id"))));
    router.post("/production/track/:id/cancel").handler(ctx -> Http.guarded(ctx, this::cancel));
    router.post("/api/v1/tracks/:id/outcome").handler(ctx -> Http.guarded(ctx, this::outcome));
    router.post("/assembly-line/verify").handler(ctx -> Http.guarded(ctx, this::verify));
  }

  private Future<JsonObject> start(RoutingContext ctx) {
    String project = Http.query(ctx, "project", true);
    String doc = Http.query(ctx, "doc", false);
    return commands.start(project, doc, Actors.of(ctx));
  }

  private Future<JsonObject> cancel(RoutingContext ctx) {
    String trackId = Http.id(ctx, "id");
    JsonObject body = schemas.check(Schemas.CANCEL, Http.body(ctx));
    return commands.cancel(trackId, Http.string(body, "kind", true, 32), Http.string(body, "reason", false, 2000), Actors.of(ctx));
  }

  /** An operator reports the outcome of the track's current manual station. */
  private Future<JsonObject> outcome(RoutingContext ctx) {
    String trackId = Http.id(ctx, "id");
    JsonObject body = Http.only(Http.body(ctx), OUTCOME_FIELDS);
    StationReport report = StationReport.of(body);
    Http.string(body, "reason", false, 2000);
    Http.string(body, "summary", false, 8000);
    for (String list : new String[] {"findings", "questions", "conflicts"}) {
      if (body.containsKey(list) && !(body.getValue(list) instanceof JsonArray)) {
        throw Refusal.badRequest(list + " must be an array");
      }
    }
    if (body.containsKey("score") && !(body.getValue("score") instanceof Number)) {
      throw Refusal.badRequest("score must be a number");
    }
    if (body.containsKey("metrics") && !(body.getValue("metrics") instanceof JsonObject)) {
      throw Refusal.badRequest("metrics must be an object of numbers");
    }
    Integer level = wholeNumber(body, "verification_level", 1, 6);
    Integer item = wholeNumber(body, "item", 1, 100);
    JsonArray artifacts = artifacts(body.getValue("artifacts"));
    if (level != null) {
      report.result().put("verification_level", level);
    }
    JsonObject command = report.into(new JsonObject()).put("artifacts", artifacts);
    if (item != null) {
      command.put("item", item);
    }
    return commands.outcome(trackId, command, Actors.of(ctx));
  }

  /** {@code {intent_id, verification_level 1-6, phase}} → {@code {passed, level, checks, can_advance}}. */
  private Future<JsonObject> verify(RoutingContext ctx) {
    JsonObject body = Http.only(Http.body(ctx), VERIFY_FIELDS);
    String intent = Http.string(body, "intent_id", true, 64);
    if (!Http.ID.matcher(intent).matches()) {
      throw Refusal.badRequest("intent_id is not a valid identifier");
    }
    Integer level = wholeNumber(body, "verification_level", 1, 6);
    if (level == null) {
      throw Refusal.badRequest("verification_level is required (1 to 6)");
    }
    String phase = Http.string(body, "phase", true, 64);
    return commands.verify(intent, level, phase);
  }

  private static Integer wholeNumber(JsonObject body, String field, int min, int max) {
    Object v = body.getValue(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < min || ((Number) v).longValue() > max) {
      throw Refusal.badRequest(field + " must be a whole number from " + min + " to " + max);
    }
    return ((Number) v).intValue();
  }

  private JsonArray artifacts(Object value) {
    if (value == null) {
      return new JsonArray();
    }
    if (!(value instanceof JsonArray list) || list.size() > 100) {
      throw Refusal.badRequest("artifacts must be an array of at most 100 artifacts");
    }
    for (Object o : list) {
      if (!(o instanceof JsonObject a)) {
        throw Refusal.badRequest("each artifact must be an object");
      }
      String name = a.getValue("name") instanceof String n ? n : null;
      if (name == null || !ARTIFACT_NAME.matcher(name).matches()) {
        throw Refusal.badRequest("artifact name must be a plain file name of 1 to 200 characters");
      }
      String kind = a.getValue("kind") instanceof String k ? k : null;
      if (kind == null || !ARTIFACT_KINDS.contains(kind)) {
        throw Refusal.badRequest("artifact " + name + ": kind must be one of text, json, url");
      }
      if (kind.equals("url")) {
        if (!(a.getValue("url") instanceof String u) || !(u.startsWith("http://") || u.startsWith("https://")) || u.length() > 2048) {
          throw Refusal.badRequest("artifact " + name + ": url must be an http(s) URL of at most 2048 characters");
        }
        continue;
      }
      Object c = a.getValue("content");
      if (c == null || (kind.equals("text") && !(c instanceof String))) {
        throw Refusal.badRequest("artifact " + name + ": content is required (a string for kind text)");
      }
      String content = c instanceof String str ? str : io.vertx.core.json.Json.encode(c);
      if (content.getBytes(StandardCharsets.UTF_8).length > maxArtifactBytes) {
        throw new Refusal(413, "Artifact too large", "artifact " + name + " is larger than " + maxArtifactBytes + " bytes");
      }
    }
    return (JsonArray) value;
  }
}
