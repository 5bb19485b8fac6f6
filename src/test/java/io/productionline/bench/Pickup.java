package io.productionline.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Pick-up latency: idle executors park long-poll claims; the bench queues one task at a time (a
 * new one-station project, started) and notes when an executor holds it. The latency is that
 * moment minus the task's {@code created_at} as the server wrote it (the same machine's clock).
 */
final class Pickup {

  private final Bench b;
  private final Load load;
  private volatile boolean stop;
  private final Map<String, Instant> heldAt = new ConcurrentHashMap<>();
  private volatile CountDownLatch next = new CountDownLatch(1);

  Pickup(Bench b, Load load) {
    this.b = b;
    this.load = load;
  }

  JsonObject run(int executors, int samples, double maxSeconds) throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 1; i <= executors; i++) {
      ids.add("pickup-x" + i);
    }
    Bench.inBatches(ids, 16, id -> load.register(id, "pickup"));
    List<Future<Void>> loops = new ArrayList<>();
    for (String id : ids) {
      Promise<Void> ended = Promise.promise();
      load.vertx.runOnContext(v -> loop(id, ended));
      loops.add(ended.future());
    }
    Bench.sleep(0.5);
    long deadline = System.nanoTime() + (long) (maxSeconds * 1e9);
    int sent = 0;
    for (int i = 1; i <= samples && System.nanoTime() < deadline; i++) {
      next = new CountDownLatch(1);
      load.project("pickup-" + i, "pickup", true).await();
      sent++;
      if (!next.await(5, TimeUnit.SECONDS)) {
        b.log("pickup: task of pickup-%d not held within 5 s", i);
      }
      Bench.sleep(0.01);
    }
    stop = true;
    Future.all(loops).await();
    Samples fromCreated = new Samples();
    for (String row : b.db.lines("SELECT id || ' ' || to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
        + "FROM station_tasks WHERE capability = 'pickup'")) {
      String[] f = row.split(" ");
      Instant held = heldAt.get(f[0]);
      if (held != null) {
        fromCreated.add(java.time.Duration.between(Instant.parse(f[1]), held).toNanos() / 1e6);
      }
    }
    JsonObject out = new JsonObject().put("idle_executors", executors).put("tasks_queued", sent)
        .put("queued_to_held", fromCreated.summary());
    b.log("pickup: p50 %.1f ms, p99 %.1f ms over %d tasks", fromCreated.summary().getDouble("p50_ms", 0.0),
        fromCreated.summary().getDouble("p99_ms", 0.0), fromCreated.count());
    return out;
  }

  private void loop(String executor, Promise<Void> ended) {
    if (stop) {
      ended.complete();
      return;
    }
    load.claim(executor, 1).onComplete(ar -> {
      Instant now = Instant.now();
      if (ar.failed() || ar.result().statusCode() != 200) {
        load.vertx.setTimer(50, t -> loop(executor, ended));
        return;
      }
      JsonObject body = ar.result().bodyAsJsonObject();
      if (!body.getBoolean("assigned", false)) {
        loop(executor, ended);
        return;
      }
      JsonObject task = body.getJsonObject("task");
      heldAt.put(task.getString("task_id"), now);
      next.countDown();
      load.complete(executor, task.getString("task_id"), task.getString("lease_token")).onComplete(cr -> loop(executor, ended));
    });
  }
}
