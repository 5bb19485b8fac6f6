package io.productionline.web;

import io.productionline.Json;
import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.line.Finding;
import io.productionline.line.LineDefinition;
import io.productionline.line.LineDiff;
import io.productionline.line.LineValidationException;
import io.productionline.store.LineRepository.LineRow;
import io.productionline.track.LineCatalog;
import io.productionline.track.LineCatalog.LineVersion;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The line catalogue over HTTP ({@code /api/v1/lines}): read the lines, a line's current version,
 * its versions and the diff between two; admins store a new line, a new version, or retire a line
 * (every write in the audit log); anyone who reads may validate a definition without storing it.
 * Writes and validation take {@code {"definition": {...}, "note": "..."}}; a definition that cannot
 * be used is a 400 whose {@code findings} name the JSON path of each element at fault.
 */
final class LinesApi {

  private static final Set<String> WRITE_FIELDS = Set.of("definition", "note");
  private static final int MAX_NOTE = 500;

  private final Services s;

  LinesApi(Services s) {
    this.s = s;
  }

  void mount(Router router) {
    router.get("/api/v1/lines").handler(ctx -> Http.guarded(ctx, c -> list()));
    router.post("/api/v1/lines/validate").handler(ctx -> Http.guarded(ctx, this::validate));
    router.post("/api/v1/lines").handler(ctx -> Http.guarded(ctx, 201, this::create));
    router.get("/api/v1/lines/:name").handler(ctx -> Http.guarded(ctx, c -> current(Http.id(c, "name"))));
    router.put("/api/v1/lines/:name").handler(this::put);
    router.get("/api/v1/lines/:name/versions").handler(ctx -> Http.guarded(ctx, this::versions));
    router.get("/api/v1/lines/:name/versions/:n").handler(ctx -> Http.guarded(ctx, this::version));
    router.get("/api/v1/lines/:name/diff").handler(ctx -> Http.guarded(ctx, this::diff));
    router.post("/api/v1/lines/:name/retire").handler(ctx -> Http.guarded(ctx, c -> s.lines.retire(Http.id(c, "name"), Actors.of(c))
        .map(LinesApi::lineJson)));
  }

  // ---- reads ----------------------------------------------------------------------------------

  private Future<JsonObject> list() {
    return s.lines.rows().compose(rows -> {
      List<Future<JsonObject>> each = rows.stream().map(row -> s.lines.version(row.name(), row.currentVersion())
          .map(v -> summary(row, v))).toList();
      return Future.all(each).map(all -> new JsonObject().put("lines", new JsonArray(each.stream().map(Future::result).toList())));
    });
  }

  private static JsonObject summary(LineRow row, LineVersion v) {
    LineDefinition l = v.line();
    return lineJson(row).put("title", l.title()).put("description", l.description())
        .put("document_types", new JsonArray(l.documentTypes().stream()
            .map(t -> new JsonObject().put("name", t.name()).put("title", t.title())
                .put("depends_on", new JsonArray(t.dependsOn())).put("stations", t.stations().size()))
            .toList()));
  }

  private Future<JsonObject> current(String name) {
    return s.lines.row(name).compose(row -> row.isEmpty()
        ? Future.failedFuture(Refusal.notFound("no line named " + name))
        : s.lines.version(name, row.get().currentVersion()).map(v -> versionJson(row.get(), v)));
  }

  private Future<JsonObject> versions(RoutingContext ctx) {
    String name = Http.id(ctx, "name");
    return Future.all(s.lines.row(name), s.lines.versions(name)).map(all -> {
      LineRow row = all.<java.util.Optional<LineRow>>resultAt(0).orElseThrow();
      List<io.productionline.store.LineRepository.VersionRow> list = all.resultAt(1);
      return lineJson(row).put("versions", new JsonArray(list.stream().map(v -> v.summary()).toList()));
    });
  }

  private Future<JsonObject> version(RoutingContext ctx) {
    String name = Http.id(ctx, "name");
    int n = versionNumber(ctx.pathParam("n"), "n");
    return s.lines.row(name).compose(row -> row.isEmpty()
        ? Future.failedFuture(Refusal.notFound("no line named " + name))
        : s.lines.version(name, n).map(v -> versionJson(row.get(), v)));
  }

