package io.productionline.web;

import io.productionline.auth.Caller;
import io.vertx.ext.web.RoutingContext;

/** Who made a request, for the audit log: the subject of the caller's token. */
final class Actors {

  private Actors() {
  }

  static String of(RoutingContext ctx) {
    Caller c = ctx.get(Guard.CALLER);
    if (c != null) {
      return c.subject();
    }
    if (ctx.user() != null && ctx.user().principal() != null) {
      return ctx.user().principal().getString("sub", "operator");
    }
    return "operator";
  }
}
