package io.productionline.executor;

import io.productionline.Refusal;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Executors' registrations and live status, in Redis: a hash per executor ({@code <prefix>executor:<id>}),
 * a liveness key ({@code <prefix>alive:<id>}) that each heartbeat renews, and the set of known ids.
 *
 * <p>Liveness: the liveness key holds the time of the last heartbeat and expires after the stale
 * time. An executor is alive while the key exists <em>and</em> its time is within the stale time of
 * the node's clock, so a settable clock (tests) and Redis' own expiry (production) agree.
 *
 * <p>Status: {@code idle | busy} as the executor last said, {@code offline} once its liveness
 * lapsed. The hash keeps {@code status = offline} once the rescue sweep has announced the lapse,
 * so the announcement happens once; a heartbeat, a claim or a new registration brings it back.
 * Each status written carries its time ({@code status_at}, microseconds of the node's clock): a
 * claim answers its executor before the executor's {@code busy} is written, so that write can land
 * after the completion or heartbeat that followed it, and is then left out instead of undoing it.
 * An executor offline for a day is forgotten. Losing Redis loses only liveness and the live
 * figures; executors register again when a heartbeat is answered 404.
 */
public final class ExecutorRegistry {

  /** How long an offline executor stays listed before it is forgotten. */
  public static final Duration FORGET_AFTER = Duration.ofDays(1);

  private final RedisAPI redis;
  private final String prefix;
  private final Clock clock;
  private final int staleSeconds;

  public ExecutorRegistry(RedisAPI redis, String prefix, Clock clock, int staleSeconds) {
    this.redis = redis;
    this.prefix = prefix;
    this.clock = clock;
    this.staleSeconds = staleSeconds;
  }

  private String hash(String id) {
    return prefix + "executor:" + id;
  }

  private String alive(String id) {
    return prefix + "alive:" + id;
  }

  private String ids() {
    return prefix + "executors";
  }

  public int staleSeconds() {
    return staleSeconds;
  }

  /** Registers (or re-registers) an executor and marks it alive and idle; live figures are kept. */
  public Future<JsonObject> register(ExecutorInfo info) {
    Instant at = clock.instant();
    String now = at.toString();
    List<String> args = new ArrayList<>(List.of(hash(info.id()),
        "executor_id", info.id(), "type", info.type(), "environment", info.environment(),
        "capabilities", new JsonArray(info.capabilities()).encode(), "role", info.role(),
        "status", "idle", "current_task", "", "status_at", micros(at), "registered_at", now, "last_heartbeat", now));
    // Alive first: a registration seen half-written (the hash without its liveness) would read as an executor gone.
    return redis.setex(alive(info.id()), Integer.toString(staleSeconds), now)
        .compose(r -> redis.hset(args))
        .compose(r -> redis.sadd(List.of(ids(), info.id())))
        .compose(r -> get(info.id()))
        .map(Optional::orElseThrow);
  }

  /**
   * Renews liveness; refused with 404 when the executor never registered (or Redis lost it: the
   * executor registers again). {@code status} null keeps the status, except that an executor the
   * sweep had announced offline comes back idle.
   */
  public Future<JsonObject> heartbeat(String id, String status, String currentTask) {
    return beat(id, status, currentTask, false).map(r -> view(fields(r.get(0)), isAlive(r.get(1))));
  }

  /**
   * The heartbeat a claim makes: liveness renewed (404 when never registered), and only what the
   * claim needs read back: {@code executor_id}, {@code capabilities} and {@code environment}.
   */
  public Future<JsonObject> renewForClaim(String id) {
    return beat(id, null, null, true).map(r -> new JsonObject().put("executor_id", id)
        .put("capabilities", new JsonArray(r.get(0) == null ? "[]" : r.get(0).toString()))
        .put("environment", r.get(1) == null ? "server" : r.get(1).toString()));
  }

  /** One round trip: the script checks the registration, renews, and reads back the hash (or, {@code brief}, two fields). */
  private Future<Response> beat(String id, String status, String currentTask, boolean brief) {
    Instant now = clock.instant();
    return redis.eval(List.of(HEARTBEAT, "2", hash(id), alive(id), now.toString(), status == null ? "" : status,
            currentTask == null ? "" : currentTask, Integer.toString(staleSeconds), brief ? "brief" : "", micros(now)))
        .compose(r -> r == null
            ? Future.failedFuture(Refusal.notFound("executor " + id + " is not registered; register first")
                .with("register", "/api/v1/executors"))
            : Future.succeededFuture(r));
  }

  /**
   * Heartbeat in Redis, atomically: nothing (nil) when the executor is not registered; else the
   * time of the beat, the status given (or idle again after the sweep had announced it offline),
   * the liveness key renewed, and the hash and liveness read back (ARGV[5] 'brief': only the
   * capabilities and environment).
   * KEYS: hash, liveness; ARGV: now, status ('' keeps it), current task, stale seconds, brief, now in microseconds.
   */
  private static final String HEARTBEAT = """
      local known = redis.call('HGET', KEYS[1], 'status')
      if not known then return nil end
      if ARGV[2] ~= '' then
        redis.call('HSET', KEYS[1], 'last_heartbeat', ARGV[1], 'status', ARGV[2], 'current_task', ARGV[3], 'status_at', ARGV[6])
      elseif known == 'offline' then
        redis.call('HSET', KEYS[1], 'last_heartbeat', ARGV[1], 'status', 'idle', 'status_at', ARGV[6])
      else
        redis.call('HSET', KEYS[1], 'last_heartbeat', ARGV[1])
      end
      redis.call('SETEX', KEYS[2], ARGV[4], ARGV[1])
      if ARGV[5] == 'brief' then return redis.call('HMGET', KEYS[1], 'capabilities', 'environment') end
      return {redis.call('HGETALL', KEYS[1]), redis.call('GET', KEYS[2])}""";

  /** Whether {@code id} has registered (alive or not). */
  public Future<Boolean> known(String id) {
    return redis.exists(List.of(hash(id))).map(n -> n.toInteger() == 1);
  }

  public Future<Void> setStatus(String id, String status, String currentTask) {
    return redis.hset(List.of(hash(id), "status", status, "current_task", currentTask == null ? "" : currentTask,
        "status_at", micros(clock.instant()))).mapEmpty();
  }

  /** An executor that leaves (graceful stop): offline at once ({@code WorkService.leave} hands back what it held). */
  public Future<Optional<JsonObject>> leave(String id) {
    return known(id).compose(k -> !k
        ? Future.succeededFuture(Optional.empty())
        : redis.del(List.of(alive(id)))
            .compose(r -> setStatus(id, "offline", null))
            .compose(v -> get(id)));
  }

  /**
   * Of the registered executors, those whose liveness lapsed and that were not announced offline
   * yet; each is marked offline now, so it is returned by one sweep only. Executors offline for
   * longer than {@link #FORGET_AFTER} are forgotten.
   */
  public Future<List<JsonObject>> markLapsed() {
    return redis.smembers(ids()).compose(members -> {
      List<String> all = new ArrayList<>();
      members.forEach(m -> all.add(m.toString()));
      List<JsonObject> out = new ArrayList<>();
      Future<Void> chain = Future.succeededFuture();
      // One script a chunk reads every executor's status and liveness; only those whose status changes are written.
      for (int i = 0; i < all.size(); i += SWEEP_CHUNK) {
        List<String> chunk = all.subList(i, Math.min(all.size(), i + SWEEP_CHUNK));
        chain = chain.compose(v -> {
          List<String> args = new ArrayList<>(List.of(SWEEP, Integer.toString(chunk.size() * 2)));
          chunk.forEach(id -> args.add(hash(id)));
          chunk.forEach(id -> args.add(alive(id)));
          return redis.eval(args).compose(values -> {
            List<Future<Optional<JsonObject>>> changed = new ArrayList<>();
            for (int k = 0; k < chunk.size(); k++) {
              Response read = values.get(k);
              changed.add(lapse(chunk.get(k), new SweepRead(text(read.get(0)), text(read.get(1)), text(read.get(2)))));
            }
            return Future.all(changed).map(cf -> {
              changed.forEach(f -> f.result().ifPresent(out::add));
              return (Void) null;
            });
          });
        });
      }
      return chain.map(v -> out);
    });
  }

  /** What the sweep read of one executor: its status, last heartbeat and liveness value, each null when Redis has none. */
  record SweepRead(String status, String lastHeartbeat, String liveness) {
  }

  private static String text(Response r) {
    return r == null ? null : r.toString();
  }

  /**
   * What the sweep does with one executor, given what it read: a registration Redis no longer has
   * leaves the set; an offline one is forgotten when long gone; a live one whose liveness lapsed is
   * marked offline now and returned, unless its liveness or status changed since the read (a
   * heartbeat came in between: written regardless, a live executor was shown and announced offline
   * until its next heartbeat).
   */
  Future<Optional<JsonObject>> lapse(String id, SweepRead read) {
    if (read.status() == null) {
      return redis.srem(List.of(ids(), id)).map(Optional.<JsonObject>empty());
    }
    if ("offline".equals(read.status())) {
      return forgetIfLongGone(id, read.lastHeartbeat()).map(Optional.<JsonObject>empty());
    }
    if (isAlive(read.liveness())) {
      return Future.succeededFuture(Optional.empty());
    }
    return redis.eval(List.of(LAPSE, "2", hash(id), alive(id), micros(clock.instant()),
            read.liveness() == null ? "" : read.liveness(), read.status()))
        .compose(r -> r != null && r.toInteger() == 1 ? get(id) : Future.succeededFuture(Optional.<JsonObject>empty()));
  }

  /** Offline, if the liveness value (ARGV[2], '' for none) and the status (ARGV[3]) are still those the sweep read. */
  private static final String LAPSE = """
      if (redis.call('GET', KEYS[2]) or '') ~= ARGV[2] then return 0 end
      if redis.call('HGET', KEYS[1], 'status') ~= ARGV[3] then return 0 end
      redis.call('HSET', KEYS[1], 'status', 'offline', 'current_task', '', 'status_at', ARGV[1])
      return 1""";

  /** How many executors one sweep script reads. */
  private static final int SWEEP_CHUNK = 512;

  /**
   * For each executor (KEYS: its hashes, then its liveness keys, in the same order): its status and last
   * heartbeat, and its liveness value; each false (nil) when Redis does not have it.
   */
  private static final String SWEEP = """
      local n = #KEYS / 2
      local out = {}
      for i = 1, n do
        local h = redis.call('HMGET', KEYS[i], 'status', 'last_heartbeat')
        out[i] = {h[1], h[2], redis.call('GET', KEYS[n + i])}
      end
      return out""";

  private Future<Void> forgetIfLongGone(String id, String last) {
    boolean gone;
    try {
      gone = last == null || Instant.parse(last).plus(FORGET_AFTER).isBefore(clock.instant());
    } catch (DateTimeParseException e) {
      gone = true;
    }
    return gone ? redis.del(List.of(hash(id), alive(id))).compose(r -> redis.srem(List.of(ids(), id))).mapEmpty()
        : Future.succeededFuture();
  }

  /**
   * An executor that claimed work at {@code at} is {@code busy} with {@code currentTask}, and its
   * view is read back, in one round trip (a claim publishes it). Left out when a status written
   * since says more: the claim was answered before this write, and what the executor did after
   * (a completion, a heartbeat, a leave) may have reached Redis first. Empty when the executor is
   * not registered.
   */
  public Future<Optional<JsonObject>> claimed(String id, String currentTask, Instant at) {
    return redis.eval(List.of(CLAIMED, "2", hash(id), alive(id), currentTask, micros(at))).map(this::viewOf);
  }

  /**
   * A station run the executor finished: counted in its live figures, the executor idle again, its
   * liveness renewed (a completion is a sign of life), and its view read back, in one round trip (a
   * completion publishes it at once).
   */
  public Future<Optional<JsonObject>> finishStation(String id, long millis, boolean stabilized) {
    return finishStations(id, 1, millis, stabilized ? 1 : 0);
  }

  /** {@link #finishStation} for {@code stations} station runs at once (a batch of completions), {@code millis} their total time. */
  public Future<Optional<JsonObject>> finishStations(String id, int stations, long millis, int stabilized) {
    Instant now = clock.instant();
    return redis.eval(List.of(FINISH_STATION, "2", hash(id), alive(id), Long.toString(Math.max(0, millis)), Integer.toString(stabilized),
            now.toString(), Integer.toString(staleSeconds), Integer.toString(stations), micros(now)))
        .map(this::viewOf);
  }

  /**
   * KEYS: hash, liveness; ARGV: current task, the claim's time in microseconds. Busy unless the
   * executor is gone, offline (it left or lapsed after its claim), or has a status written later.
   */
  private static final String CLAIMED = """
      local known = redis.call('HGET', KEYS[1], 'status')
      if not known then return {{}, false} end
      if known ~= 'offline' and tonumber(redis.call('HGET', KEYS[1], 'status_at') or '0') <= tonumber(ARGV[2]) then
        redis.call('HSET', KEYS[1], 'status', 'busy', 'current_task', ARGV[1], 'status_at', ARGV[2])
      end
      return {redis.call('HGETALL', KEYS[1]), redis.call('GET', KEYS[2])}""";

  /** KEYS: hash, liveness; ARGV: milliseconds the stations took, how many stabilized, now, stale seconds, how many stations, now in microseconds. */
  private static final String FINISH_STATION = """
      if not redis.call('HGET', KEYS[1], 'status') then return {{}, false} end
      redis.call('HINCRBY', KEYS[1], 'stations_completed', ARGV[5])
      redis.call('HINCRBY', KEYS[1], 'station_ms_total', ARGV[1])
      redis.call('HINCRBY', KEYS[1], 'stations_stabilized', ARGV[2])
      redis.call('HSET', KEYS[1], 'status', 'idle', 'current_task', '', 'last_heartbeat', ARGV[3], 'status_at', ARGV[6])
      redis.call('SETEX', KEYS[2], ARGV[4], ARGV[3])
      return {redis.call('HGETALL', KEYS[1]), redis.call('GET', KEYS[2])}""";

  /** A script's {hash, liveness} reply as a view; empty when the hash is gone. */
  private Optional<JsonObject> viewOf(Response r) {
    if (r == null || r.size() == 0 || r.get(0) == null || r.get(0).size() == 0) {
      return Optional.empty();
    }
    return Optional.of(view(fields(r.get(0)), r.size() > 1 && isAlive(r.get(1))));
  }

  public Future<Optional<JsonObject>> get(String id) {
    // Both reads at once: one round trip.
    Future<Response> hash = redis.hgetall(hash(id));
    Future<Response> live = redis.get(alive(id));
    return Future.all(hash, live).map(x -> {
      Response h = hash.result();
      return h == null || h.size() == 0 ? Optional.<JsonObject>empty() : Optional.of(view(fields(h), isAlive(live.result())));
    });
  }

  /**
   * Runs {@code call} for every id, {@link #LIST_CHUNK} at a time, and collects the present
   * results in the order of {@code ids}. Thousands of executors would otherwise put thousands of
   * commands at once on the Redis client, past its wait queue.
   */
  private <T> Future<List<T>> inChunks(List<String> ids, java.util.function.Function<String, Future<Optional<T>>> call) {
    List<T> out = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < ids.size(); i += LIST_CHUNK) {
      List<String> chunk = ids.subList(i, Math.min(ids.size(), i + LIST_CHUNK));
      chain = chain.compose(v -> {
        List<Future<Optional<T>>> got = chunk.stream().map(call).toList();
        return Future.all(got).map(cf -> {
          got.forEach(f -> f.result().ifPresent(out::add));
          return (Void) null;
        });
      });
    }
    return chain.map(v -> out);
  }

  /** How many executors {@link #list} reads at a time: enough to fill the connections, few enough never to overflow the client's wait queue. */
  private static final int LIST_CHUNK = 128;

  /** Every known executor with its live status, by id. */
  public Future<List<JsonObject>> list() {
    return redis.smembers(ids()).compose(members -> {
      List<String> all = new ArrayList<>();
      members.forEach(m -> all.add(m.toString()));
      return inChunks(all, this::get);
    }).map(out -> {
      out.sort((a, b) -> a.getString("executor_id").compareTo(b.getString("executor_id")));
      return out;
    });
  }

  /**
   * Of {@code ids}, those known to be gone: registered, and their liveness lapsed (or they left).
   * An id Redis does not know at all (Redis restarted without its data, or the registration was
   * forgotten) is not taken for dead: its leases in PostgreSQL decide, and its next heartbeat
   * (answered 404) registers it again with the tasks it has in hand.
   */
  public Future<List<String>> dead(List<String> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    List<String> args = new ArrayList<>(List.of(LIVENESS, Integer.toString(ids.size() * 2)));
    ids.forEach(id -> args.add(alive(id)));
    ids.forEach(id -> args.add(hash(id)));
    return redis.eval(args).map(values -> {
      List<String> out = new ArrayList<>();
      for (int i = 0; i < ids.size(); i++) {
        Response v = values.get(i);
        if (v != null && ("lapsed".equals(v.toString()) || !isAlive(v))) {
          out.add(ids.get(i));
        }
      }
      return out;
    });
  }

  /**
   * For each executor (KEYS: its liveness keys, then its hashes, in the same order): the time of its
   * last heartbeat while its liveness holds; 'lapsed' when it is registered and its liveness is gone;
   * false when Redis does not know it.
   */
  private static final String LIVENESS = """
      local n = #KEYS / 2
      local out = {}
      for i = 1, n do
        local beat = redis.call('GET', KEYS[i])
        if beat then out[i] = beat
        elseif redis.call('EXISTS', KEYS[n + i]) == 1 then out[i] = 'lapsed'
        else out[i] = false end
      end
      return out""";

  /** Capabilities offered by at least one live executor. */
  public Future<Set<String>> liveCapabilities() {
    return list().map(list -> {
      Set<String> caps = new HashSet<>();
      list.stream().filter(e -> !"offline".equals(e.getString("status")))
          .forEach(e -> e.getJsonArray("capabilities").forEach(c -> caps.add(c.toString())));
      return caps;
    });
  }

  private boolean isAlive(Response lastBeat) {
    return isAlive(text(lastBeat));
  }

  private boolean isAlive(String lastBeat) {
    if (lastBeat == null) {
      return false;
    }
    try {
      return !Instant.parse(lastBeat).plusSeconds(staleSeconds).isBefore(clock.instant());
    } catch (DateTimeParseException e) {
      return true;
    }
  }

  /** A hash as field → value, whether Redis answered it as a map or (from a script) as a flat array. */
  private static JsonObject fields(Response h) {
    JsonObject o = new JsonObject();
    Set<String> keys;
    try {
      keys = h.getKeys();
    } catch (RuntimeException notAMap) {
      keys = Set.of();
    }
    if (keys != null && !keys.isEmpty()) {
      for (String k : keys) {
        o.put(k, h.get(k).toString());
      }
      return o;
    }
    for (int i = 0; i + 1 < h.size(); i += 2) {
      o.put(h.get(i).toString(), h.get(i + 1).toString());
    }
    return o;
  }

  private static JsonObject view(JsonObject o, boolean alive) {
    long done = parseLong(o.getString("stations_completed"));
    long total = parseLong(o.getString("station_ms_total"));
    long stabilized = parseLong(o.getString("stations_stabilized"));
    String current = o.getString("current_task", "");
    String status = o.getString("status", "idle");
    boolean online = alive && !"offline".equals(status);
    return new JsonObject()
        .put("executor_id", o.getString("executor_id"))
        .put("type", o.getString("type"))
        .put("environment", o.getString("environment"))
        .put("role", o.getString("role"))
        .put("capabilities", new JsonArray(o.getString("capabilities", "[]")))
        .put("status", online ? status : "offline")
        .put("current_task", current.isEmpty() || !online ? null : current)
        .put("registered_at", o.getString("registered_at"))
        .put("last_heartbeat", o.getString("last_heartbeat"))
        .put("stations_completed", done)
        .put("average_station_ms", done == 0 ? 0 : total / done)
        .put("stabilized_share", done == 0 ? 1.0 : (double) stabilized / done);
  }

  /** A status's time as the hash keeps it: microseconds since the epoch (exact in a Lua number). */
  private static String micros(Instant t) {
    return Long.toString(ChronoUnit.MICROS.between(Instant.EPOCH, t));
  }

  private static long parseLong(String s) {
    return s == null || s.isEmpty() ? 0 : Long.parseLong(s);
  }
}
