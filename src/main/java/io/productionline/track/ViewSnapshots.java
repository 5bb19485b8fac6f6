package io.productionline.track;

import io.productionline.Refusal;
import io.productionline.Services;
import io.productionline.store.TaskRow;
import io.productionline.store.TrackRepository.Head;
import io.productionline.store.TrackRow;
import io.productionline.track.ProductionView.Rows;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The rows of the line views this node was asked for ({@link Rows}), kept in memory and current, so
 * that {@code GET /production} and the dashboard's channel render from them instead of reading a
 * project whole for each request.
 *
 * <p>A project's rows are read whole from PostgreSQL at its first read (by {@link ProductionView}'s
 * own read, the one a view was always built from). After that they are brought up to date by
 * sequence number: the history is keyed by {@code (project_id, seq)} and seq order is commit order
 * within a project, so the tracks that changed since the rows' {@code last_seq} are exactly those
 * the project's events after it name; only they (their rows, their tasks) and the project's open
 * interrupts are read again. Whatever node a track lives on and whether this node heard its events
 * or not, the history in PostgreSQL says what changed: a missed event is a gap the next read closes.
 *
 * <p>Every read checks the project's head ({@code last_seq}, line version: one primary-key read)
 * and waits only if the rows are behind it; a read is never answered from rows older than the
 * head it read, so a caller sees every change committed before it asked, as before. The project's
 * events heard on this node's relay bring a watched project's rows up to date in the background
 * (one catch-up at a time per project), so a reader usually finds them current. A claim, a
 * progress report and a requeue change a task without a sequence number: the executor's
 * {@code executor_status} or the project's live event marks the task's track, and the next read
 * waits until the marks it could know of were read. A claim of a task the rows do not know yet
 * (queued by a move whose catch-up is still on its way) is kept aside and marks its track when a
 * catch-up brings the task in still queued. A new track, a new line version, or a gap
 * of more than {@value #MAX_CATCH_UP} events reads the project whole again.
 *
 * <p>Projects not read for {@value #KEEP_MS} ms are forgotten (at most {@value #MAX_PROJECTS} kept).
 */
final class ViewSnapshots {

  static final long KEEP_MS = 60_000;
  static final int MAX_PROJECTS = 64;
  static final long MAX_CATCH_UP = 5_000;
  /** Background catch-ups of one project are at least this far apart (a reader never waits for the spacing). */
  private static final long SPACING_MS = 50;

  private final Services s;
  private final Function<String, Future<Optional<Rows>>> whole;
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  /**
   * The ids of claimed tasks no kept rows knew of yet (a task queued by a move whose catch-up had
   * not finished), the oldest forgotten first: the catch-up that brings such a task in still
   * queued marks its track. Without this the rows kept the task queued until the track's next
   * event, and a track waiting for that claim's completion has none.
   */
  private final Set<String> unplacedClaims = java.util.Collections.synchronizedSet(java.util.Collections.newSetFromMap(
      new java.util.LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > MAX_UNPLACED;
        }
      }));
  /** The claims kept unplaced at most, the oldest forgotten first (a few seconds of claims of a busy line). */
  static final int MAX_UNPLACED = 10_000;

  /** {@code whole}: a project's rows read whole from PostgreSQL (empty: no such project). */
  ViewSnapshots(Services services, Function<String, Future<Optional<Rows>>> whole) {
    this.s = services;
    this.whole = whole;
  }

  /** The project's rows, as of at least its head when asked; empty when there is no such project. */
  Future<Optional<Rows>> rows(String projectId) {
    return s.tracks.head(s.reads, projectId).compose(head -> {
      if (head.isEmpty()) {
        entries.remove(projectId);
        return Future.succeededFuture(Optional.empty());
      }
      Entry e = entries.computeIfAbsent(projectId, Entry::new);
      e.readAt = System.nanoTime();
      if (entries.size() > MAX_PROJECTS) {
        forgetOldest();
      }
      long marks;
      synchronized (e) {
        marks = e.marks;
      }
      return e.upTo(head.get(), marks).map(Optional::of);
    });
  }

  /** Forgets the projects nobody read for {@link #KEEP_MS} (a timer calls it). */
  void forgetUnread() {
    long now = System.nanoTime();
    entries.values().removeIf(e -> now - e.readAt > KEEP_MS * 1_000_000);
  }

  private void forgetOldest() {
    entries.values().stream().min(java.util.Comparator.comparingLong(e -> e.readAt)).ifPresent(e -> entries.remove(e.projectId, e));
  }

  /** A project event this node's relay delivered. */
  void heard(String projectId, JsonObject event) {
    Entry e = entries.get(projectId);
    if (e == null) {
      return;
    }
    Object seq = event.getValue("seq");
    synchronized (e) {
      if (e.rows == null) {
        return;
      }
      if (seq instanceof Number n) {
        if (n.longValue() <= e.rows.lastSeq()) {
          return;
        }
      } else if (!(event.getValue("track_id") instanceof String track) || !e.mark(track)) {
        return;
      }
      e.soon();
    }
  }

  /** An executor's status: a claim names the task it took. */
  void executorStatus(JsonObject status) {
    if (status == null || !"busy".equals(status.getString("status")) || !(status.getValue("current_task") instanceof String task)) {
      return;
    }
    boolean placed = false;
    for (Entry e : entries.values()) {
      synchronized (e) {
        String track = e.openTasks.get(task);
        if (track != null) {
          placed = true;
          if (e.mark(track)) {
            e.soon();
          }
        }
      }
    }
    if (!placed && !entries.isEmpty()) {
      unplacedClaims.add(task);
      // A catch-up that finished between the look above and the put brought the task in already: look once more.
      for (Entry e : entries.values()) {
        synchronized (e) {
          String track = e.openTasks.get(task);
          if (track != null && unplacedClaims.remove(task) && e.mark(track)) {
            e.soon();
          }
        }
      }
    }
  }

  /** The rows of one project and their catch-up; guarded by itself. */
  private final class Entry {
    final String projectId;
    volatile long readAt = System.nanoTime();
    Rows rows;
    /** The open tasks of {@link #rows} and their tracks: a claim of one marks its track. */
    Map<String, String> openTasks = Map.of();
    /** Tracks changed without a sequence number since the rows were read, and how many marks were ever made. */
    final Set<String> marked = new HashSet<>();
    long marks;
    /** The marks the rows include: those made before their catch-up started. */
    long marksRead;
    Set<String> trackIds = Set.of();
    /** Whether the next catch-up must read the project whole (at first, and after a catch-up that did not complete). */
    boolean stale = true;
    Future<Rows> running;
    /** Whether events were heard that no catch-up began after; whether a background catch-up waits for its spacing. */
    boolean wanted;
    boolean timer;
    long lastStartNanos;

    Entry(String projectId) {
      this.projectId = projectId;
    }

    boolean mark(String track) {
      if (rows == null || !trackIds.contains(track)) {
        return false;
      }
      marked.add(track);
      marks++;
      return true;
    }

    boolean covers(Head head, long marksKnown) {
      return rows != null && !stale && marksRead >= marksKnown && rows.lastSeq() >= head.lastSeq()
          && Objects.equals(rows.project().lineVersion(), head.lineVersion());
    }

    /** The rows once they cover {@code head} and the marks made before {@code marksKnown}. */
    Future<Rows> upTo(Head head, long marksKnown) {
      Future<Rows> f;
      synchronized (this) {
        if (covers(head, marksKnown)) {
          return Future.succeededFuture(rows);
        }
        f = running != null ? running : start();
      }
      return f.compose(r -> {
        synchronized (this) {
          if (covers(head, marksKnown)) {
            return Future.succeededFuture(rows);
          }
        }
        return upTo(head, marksKnown);
      });
    }

    /** A catch-up in the background, after the one running and {@link #SPACING_MS} after the last one began. */
    void soon() {
      wanted = true;
      if (running != null) {
        return;
      }
      long wait = SPACING_MS - (System.nanoTime() - lastStartNanos) / 1_000_000;
      if (wait <= 0) {
        start();
      } else if (!timer) {
        timer = true;
        s.vertx.setTimer(wait, t -> {
          synchronized (this) {
            timer = false;
            if (wanted && running == null && entries.get(projectId) == this) {
              start();
            }
          }
        });
      }
    }

    /** Starts a catch-up (or a whole read); the caller holds the lock. */
    Future<Rows> start() {
      Rows old = rows;
      boolean readWhole = old == null || stale;
      wanted = false;
      Set<String> tracks = new HashSet<>(marked);
      marked.clear();
      long marksAt = marks;
      lastStartNanos = System.nanoTime();
      Future<Rows> f = readWhole ? readWhole() : catchUp(old, tracks);
      running = f;
      f.onComplete(ar -> {
        synchronized (this) {
          running = null;
          if (ar.succeeded()) {
            rows = ar.result();
            stale = false;
            Set<String> ids = new HashSet<>();
            rows.tracks().forEach(t -> ids.add(t.id()));
            trackIds = ids;
            marksRead = Math.max(marksRead, marksAt);
            Map<String, String> open = new HashMap<>();
            boolean unplaced = !unplacedClaims.isEmpty();
            for (io.productionline.store.TaskRow t : rows.tasks()) {
              if (t.status().open()) {
                open.put(t.id(), t.trackId());
              }
              // A claim heard before these rows knew its task, which they still show queued, marks its track.
              if (unplaced && t.status() == io.productionline.store.TaskStatus.QUEUED && unplacedClaims.remove(t.id()) && mark(t.trackId())) {
                wanted = true;
              }
            }
            openTasks = open;
          } else {
            stale = true;
            marked.addAll(tracks);
          }
          if (wanted && entries.get(projectId) == this) {
            soon();
          }
        }
      });
      return f;
    }

    private Future<Rows> readWhole() {
      return whole.apply(projectId).map(found -> found.orElseThrow(() -> Refusal.notFound("no project " + projectId)));
    }

    /** The rows of {@code old} with the tracks changed since (by the history, and {@code marked}) read again. */
    private Future<Rows> catchUp(Rows old, Set<String> marked) {
      // One snapshot: the head and every row read with it belong to one moment (a row committed after the head would
      // make rows that say last_seq h and show more than h).
      // A whole read (empty) is made after the snapshot's connection is given back: the pool is small.
      return ProductionView.inOneSnapshot(s, db -> catchUp(db, old, marked))
          .compose(rows -> rows.isPresent() ? Future.succeededFuture(rows.get()) : readWhole());
    }

    private Future<Optional<Rows>> catchUp(io.vertx.sqlclient.SqlClient db, Rows old, Set<String> marked) {
      Future<Head> head = s.tracks.head(db, projectId).map(h -> h.orElseThrow(() -> Refusal.notFound("no project " + projectId)));
      // Asked with the head, not after it (one round trip): in this snapshot the events after the rows' last_seq are
      // those up to the head read with them. Bounded, so that a gap too long to catch up on is not read through.
      Future<List<String>> changed = s.tracks.changedSince(db, projectId, old.lastSeq(), old.lastSeq() + MAX_CATCH_UP + 1);
      return Future.all(head, changed).compose(read -> {
        Head h = head.result();
        List<String> ids = changed.result();
        if (!Objects.equals(h.lineVersion(), old.project().lineVersion()) || h.lastSeq() - old.lastSeq() > MAX_CATCH_UP) {
          return Future.succeededFuture(Optional.<Rows>empty());
        }
        if (!old.tracks().stream().map(TrackRow::id).collect(java.util.stream.Collectors.toSet()).containsAll(ids)) {
          return Future.succeededFuture(Optional.<Rows>empty()); // a new track: its place among the others is the database's order
        }
        Set<String> touched = new HashSet<>(ids);
        touched.addAll(marked);
        if (touched.isEmpty()) {
          return Future.succeededFuture(Optional.of(new Rows(old.project(), h.lastSeq(), old.tracks(), old.tasks(), old.interrupts())));
        }
        Future<List<TrackRow>> tracks = s.tracks.ofIds(db, touched);
        Future<List<TaskRow>> tasks = s.tasks.viewOfTracks(db, List.copyOf(touched));
        Future<List<io.productionline.store.InterruptRepository.InterruptRow>> interrupts = s.interrupts.openOfProject(db, projectId);
        return Future.all(tracks, tasks, interrupts).map(x -> {
          Map<String, TrackRow> fresh = new HashMap<>();
          tracks.result().forEach(t -> fresh.put(t.id(), t));
          List<TrackRow> allTracks = new ArrayList<>(old.tracks().size());
          old.tracks().forEach(t -> allTracks.add(fresh.getOrDefault(t.id(), t)));
          List<TaskRow> allTasks = new ArrayList<>(old.tasks().size() + tasks.result().size());
          old.tasks().stream().filter(t -> !touched.contains(t.trackId())).forEach(allTasks::add);
          allTasks.addAll(tasks.result());
          return Optional.of(new Rows(old.project(), h.lastSeq(), List.copyOf(allTracks), List.copyOf(allTasks), interrupts.result()));
        });
      });
    }
  }
}
