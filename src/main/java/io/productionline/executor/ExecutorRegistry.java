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
    String now = clock.instant().toString();
    List<String> args = new ArrayList<>(List.of(hash(info.id()),
        "executor_id", info.id(), "type", info.type(), "environment", info.environment(),
        "capabilities", new JsonArray(info.capabilities()).encode(), "role", info.role(),
        "status", "idle", "current_task", "", "registered_at", now, "last_heartbeat", now));
    return redis.hset(args)
        .compose(r -> redis.sadd(List.of(ids(), info.id())))
        .compose(r -> redis.setex(alive(info.id()), Integer.toString(staleSeconds), now))
        .compose(r -> get(info.id()))
        .map(Optional::orElseThrow);
  }

  /**
   * Renews liveness; refused with 404 when the executor never registered (or Redis lost it: the
   * executor registers again). {@code status} null keeps the status, except that an executor the
   * sweep had announced offline comes back idle.
   */
  public Future<JsonObject> heartbeat(String id, String status, String currentTask) {
    String now = clock.instant().toString();
    return redis.hget(hash(id), "status").compose(known -> {
      if (known == null) {
        return Future.failedFuture(Refusal.notFound("executor " + id + " is not registered; register first")
            .with("register", "/api/v1/executors"));
      }
      List<String> args = new ArrayList<>(List.of(hash(id), "last_heartbeat", now));
      if (status != null) {
        args.addAll(List.of("status", status, "current_task", currentTask == null ? "" : currentTask));
      } else if ("offline".equals(known.toString())) {
        args.addAll(List.of("status", "idle"));
      }
      return redis.hset(args)
          .compose(r -> redis.setex(alive(id), Integer.toString(staleSeconds), now))
          .compose(r -> get(id))
          .map(Optional::orElseThrow);
    });
  }

  /** Whether {@code id} has registered (alive or not). */
  public Future<Boolean> known(String id) {
    return redis.exists(List.of(hash(id))).map(n -> n.toInteger() == 1);
  }

  public Future<Void> setStatus(String id, String status, String currentTask) {
    return redis.hset(List.of(hash(id), "status", status, "current_task", currentTask == null ? "" : currentTask)).mapEmpty();
  }

  /** An executor that leaves (graceful stop): offline at once; its tasks are rescued on the next sweep. */
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
      List<Future<Optional<JsonObject>>> checks = new ArrayList<>();
      for (Response m : members) {
        String id = m.toString();
        checks.add(redis.hget(hash(id), "status").compose(status -> {
          if (status == null) {
            return redis.srem(List.of(ids(), id)).map(Optional.<JsonObject>empty());
          }
          if ("offline".equals(status.toString())) {
            return forgetIfLongGone(id).map(Optional.<JsonObject>empty());
          }
          return redis.get(alive(id)).compose(a -> isAlive(a)
              ? Future.succeededFuture(Optional.<JsonObject>empty())
              : setStatus(id, "offline", null).compose(v -> get(id)));
        }));
      }
      return Future.all(checks).map(cf -> {
        List<JsonObject> out = new ArrayList<>();
        checks.forEach(f -> f.result().ifPresent(out::add));
        return out;
      });
    });
  }

  private Future<Void> forgetIfLongGone(String id) {
    return redis.hget(hash(id), "last_heartbeat").compose(last -> {
      boolean gone;
      try {
        gone = last == null || Instant.parse(last.toString()).plus(FORGET_AFTER).isBefore(clock.instant());
      } catch (DateTimeParseException e) {
        gone = true;
      }
      return gone ? redis.del(List.of(hash(id), alive(id))).compose(r -> redis.srem(List.of(ids(), id))).mapEmpty()
          : Future.succeededFuture();
    });
  }

  /** Counts a finished station run for the executor's live figures. */
  public Future<Void> recordStation(String id, long millis, boolean stabilized) {
    return redis.hincrby(hash(id), "stations_completed", "1")
        .compose(r -> redis.hincrby(hash(id), "station_ms_total", Long.toString(Math.max(0, millis))))
        .compose(r -> redis.hincrby(hash(id), "stations_stabilized", stabilized ? "1" : "0"))
        .mapEmpty();
  }

  public Future<Optional<JsonObject>> get(String id) {
    return redis.hgetall(hash(id)).compose(h -> {
      if (h == null || h.size() == 0) {
        return Future.succeededFuture(Optional.<JsonObject>empty());
      }
      return redis.get(alive(id)).map(a -> Optional.of(view(h, isAlive(a))));
    });
  }

  /** Every known executor with its live status, by id. */
  public Future<List<JsonObject>> list() {
    return redis.smembers(ids()).compose(members -> {
      List<Future<Optional<JsonObject>>> all = new ArrayList<>();
      for (Response m : members) {
        all.add(get(m.toString()));
      }
      return Future.all(all).map(cf -> {
        List<JsonObject> out = new ArrayList<>();
        for (var f : all) {
          f.result().ifPresent(out::add);
        }
        out.sort((a, b) -> a.getString("executor_id").compareTo(b.getString("executor_id")));
        return out;
      });
    });
  }

  /** Of {@code ids}, those that are not alive (liveness lapsed, left, or never registered). */
  public Future<List<String>> dead(List<String> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    List<String> keys = ids.stream().map(this::alive).toList();
    return redis.mget(keys).map(values -> {
      List<String> out = new ArrayList<>();
      for (int i = 0; i < ids.size(); i++) {
        if (!isAlive(values.get(i))) {
          out.add(ids.get(i));
        }
      }
      return out;
    });
  }

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
    if (lastBeat == null) {
      return false;
    }
    try {
      return !Instant.parse(lastBeat.toString()).plusSeconds(staleSeconds).isBefore(clock.instant());
    } catch (DateTimeParseException e) {
      return true;
    }
  }

  private static JsonObject view(Response h, boolean alive) {
    JsonObject o = new JsonObject();
    for (String k : h.getKeys()) {
      o.put(k, h.get(k).toString());
    }
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

  private static long parseLong(String s) {
    return s == null || s.isEmpty() ? 0 : Long.parseLong(s);
  }
}
