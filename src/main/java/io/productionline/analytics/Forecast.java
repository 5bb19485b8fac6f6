package io.productionline.analytics;

import io.productionline.store.TaskStatus;
import io.productionline.line.AutomationLevel;
import io.productionline.line.DocumentType;
import io.productionline.line.StationDef;
import io.productionline.line.StationKind;
import io.productionline.line.TrackMachine;
import io.productionline.line.TrackState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeSet;

/**
 * The line's forecast: a deterministic replay of the work in the system from now on, with each
 * station taking its recent mean duration and the executors online now taking work as the claim
 * query does (capability, environment, then priority, then age). It answers when each unfinished
 * track's next station starts and when the track finishes, and why a track has no finish time.
 * Pure: no I/O, no clock but the {@code now} it is given.
 *
 * <pre>
 *   executors (online now)      open tasks (queued, claimed)     unfinished tracks
 *          │                            │                               │
 *          └──────────────┬─────────────┴───────────────┬───────────────┘
 *                         ▼                             ▼
 *     event queue: task ready ─▶ idle executor claims best task ─▶ task done at +mean
 *                         ▲                                              │
 *                         └──── next station queued (or track finishes, ◀┘
 *                               and its dependents enter their first station)
 * </pre>
 *
 * <p>What it assumes: a station takes the mean of its recent runs (a claimed task the rest of it,
 * at least a tenth); an audit that rejected a share {@code p} of its recent runs costs its expected
 * remediation loops, {@code p + p² + … + p^max_remediations} times (remediation + audit), on top;
 * a task starts {@code turnaroundMs} after both it and an executor are ready; a task held by an
 * executor that is not online is queued again after its backoff. It cannot know when an operator
 * answers, so a track that waits for one (an open interrupt, an approval or manual station ahead)
 * has no finish time, nor have the tracks that wait for it; neither has work that no online
 * executor can do. Little's law gives the same answer on average; the replay also gets the order.
 */
public final class Forecast {

  /** An executor online now. */
  public record Executor(String id, Set<String> capabilities, String environment) {
  }

  /** An open station task: queued (maybe backing off) or claimed by {@code executorId}. */
  public record Task(String id, String trackId, int runNo, int stationIndex, String capability, String environment, int priority,
                     Instant createdAt, Instant availableAt, TaskStatus status, String executorId, Instant claimedAt, int attempt,
                     int maxAttempts) {
  }

  /**
   * An unfinished track. {@code waitsFor}: the ids of the dependency tracks it still waits for (for a
   * join on a fan-out whose track is done, the children not yet done);
   * {@code cannotClear}: why one never will (cancelled for good, not started), or null;
   * {@code priority} and {@code environment} (null: each station's own) go to the tasks it queues.
   */
  public record Track(String id, String projectId, String line, DocumentType type, TrackState state, int stationIndex, int runs,
                      List<String> waitsFor, String cannotClear, int priority, String environment) {
  }

  /** How long stations take and how often audits reject, as recently seen. */
  public interface Durations {
    long serviceMs(String line, String documentType, StationDef station);

    double rejectShare(String line, String documentType, StationDef audit);
  }

  public record Input(Instant now, List<Executor> executors, List<Task> tasks, List<Track> tracks, Durations durations,
                      long turnaroundMs) {

    /** The same input with one more executor of {@code capability} (what adding one would change). */
    public Input plusExecutor(String capability) {
      List<Executor> more = new ArrayList<>(executors);
      more.add(new Executor("plan+" + capability + "+" + executors.size(), Set.of(capability), "either"));
      return new Input(now, more, tasks, tracks, durations, turnaroundMs);
    }
  }

  /**
   * A track's outlook: when its next station starts (null when it does not), when it finishes, and
   * why it has no finish time ({@code stop}, null when it finishes).
   */
  public record Outlook(Instant nextStart, Instant finish, String stop) {
  }

  /** Outlooks by track id, expected start of every open task by id, and the work each capability has ahead (ms). */
  public record Result(Instant now, Map<String, Outlook> tracks, Map<String, Instant> taskStarts, Map<String, Long> workMs) {

    public Outlook track(String id) {
      return tracks.get(id);
    }
  }

