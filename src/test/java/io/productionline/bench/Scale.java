package io.productionline.bench;

import io.productionline.store.BenchSql;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Scale: a million queued tasks, ten thousand executors heartbeating, ten thousand tracks in one project. */
final class Scale {

  private static final String STEP = "'{\"type\": \"sim\", \"trust\": \"vetted\", \"params\": {}}'";

  private final Bench b;
  private final Load load;

  Scale(Bench b, Load load) {
    this.b = b;
    this.load = load;
  }

  // --- queued tasks ------------------------------------------------------------------------------

  JsonObject queue(int small, int large, int claims) throws Exception {
    load.project("scale-q", "scale", false).await();
    String track = b.db.text("SELECT id FROM tracks WHERE project_id = 'scale-q' LIMIT 1");
    long i0 = System.nanoTime();
    insertQueued(track, 1, small);
    double smallInsertS = (System.nanoTime() - i0) / 1e9;
    load.register("scale-x", "scale-q").await();
    JsonObject atSmall = claims(claims).put("queued", b.db.scalar("SELECT count(*) FROM station_tasks WHERE capability = 'scale-q' AND status = 'queued'"))
        .put("plan", plan());
    long i1 = System.nanoTime();
    insertQueued(track, small + 1, large);
    double largeInsertS = (System.nanoTime() - i1) / 1e9;
    JsonObject atLarge = claims(claims).put("queued", b.db.scalar("SELECT count(*) FROM station_tasks WHERE capability = 'scale-q' AND status = 'queued'"))
        .put("plan", plan());
    long d0 = System.nanoTime();
    b.db.exec("DELETE FROM station_tasks WHERE capability = 'scale-q'");
    double deleteS = (System.nanoTime() - d0) / 1e9;
    b.log("queue: claim p50 %.2f ms at %d queued, %.2f ms at %d queued", atSmall.getJsonObject("claim_latency").getDouble("p50_ms"),
        small, atLarge.getJsonObject("claim_latency").getDouble("p50_ms"), large);
    return new JsonObject().put("at_small", atSmall).put("at_large", atLarge)
        .put("bulk_insert_s", Samples.round(smallInsertS + largeInsertS)).put("cleanup_s", Samples.round(deleteS));
  }

  private void insertQueued(String track, int from, int to) throws Exception {
    b.db.exec("""
        INSERT INTO station_tasks (id, track_id, project_id, document_type, run_no, station_index, station_id, station_kind,
                                   capability, environment, priority, step, input, status, attempt, max_attempts,
                                   backoff_initial_ms, backoff_max_ms, backoff_multiplier, timeout_seconds, available_at,
                                   created_at, item)
        SELECT 'scale-' || g, '%s', 'scale-q', 'd01', g, 0, 'bind', 'bind', 'scale-q', 'either', 5, %s, '{}', 'queued', 1, 3,
               1000, 60000, 2.0, 600, now() - interval '2 hours' + g * interval '1 ms', now() - interval '2 hours' + g * interval '1 ms', 1
          FROM generate_series(%d, %d) g""".formatted(track, STEP, from, to));
    b.db.exec("ANALYZE station_tasks");
  }

  private JsonObject claims(int count) throws Exception {
    Samples s = new Samples();
    int held = 0;
    long until = System.nanoTime() + 30_000_000_000L;
    for (int i = 0; i < count && System.nanoTime() < until; i++) {
      long t0 = System.nanoTime();
      HttpResponse<Buffer> r = load.claim("scale-x", 0).await();
      s.addNanos(System.nanoTime() - t0);
      if (r.statusCode() == 200 && r.bodyAsJsonObject().getBoolean("assigned", false)) {
        held++;
      }
    }
    return new JsonObject().put("claims", count).put("assigned", held).put("claim_latency", s.summary());
  }

  /**
   * The plan PostgreSQL uses for the product's claim of a one-capability executor, as its cached
   * prepared statement runs it (the 6th execution, when a generic plan may take over).
   */
  private JsonObject plan() throws Exception {
    b.db.exec("BEGIN");
    try {
      String capType = BenchSql.CAPABILITY_IS_ARRAY ? "text[]" : "text";
      String cap = BenchSql.CAPABILITY_IS_ARRAY ? "ARRAY['scale-q']" : "'scale-q'";
      b.db.exec("PREPARE bench_claim (text, text, timestamptz, int, " + capType + ", text, text, int) AS " + BenchSql.CLAIM_SINGLE);
      String args = "('bench-explain', 'x', now(), 60, " + cap + ", 'server', NULL, 1)";
      for (int i = 0; i < 5; i++) {
        b.db.exec("EXECUTE bench_claim " + args);
      }
      List<String> lines = b.db.lines("EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_claim " + args);
      String text = String.join("\n", lines);
      var m = java.util.regex.Pattern.compile("Execution Time: ([0-9.]+) ms").matcher(text);
      List<String> indexes = new ArrayList<>();
      var im = java.util.regex.Pattern.compile("(?:Index|Index Only|Bitmap Index) Scan (?:Backward )?(?:using|on) (\\S+)").matcher(text);
      while (im.find()) {
        indexes.add(im.group(1));
      }
      return new JsonObject().put("indexes", new JsonArray(indexes)).put("sort", text.contains("Sort Method"))
          .put("execution_ms", m.find() ? Double.parseDouble(m.group(1)) : null)
          .put("text", new JsonArray(lines));
    } finally {
      b.db.exec("ROLLBACK");
      b.db.exec("DEALLOCATE bench_claim");
    }
  }

