package io.productionline;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Configuration: {@code conf/config.json} (or the file named by {@code PL_CONF}), then environment
 * overrides. Every override is listed in {@link #ENV} and in the README.
 */
public final class Config {

  /** Environment variable → JSON pointer into the configuration. */
  static final Map<String, String> ENV = Map.ofEntries(
      Map.entry("PL_HTTP_HOST", "http.host"),
      Map.entry("PL_HTTP_PORT", "http.port"),
      Map.entry("PL_DATA_DIR", "data_dir"),
      Map.entry("PL_PG_URL", "pg.url"),
      Map.entry("PL_REDIS_URL", "redis.url"),
      Map.entry("PL_CLUSTER_NAME", "cluster.name"),
      Map.entry("PL_CLUSTER_HOST", "cluster.host"),
      Map.entry("PL_CLUSTER_PORT", "cluster.port"),
      Map.entry("PL_CLUSTER_MEMBERS", "cluster.members"),
      Map.entry("PL_NODE_LEASE_SECONDS", "cluster.lease_seconds"),
      Map.entry("PL_HEARTBEAT_SECONDS", "executors.heartbeat_seconds"),
      Map.entry("PL_STALE_SECONDS", "executors.stale_seconds"),
      Map.entry("PL_LEASE_SECONDS", "work.lease_seconds"),
      Map.entry("PL_SLA_CHECK_SECONDS", "analytics.sla_check_seconds"),
      Map.entry("PL_ANALYTICS_WINDOW_SECONDS", "analytics.window_seconds"),
      Map.entry("PL_LINES_DIR", "lines_dir"),
      Map.entry("PL_SKILLS_DIR", "skills_dir"),
      Map.entry("PL_DEMO", "demo.enabled"),
      Map.entry("PL_DEMO_EXECUTORS", "demo.executors"),
      Map.entry("PL_AUTH_SECRET", "auth.secret"),
      Map.entry("PL_PRINT_TOKEN", "auth.print_token"));

  private Config() {
  }

  public static JsonObject load(Map<String, String> env) throws IOException {
    Path file = Path.of(env.getOrDefault("PL_CONF", "conf/config.json"));
    JsonObject conf = Files.exists(file) ? new JsonObject(Files.readString(file)) : new JsonObject();
    return withEnv(conf, env);
  }

  /** Applies the {@code PL_*} overrides found in {@code env} to a copy of {@code conf}. */
  public static JsonObject withEnv(JsonObject conf, Map<String, String> env) {
    JsonObject out = conf.copy();
    ENV.forEach((name, pointer) -> {
      String value = env.get(name);
      if (value != null && !value.isBlank()) {
        set(out, pointer, typed(pointer, value));
      }
    });
    return out;
  }

  private static Object typed(String pointer, String value) {
    if (pointer.equals("cluster.members")) {
      return new JsonArray(Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList());
    }
    if (pointer.equals("demo.enabled") || pointer.equals("auth.print_token")) {
      return !(value.equalsIgnoreCase("off") || value.equalsIgnoreCase("false") || value.equals("0"));
    }
    if (pointer.endsWith("port") || pointer.endsWith("seconds") || pointer.endsWith("executors")) {
      return Integer.parseInt(value.trim());
    }
    return value;
  }

  private static void set(JsonObject conf, String pointer, Object value) {
    String[] parts = pointer.split("\\.");
    JsonObject node = conf;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonObject child = node.getJsonObject(parts[i]);
      if (child == null) {
        child = new JsonObject();
        node.put(parts[i], child);
      }
      node = child;
    }
    node.put(parts[parts.length - 1], value);
  }
}