  private static final int MAX_EVENTS = 400_000;
  /**
   * The claim query's order: priority, then age; among equals a real task by its id before a task
   * the replay queued, and those by track, station and work item.
   */
  private static final Comparator<SimTask> BEST_TASK = (a, b) -> {
    int c = Integer.compare(b.priority, a.priority);
    if (c == 0) {
      c = Long.compare(a.created, b.created);
    }
    if (c != 0) {
      return c;
    }
    if (a.real != b.real) {
      return a.real ? -1 : 1;
    }
    if (a.real) {
      return a.id.compareTo(b.id);
    }
    c = a.track.t.id().compareTo(b.track.t.id());
    if (c == 0) {
      c = Integer.compare(a.stationIndex, b.stationIndex);
    }
    return c != 0 ? c : Integer.compare(a.item, b.item);
  };
  private static final Comparator<SimExecutor> LONGEST_IDLE = Comparator.comparingLong((SimExecutor x) -> x.idleSince)
      .thenComparing(x -> x.e.id());
  private static final TreeSet<SimTask> EMPTY_TASKS = new TreeSet<>(BEST_TASK);
  private static final TreeSet<SimExecutor> EMPTY_EXECUTORS = new TreeSet<>(LONGEST_IDLE);

  private Forecast() {
  }

  public static Result run(Input in) {
    return new Sim(in).run();
  }

  /** One replay. Times are milliseconds after {@code now}. */
  private static final class Sim {

    private final Input in;
    private final Map<String, SimTrack> tracks = new LinkedHashMap<>();
    private final List<SimExecutor> executors = new ArrayList<>();
    private final PriorityQueue<Event> events = new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
    /** A station's expected time by line, document type and station, for a run and for a remediation's re-audit. */
    private final Map<String, java.util.IdentityHashMap<DocumentType, long[][]>> serviceMs = new HashMap<>();
    /** Ready tasks nobody has taken, by capability, best first (priority, then age), as the claim query orders them. */
    private final Map<String, TreeSet<SimTask>> pool = new HashMap<>();
    /** Idle executors by capability, the longest idle first. */
    private final Map<String, TreeSet<SimExecutor>> idle = new HashMap<>();
    private final Map<String, SimExecutor> executorsById = new HashMap<>();
    private final Map<String, Instant> taskStarts = new HashMap<>();
    private final Map<String, Long> workMs = new LinkedHashMap<>();
    private long seq;

    Sim(Input in) {
      this.in = in;
    }

    Result run() {
      for (Executor e : in.executors()) {
        SimExecutor x = new SimExecutor(e);
        executors.add(x);
        executorsById.putIfAbsent(e.id(), x);
      }
      executors.sort(Comparator.comparing(x -> x.e.id()));
      for (Track t : in.tracks()) {
        tracks.put(t.id(), new SimTrack(t));
      }
      for (SimTrack st : tracks.values()) {
        for (String dep : st.t.waitsFor()) {
          SimTrack d = tracks.get(dep);
          if (d != null) {
            d.dependents.add(st);
          }
        }
      }
      Map<String, List<Task>> open = new HashMap<>();
      for (Task task : in.tasks()) {
        open.computeIfAbsent(task.trackId(), k -> new ArrayList<>()).add(task);
      }
      for (SimTrack st : tracks.values()) {
        init(st, open.getOrDefault(st.t.id(), List.of()));
      }
      // The executors idle now, in the order they look for work (all idle since now: by id).
      for (SimExecutor x : executors) {
        if (x.busyUntil < 0) {
          x.idleSince = 0;
          free(x, 0);
        }
      }
      int n = 0;
      while (!events.isEmpty() && n < MAX_EVENTS) {
        Event e = events.poll();
        n++;
        switch (e.kind) {
          case READY -> ready(e.task, e.at);
          case DONE -> {
            // The task is done, then its executor is free: two events, one in the queue.
            done(e.task, e.at);
            if (n++ < MAX_EVENTS) {
              e.executor.busyUntil = -1;
              e.executor.idleSince = e.at;
              free(e.executor, e.at);
            }
          }
          default -> throw new IllegalStateException("unknown event");
        }
      }
      return result();
    }

