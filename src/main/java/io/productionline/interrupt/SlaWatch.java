package io.productionline.interrupt;

import io.productionline.Periodic;
import io.productionline.Services;
import io.productionline.analytics.LineAnalytics;
import io.productionline.events.Addresses;
import io.productionline.events.Broadcast;
import io.productionline.events.EventType;
import io.productionline.store.AdvisoryLocks;
import io.productionline.store.FlowRepository.Breach;
import io.productionline.store.FlowRepository;
import io.productionline.store.SlaActions;
import io.productionline.track.TrackSupervisor;
import java.util.ArrayList;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SLA breaches of operator interrupts. Each interrupt type has an SLA ({@code analytics.sla_seconds},
 * e.g. approval 900 s); an interrupt still open when its SLA passes is breached. Every
 * {@code analytics.sla_check_seconds} a check records the new breaches in {@code sla_breaches} (one
 * row per interrupt, so each is announced once however many nodes check) and publishes
 * {@code sla_breached} on the project's address and on {@link Addresses#INBOX}.
 *
 * <p>Runs once cluster-wide at a time: each check takes a PostgreSQL advisory lock for its
 * transaction and skips when another node holds it. {@link #runOnce()} is what the timer calls and
 * what tests call with a settable clock. {@link #breachCounts()} counts the breaches this node
 * announced, by interrupt type (a counter for a metrics registry); {@link #breachTotals()} counts
 * every recorded one.
 */
public final class SlaWatch {

  private static final Logger log = LoggerFactory.getLogger(SlaWatch.class);
  private static final long LOCK_KEY = 0x50_4c_73_6c_61L;

  /**
   * What one check did: {@code ran} is false when another node held the lock; {@code actions}, what
   * the SLA policy did (escalate or answer), each with {@code taken} and its {@code result}.
   */
  public record Check(boolean ran, List<Breach> breached, List<JsonObject> actions) {
  }

  /** A policy action decided under the lock and taken after its commit. */
  private record Due(SlaActions.Pending breach, SlaPolicy.Rule rule, String station) {
  }

  private final Services s;
  private final Map<String, Integer> slaSeconds;
  private final FlowRepository flow = new FlowRepository();
  private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
  private final SlaActions actions = new SlaActions();
  private final Periodic periodic;
  private final SlaPolicy policy;
  private final TrackSupervisor supervisor;
  private final Inbox inbox;

  public SlaWatch(Services services, TrackSupervisor supervisor) {
    this.s = services;
    this.supervisor = supervisor;
    this.inbox = new Inbox(services);
    this.periodic = new Periodic(services.vertx, "SLA check", this::runOnce);
    JsonObject analytics = services.config.getJsonObject("analytics", new JsonObject());
    this.slaSeconds = LineAnalytics.slaSeconds(analytics);
    this.policy = new SlaPolicy(analytics.getJsonObject("sla_policy"));
  }

  /** What happens when an interrupt's SLA passes, per type and station. */
  public SlaPolicy policy() {
    return policy;
  }

  public Map<String, Integer> slaSeconds() {
    return slaSeconds;
  }

  public void start(long intervalMs) {
    periodic.start(intervalMs);
  }

  public void stop() {
    periodic.stop();
  }

  public Future<Check> runOnce() {
    Instant now = s.clock.instant();
    record Locked(boolean ran, List<Breach> breached, List<Due> due) {
    }
    return s.pool.withTransaction(conn -> AdvisoryLocks.tryForTransaction(conn, LOCK_KEY)
            .compose(locked -> !locked
                ? Future.succeededFuture(new Locked(false, List.of(), List.of()))
                : flow.recordBreaches(conn, now, slaSeconds)
                    .compose(b -> decide(conn).map(due -> new Locked(true, b, due)))))
        .compose(locked -> {
          for (Breach b : locked.breached()) {
            counts.computeIfAbsent(b.interruptType(), k -> new AtomicLong()).incrementAndGet();
            log.info("Interrupt {} ({}) of {} in project {} is open past its SLA of {} s", b.interruptId(), b.interruptType(),
                b.documentType(), b.projectId(), b.slaSeconds());
            JsonObject event = b.toJson().put("type", EventType.SLA_BREACHED)
                .put("age_seconds", java.time.Duration.between(b.openedAt(), now).toSeconds());
            Broadcast.publish(s.vertx.eventBus(), Addresses.project(b.projectId()), event);
            inbox.publish(event);
          }
          // The policy's actions, one after another, once their breaches are committed.
          List<JsonObject> taken = new ArrayList<>();
          Future<Void> chain = Future.succeededFuture();
          for (Due d : locked.due()) {
            chain = chain.compose(v -> act(d).map(a -> {
              taken.add(a);
              return null;
            }));
          }
          return chain.map(v -> new Check(locked.ran(), locked.breached(), taken));
        });
  }

  /**
   * Under the lock: each breach the policy has not dealt with gets its rule. Alerts (and interrupts
   * answered already) are settled here; escalations and answers are due after the commit.
   */
  private Future<List<Due>> decide(io.vertx.sqlclient.SqlConnection conn) {
    return actions.pending(conn).compose(pending -> {
      List<Due> due = new ArrayList<>();
      Future<Void> chain = Future.succeededFuture();
      for (SlaActions.Pending p : pending) {
        String station = SlaPolicy.stationOf(s.lines, p.line(), p.documentType(), p.stationIndex());
        SlaPolicy.Rule rule = policy.of(p.interruptType(), station);
        if (rule.action() == SlaPolicy.Action.ALERT) {
          chain = chain.compose(v -> actions.result(conn, p.interruptId(), "alert", "alerted"));
        } else if (!"open".equals(p.interruptStatus())) {
          chain = chain.compose(v -> actions.result(conn, p.interruptId(), rule.action().wire(),
              "not taken: the interrupt was " + p.interruptStatus() + " first"));
        } else {
          due.add(new Due(p, rule, station));
        }
      }
      return chain.map(v -> due);
    });
  }

  /**
   * Takes one action: the track's verticle escalates or resolves the interrupt as an operator's
   * command would (and audits it as {@value SlaPolicy#ACTOR}); an interrupt answered meanwhile
   * refuses it, and that is recorded. Announced on the inbox and the project's address.
   */
  private Future<JsonObject> act(Due d) {
    SlaActions.Pending p = d.breach();
    SlaPolicy.Rule rule = d.rule();
    JsonObject cmd = new JsonObject().put("interrupt_id", p.interruptId()).put("actor", SlaPolicy.ACTOR);
    if (rule.action() == SlaPolicy.Action.ESCALATE) {
      cmd.put("type", "escalate").put("notes", rule.notes());
    } else {
      cmd.put("type", "resolve").put("resolution", rule.answer().copy());
    }
    Instant now = s.clock.instant();
    return supervisor.send(p.trackId(), cmd)
        .map(r -> new JsonObject().put("taken", true).put("result", "taken"))
        .recover(e -> Future.succeededFuture(new JsonObject().put("taken", false)
            .put("result", "not taken: " + io.productionline.Refusal.of(e).body().getString("detail"))))
        .compose(outcome -> {
          JsonObject event = new JsonObject().put("type", EventType.SLA_ACTION).put("interrupt_id", p.interruptId())
              .put("interrupt_type", p.interruptType()).put("project_id", p.projectId()).put("track_id", p.trackId())
              .put("document_type", p.documentType()).put("station", d.station()).put("action", rule.action().wire())
              .put("says", rule.says()).put("taken", outcome.getBoolean("taken")).put("result", outcome.getString("result"))
              .put("at", now.toString());
          return actions.acted(s.pool, p.interruptId(), rule.action().wire(), outcome.getString("result"), now)
              .compose(v -> s.audit.record(s.pool, SlaPolicy.ACTOR, "sla_" + rule.action().wire(), p.interruptId(),
                  event.copy().put("rule", rule.toJson()), now))
              .map(v -> {
                log.info("SLA policy of interrupt {} ({}) in project {}: {} ({})", p.interruptId(), p.interruptType(),
                    p.projectId(), rule.action().wire(), outcome.getString("result"));
                Broadcast.publish(s.vertx.eventBus(), Addresses.project(p.projectId()), event);
                return event;
              })
              .compose(announced -> inbox.publish(announced).map(announced));
        });
  }

  /** The breaches this node announced since it started, by interrupt type. */
  public Map<String, Long> breachCounts() {
    Map<String, Long> out = new TreeMap<>();
    counts.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  /** Every breach recorded in the cluster, by interrupt type. */
  public Future<Map<String, Long>> breachTotals() {
    return flow.breachTotals(s.pool);
  }
}
