package io.productionline.web;

import io.vertx.ext.web.RoutingContext;

/** Who made a request, for the audit log. */
final class Actors {

  private Actors() {
  }

  static String of(RoutingContext ctx) {
    if (ctx.user() != null && ctx.user().principal() != null) {
      return ctx.user().principal().getString("sub", "operator");
    }
    return "operator";
  }
}