    /*
     * Between events no idle executor can do any pooled task (each event restores it), so a task
     * that becomes ready can only go to an idle executor, the longest idle first, and an executor
     * that comes free can only take a pooled task, the best it can do. Both look in the task's or
     * the executor's capabilities only: a replay costs a few map lookups per event, however many
     * executors wait or how much work no one online can do.
     */

    /** A task is ready at {@code at}: the longest-idle executor that can do it takes it; else it waits in the pool. */
    private void ready(SimTask task, long at) {
      for (SimExecutor x : idle.getOrDefault(task.capability, EMPTY_EXECUTORS)) {
        if (environmentFits(task.environment, x.e.environment())) {
          start(x, task, at);
          return;
        }
      }
      pool.computeIfAbsent(task.capability, k -> new TreeSet<>(BEST_TASK)).add(task);
    }

    /** An executor is free at {@code at}: it takes the best pooled task it can do, or waits idle. */
    private void free(SimExecutor x, long at) {
      SimTask pick = null;
      for (String capability : x.e.capabilities()) {
        for (SimTask t : pool.getOrDefault(capability, EMPTY_TASKS)) {
          if (environmentFits(t.environment, x.e.environment())) {
            if (pick == null || BEST_TASK.compare(t, pick) < 0) {
              pick = t;
            }
            break;
          }
        }
      }
      if (pick != null) {
        pool.get(pick.capability).remove(pick);
        start(x, pick, at);
        return;
      }
      for (String capability : x.e.capabilities()) {
        idle.computeIfAbsent(capability, k -> new TreeSet<>(LONGEST_IDLE)).add(x);
      }
    }

    /** {@code x} takes {@code pick} at {@code at}; it starts after the turnaround and takes the station's time. */
    private void start(SimExecutor x, SimTask pick, long at) {
      for (String capability : x.e.capabilities()) {
        TreeSet<SimExecutor> waiting = idle.get(capability);
        if (waiting != null) {
          waiting.remove(x);
        }
      }
      long service = service(pick.track, pick.stationIndex);
      long begin = at + in.turnaroundMs();
      if (pick.real) {
        taskStarts.put(pick.id, in.now().plusMillis(begin));
      }
      pick.track.noteStart(begin);
      x.busyUntil = begin + service;
      push(new Event(begin + service, Kind.DONE, pick, x));
      work(pick.capability, service);
    }

    private void init(SimTrack st, List<Task> open) {
      Track t = st.t;
      switch (t.state()) {
        case QUEUED -> st.stop = "not started: press Start Production or Run Full Line";
        case AWAITING_OPERATOR -> st.stop = "waits for an operator's answer";
        case HALTED -> st.stop = "halted: waits for an operator's review";
        case BLOCKED -> {
          if (t.cannotClear() != null) {
            st.stop = t.cannotClear();
          } else {
            st.depsLeft = (int) t.waitsFor().stream().filter(tracks::containsKey).count();
            List<String> missing = t.waitsFor().stream().filter(id -> !tracks.containsKey(id)).toList();
            if (!missing.isEmpty()) {
              st.stop = "waits for a dependency that is not in production";
            } else if (st.depsLeft == 0) {
              enter(st, 0, 0);
            }
          }
        }
        default -> {
          if (!t.state().atStation()) {
            st.stop = "finished";
            return;
          }
          st.station = t.stationIndex();
          st.remediating = t.state() == TrackState.REMEDIATING;
          StationDef def = t.type().station(st.station);
          if (def.automationLevel() == AutomationLevel.MANUAL) {
            st.stop = "manual station " + def.id() + ": an operator reports its outcome";
            return;
          }
          List<Task> current = open.stream().filter(x -> x.runNo() == t.runs()).toList();
          if (current.isEmpty()) {
            queue(st, st.station, 0, 1);
            return;
          }
          st.openItems = current.size();
          long service = service(st, st.station);
          for (Task task : current) {
            if (task.status() == TaskStatus.CLAIMED) {
              SimExecutor x = executor(task.executorId());
              if (x != null && x.busyUntil < 0) {
                long elapsed = Math.max(0, task.claimedAt() == null ? 0 : in.now().toEpochMilli() - task.claimedAt().toEpochMilli());
                long left = Math.max(service - elapsed, Math.max(1, service / 10));
                SimTask s = simTask(st, task);
                st.noteStart(0);
                taskStarts.put(task.id(), in.now());
                x.busyUntil = left;
                push(new Event(left, Kind.DONE, s, x));
                work(task.capability(), left);
                continue;
              }
              if (task.attempt() >= task.maxAttempts()) {
                st.stop = "its station task was lost " + task.attempt() + " times; the track halts";
                return;
              }
              long backoff = t.type().backoff().delayBefore(task.attempt() + 1).toMillis();
              push(new Event(backoff, Kind.READY, simTask(st, task).readyAt(backoff), null));
            } else {
              long ready = Math.max(0, task.availableAt() == null ? 0 : task.availableAt().toEpochMilli() - in.now().toEpochMilli());
              SimTask s = simTask(st, task).readyAt(ready);
              if (ready == 0) {
                pool.computeIfAbsent(s.capability, k -> new TreeSet<>(BEST_TASK)).add(s);
              } else {
                push(new Event(ready, Kind.READY, s, null));
              }
            }
          }
        }
      }
    }

