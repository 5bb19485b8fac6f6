package io.productionline.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.events.EventType;
import io.productionline.line.TrackState;
import io.productionline.store.TrackRepository.Move;
import io.productionline.store.TrackRepository.NewEvent;
import io.productionline.support.Await;
import io.productionline.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Group commit: the moves of many tracks decided at once, and the claims executors make meanwhile,
 * are written in one transaction, each keeping its own compare-and-set, so a stale move fails alone
 * and the others are written once.
 */
@DisplayName("Group commit of tracks' moves and executors' claims")
class GroupCommitTest {

  private TestNode node;

  @BeforeEach
  void start() {
    JsonObject config = TestNode.config();
    config.getJsonObject("pg").put("group_commit", new JsonObject().put("max_in_flight", 2).put("max_writes", 64));
    node = TestNode.start(config, java.time.Clock.systemUTC());
  }

  @AfterEach
  void stop() {
    node.close();
  }

  @Test
  @DisplayName("moves decided together are committed in groups; a stale one is refused alone and every other is written once")
  void staleMoveFailsAlone() throws Exception {
    List<TrackRow> tracks = started("grouped");
    assertTrue(tracks.size() >= 12, "the wide line has at least 12 document types");
    TrackRow stale = tracks.get(tracks.size() - 1);
    // Another writer moved this track after its supervisor read it: the supervisor's version is stale.
    node.sql("UPDATE tracks SET version = version + 1 WHERE id = '" + stale.id() + "'");
    long lastSeq = node.sql("SELECT last_seq FROM projects WHERE id = 'grouped'").get(0).getLong(0);
    long[] before = GroupCommit.counts(node.pool());

    // Every move is submitted from one event loop before any is answered: the first goes alone, the rest wait and go together.
    List<Future<TrackWrite.Result>> writes = submit(tracks);
    Future.join(new ArrayList<>(writes)).otherwiseEmpty().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

    for (int i = 0; i < tracks.size(); i++) {
      Future<TrackWrite.Result> w = writes.get(i);
      if (tracks.get(i) == stale) {
        assertInstanceOf(StaleWriteException.class, w.cause(), "the stale move is refused");
      } else {
        assertTrue(w.succeeded(), "the move of " + tracks.get(i).documentType() + " is written: " + w.cause());
      }
    }
    long[] after = GroupCommit.counts(node.pool());
    assertTrue(after[0] > before[0] && after[1] - before[1] >= 2, "moves went in groups of several: " + (after[1] - before[1])
        + " in " + (after[0] - before[0]));
    assertTrue(after[2] - before[2] >= 2, "a group's moves went as one statement: " + (after[2] - before[2]));

    List<Row> rows = node.sql("SELECT id, state, version FROM tracks WHERE project_id = 'grouped'");
    for (Row r : rows) {
      TrackRow read = tracks.stream().filter(t -> t.id().equals(r.getString("id"))).findFirst().orElseThrow();
      if (read == stale) {
        assertEquals(read.state().wire(), r.getString("state"), "the stale move wrote nothing");
        assertEquals(read.version() + 1, r.getLong("version").longValue());
      } else {
        assertEquals(TrackState.HALTED.wire(), r.getString("state"));
        assertEquals(read.version() + 1, r.getLong("version").longValue(), "each move was written once");
      }
    }
    // One event per written move, numbered without a hole or a repeat, the project's sequence moved by as many.
    List<Row> events = node.sql("SELECT seq FROM track_events WHERE project_id = 'grouped' AND seq > " + lastSeq + " ORDER BY seq");
    assertEquals(tracks.size() - 1, events.size());
    for (int i = 0; i < events.size(); i++) {
      assertEquals(lastSeq + 1 + i, events.get(i).getLong(0).longValue());
    }
    assertEquals(lastSeq + tracks.size() - 1, node.sql("SELECT last_seq FROM projects WHERE id = 'grouped'").get(0).getLong(0).longValue());
  }

