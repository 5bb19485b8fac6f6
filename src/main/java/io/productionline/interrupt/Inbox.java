package io.productionline.interrupt;

import io.productionline.Services;
import io.productionline.analytics.LineAnalytics;
import io.productionline.store.FlowRepository;
import io.productionline.store.FlowRepository.InboxRow;
import io.productionline.store.SlaActions;
import io.productionline.store.InterruptRepository.InterruptRow;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The operator inbox: every open interrupt across projects — approvals, clarifications, constraint
 * conflicts, audit reviews and other halts — oldest first, each with its age and its SLA countdown
 * ({@code due_at}, {@code remaining_seconds}, negative once breached).
 */
public final class Inbox {

  private final Services s;
  private final Map<String, Integer> slaSeconds;
  private final FlowRepository flow = new FlowRepository();
  private final SlaPolicy policy;
  private final SlaActions actions = new SlaActions();

  public Inbox(Services services) {
    this.s = services;
    JsonObject analytics = services.config.getJsonObject("analytics", new JsonObject());
    this.slaSeconds = LineAnalytics.slaSeconds(analytics);
    this.policy = new SlaPolicy(analytics.getJsonObject("sla_policy"));
  }

  /** How many items {@code GET /api/v1/inbox} lists unless asked for another number. */
  public static final int DEFAULT_LIMIT = 500;

  /**
   * Publishes {@code event} on {@link io.productionline.events.Addresses#INBOX} with the whole inbox
   * as {@code GET /api/v1/inbox} answers it ({@code inbox}), read after the change it reports: a
   * dashboard replaces its inbox with it and works nothing out.
   */
  public Future<Void> publish(JsonObject event) {
    return view(null, null, DEFAULT_LIMIT).map(whole -> {
      s.vertx.eventBus().publish(io.productionline.events.Addresses.INBOX, event.copy().put("inbox", whole));
      return (Void) null;
    }).recover(e -> {
      s.vertx.eventBus().publish(io.productionline.events.Addresses.INBOX, event);
      return Future.succeededFuture();
    });
  }

  /** The inbox, of one project when {@code projectId} is not null, of one interrupt type when {@code type} is not null. */
  public Future<JsonObject> view(String projectId, String type, int limit) {
    Future<List<SlaActions.Acted>> acted = actions.recent(s.pool, projectId, RECENT_ACTIONS);
    return flow.inbox(s.pool, projectId, limit).compose(rows -> acted.map(a -> {
      Instant now = s.clock.instant();
      JsonArray items = new JsonArray();
      Map<String, Integer> counts = new TreeMap<>();
      int breached = 0;
      long oldest = 0;
      for (InboxRow r : rows) {
        if (type != null && !type.equals(r.interrupt().type())) {
          continue;
        }
        JsonObject item = item(r, now);
        items.add(item);
        counts.merge(item.getString("kind"), 1, Integer::sum);
        breached += item.getBoolean("breached") ? 1 : 0;
        oldest = Math.max(oldest, item.getLong("age_seconds"));
      }
      JsonObject byKind = new JsonObject();
      counts.forEach(byKind::put);
      JsonObject sla = new JsonObject();
      slaSeconds.forEach(sla::put);
      return new JsonObject().put("as_of", now.toString()).put("items", items).put("open", items.size())
          .put("breached", breached).put("by_kind", byKind).put("oldest_age_seconds", oldest).put("sla_seconds", sla)
          .put("sla_policy", policy.toJson()).put("sla_actions", slaActions(a));
    }));
  }

  /** How many of the SLA policy's latest actions the inbox lists ({@code sla_actions}). */
  public static final int RECENT_ACTIONS = 20;

  /** The SLA policy's latest actions, newest first: what it did, in words, and whether it took effect. */
  private static JsonArray slaActions(List<SlaActions.Acted> acted) {
    JsonArray out = new JsonArray();
    for (SlaActions.Acted a : acted) {
      SlaPolicy.Action action = SlaPolicy.Action.valueOf(a.action().toUpperCase(java.util.Locale.ROOT));
      out.add(new JsonObject().put("interrupt_id", a.interruptId()).put("interrupt_type", a.interruptType())
          .put("project_id", a.projectId()).put("track_id", a.trackId()).put("document_type", a.documentType())
          .put("breached_at", a.breachedAt().toString()).put("action", a.action()).put("taken", "taken".equals(a.result()))
          .put("result", a.result()).put("acted_at", a.actedAt().toString()).put("actor", SlaPolicy.ACTOR)
          .put("says", SlaPolicy.Rule.did(action, a.result())));
    }
    return out;
  }

  private JsonObject item(InboxRow r, Instant now) {
    InterruptRow i = r.interrupt();
    long age = Math.max(0, Duration.between(i.createdAt(), now).toSeconds());
    Integer sla = slaSeconds.get(i.type());
    JsonObject out = i.toJson().put("kind", kind(i)).put("track_state", r.trackState()).put("line", r.line())
        .put("age_seconds", age).put("sla_seconds", sla)
        .put("sla_policy", policy.of(i.type(), SlaPolicy.stationOf(s.lines, r.line(), i.documentType(), i.stationIndex())).toJson());
    if (sla != null) {
      Instant due = i.createdAt().plusSeconds(sla);
      long remaining = Duration.between(now, due).toSeconds();
      out.put("due_at", due.toString()).put("remaining_seconds", remaining)
          .put("breached", !due.isAfter(now) || r.slaBreachedAt() != null)
          .put("breached_at", r.slaBreachedAt() == null ? (due.isAfter(now) ? null : due.toString()) : r.slaBreachedAt().toString());
    } else {
      out.put("due_at", null).put("remaining_seconds", null).put("breached", false).put("breached_at", null);
    }
    return out;
  }

  /**
   * What the operator is asked for: the interrupt's type, except that an audit review opened by
   * anything but the circuit breaker (work lost too often, an executor's halt) is a {@code halt}.
   */
  static String kind(InterruptRow i) {
    if ("audit_review".equals(i.type()) && (i.reason() == null || !i.reason().startsWith("circuit breaker"))) {
      return "halt";
    }
    return i.type();
  }
}
