package io.productionline.executor;

import io.productionline.Refusal;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Executors' registrations and live status, in Redis: a hash per executor ({@code <prefix>executor:<id>}),
 * a liveness key with a TTL of the stale time ({@code <prefix>alive:<id>}) that each heartbeat
 * renews, and the set of known ids. Losing Redis loses only liveness; heartbeats rebuild it.
 */
public final class ExecutorRegistry {

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

  /** Registers (or re-registers) an executor and marks it alive and idle. */
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
        .map(o -> o.orElseThrow());
  }

  /** Renews liveness; refused with 404 when the executor never registered. */
  public Future<JsonObject> heartbeat(String id, String status, String currentTask) {
    String now = clock.instant().toString();
    return redis.exists(List.of(hash(id))).compose(n -> {
      if (n.toInteger() == 0) {
        return Future.failedFuture(Refusal.notFound("executor " + id + " is not registered; register first"));
      }
      List<String> args = new ArrayList<>(List.of(hash(id), "last_heartbeat", now));
      if (status != null) {
        args.addAll(List.of("status", status, "current_task", currentTask == null ? "" : currentTask));
      }
      return redis.hset(args)
          .compose(r -> redis.setex(alive(id), Integer.toString(staleSeconds), now))
          .compose(r -> get(id))
          .map(o -> o.orElseThrow());
    });
  }

  public Future<Void> setStatus(String id, String status, String currentTask) {
    return redis.hset(List.of(hash(id), "status", status, "current_task", currentTask == null ? "" : currentTask)).mapEmpty();
  }

  /** Counts a finished station run for the executor's live figures. */
  public Future<Void> recordStation(String id, long millis, boolean stabilized) {
    return redis.hincrby(hash(id), "stations_completed", "1")
        .compose(r -> redis.hincrby(hash(id), "station_ms_total", Long.toString(millis)))
        .compose(r -> redis.hincrby(hash(id), "stations_stabilized", stabilized ? "1" : "0"))
        .mapEmpty();
  }

  public Future<java.util.Optional<JsonObject>> get(String id) {
    return redis.hgetall(hash(id)).compose(h -> {
      if (h == null || h.size() == 0) {
        return Future.succeededFuture(java.util.Optional.<JsonObject>empty());
      }
      return redis.exists(List.of(alive(id))).map(a -> java.util.Optional.of(view(h, a.toInteger() == 1)));
    });
  }

  /** Every known executor with its live status. */
  public Future<List<JsonObject>> list() {
    return redis.smembers(ids()).compose(members -> {
      List<Future<java.util.Optional<JsonObject>>> all = new ArrayList<>();
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

  /** Of {@code ids}, those whose liveness key has expired. */
  public Future<List<String>> dead(List<String> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    List<String> keys = ids.stream().map(this::alive).toList();
    return redis.mget(keys).map(values -> {
      List<String> out = new ArrayList<>();
      for (int i = 0; i < ids.size(); i++) {
        if (values.get(i) == null) {
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

  private static JsonObject view(Response h, boolean alive) {
    JsonObject o = new JsonObject();
    for (String k : h.getKeys()) {
      o.put(k, h.get(k).toString());
    }
    long done = parseLong(o.getString("stations_completed"));
    long total = parseLong(o.getString("station_ms_total"));
    long stabilized = parseLong(o.getString("stations_stabilized"));
    String current = o.getString("current_task", "");
    return new JsonObject()
        .put("executor_id", o.getString("executor_id"))
        .put("type", o.getString("type"))
        .put("environment", o.getString("environment"))
        .put("role", o.getString("role"))
        .put("capabilities", new JsonArray(o.getString("capabilities", "[]")))
        .put("status", alive ? o.getString("status", "idle") : "offline")
        .put("current_task", current.isEmpty() || !alive ? null : current)
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