  @Test
  @DisplayName("moves of a project whose move is on its way wait for its commit in the node, not in PostgreSQL, and then go in one group")
  void movesOfABusyProjectGoTogether() throws Exception {
    List<TrackRow> tracks = started("busy");
    long[] before = GroupCommit.counts(node.pool());

    // Another transaction holds the project's row: the first move goes at once and waits for it inside PostgreSQL.
    io.vertx.sqlclient.SqlConnection holder = node.pool().getConnection().await();
    io.vertx.sqlclient.Transaction held = holder.begin().await();
    holder.query("SELECT 1 FROM projects WHERE id = 'busy' FOR UPDATE").execute().await();
    List<Future<TrackWrite.Result>> writes = new ArrayList<>();
    writes.add(submit(tracks.subList(0, 1)).get(0));
    Await.until(() -> node.sql("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
        .get(0).getLong(0), n -> n == 1, Duration.ofSeconds(10), "the first move to wait for the project's row");

    // Every other move is decided while it waits. A second group could go at once (two may be on their way), but it
    // would wait inside PostgreSQL too, holding a connection and its other moves' rows: they wait in the node instead.
    writes.addAll(submit(tracks.subList(1, tracks.size())));
    held.commit().await();
    holder.close().await();
    Future.all(new ArrayList<>(writes)).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

    long[] after = GroupCommit.counts(node.pool());
    assertEquals(1, after[0] - before[0], "one group after the first move");
    assertEquals(tracks.size() - 1, after[1] - before[1], "every move but the first in that one group");
    assertEquals(tracks.size(), node.sql("SELECT count(*) FROM tracks WHERE project_id = 'busy' AND state = 'halted'").get(0).getLong(0),
        "every move written");
  }

  @Test
  @DisplayName("a group's moves in one statement each complete their task and queue the next; each line_progress carries the project's progress after the moves before it, "
      + "moves without one included")
  void oneStatementAGroup() throws Exception {
    List<TrackRow> tracks = started("batched");
    int n = tracks.size();
    // An executor holds every track's first task, each under a lease of its own.
    node.sql("UPDATE station_tasks SET status = 'claimed', executor_id = 'exe-test', lease_token = 'lease-' || id,"
        + " lease_expires_at = now() + interval '1 hour', claimed_at = now() WHERE project_id = 'batched' AND status = 'queued'");
    TrackRow stale = tracks.get(n - 1);
    node.sql("UPDATE tracks SET version = version + 1 WHERE id = '" + stale.id() + "'");
    TrackRow notHeld = tracks.get(n - 2);
    long lastSeq = node.sql("SELECT last_seq FROM projects WHERE id = 'batched'").get(0).getLong(0);
    long[] before = GroupCommit.counts(node.pool());
    io.productionline.line.LineDefinition wide = wideLine();

    Promise<List<Future<TrackWrite.Result>>> submitted = Promise.promise();
    java.util.Map<String, String> next = new java.util.HashMap<>();
    node.vertx.getOrCreateContext().runOnContext(v -> {
      List<Future<TrackWrite.Result>> writes = new ArrayList<>();
      for (TrackRow t : tracks) {
        // Every other move has no line_progress (as a move that leaves the counts as they were): the statement counts it all the same.
        String event = tracks.indexOf(t) % 2 == 0 ? EventType.LINE_PROGRESS : EventType.STATION_TRANSITION;
        io.productionline.line.DocumentType type = wide.type(t.documentType()).orElseThrow();
        TrackWrite w = TrackWrite.of(t, Instant.now()).completeHeld(t.currentTaskId(), t.runs(),
            t == notHeld ? "a lease that ran out" : "lease-" + t.currentTaskId(), "passed", new JsonObject().put("pages", 3));
        String task = w.queue(type, new io.productionline.line.TrackMachine.StationRun(1, type.stations().get(1), java.util.Map.of()),
            t.runs() + 1, 0);
        next.put(t.id(), task);
        writes.add(w.move(new Move(TrackState.AUDITING, 1, 0, t.runs() + 1, task, null), t.runs() + 1)
            .events(List.of(new NewEvent(event, new JsonObject())))
            .execute(node.pool()));
      }
      submitted.complete(writes);
    });
    List<Future<TrackWrite.Result>> writes = submitted.future().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    Future.join(new ArrayList<>(writes)).otherwiseEmpty().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

    for (int i = 0; i < n; i++) {
      TrackRow t = tracks.get(i);
      Future<TrackWrite.Result> w = writes.get(i);
      if (t == stale) {
        assertInstanceOf(StaleWriteException.class, w.cause(), "the stale move is refused");
      } else if (t == notHeld) {
        assertTrue(w.succeeded() && !w.result().completed(), "a completion whose lease does not hold its task writes nothing");
      } else {
        assertTrue(w.succeeded() && w.result().completed(), "the move of " + t.documentType() + " is written: " + w.cause());
        assertEquals(List.of(1), w.result().attempts(), "the completed task's attempt");
      }
    }
    assertTrue(GroupCommit.counts(node.pool())[2] - before[2] >= 2, "the moves went in one statement");

    for (TrackRow t : tracks) {
      Row track = node.sql("SELECT state, version, current_task_id FROM tracks WHERE id = '" + t.id() + "'").get(0);
      List<Row> tasks = node.sql("SELECT id, status, run_no, result FROM station_tasks WHERE track_id = '" + t.id() + "' ORDER BY run_no");
      if (t == stale || t == notHeld) {
        assertEquals(TrackState.ASSEMBLING.wire(), track.getString("state"), "a refused move wrote nothing");
        assertEquals(List.of("claimed"), tasks.stream().map(r -> r.getString("status")).toList(), "its task is still at its executor");
      } else {
        assertEquals(TrackState.AUDITING.wire(), track.getString("state"));
        assertEquals(t.version() + 1, track.getLong("version").longValue(), "each move was written once");
        assertEquals(next.get(t.id()), track.getString("current_task_id"));
        assertEquals(List.of("completed", "queued"), tasks.stream().map(r -> r.getString("status")).toList(),
            "the first task completed, the next queued once");
        assertEquals(3, tasks.get(0).getJsonObject("result").getInteger("pages"), "the completed task keeps its executor's result");
        assertEquals(next.get(t.id()), tasks.get(1).getString("id"));
      }
    }
    // The events in sequence, without a hole; each line_progress's summary counts the moves written before it and its own.
    List<Row> events = node.sql("SELECT seq, type, payload FROM track_events WHERE project_id = 'batched' AND seq > " + lastSeq + " ORDER BY seq");
    assertEquals(n - 2, events.size());
    int progress = 0;
    for (int i = 0; i < events.size(); i++) {
      assertEquals(lastSeq + 1 + i, events.get(i).getLong("seq").longValue());
      JsonObject summary = events.get(i).getJsonObject("payload").getJsonObject("summary");
      if (!EventType.LINE_PROGRESS.equals(events.get(i).getString("type"))) {
        assertNull(summary, "a move without a line_progress carries no summary");
        continue;
      }
      progress++;
      assertEquals(i + 1, summary.getInteger("auditing"), "moves to auditing by event " + (i + 1) + ": " + summary);
      assertEquals(n - i - 1, summary.getInteger("assembling"), summary.encode());
      assertEquals(n, summary.getInteger("total"));
    }
    assertTrue(progress > 1 && progress < n - 2, "some moves had a line_progress and some had none: " + progress);
    assertEquals(lastSeq + n - 2, node.sql("SELECT last_seq FROM projects WHERE id = 'batched'").get(0).getLong(0).longValue());
  }

  @Test
  @DisplayName("a move of a track the database does not have is refused and queues no task; the other moves of its group queue theirs")
  void aMoveOfAnUnknownTrackQueuesNothing() throws Exception {
    List<TrackRow> tracks = started("unknown");
    io.productionline.line.LineDefinition wide = wideLine();
    // Two moves of tracks the database does not have (what a supervisor of a lost track would write): the first of the
    // moves goes alone, in a statement of its own; the other goes in the group's statement with the known tracks' moves.
    List<TrackRow> moving = List.of(unknown(tracks.get(0), "trk_unknown_alone"), tracks.get(1), unknown(tracks.get(0), "trk_unknown_grouped"),
        tracks.get(2));
    long tasks = node.sql("SELECT count(*) FROM station_tasks").get(0).getLong(0);

    Promise<List<Future<TrackWrite.Result>>> submitted = Promise.promise();
    node.vertx.getOrCreateContext().runOnContext(v -> {
      List<Future<TrackWrite.Result>> writes = new ArrayList<>();
      for (TrackRow t : moving) {
        io.productionline.line.DocumentType type = wide.type(t.documentType()).orElseThrow();
        TrackWrite w = TrackWrite.of(t, Instant.now());
        String task = w.queue(type, new io.productionline.line.TrackMachine.StationRun(1, type.stations().get(1), java.util.Map.of()),
            t.runs() + 1, 0);
        writes.add(w.move(new Move(TrackState.AUDITING, 1, 0, t.runs() + 1, task, null), t.runs() + 1)
            .events(List.of(new NewEvent(EventType.STATION_TRANSITION, new JsonObject())))
            .execute(node.pool()));
      }
      submitted.complete(writes);
    });
    List<Future<TrackWrite.Result>> writes = submitted.future().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    Future.join(new ArrayList<>(writes)).otherwiseEmpty().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

    assertInstanceOf(StaleWriteException.class, writes.get(0).cause(), "the lone move of a track the database does not have is refused");
    assertInstanceOf(StaleWriteException.class, writes.get(2).cause(), "so is the grouped one");
    assertTrue(writes.get(1).succeeded() && writes.get(3).succeeded(), "the other moves are written: " + writes);
    assertEquals(0, node.sql("SELECT count(*) FROM station_tasks WHERE track_id LIKE 'trk_unknown%'").get(0).getLong(0).longValue(),
        "no task of a track the database does not have");
    assertEquals(tasks + 2, node.sql("SELECT count(*) FROM station_tasks").get(0).getLong(0).longValue(), "each written move queued its task once");
  }

  /** The line the tests' projects run (src/test/resources/lines/wide.json). */
  private static io.productionline.line.LineDefinition wideLine() throws java.io.IOException {
    return io.productionline.line.Lines.parse(new com.fasterxml.jackson.databind.ObjectMapper(),
        java.nio.file.Files.readString(java.nio.file.Path.of("src/test/resources/lines/wide.json")));
  }

  /** {@code known} under an id no track has. */
  private static TrackRow unknown(TrackRow known, String id) {
    return new TrackRow(id, known.projectId(), known.documentType(), known.state(), known.stationIndex(), known.remediationCount(),
        known.runs(), known.currentTaskId(), known.reason(), known.version(), known.ownerNode(), known.ownerEpoch(), known.replaces(),
        known.createdAt(), known.stateEnteredAt(), known.finalizedAt(), known.parentTrackId(), known.fanOutRound(), known.fanOutIndex(),
        known.fanOutItem());
  }

  @Test
  @DisplayName("when a group's one statement of moves fails as a whole, its moves go again one by one and each is written once")
  void aFailedBatchGoesAgainMoveByMove() throws Exception {
    List<TrackRow> tracks = started("refused");
    // PostgreSQL refuses every statement of many moves (as it would end one that deadlocked); a move's own statement passes.
    node.sql("""
        CREATE FUNCTION refuse_batches() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF current_query() LIKE 'WITH m AS%' THEN
            RAISE EXCEPTION 'a statement of many moves, refused by the test';
          END IF;
          RETURN NULL;
        END $$""");
    node.sql("CREATE TRIGGER refuse_batches AFTER INSERT ON track_events FOR EACH STATEMENT EXECUTE FUNCTION refuse_batches()");
    long lastSeq = node.sql("SELECT last_seq FROM projects WHERE id = 'refused'").get(0).getLong(0);
    long[] before = GroupCommit.counts(node.pool());

    List<Future<TrackWrite.Result>> writes = submit(tracks);
    Future.join(new ArrayList<>(writes)).otherwiseEmpty().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

    for (int i = 0; i < tracks.size(); i++) {
      assertTrue(writes.get(i).succeeded(), "the move of " + tracks.get(i).documentType() + " is written: " + writes.get(i).cause());
    }
    long[] after = GroupCommit.counts(node.pool());
    assertEquals(before[2], after[2], "no statement of many moves was written");
    assertTrue(after[1] - before[1] >= 2, "the moves went again in a group, each as its own statement");
    for (Row r : node.sql("SELECT id, state, version FROM tracks WHERE project_id = 'refused'")) {
      TrackRow read = tracks.stream().filter(t -> t.id().equals(r.getString("id"))).findFirst().orElseThrow();
      assertEquals(TrackState.HALTED.wire(), r.getString("state"));
      assertEquals(read.version() + 1, r.getLong("version").longValue(), "each move was written once");
    }
    List<Row> events = node.sql("SELECT seq FROM track_events WHERE project_id = 'refused' AND seq > " + lastSeq + " ORDER BY seq");
    assertEquals(tracks.size(), events.size(), "one event a move");
    for (int i = 0; i < events.size(); i++) {
      assertEquals(lastSeq + 1 + i, events.get(i).getLong(0).longValue());
    }
  }

  @Test
  @DisplayName("claims made while others are on their way go together in one commit; each executor holds tasks no other holds, with the lease it was answered")
  void claimsGoTogether() throws Exception {
    List<TrackRow> tracks = started("claimed");
    List<String> capabilities = queuedCapabilities("claimed");
    long[] before = GroupCommit.counts(node.pool());

    // Every claim is made from one event loop before any is answered: two go at once, alone; the rest wait and go together.
    List<Future<List<TaskRow>>> claims = claim(tracks.size(), capabilities);
    Future.all(new ArrayList<>(claims)).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

    long[] after = GroupCommit.counts(node.pool());
    assertTrue(after[3] - before[3] >= tracks.size() - 2, "the claims that waited went in a group: " + (after[3] - before[3]));
    assertTrue(after[4] - before[4] >= tracks.size() - 2, "and as one statement: " + (after[4] - before[4]));
    assertEachHoldsItsOwn(claims, tracks.size());
  }

  @Test
  @DisplayName("claims in one statement: a task reserved for one of the claiming executors goes to it, one reserved for another executor to nobody")
  void claimsInOneStatementKeepReservations() throws Exception {
    List<TrackRow> tracks = started("reserved");
    List<String> capabilities = queuedCapabilities("reserved");
    List<String> queued = queueOrder("reserved");
    // The best task is reserved for claimer-5, which claims in the batch; the next for an executor that does not claim.
    String forFive = queued.get(0);
    String forOther = queued.get(1);
    reserve(forFive, "claimer-5");
    reserve(forOther, "elsewhere");
    long[] before = GroupCommit.counts(node.pool());

    // Two claims go alone and take two free tasks; the rest go in one statement and take every task left that they may.
    int claimers = tracks.size() - 1;
    List<Future<List<TaskRow>>> claims = claim(claimers, capabilities);
    Future.all(new ArrayList<>(claims)).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

    assertTrue(GroupCommit.counts(node.pool())[4] - before[4] >= claimers - 2, "the claims that waited went as one statement");
    assertEquals(forFive, claims.get(5).result().get(0).id(), "the task reserved for claimer-5 went to claimer-5");
    assertEachHoldsItsOwn(claims, claimers);
    Row other = node.sql("SELECT status, reserved_for FROM station_tasks WHERE id = '" + forOther + "'").get(0);
    assertEquals("queued", other.getString("status"), "the task reserved for an executor that did not claim was taken by none");
    assertEquals("elsewhere", other.getString("reserved_for"));
  }

  @Test
  @DisplayName("claims of several tasks in one statement: each executor holds as many as it asked for, the earlier claim the better tasks,"
      + " and a task reserved for one of them goes to it")
  void claimsOfSeveralTasksGoTogether() throws Exception {
    List<TrackRow> tracks = started("several");
    assertTrue(tracks.size() >= 12, "the line has work for every claim");
    List<String> capabilities = queuedCapabilities("several");
    List<String> queued = queueOrder("several");
    // The tenth task of the queue is reserved for claimer-3, the last to claim.
    String forThree = queued.get(9);
    reserve(forThree, "claimer-3");
    // Two moves of projects of another line (another capability) take both places of groups on their way, and wait for
    // the test's lock on their projects' rows until every claim is made: the four claims then go in one group.
    List<TrackRow> blockers = List.of(jobAtWork("several-a"), jobAtWork("several-b"));
    io.vertx.sqlclient.SqlConnection lock = node.pool().getConnection().await();
    lock.query("BEGIN").execute().await();
    lock.query("SELECT id FROM projects WHERE id IN ('several-a', 'several-b') FOR UPDATE").execute().await();
    long[] before = GroupCommit.counts(node.pool());

    Promise<List<Future<List<TaskRow>>>> made = Promise.promise();
    List<Future<TrackWrite.Result>> halts = new ArrayList<>();
    node.vertx.getOrCreateContext().runOnContext(v -> {
      blockers.forEach(b -> halts.add(halt(b)));
      List<Future<List<TaskRow>>> claims = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        claims.add(node.node.services().tasks.claim(node.pool(), "claimer-" + i, capabilities, "either", 60, Instant.now(), null, 3));
      }
      made.complete(claims);
    });
    List<Future<List<TaskRow>>> claims = made.future().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    lock.query("COMMIT").execute().await();
    lock.close().await();
    Future.all(new ArrayList<>(claims)).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    Future.all(new ArrayList<>(halts)).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

    assertEquals(4, GroupCommit.counts(node.pool())[4] - before[4], "the four claims went as one statement");
    assertEachHoldsItsOwn(claims, 3, 12);
    assertEquals(queued.subList(0, 3), claims.get(0).result().stream().map(TaskRow::id).toList(), "the first claim got the three best tasks");
    List<String> three = claims.get(3).result().stream().map(TaskRow::id).toList();
    assertTrue(three.contains(forThree), "the task reserved for claimer-3 went to claimer-3: " + three);
    int lastOfTwo = claims.get(2).result().stream().mapToInt(t -> queued.indexOf(t.id())).max().orElseThrow();
    int firstFreeOfThree = three.stream().filter(id -> !id.equals(forThree)).mapToInt(queued::indexOf).min().orElseThrow();
    assertTrue(lastOfTwo < firstFreeOfThree, "the earlier claim of the statement got the better tasks");
  }

