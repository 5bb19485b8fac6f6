package io.productionline.work;

import io.productionline.Services;
import io.productionline.events.Addresses;
import io.productionline.events.EventType;
import io.productionline.track.ProductionView;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the dashboards about the queue: when work is queued, claimed or handed in anywhere in the
 * cluster, it publishes a {@code queue_depth} event on {@code pl.executors} with the depth by
 * capability and the capabilities nobody online can do. Changes that come in a burst are folded
 * into one event.
 */
public final class QueueWatch {

  private static final Logger log = LoggerFactory.getLogger(QueueWatch.class);
  private static final long FOLD_MS = 250;

  private final Services s;
  private final ProductionView view;
  /** Whether each executor seen on the bus was online; only a change of that can change which capabilities nobody serves. */
  private final java.util.Map<String, Boolean> online = new java.util.HashMap<>();
  private boolean scheduled;
  /** How long the last look at the queue took: the next one waits at least ten times that, so the watch stays cheap on a deep queue. */
  private long lastCostMs;

  public QueueWatch(Services services, ProductionView view) {
    this.s = services;
    this.view = view;
  }

  public Future<Void> start() {
    var bus = s.vertx.eventBus();
    return Future.all(
        bus.consumer(Addresses.WORK_AVAILABLE, m -> changed()).completion(),
        bus.<JsonObject>consumer(Addresses.EXECUTORS, m -> {
          JsonObject e = m.body();
          if (e != null && EventType.EXECUTOR_STATUS.equals(e.getString("type")) && e.getString("executor_id") != null) {
            // A heartbeat or a busy/idle flip of an executor already online changes nothing here.
            Boolean was = online.put(e.getString("executor_id"), !"offline".equals(e.getString("status")));
            if (was == null || was != !"offline".equals(e.getString("status"))) {
              changed();
            }
          }
        }).completion()).mapEmpty();
  }

  private void changed() {
    if (scheduled) {
      return;
    }
    scheduled = true;
    s.vertx.setTimer(Math.max(FOLD_MS, 10 * lastCostMs), t -> {
      scheduled = false;
      long started = System.nanoTime();
      view.floor()
          .onComplete(ar -> lastCostMs = (System.nanoTime() - started) / 1_000_000)
          .onSuccess(floor -> s.vertx.eventBus().publish(Addresses.EXECUTORS, new JsonObject()
              .put("type", EventType.QUEUE_DEPTH)
              .put("depth", floor.getJsonObject("queue").getInteger("depth"))
              .put("by_capability", floor.getJsonObject("queue").getJsonObject("by_capability"))
              .put("no_executors_for", floor.getJsonArray("no_executors_for"))))
          .onFailure(e -> log.debug("Queue depth not published: {}", e.toString()));
    });
  }
}
