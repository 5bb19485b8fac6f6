package io.productionline.web;

import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.line.Skill;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.LinkedHashMap;

/** {@code /api/v1/skills}: the reusable steps stations may name ({@code "step": {"skill": "<id>"}}). */
final class SkillsApi {

  private final Services s;

  SkillsApi(Services s) {
    this.s = s;
  }

  void mount(Router router) {
    router.get("/api/v1/skills").handler(ctx -> Http.guarded(ctx, c -> {
      JsonArray out = new JsonArray();
      s.lines.skills().values().forEach(k -> out.add(json(k)));
      return Future.succeededFuture(new JsonObject().put("skills", out));
    }));
    router.get("/api/v1/skills/:id").handler(ctx -> Http.guarded(ctx, c -> {
      String id = Http.id(c, "id");
      return Future.succeededFuture(json(s.lines.skill(id).orElseThrow(() -> Refusal.notFound("no skill " + id)
          .with("skills", new JsonArray(s.lines.skills().keySet().stream().toList())))));
    }));
  }

  static JsonObject json(Skill k) {
    return new JsonObject().put("id", k.id()).put("name", k.name()).put("description", k.description())
        .put("inputs", new JsonArray(k.inputs())).put("outputs", new JsonArray(k.outputs())).put("tags", new JsonArray(k.tags()))
        .put("trust", k.trust()).put("fully_auto", k.trustLevel() == io.productionline.line.TrustLevel.VETTED)
        .put("step", new JsonObject().put("type", k.step().type())
            .put("params", new JsonObject(new LinkedHashMap<>(k.step().params()))));
  }
}
