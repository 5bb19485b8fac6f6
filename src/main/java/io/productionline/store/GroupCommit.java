package io.productionline.store;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Group commit of tracks' writes ({@link TrackWrite}) and executors' claims on a pool: the writes the
 * node's track verticles decide, and the claims its executors make, while others are on their way
 * are written together, in one transaction sent as one pipeline ({@code BEGIN}, each write's
 * statement, {@code COMMIT}: one round trip and one commit for all of them).
 *
 * <p>Batching takes no timer: while fewer than {@code maxInFlight} groups are on their way, a write
 * goes at once, alone, committing on its own as it did before (a lone write waits for nothing);
 * otherwise it waits for the next group, which takes every write waiting (up to
 * {@code maxWrites}), ordered by project and track (claims, of no project, first).
 *
 * <p>A group never takes a write of a project that a group on its way holds: a move locks its
 * project's row (the project's event sequence) until its group commits, so a second group with a
 * move of the same project would wait for that commit inside PostgreSQL, holding its connection and
 * the rows of its other moves meanwhile (a track's first move waited 1.6 of its 1.8 ms so,
 * docs/benchmarks.md, "Where the CPU goes"). Such a write waits in the node instead and goes with
 * the next group after that commit, together with the project's other writes decided meanwhile. So
 * the groups on their way hold disjoint projects and never wait for each other. A claim holds no
 * project: it takes queued tasks {@code FOR UPDATE SKIP LOCKED}, so it never waits for a row another
 * group holds, and a task a move of its own group queued or completed is one it sees as such.
 *
 * <p>A group's moves of the common shape (a held task completed or none, the next run queued or
 * none, the move, its events) go as one statement over arrays, {@link MoveBatch}, after the group's
 * other writes; each move keeps its own fence and compare-and-set in it, and one that lost writes
 * nothing and hears so from its row. The claims of any line made by executors of one shape go as
 * one statement, {@link ClaimBatch}, planned once on each connection and its plan kept
 * ({@link #CLAIM_PLANS}). The other writes and claims go as their own
 * statements, each with its own fence and compare-and-set. A write whose statement fails (a lost
 * compare-and-set raises {@code pl_stale_write}) fails alone: PostgreSQL turns the group's
 * {@code COMMIT} into a rollback, the failing write gets its error, and the group's other writes go again
 * in the next group, so nothing of them was written and nothing is written twice. Should a batch's
 * statement itself fail, its moves or claims go again each as its own statement. No write and no
 * claim hears its result before its group has committed: a claimed task's lease is durable before
 * its executor hears of it. When the commit itself fails (the connection was lost) every write of
 * the group gets that error, as a lone statement's would.
 *
 * <p>Every group is sent from one event-loop context of the node ({@code home}), which lives as
 * long as the node, never from the callback of the group before it, whose context may be a retired
 * track verticle's (docs/benchmarks.md, "The 30-second stall").
 */
public final class GroupCommit {

  private static final Map<Pool, GroupCommit> ON_POOL = Collections.synchronizedMap(new WeakHashMap<>());

  /**
   * Sent in a group before its statements of claims ({@link ClaimBatch}): each connection plans
   * them once and keeps the plan. PostgreSQL would otherwise plan each again at every call, since
   * its plan for any values is costed above the plans for given ones, whose arrays and limit it
   * knows: planning was 0.38 ms of a claim's 3.7 ms at 32 tasks a claim, and 0.5-0.8 ms of a
   * claims' statement's 2-2.5 ms at one (docs/benchmarks.md, "Claims in one statement, planned
   * once"). The plans read by index whatever the statistics say ({@link TaskSql#BY_INDEX}): a plan
   * is kept until the table is next analyzed, and one made from the statistics of a young table
   * read every task sequentially, for the claims and for the update of the tasks they took.
   */
  static final String CLAIM_PLANS = "SET LOCAL plan_cache_mode = force_generic_plan; " + TaskSql.BY_INDEX;

  /**
   * Sent after {@link #CLAIM_PLANS} before a group's {@link MoveBatch}: the moves are planned for
   * their values as before. Their statement's bind is mostly its arrays' values decoded, not
   * planning (0.6 ms of it in either mode), so a plan kept would save little.
   */
  static final String DEFAULT_PLANS = "SET LOCAL plan_cache_mode TO DEFAULT; SET LOCAL enable_bitmapscan TO DEFAULT;"
      + " SET LOCAL enable_seqscan TO DEFAULT";

  /** SQLSTATE in_failed_sql_transaction: a statement after the group's failing one. */
  private static final String IN_FAILED_TRANSACTION = "25P02";

  /**
   * A write waiting: its statement, its values, its move's values when it can go in a {@link MoveBatch}
   * (else null), where its caller waits, and the order key (a claim's project and track are null).
   */
  private record Pending(String sql, Tuple params, Map<String, Object> move, ClaimBatch.Ask ask, String project, String track,
                         Context context, Promise<List<Row>> promise) {

    void deliver(AsyncResult<List<Row>> result) {
      if (context == null) {
        promise.handle(result);
      } else {
        context.runOnContext(v -> promise.handle(result));
      }
    }

    /** The same write or claim, to go as its own statement. */
    Pending alone() {
      return new Pending(sql, params, null, null, project, track, context, promise);
    }
  }

  private final Pool pool;
  private final Context home;
  private final int maxInFlight;
  private final int maxWrites;
  private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
  /** The projects of the groups on their way, with how many of their writes each holds. */
  private final Map<String, Integer> held = new java.util.HashMap<>();
  private int inFlight;
  private final AtomicLong groups = new AtomicLong();
  private final AtomicLong grouped = new AtomicLong();
  private final AtomicLong batched = new AtomicLong();
  private final AtomicLong claims = new AtomicLong();
  private final AtomicLong claimsBatched = new AtomicLong();

  private GroupCommit(Pool pool, Context home, int maxInFlight, int maxWrites) {
    this.pool = pool;
    this.home = home;
    this.maxInFlight = maxInFlight;
    this.maxWrites = maxWrites;
  }

  /**
   * Writes on {@code pool} go through group commit from now on: at most {@code maxInFlight} groups
   * (or lone writes) on their way at once, at most {@code maxWrites} writes in a group; and its
   * holders' reads of a task are gathered ({@link HolderReads}), at most {@code maxInFlight} on their
   * way. With {@code maxWrites} below 2 every write and read goes alone, as without group commit.
   */
  public static void enable(Vertx vertx, Pool pool, int maxInFlight, int maxWrites) {
    if (maxWrites < 2 || maxInFlight < 1) {
      disable(pool);
      return;
    }
    ON_POOL.put(pool, new GroupCommit(pool, vertx.getOrCreateContext(), maxInFlight, maxWrites));
    HolderReads.enable(vertx, pool, maxInFlight);
  }

  /** Writes on {@code pool} go alone from now on; its group commit is forgotten (the pool is closing). */
  public static void disable(Pool pool) {
    ON_POOL.remove(pool);
    HolderReads.disable(pool);
  }

  /** The group commit of {@code pool}, or null when its writes go alone. */
  static GroupCommit of(Pool pool) {
    return ON_POOL.get(pool);
  }

  /**
   * Groups committed so far, the writes they held, how many of those went in a group's one
   * statement of moves ({@link MoveBatch}), how many were claims, and how many of those went in a
   * statement of claims ({@link ClaimBatch}): how much the batching took (what tests read).
   */
  public static long[] counts(Pool pool) {
    GroupCommit g = ON_POOL.get(pool);
    return g == null ? new long[] {0, 0, 0, 0, 0}
        : new long[] {g.groups.get(), g.grouped.get(), g.batched.get(), g.claims.get(), g.claimsBatched.get()};
  }

  /**
   * Runs a write of track {@code track} of project {@code project} ({@code sql} with {@code params},
   * a statement of {@link TrackWrite}, whose values are {@code move} when it can go in a {@link MoveBatch},
   * else null); its result row arrives on the caller's context once the write has committed.
   */
  Future<Row> submit(String sql, Tuple params, Map<String, Object> move, String project, String track) {
    return enqueue(sql, params, move, null, project, track).map(rows -> rows.get(0));
  }

  /**
   * Runs a claim ({@code sql} with {@code params}, a statement of {@link TaskSql} that claims queued
   * tasks {@code FOR UPDATE SKIP LOCKED}); its rows, the tasks it claimed, arrive on the caller's
   * context once it has committed. A claim of any line ({@code ask}, else null) goes in one
   * {@link ClaimBatch} with the group's other claims of its shape.
   */
  Future<List<Row>> claim(String sql, Tuple params, ClaimBatch.Ask ask) {
    return enqueue(sql, params, null, ask, null, null);
  }

  private Future<List<Row>> enqueue(String sql, Tuple params, Map<String, Object> move, ClaimBatch.Ask ask, String project,
                                    String track) {
    Promise<List<Row>> promise = Promise.promise();
    Pending p = new Pending(sql, params, move, ask, project, track, Vertx.currentContext(), promise);
    List<Pending> now = null;
    synchronized (this) {
      waiting.add(p);
      if (inFlight < maxInFlight) {
        now = take();
      }
    }
    if (now != null) {
      List<Pending> first = now;
      home.runOnContext(v -> send(first));
    }
    return promise.future();
  }

  /**
   * The next group, counted as on its way: every write waiting whose project no group on its way
   * holds (and every claim), up to {@code maxWrites}, in the order of their projects and tracks (a
   * track's writes in the order they were submitted, claims first); null, and nothing counted, when
   * every write waiting is of such a project.
   */
  private List<Pending> take() {
    List<Pending> group = new ArrayList<>(Math.min(waiting.size(), maxWrites));
    java.util.Iterator<Pending> it = waiting.iterator();
    while (it.hasNext() && group.size() < maxWrites) {
      Pending p = it.next();
      if (p.project() == null || !held.containsKey(p.project())) {
        it.remove();
        group.add(p);
      }
    }
    if (group.isEmpty()) {
      return null;
    }
    group.forEach(p -> {
      if (p.project() != null) {
        held.merge(p.project(), 1, Integer::sum);
      }
    });
    inFlight++;
    group.sort(ORDER);
    return group;
  }

  private static final Comparator<Pending> ORDER = Comparator.comparing(Pending::project, Comparator.nullsFirst(Comparator.naturalOrder()))
      .thenComparing(Pending::track, Comparator.nullsFirst(Comparator.naturalOrder()));

  private void send(List<Pending> group) {
    Future<Void> sent = group.size() == 1 ? alone(group.get(0)) : together(group);
    sent.onComplete(x -> {
      List<Pending> next;
      synchronized (this) {
        group.forEach(p -> {
          if (p.project() != null) {
            held.computeIfPresent(p.project(), (k, n) -> n <= 1 ? null : n - 1);
          }
        });
        inFlight--;
        next = take();
      }
      if (next != null) {
        // Not from inside this callback: it runs on the context of the write that started the chain, often
        // a track verticle's, undeployed once its track stabilized; a pool call made there sometimes never
        // got its connection (a lone write hung for good, and the node's other writes waited out the
        // pool's 30 s for a connection).
        List<Pending> following = next;
        home.runOnContext(v -> send(following));
      }
    });
  }

  /** A lone write: its statement commits on its own. */
  private Future<Void> alone(Pending p) {
    return pool.preparedQuery(p.sql()).execute(p.params()).transform(r -> {
      p.deliver(r.map(GroupCommit::rows));
      return Future.succeededFuture();
    });
  }

  private static List<Row> rows(RowSet<Row> set) {
    List<Row> out = new ArrayList<>(set.size());
    set.forEach(out::add);
    return out;
  }

  /**
   * A group: one transaction, sent as one pipeline. Its claims of any line, one an executor, go as
   * one {@link ClaimBatch} statement each shape; the moves that can go in a {@link MoveBatch} (two
   * or more, each of a track with no other write in the group) go as its one statement; both after
   * the group's other writes (the claims after {@link #CLAIM_PLANS}); the rest, other claims included, go
   * as their own statements.
   */
  private Future<Void> together(List<Pending> group) {
    List<Pending> batch = new ArrayList<>();
    List<Pending> singles = new ArrayList<>();
    Map<String, List<Pending>> byShape = new java.util.LinkedHashMap<>();
    List<String> tracks = group.stream().map(Pending::track).filter(java.util.Objects::nonNull).toList();
    boolean distinct = tracks.stream().distinct().count() == tracks.size();
    for (Pending p : group) {
      if (p.ask() != null) {
        byShape.computeIfAbsent(p.ask().shape(), k -> new ArrayList<>()).add(p);
      } else {
        (distinct && p.move() != null ? batch : singles).add(p);
      }
    }
    if (batch.size() < 2) {
      singles.addAll(batch);
      batch = List.of();
    }
    List<List<Pending>> claimBatches = new ArrayList<>();
    for (List<Pending> shape : byShape.values()) {
      boolean oneEach = shape.stream().map(p -> p.ask().executorId()).distinct().count() == shape.size();
      if (oneEach) {
        claimBatches.add(shape);
      } else {
        singles.addAll(shape);
      }
    }
    // Singles first, in the group's order (claims first, then by project and track), then the claims' batches, then the moves'.
    singles.sort(ORDER);
    List<Pending> ordered = new ArrayList<>(singles);
    claimBatches.forEach(ordered::addAll);
    ordered.addAll(batch);
    List<Pending> moves = batch;
    List<Pending> alone = singles;
    return pool.getConnection().transform(got -> {
      if (got.failed()) {
        group.forEach(p -> p.deliver(Future.failedFuture(got.cause())));
        return Future.succeededFuture();
      }
      SqlConnection conn = got.result();
      Future<RowSet<Row>> begun = conn.query("BEGIN").execute();
      List<Future<List<Row>>> each = new ArrayList<>(ordered.size());
      List<Future<?>> statements = new ArrayList<>();
      for (Pending p : alone) {
        each.add(conn.preparedQuery(p.sql()).execute(p.params()).map(GroupCommit::rows));
      }
      List<Future<?>> settings = new ArrayList<>();
      if (!claimBatches.isEmpty()) {
        settings.add(conn.query(CLAIM_PLANS).execute());
      }
      for (List<Pending> claims : claimBatches) {
        List<ClaimBatch.Ask> asks = claims.stream().map(Pending::ask).toList();
        Future<RowSet<Row>> claimed = conn.preparedQuery(asks.get(0).sql()).execute(ClaimBatch.Ask.tuple(asks));
        statements.add(claimed);
        // Each claim's row, by its place in the batch (1-based); none when it got no task.
        int size = claims.size();
        Future<List<List<Row>>> byPlace = claimed.map(rs -> {
          List<List<Row>> out = new ArrayList<>(size);
          for (int i = 0; i < size; i++) {
            out.add(new ArrayList<>(1));
          }
          rs.forEach(r -> out.get(r.getLong("ord").intValue() - 1).add(r));
          return out;
        });
        for (int i = 0; i < size; i++) {
          int place = i;
          each.add(byPlace.map(rows -> rows.get(place)));
        }
      }
      if (!claimBatches.isEmpty() && !moves.isEmpty()) {
        settings.add(conn.query(DEFAULT_PLANS).execute());
      }
      Future<RowSet<Row>> batched = moves.isEmpty() ? null : conn.preparedQuery(MoveBatch.STATEMENT.sql())
          .execute(MoveBatch.tuple(moves.stream().map(Pending::move).toList(), io.productionline.events.EventType.LINE_PROGRESS));
      // One row a move, in batch order.
      Future<List<Row>> rows = batched == null ? null : batched.map(GroupCommit::rows);
      for (int i = 0; i < moves.size(); i++) {
        int ord = i;
        each.add(rows.map(r -> List.of(r.get(ord))));
      }
      if (batched != null) {
        statements.add(batched);
      }
      // Sent with the writes: when one of them failed, PostgreSQL ends the transaction with a rollback instead.
      Future<RowSet<Row>> committed = conn.query("COMMIT").execute();
      List<Future<?>> all = new ArrayList<>(each);
      all.add(begun);
      // Should the settings fail, the batches after them fail in PostgreSQL too, and go again as their own statements.
      all.addAll(settings);
      all.add(committed);
      all.addAll(statements);
      return Future.join(all).transform(x -> {
        conn.close();
        settle(ordered, alone.size(), moves.size(), begun, each, committed);
        return Future.succeededFuture();
      });
    });
  }

  /**
   * Hands each write of a group its result once the group's fate is known; {@code group} is in the
   * order its statements were sent: its first {@code singles} each as its own statement, then the
   * claims of its {@link ClaimBatch}es, then its last {@code moves} in one {@link MoveBatch}.
   */
  private void settle(List<Pending> group, int singles, int moves, Future<RowSet<Row>> begun, List<Future<List<Row>>> each,
                      Future<RowSet<Row>> committed) {
    if (begun.failed() || committed.failed()) {
      // Whether the group committed is not known (the connection was lost): every write hears so, as a lone one would.
      Throwable cause = begun.failed() ? begun.cause() : committed.cause();
      group.forEach(p -> p.deliver(Future.failedFuture(cause)));
      return;
    }
    int failing = -1;
    for (int i = 0; i < each.size() && failing < 0; i++) {
      if (each.get(i).failed() && each.get(i).cause() instanceof PgException) {
        failing = i;
      }
    }
    if (failing < 0) {
      // Committed: every write that reached PostgreSQL is written (one the client could not send failed alone).
      groups.incrementAndGet();
      grouped.addAndGet(group.size());
      batched.addAndGet(moves);
      claims.addAndGet(group.stream().filter(p -> p.project() == null).count());
      claimsBatched.addAndGet(group.size() - singles - moves);
      for (int i = 0; i < group.size(); i++) {
        group.get(i).deliver(each.get(i));
      }
      return;
    }
    if (failing >= singles) {
      // A batch's statement failed, not a move's compare-and-set (a lost one writes nothing and says so in its row):
      // its moves and claims go again, each as its own statement, and each hears its own result.
      synchronized (this) {
        for (int i = group.size() - 1; i >= 0; i--) {
          waiting.addFirst(i >= singles ? group.get(i).alone() : group.get(i));
        }
      }
      return;
    }
    // One write failed in PostgreSQL and the group's COMMIT rolled it back: that write hears its error, the others go again.
    group.get(failing).deliver(each.get(failing));
    synchronized (this) {
      for (int i = group.size() - 1; i >= 0; i--) {
        Future<List<Row>> r = each.get(i);
        if (i == failing) {
          continue;
        }
        if (r.failed() && !(r.cause() instanceof PgException pe && IN_FAILED_TRANSACTION.equals(pe.getSqlState()))) {
          group.get(i).deliver(r);
        } else {
          waiting.addFirst(group.get(i));
        }
      }
    }
  }
}