    private SimExecutor executor(String id) {
      return id == null ? null : executorsById.get(id);
    }

    private SimTask simTask(SimTrack st, Task task) {
      return new SimTask(task.id(), st, task.stationIndex(), task.capability(), task.environment(), task.priority(),
          task.createdAt() == null ? 0 : task.createdAt().toEpochMilli() - in.now().toEpochMilli(), true);
    }

    /** The track enters station {@code index} at {@code at}: its task is queued, unless an operator must act first. */
    private void enter(SimTrack st, int index, long at) {
      StationDef def = st.t.type().station(index);
      st.station = index;
      if (def.automationLevel() == AutomationLevel.HUMAN_APPROVAL) {
        st.stop = "approval required before " + def.id();
        return;
      }
      if (def.automationLevel() == AutomationLevel.MANUAL) {
        st.stop = "manual station " + def.id() + ": an operator reports its outcome";
        return;
      }
      queue(st, index, at, Math.max(1, def.workItems()));
    }

    private void queue(SimTrack st, int index, long at, int items) {
      StationDef def = st.t.type().station(index);
      String environment = st.t.environment() != null ? st.t.environment() : def.environment();
      st.openItems = items;
      for (int i = 1; i <= items; i++) {
        SimTask s = new SimTask(null, st, index, def.capability(), environment, st.t.priority(), at, false);
        s.item = i;
        push(new Event(at, Kind.READY, s.readyAt(at), null));
      }
    }

    private static boolean environmentFits(String task, String executor) {
      return task == null || executor == null || task.equals("either") || executor.equals("either") || task.equals(executor);
    }

    private void work(String capability, long ms) {
      workMs.merge(capability, ms, Long::sum);
    }

    /** A task of a track completed: when the last item of its station run is in, the track moves on. */
    private void done(SimTask task, long at) {
      SimTrack st = task.track;
      if (st.stop != null || st.finish >= 0) {
        return;
      }
      st.openItems--;
      if (st.openItems > 0) {
        return;
      }
      DocumentType type = st.t.type();
      int next;
      if (st.remediating) {
        st.remediating = false;
        next = TrackMachine.auditAfterRemediation(type, st.station);
      } else {
        next = TrackMachine.nextStation(type, st.station);
      }
      if (next < 0) {
        finish(st, at);
      } else {
        enter(st, next, at);
      }
    }

    private void finish(SimTrack st, long at) {
      st.finish = at;
      for (SimTrack d : st.dependents) {
        if (d.stop != null || d.t.state() != TrackState.BLOCKED) {
          continue;
        }
        d.depsLeft--;
        if (d.depsLeft == 0) {
          enter(d, 0, at);
        }
      }
    }

    /** A station's expected time; an audit's includes its expected remediation loops. Worked out once per station. */
    private long service(SimTrack st, int index) {
      DocumentType type = st.t.type();
      long[][] known = serviceMs.computeIfAbsent(st.t.line(), l -> new java.util.IdentityHashMap<>())
          .computeIfAbsent(type, k -> new long[2][type.stations().size()]);
      long[] row = known[st.remediating ? 1 : 0];
      if (row[index] == 0) {
        row[index] = serviceOnce(st, index);
      }
      return row[index];
    }

