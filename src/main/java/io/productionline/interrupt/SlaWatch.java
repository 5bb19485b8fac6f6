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

  /** What one check did: {@code ran} is false when another node held the lock. */
  public record Check(boolean ran, List<Breach> breached) {
  }

  private final Services s;
  private final Map<String, Integer> slaSeconds;
  private final FlowRepository flow = new FlowRepository();
  private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
  private final Periodic periodic;
  private final Inbox inbox;

  public SlaWatch(Services services) {
    this.s = services;
    this.inbox = new Inbox(services);
    this.periodic = new Periodic(services.vertx, "SLA check", this::runOnce);
    this.slaSeconds = LineAnalytics.slaSeconds(services.config.getJsonObject("analytics", new JsonObject()));
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
    return s.pool.withTransaction(conn -> AdvisoryLocks.tryForTransaction(conn, LOCK_KEY)
            .compose(locked -> locked
                ? flow.recordBreaches(conn, now, slaSeconds).map(b -> new Check(true, b))
                : Future.succeededFuture(new Check(false, List.of()))))
        .map(check -> {
          for (Breach b : check.breached()) {
            counts.computeIfAbsent(b.interruptType(), k -> new AtomicLong()).incrementAndGet();
            log.info("Interrupt {} ({}) of {} in project {} is open past its SLA of {} s", b.interruptId(), b.interruptType(),
                b.documentType(), b.projectId(), b.slaSeconds());
            JsonObject event = b.toJson().put("type", EventType.SLA_BREACHED)
                .put("age_seconds", java.time.Duration.between(b.openedAt(), now).toSeconds());
            Broadcast.publish(s.vertx.eventBus(), Addresses.project(b.projectId()), event);
            inbox.publish(event);
          }
          return check;
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
