package io.productionline.store;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads of one task for its holder ({@link TaskRepository#findForHolder}: the check before a
 * completion, a progress report, an artifact) on a pool, gathered as {@link GroupCommit} gathers
 * writes: while fewer than {@code maxInFlight} reads are on their way a read goes at once, alone;
 * otherwise it waits, and the next read takes every read waiting, as one statement of their ids
 * ({@link TaskSql#FIND_FOR_HOLDERS}): one round trip and one statement for all of them. A read is
 * sent only after it was asked, so it sees every commit made before it was asked. Enabled and
 * disabled with the pool's group commit; its reads are answered on their callers' contexts, and
 * sent from one context of the node's ({@code home}).
 */
final class HolderReads {

  private static final Map<Pool, HolderReads> ON_POOL = Collections.synchronizedMap(new WeakHashMap<>());

  /** A read waiting: where its caller waits. */
  private record Asked(Context context, Promise<Optional<TaskRow>> promise) {

    void deliver(AsyncResult<Optional<TaskRow>> result) {
      if (context == null) {
        promise.handle(result);
      } else {
        context.runOnContext(v -> promise.handle(result));
      }
    }
  }

  private final Pool pool;
  private final Context home;
  private final int maxInFlight;
  /** The reads waiting, by task id (two reads of one task share its row). */
  private Map<String, List<Asked>> waiting = new LinkedHashMap<>();
  private int inFlight;
  private final AtomicLong statements = new AtomicLong();
  private final AtomicLong reads = new AtomicLong();

  private HolderReads(Pool pool, Context home, int maxInFlight) {
    this.pool = pool;
    this.home = home;
    this.maxInFlight = maxInFlight;
  }

  static void enable(Vertx vertx, Pool pool, int maxInFlight) {
    ON_POOL.put(pool, new HolderReads(pool, vertx.getOrCreateContext(), maxInFlight));
  }

  static void disable(Pool pool) {
    ON_POOL.remove(pool);
  }

  static HolderReads of(Pool pool) {
    return ON_POOL.get(pool);
  }

  /** Statements sent so far, and the reads they answered: how much the gathering took (what tests read). */
  public static long[] counts(Pool pool) {
    HolderReads r = ON_POOL.get(pool);
    return r == null ? new long[] {0, 0} : new long[] {r.statements.get(), r.reads.get()};
  }

  /** The task {@code taskId} as its holder's calls read it; empty when there is none. Answered on the caller's context. */
  Future<Optional<TaskRow>> read(String taskId) {
    Promise<Optional<TaskRow>> promise = Promise.promise();
    Map<String, List<Asked>> now = null;
    synchronized (this) {
      waiting.computeIfAbsent(taskId, k -> new ArrayList<>(1)).add(new Asked(Vertx.currentContext(), promise));
      if (inFlight < maxInFlight) {
        now = take();
      }
    }
    if (now != null) {
      Map<String, List<Asked>> first = now;
      home.runOnContext(v -> send(first));
    }
    return promise.future();
  }

  /** Every read waiting, counted as on its way. */
  private Map<String, List<Asked>> take() {
    Map<String, List<Asked>> group = waiting;
    waiting = new LinkedHashMap<>();
    inFlight++;
    return group;
  }

  private void send(Map<String, List<Asked>> group) {
    List<String> ids = new ArrayList<>(group.keySet());
    Future<Map<String, TaskRow>> read = ids.size() == 1
        ? pool.preparedQuery(TaskSql.FIND_FOR_HOLDER).execute(Tuple.of(ids.get(0))).map(TaskRepository::byId)
        : pool.preparedQuery(TaskSql.FIND_FOR_HOLDERS).execute(Tuple.tuple().addArrayOfString(ids.toArray(String[]::new)))
            .map(TaskRepository::byId);
    read.onComplete(ar -> {
      statements.incrementAndGet();
      reads.addAndGet(group.values().stream().mapToInt(List::size).sum());
      group.forEach((id, asked) -> asked.forEach(a -> a.deliver(ar.map(found -> Optional.ofNullable(found.get(id))))));
      Map<String, List<Asked>> next;
      synchronized (this) {
        inFlight--;
        next = waiting.isEmpty() ? null : take();
      }
      if (next != null) {
        // From the node's context, not from this callback's (see GroupCommit).
        home.runOnContext(v -> send(next));
      }
    });
  }
}