  // --- executors --------------------------------------------------------------------------------

  JsonObject executors(int count, double paceSeconds) throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      ids.add("hb-" + i);
    }
    Samples register = new Samples();
    AtomicInteger registerRefused = new AtomicInteger();
    long r0 = System.nanoTime();
    Bench.inBatches(ids, 64, id -> {
      long t0 = System.nanoTime();
      return load.register(id, "hb").onSuccess(x -> register.addNanos(System.nanoTime() - t0))
          .otherwise(e -> {
            registerRefused.incrementAndGet();
            return null;
          });
    });
    double registerS = (System.nanoTime() - r0) / 1e9;
    b.log("executors: %d registered in %.1f s", count, registerS);

    // Paced: every executor heartbeats once within paceSeconds (the default interval is 15 s), open loop.
    Samples paced = new Samples();
    AtomicInteger refused = new AtomicInteger();
    AtomicInteger outstanding = new AtomicInteger();
    AtomicInteger maxOutstanding = new AtomicInteger();
    Promise<Void> done = Promise.promise();
    long p0 = System.nanoTime();
    AtomicLong sent = new AtomicLong();
    AtomicLong answered = new AtomicLong();
    Cpu cpu = new Cpu(b.serverPid());
    cpu.start();
    long timer = load.vertx.setPeriodic(10, t -> {
      long due = Math.min(count, (long) ((System.nanoTime() - p0) / 1e9 / paceSeconds * count));
      while (sent.get() < due) {
        String id = ids.get((int) sent.getAndIncrement());
        long t0 = System.nanoTime();
        maxOutstanding.accumulateAndGet(outstanding.incrementAndGet(), Math::max);
        load.asExecutor(id, HttpMethod.POST, "/api/v1/executors/" + id + "/heartbeat").sendJsonObject(new JsonObject().put("status", "idle"))
            .onComplete(ar -> {
              outstanding.decrementAndGet();
              if (ar.failed() || ar.result().statusCode() != 200) {
                refused.incrementAndGet();
              } else {
                paced.addNanos(System.nanoTime() - t0);
              }
              if (answered.incrementAndGet() == count) {
                done.tryComplete();
              }
            });
      }
    });
    boolean kept = true;
    try {
      done.future().timeout((long) (paceSeconds * 1000) + 30_000, java.util.concurrent.TimeUnit.MILLISECONDS).await();
    } catch (Exception late) {
      kept = false;
    } finally {
      load.vertx.cancelTimer(timer);
    }
    double pacedS = (System.nanoTime() - p0) / 1e9;
    JsonObject pacedCpu = cpu.stop();

    // Flat out: the same heartbeats with 64 in flight, to find the rate the server sustains.
    Samples burst = new Samples();
    long b0 = System.nanoTime();
    AtomicInteger burstRefused = new AtomicInteger();
    Bench.inBatches(ids, 64, id -> {
      long t0 = System.nanoTime();
      return load.jsonAsExecutor(id, HttpMethod.POST, "/api/v1/executors/" + id + "/heartbeat", new JsonObject())
          .onSuccess(x -> burst.addNanos(System.nanoTime() - t0))
          .otherwise(e -> {
            burstRefused.incrementAndGet();
            return null;
          });
    });
    double burstS = (System.nanoTime() - b0) / 1e9;
    long g0 = System.nanoTime();
    HttpResponse<Buffer> listed = load.request(HttpMethod.GET, "/api/v1/executors").send().await();
    double listMs = (System.nanoTime() - g0) / 1e6;
    JsonObject list = listed.statusCode() == 200 ? listed.bodyAsJsonObject() : new JsonObject();
    JsonObject out = new JsonObject().put("executors", count)
        .put("register", new JsonObject().put("seconds", Samples.round(registerS)).put("refused", registerRefused.get()).put("per_s", Samples.round(count / registerS))
            .put("latency", register.summary()))
        .put("paced", new JsonObject().put("target_per_s", Samples.round(count / paceSeconds)).put("seconds", Samples.round(pacedS))
            .put("achieved_per_s", Samples.round(answered.get() / pacedS)).put("all_answered_in_time", kept).put("refused", refused.get())
            .put("max_in_flight", maxOutstanding.get()).put("latency", paced.summary()).put("cpu", pacedCpu))
        .put("flat_out", new JsonObject().put("in_flight", 64).put("refused", burstRefused.get()).put("per_s", Samples.round(count / burstS)).put("latency", burst.summary()))
        .put("list_all_ms", Samples.round(listMs)).put("list_all_status", listed.statusCode()).put("listed", list.getJsonArray("executors", new JsonArray()).size());
    b.log("executors: paced %.0f/s p99 %.1f ms, flat out %.0f/s, list %.0f ms", answered.get() / pacedS,
        paced.summary().getDouble("p99_ms", 0.0), count / burstS, listMs);
    return out;
  }

  // --- tracks -----------------------------------------------------------------------------------

  JsonObject tracks(int count) throws Exception {
    load.project("wide", "wide", false).await();
    long existing = b.db.scalar("SELECT count(*) FROM tracks WHERE project_id = 'wide'");
    long i0 = System.nanoTime();
    b.db.exec("""
        INSERT INTO tracks (id, project_id, document_type, state, station_index, remediation_count, runs, version, created_at,
                            state_entered_at, finalized_at)
        SELECT 'wide-t' || g, 'wide', 'd0' || (g %% 8 + 1),
               CASE WHEN g %% 10 < 4 THEN 'stabilized' WHEN g %% 10 < 8 THEN 'queued' ELSE 'blocked' END,
               CASE WHEN g %% 10 < 4 THEN 9 ELSE 0 END, 0, CASE WHEN g %% 10 < 4 THEN 10 ELSE 0 END, 0,
               now() - interval '1 hour', now() - interval '10 minutes',
               CASE WHEN g %% 10 < 4 THEN now() - interval '10 minutes' END
          FROM generate_series(1, %d) g""".formatted(count - existing));
    b.db.exec("""
        INSERT INTO station_tasks (id, track_id, project_id, document_type, run_no, station_index, station_id, station_kind,
                                   capability, environment, priority, step, input, status, attempt, max_attempts,
                                   backoff_initial_ms, backoff_max_ms, backoff_multiplier, timeout_seconds, available_at,
                                   created_at, completed_at, outcome, item)
        SELECT t.id || '-' || r, t.id, 'wide', t.document_type, r, r - 1, CASE WHEN r = 1 THEN 'bind' WHEN r = 10 THEN 'aud' ELSE 'asm' || (r - 1) END,
               CASE WHEN r = 1 THEN 'bind' WHEN r = 10 THEN 'audit' ELSE 'assemble' END, 'wide', 'either', 5, %s, '{}', 'completed',
               1, 3, 1000, 60000, 2.0, 600, now() - interval '1 hour', now() - interval '1 hour', now() - interval '30 minutes',
               'stabilized', 1
          FROM tracks t CROSS JOIN generate_series(1, 10) r
         WHERE t.project_id = 'wide' AND t.state = 'stabilized'""".formatted(STEP));
    b.db.exec("ANALYZE tracks");
    b.db.exec("ANALYZE station_tasks");
    double insertS = (System.nanoTime() - i0) / 1e9;
    long tracks = b.db.scalar("SELECT count(*) FROM tracks WHERE project_id = 'wide'");
    long tasks = b.db.scalar("SELECT count(*) FROM station_tasks WHERE project_id = 'wide'");
    JsonObject full = production("/production?project=wide", 8);
    JsonObject page = production("/production?project=wide&limit=100&offset=5000", 30);
    JsonObject summary = production("/production?project=wide&limit=0", 30);
    b.log("tracks: %d tracks, full view %s, page %s", tracks, full.encode(), page.getValue("latency"));
    return new JsonObject().put("tracks", tracks).put("tasks", tasks).put("bulk_insert_s", Samples.round(insertS))
        .put("full", full).put("page_of_100", page).put("summary_only", summary);
  }

  private JsonObject production(String uri, int times) throws Exception {
    Samples s = new Samples();
    long bytes = 0;
    int tracks = -1;
    JsonObject summary = null;
    long until = System.nanoTime() + 20_000_000_000L;
    for (int i = 0; i < times && System.nanoTime() < until; i++) {
      long t0 = System.nanoTime();
      HttpResponse<Buffer> r = load.request(HttpMethod.GET, uri).send().await();
      s.addNanos(System.nanoTime() - t0);
      if (r.statusCode() != 200) {
        return new JsonObject().put("uri", uri).put("status", r.statusCode()).put("body", r.bodyAsString());
      }
      bytes = r.body().length();
      JsonObject body = r.bodyAsJsonObject();
      tracks = body.getJsonArray("tracks", new JsonArray()).size();
      summary = body.getJsonObject("summary");
    }
    return new JsonObject().put("uri", uri).put("tracks_in_reply", tracks).put("bytes", bytes)
        .put("summary_total", summary == null ? null : summary.getInteger("total")).put("latency", s.summary());
  }
}