  @Test
  @DisplayName("a claim whose group met a stale move goes again and holds its task once; the stale move alone is refused")
  void claimsOfAGroupWithAStaleMoveGoAgain() throws Exception {
    List<TrackRow> tracks = started("claimed-stale");
    List<String> capabilities = queuedCapabilities("claimed-stale");
    TrackRow stale = tracks.get(0);
    node.sql("UPDATE tracks SET version = version + 1 WHERE id = '" + stale.id() + "'");

    // Two claims go at once, alone; the stale move and the other claims wait and go in one group, whose COMMIT the stale
    // move turns into a rollback: the claims of that group go again.
    Promise<List<Future<?>>> made = Promise.promise();
    int claimers = tracks.size() - 1;
    node.vertx.getOrCreateContext().runOnContext(v -> {
      List<Future<?>> all = new ArrayList<>();
      for (int i = 0; i < claimers; i++) {
        all.add(claimOne(i, capabilities));
        if (i == 2) {
          all.add(halt(stale));
        }
      }
      made.complete(all);
    });
    List<Future<?>> all = made.future().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    Future.join(new ArrayList<>(all)).otherwiseEmpty().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

    assertInstanceOf(StaleWriteException.class, all.get(3).cause(), "the stale move is refused");
    List<Future<List<TaskRow>>> claims = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      if (i != 3) {
        @SuppressWarnings("unchecked")
        Future<List<TaskRow>> claim = (Future<List<TaskRow>>) all.get(i);
        claims.add(claim);
      }
    }
    assertEachHoldsItsOwn(claims, claimers);
    assertEquals(0L, node.sql("SELECT count(*) FROM station_tasks WHERE project_id = 'claimed-stale' AND attempt <> 1").get(0).getLong(0),
        "no task was claimed twice");
  }

  @Test
  @DisplayName("holders' reads of a task asked while others are on their way go as one read; each is answered its own task, an unknown one none")
  void holderReadsGoTogether() throws Exception {
    started("read");
    List<String> ids = node.sql("SELECT id FROM station_tasks WHERE project_id = 'read' ORDER BY id").stream().map(r -> r.getString(0)).toList();
    List<String> asked = new ArrayList<>(ids);
    asked.add("no-such-task");
    asked.add(ids.get(ids.size() - 1));
    long[] before = HolderReads.counts(node.pool());

    Promise<List<Future<java.util.Optional<TaskRow>>>> made = Promise.promise();
    node.vertx.getOrCreateContext().runOnContext(v -> made.complete(asked.stream().map(id -> node.node.services().tasks.findForHolder(node.pool(), id)).toList()));
    List<Future<java.util.Optional<TaskRow>>> reads = made.future().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    Future.all(new ArrayList<>(reads)).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

    for (int i = 0; i < asked.size(); i++) {
      java.util.Optional<TaskRow> got = reads.get(i).result();
      if (asked.get(i).equals("no-such-task")) {
        assertTrue(got.isEmpty(), "no task answered for an id of none");
      } else {
        assertEquals(asked.get(i), got.orElseThrow().id(), "read " + i + " answered its own task");
        assertEquals("queued", got.get().status().wire());
      }
    }
    long[] after = HolderReads.counts(node.pool());
    assertEquals(asked.size(), after[1] - before[1], "every read answered");
    assertTrue(after[0] - before[0] <= 3, "two reads went alone and the rest as one: " + (after[0] - before[0]) + " statements");
  }

  /** Each claim answered one task; no two the same; each task held in PostgreSQL by its claimer with the lease it was answered. */
  private void assertEachHoldsItsOwn(List<Future<List<TaskRow>>> claims, int expected) {
    assertEachHoldsItsOwn(claims, 1, expected);
  }

  /** Each claim answered {@code each} tasks; no two the same; each held in PostgreSQL by its claimer with the lease it was answered. */
  private void assertEachHoldsItsOwn(List<Future<List<TaskRow>>> claims, int each, int expected) {
    java.util.Set<String> held = new java.util.HashSet<>();
    for (int i = 0; i < claims.size(); i++) {
      assertTrue(claims.get(i).succeeded(), "claim " + i + " answered: " + claims.get(i).cause());
      List<TaskRow> got = claims.get(i).result();
      assertEquals(each, got.size(), "claim " + i + " holds " + each);
      for (TaskRow t : got) {
        assertTrue(held.add(t.id()), "task " + t.id() + " handed to one executor only");
        Row row = node.sql("SELECT status, executor_id, lease_token FROM station_tasks WHERE id = '" + t.id() + "'").get(0);
        assertEquals("claimed", row.getString("status"));
        assertEquals("claimer-" + i, row.getString("executor_id"), "task " + t.id() + " held by the executor that was answered");
        assertEquals(t.leaseToken(), row.getString("lease_token"), "the lease answered is the lease written");
      }
    }
    assertEquals(expected, held.size());
  }

  /** The capabilities of a project's queued tasks. */
  private List<String> queuedCapabilities(String project) {
    return node.sql("SELECT DISTINCT capability FROM station_tasks WHERE status = 'queued' AND project_id = '" + project + "'")
        .stream().map(r -> r.getString(0)).toList();
  }

  /** The ids of {@code project}'s queued tasks, in claim order. */
  private List<String> queueOrder(String project) {
    return node.sql("SELECT id FROM station_tasks WHERE project_id = '" + project + "' AND status = 'queued'"
        + " ORDER BY priority DESC, created_at, id").stream().map(r -> r.getString(0)).toList();
  }

  /** An operator's reservation of {@code task} for {@code executor}, for an hour. */
  private void reserve(String task, String executor) {
    node.sql("UPDATE station_tasks SET reserved_for = '" + executor + "', reserved_until = now() + interval '1 hour' WHERE id = '" + task + "'");
  }

  /** {@code n} claims of one task each (executors claimer-0 …), all made from one event loop before any is answered. */
  private List<Future<List<TaskRow>>> claim(int n, List<String> capabilities) throws Exception {
    return claim(n, capabilities, 1);
  }

  /** {@code n} claims of up to {@code max} tasks each (executors claimer-0 …), all made from one event loop before any is answered. */
  private List<Future<List<TaskRow>>> claim(int n, List<String> capabilities, int max) throws Exception {
    Promise<List<Future<List<TaskRow>>>> made = Promise.promise();
    node.vertx.getOrCreateContext().runOnContext(v -> {
      List<Future<List<TaskRow>>> claims = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        claims.add(node.node.services().tasks.claim(node.pool(), "claimer-" + i, capabilities, "either", 60, Instant.now(), null, max));
      }
      made.complete(claims);
    });
    return made.future().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private Future<List<TaskRow>> claimOne(int i, List<String> capabilities) {
    return node.node.services().tasks.claim(node.pool(), "claimer-" + i, capabilities, "either", 60, Instant.now(), null, 1);
  }

  private Future<TrackWrite.Result> halt(TrackRow t) {
    return TrackWrite.of(t, Instant.now())
        .move(new Move(TrackState.HALTED, t.stationIndex(), t.remediationCount(), t.runs(), t.currentTaskId(), "held by the test"), -1)
        .events(List.of(new NewEvent(EventType.LINE_PROGRESS, new JsonObject())))
        .execute(node.pool());
  }

  /** The job of a new project of the line slowjob, at its assembly station (as its supervisor read it), its task queued. */
  private TrackRow jobAtWork(String project) {
    node.createProject(project, "slowjob");
    assertEquals(200, node.api.post("/production/start?project=" + project + "&doc=job", new JsonObject()).status());
    Await.until(() -> node.sql("SELECT count(*) FROM tracks WHERE project_id = '" + project + "' AND state = 'assembling'"
        + " AND owner_node IS NOT NULL").get(0).getLong(0), n -> n == 1, Duration.ofSeconds(30), "the job at its assembly station");
    return node.node.services().tracks.ofProject(node.pool(), project).await().stream().filter(t -> t.ownerNode() != null).findFirst()
        .orElseThrow();
  }

  /** The tracks of a new project of the wide line, started, each at its first station (as its supervisor read it). */
  private List<TrackRow> started(String project) {
    node.createProject(project, "wide");
    assertEquals(200, node.api.post("/production/start?project=" + project, new JsonObject()).status());
    Await.until(() -> node.sql("SELECT count(*) FILTER (WHERE state = 'queued' OR owner_node IS NULL) FROM tracks"
        + " WHERE project_id = '" + project + "'").get(0).getLong(0), n -> n == 0, Duration.ofSeconds(30), "every track at its first station");
    return node.node.services().tracks.ofProject(node.pool(), project).await();
  }

  /** A halting move of each of {@code tracks}, all submitted from one event loop before any is answered. */
  private List<Future<TrackWrite.Result>> submit(List<TrackRow> tracks) throws Exception {
    Promise<List<Future<TrackWrite.Result>>> submitted = Promise.promise();
    node.vertx.getOrCreateContext().runOnContext(v -> {
      List<Future<TrackWrite.Result>> writes = new ArrayList<>();
      for (TrackRow t : tracks) {
        writes.add(halt(t));
      }
      submitted.complete(writes);
    });
    return submitted.future().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