    private long serviceOnce(SimTrack st, int index) {
      DocumentType type = st.t.type();
      StationDef def = type.station(index);
      long base = Math.max(1, in.durations().serviceMs(st.t.line(), type.name(), def));
      if (def.stationKind() != StationKind.AUDIT || st.remediating) {
        return base;
      }
      double p = Math.max(0, Math.min(0.95, in.durations().rejectShare(st.t.line(), type.name(), def)));
      if (p <= 0) {
        return base;
      }
      double loops = 0;
      double pk = 1;
      for (int k = 1; k <= type.maxRemediations(); k++) {
        pk *= p;
        loops += pk;
      }
      long rem;
      try {
        rem = in.durations().serviceMs(st.t.line(), type.name(), type.station(TrackMachine.remediationStation(type, index)));
      } catch (IllegalStateException e) {
        rem = base;
      }
      return base + Math.round(loops * (rem + base));
    }

    private void push(Event e) {
      e.seq = seq++;
      events.add(e);
    }

    private Result result() {
      // Work that nobody online can do stays in the pool: its tracks have no finish time.
      for (SimTask t : pool.values().stream().flatMap(TreeSet::stream).toList()) {
        if (t.track.finish < 0 && t.track.stop == null) {
          boolean someone = executors.stream().anyMatch(x -> x.e.capabilities().contains(t.capability));
          t.track.stop = someone ? "no online executor matches its environment (" + t.environment + ")"
              : "no executor online with capability " + t.capability;
        }
      }
      boolean changed = true;
      while (changed) {
        changed = false;
        for (SimTrack st : tracks.values()) {
          if (st.finish >= 0 || st.stop != null || st.t.state() != TrackState.BLOCKED) {
            continue;
          }
          for (String dep : st.t.waitsFor()) {
            SimTrack d = tracks.get(dep);
            if (d != null && d.finish < 0 && d.stop != null) {
              st.stop = "waits for " + d.t.type().name() + ", which " + d.stop;
              changed = true;
              break;
            }
          }
        }
      }
      Map<String, Outlook> out = new LinkedHashMap<>();
      for (SimTrack st : tracks.values()) {
        Instant finish = st.finish >= 0 && st.stop == null ? in.now().plusMillis(st.finish) : null;
        String stop = finish == null ? (st.stop == null ? "beyond the forecast" : st.stop) : null;
        Instant next = st.firstStart >= 0 ? in.now().plusMillis(st.firstStart) : null;
        out.put(st.t.id(), new Outlook(next, finish, stop));
      }
      return new Result(in.now(), out, taskStarts, workMs);
    }
  }

  private enum Kind { READY, DONE }

  private static final class Event {
    final long at;
    final Kind kind;
    final SimTask task;
    final SimExecutor executor;
    /** The order of events at the same time: as pushed. */
    long seq;

    Event(long at, Kind kind, SimTask task, SimExecutor executor) {
      this.at = at;
      this.kind = kind;
      this.task = task;
      this.executor = executor;
    }
  }

  private static final class SimTrack {
    final Track t;
    final List<SimTrack> dependents = new ArrayList<>();
    int station;
    boolean remediating;
    int openItems;
    int depsLeft;
    long finish = -1;
    long firstStart = -1;
    String stop;

    SimTrack(Track t) {
      this.t = t;
    }

    void noteStart(long at) {
      if (firstStart < 0) {
        firstStart = at;
      }
    }
  }

  private static final class SimTask {
    final String id;
    final SimTrack track;
    final int stationIndex;
    final String capability;
    final String environment;
    final int priority;
    final long created;
    final boolean real;
    /** A task the replay queued: which work item of its station run. */
    int item;
    long ready;

    SimTask(String id, SimTrack track, int stationIndex, String capability, String environment, int priority, long created,
            boolean real) {
      this.id = id;
      this.track = track;
      this.stationIndex = stationIndex;
      this.capability = capability;
      this.environment = environment;
      this.priority = priority;
      this.created = created;
      this.real = real;
    }

    SimTask readyAt(long at) {
      ready = at;
      return this;
    }
  }

  private static final class SimExecutor {
    final Executor e;
    long busyUntil = -1;
    long idleSince;

    SimExecutor(Executor e) {
      this.e = e;
    }
  }
}