  /** {@code ?from=&to=}: {@code to} defaults to the current version, {@code from} to the one before {@code to}. */
  private Future<JsonObject> diff(RoutingContext ctx) {
    String name = Http.id(ctx, "name");
    String toParam = ctx.queryParams().get("to");
    String fromParam = ctx.queryParams().get("from");
    Integer to = toParam == null ? null : versionNumber(toParam, "to");
    Integer from = fromParam == null ? null : versionNumber(fromParam, "from");
    return s.lines.row(name).compose(row -> {
      if (row.isEmpty()) {
        return Future.failedFuture(Refusal.notFound("no line named " + name));
      }
      int b = to == null ? row.get().currentVersion() : to;
      int a = from == null ? b - 1 : from;
      if (a < 1) {
        return Future.failedFuture(Refusal.badRequest("line " + name + " has no version before " + b + " to compare with; name from="));
      }
      return Future.all(s.lines.version(name, a), s.lines.version(name, b)).map(all -> {
        LineVersion va = all.resultAt(0);
        LineVersion vb = all.resultAt(1);
        JsonArray changes = new JsonArray();
        LineDiff.between(tree(va), tree(vb)).forEach(c -> changes.add(new JsonObject().put("change", c.change()).put("path", c.path())
            .put("document_type", c.documentType()).put("station", c.station()).put("from", c.from()).put("to", c.to())));
        return new JsonObject().put("line", name).put("from", a).put("to", b).put("changes", changes);
      });
    });
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> tree(LineVersion v) {
    return Json.MAPPER.convertValue(v.line(), Map.class);
  }

  // ---- writes ---------------------------------------------------------------------------------

  /** A dry run: every finding of the definition, with its path; nothing is stored. */
  private Future<JsonObject> validate(RoutingContext ctx) {
    JsonObject body = Http.only(Http.body(ctx), WRITE_FIELDS);
    definitionText(body);
    try {
      LineDefinition def = s.lines.parse(body.getJsonObject("definition").encode());
      return s.lines.row(def.name()).map(row -> new JsonObject().put("valid", true).put("findings", new JsonArray())
          .put("line", def.name()).put("exists", row.isPresent())
          .put("next_version", row.map(r -> r.currentVersion() + 1).orElse(1)));
    } catch (LineValidationException e) {
      return Future.succeededFuture(new JsonObject().put("valid", false).put("findings", findings(e)));
    }
  }

  private Future<JsonObject> create(RoutingContext ctx) {
    JsonObject body = Http.only(Http.body(ctx), WRITE_FIELDS);
    LineDefinition def = parse(body);
    return s.lines.create(def, note(body), Actors.of(ctx)).compose(stored -> current(def.name()).map(v -> v.put("stored", true)));
  }

  private void put(RoutingContext ctx) {
    String name;
    JsonObject body;
    LineDefinition def;
    try {
      name = Http.id(ctx, "name");
      body = Http.only(Http.body(ctx), WRITE_FIELDS);
      def = parse(body);
      if (!def.name().equals(name)) {
        throw invalid(List.of(new Finding("name", "line definition: name is \"" + def.name() + "\" but the path names line \""
            + name + "\"; a line keeps its name")));
      }
    } catch (RuntimeException e) {
      ctx.fail(e);
      return;
    }
    s.lines.put(def, note(body), Actors.of(ctx))
        .compose(stored -> current(name).map(v -> v.put("stored", stored.stored())))
        .onSuccess(out -> Http.json(ctx, out.getBoolean("stored") ? 201 : 200, out))
        .onFailure(ctx::fail);
  }

  private LineDefinition parse(JsonObject body) {
    String text = definitionText(body);
    try {
      return s.lines.parse(text);
    } catch (LineValidationException e) {
      throw invalid(e.findings());
    }
  }

  private static String definitionText(JsonObject body) {
    Object def = body.getValue("definition");
    if (def == null) {
      throw Refusal.badRequest("definition is required: send {\"definition\": {...the line...}, \"note\": \"...\"}");
    }
    if (!(def instanceof JsonObject o)) {
      throw Refusal.badRequest("definition must be a JSON object");
    }
    return o.encode();
  }

  private static String note(JsonObject body) {
    String note = Http.string(body, "note", false, MAX_NOTE);
    return note == null ? "" : note;
  }

  private static Refusal invalid(List<Finding> findings) {
    return new Refusal(400, "Invalid line definition", String.join("; ", findings.stream().map(Finding::message).toList()))
        .with("findings", findings(findings));
  }

  private static JsonArray findings(LineValidationException e) {
    return findings(e.findings());
  }

  private static JsonArray findings(List<Finding> findings) {
    return new JsonArray(findings.stream().map(f -> {
      JsonObject o = new JsonObject().put("path", f.path()).put("message", f.message());
      return f.members().isEmpty() ? o : o.put("members", new JsonArray(f.members()));
    }).toList());
  }

  // ---- shapes ---------------------------------------------------------------------------------

  private static JsonObject lineJson(LineRow row) {
    return new JsonObject().put("name", row.name()).put("current_version", row.currentVersion())
        .put("retired", row.retired()).put("retired_at", row.retiredAt() == null ? null : row.retiredAt().toString())
        .put("retired_by", row.retiredBy());
  }

  private static JsonObject versionJson(LineRow row, LineVersion v) {
    return lineJson(row).put("line", v.name()).mergeIn(v.row().summary()).put("definition", Json.toJson(v.line()));
  }

  private static int versionNumber(String text, String name) {
    try {
      int n = Integer.parseInt(text);
      if (n < 1) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw Refusal.badRequest(name + " must be a version number, a whole number of 1 or more");
    }
  }
}
