package io.productionline;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Configuration: {@code config.json} of the configuration directory (or the file named by
 * {@code PL_CONF}), then environment overrides. Every override is a {@link Setting} of
 * {@link #SETTINGS}: an environment variable, the option of {@code serve} that sets it, and its
 * meaning; {@code serve --help} and the README's table list them.
 *
 * <p>The configuration directory ({@code config.json}, {@code lines/}, {@code skills/},
 * {@code cluster.xml}) is {@code PL_CONF_DIR}, else {@code ./conf} when it exists, else the copy
 * inside the jar (the classpath's {@code conf/}).
 */
public final class Config {

  /** One environment override: {@code PL_X_Y} is also the option {@code --x-y} of {@code serve}. */
  public record Setting(String env, String pointer, String meaning) {

    public String option() {
      return "--" + env.substring(3).toLowerCase().replace('_', '-');
    }
  }

  /** Every environment override, in the order {@code --help} lists them. */
  public static final List<Setting> SETTINGS = List.of(
      new Setting("PL_HTTP_PORT", "http.port", "HTTP API, SSE, bridge and dashboard port"),
      new Setting("PL_HTTP_HOST", "http.host", "the address the HTTP server listens on"),
      new Setting("PL_DATA_DIR", "data_dir", "embedded PostgreSQL and Redis data, tokens, JSON logs"),
      new Setting("PL_PG_URL", "pg.url", "PostgreSQL, e.g. postgresql://postgres@127.0.0.1:5432/test (default: embedded)"),
      new Setting("PL_REDIS_URL", "redis.url", "Redis, e.g. redis://127.0.0.1:6379 (default: embedded)"),
      new Setting("PL_CLUSTER_NAME", "cluster.name", "Hazelcast cluster name"),
      new Setting("PL_CLUSTER_HOST", "cluster.host", "this node's cluster address"),
      new Setting("PL_CLUSTER_PORT", "cluster.port", "this node's cluster port"),
      new Setting("PL_CLUSTER_MEMBERS", "cluster.members", "members' host:port list, comma-separated (TCP-IP join)"),
      new Setting("PL_CLUSTER_EXPECTED_MEMBERS", "cluster.expected_members", "how many members a whole cluster has; fewer than a majority of them is degraded (default 1)"),
      new Setting("PL_NODE_LEASE_SECONDS", "cluster.lease_seconds", "a node's lease in PostgreSQL, renewed every third of it"),
      new Setting("PL_HEARTBEAT_SECONDS", "executors.heartbeat_seconds", "executor heartbeat interval"),
      new Setting("PL_STALE_SECONDS", "executors.stale_seconds", "an executor silent this long is stale"),
      new Setting("PL_LEASE_SECONDS", "work.lease_seconds", "a claim's lease, renewed by heartbeats and progress"),
      new Setting("PL_SLA_CHECK_SECONDS", "analytics.sla_check_seconds", "how often open interrupts' SLAs are checked"),
      new Setting("PL_ANALYTICS_WINDOW_SECONDS", "analytics.window_seconds", "the recent window of the flow metrics"),
      new Setting("PL_CONF_DIR", "conf_dir", "configuration directory: config.json, lines/, skills/, cluster.xml (default ./conf, else the jar's)"),
      new Setting("PL_LINES_DIR", "lines_dir", "line definitions (default <conf dir>/lines)"),
      new Setting("PL_SKILLS_DIR", "skills_dir", "skills (default <conf dir>/skills)"),
      new Setting("PL_WEBROOT", "webroot", "the dashboard's files (default ./webroot, else the jar's)"),
      new Setting("PL_DEMO", "demo.enabled", "on/off: the demo projects and their in-process executors"),
      new Setting("PL_DEMO_EXECUTORS", "demo.executors", "how many in-process demo executors"),
      new Setting("PL_DEMO_EVERY_SECONDS", "demo.every_seconds", "a new demo project this often (0: never)"),
      new Setting("PL_DEMO_KEEP", "demo.keep", "finished demo projects kept before the oldest is archived"),
      new Setting("PL_AUTH_SECRET", "auth.secret", "token signing secret, at least 32 characters (default: kept in PostgreSQL)"),
      new Setting("PL_PRINT_TOKEN", "auth.print_token", "on/off: the operator token in the printed dashboard URL"));

  private Config() {
  }

  /** Loads {@code PL_CONF} (default {@code config.json} of the configuration directory) and applies the overrides. */
  public static JsonObject load(Map<String, String> env) throws IOException {
    String named = env.get("PL_CONF");
    Path file = named != null && !named.isBlank() ? Path.of(named) : confDir(env.get("PL_CONF_DIR")).resolve("config.json");
    JsonObject conf = Files.exists(file) ? new JsonObject(Files.readString(file)) : new JsonObject();
    return withEnv(conf, env);
  }

  /** Applies the {@code PL_*} overrides found in {@code env} to a copy of {@code conf}. */
  public static JsonObject withEnv(JsonObject conf, Map<String, String> env) {
    JsonObject out = conf.copy();
    for (Setting s : SETTINGS) {
      String value = env.get(s.env());
      if (value != null && !value.isBlank()) {
        set(out, s.pointer(), typed(s.pointer(), value));
      }
    }
    return out;
  }

  /** The configuration directory: {@code named} when given, else {@code ./conf} when it exists, else the jar's. */
  public static Path confDir(String named) {
    if (named != null && !named.isBlank()) {
      return Path.of(named);
    }
    Path disk = Path.of("conf");
    return Files.isDirectory(disk) ? disk : bundled("conf");
  }

  /**
   * A file or directory of the configuration: {@code config[key]} when set, else {@code name} in
   * the configuration directory ({@code conf_dir}).
   */
  public static Path confPath(JsonObject config, String key, String name) {
    String v = config.getString(key);
    return v != null && !v.isBlank() ? Path.of(v) : confDir(config.getString("conf_dir")).resolve(name);
  }

  /** A directory of the classpath (inside the jar, or target/classes), as a readable {@link Path}. */
  static Path bundled(String dir) {
    URL url = Config.class.getResource("/" + dir + "/");
    if (url == null) {
      throw new IllegalStateException("no " + dir + "/ on disk nor in the jar");
    }
    try {
      URI uri = url.toURI();
      if ("jar".equals(uri.getScheme())) {
        try {
          FileSystems.newFileSystem(uri, Map.of());
        } catch (FileSystemAlreadyExistsException e) {
          // opened by an earlier call
        }
      }
      return Path.of(uri);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The server a client command talks to: {@code PL_SERVER}, else the local node on {@code PL_HTTP_PORT} (8950). */
  public static String serverUrl(Map<String, String> env) {
    String server = env.get("PL_SERVER");
    if (server != null && !server.isBlank()) {
      return server.replaceAll("/+$", "");
    }
    String port = env.get("PL_HTTP_PORT");
    return "http://127.0.0.1:" + (port == null || port.isBlank() ? "8950" : port.trim());
  }

  /** The value of a dotted pointer in {@code conf}, or null. */
  public static Object get(JsonObject conf, String pointer) {
    String[] parts = pointer.split("\\.");
    JsonObject node = conf;
    for (int i = 0; i < parts.length - 1 && node != null; i++) {
      node = node.getJsonObject(parts[i]);
    }
    return node == null ? null : node.getValue(parts[parts.length - 1]);
  }

  /**
   * Options given as {@code --x-y VALUE} turned into the {@code PL_X_Y} variables they stand for,
   * over {@code env}. Throws {@link IllegalArgumentException} naming an unknown or incomplete option.
   */
  public static Map<String, String> withOptions(String[] args, Map<String, String> env) {
    Map<String, String> out = new LinkedHashMap<>(env);
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--conf") && i + 1 < args.length) {
        out.put("PL_CONF", args[++i]);
        continue;
      }
      Setting s = SETTINGS.stream().filter(x -> x.option().equals(arg)).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("unknown option " + arg));
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(arg + " needs a value");
      }
      out.put(s.env(), args[++i]);
    }
    return out;
  }

  private static Object typed(String pointer, String value) {
    if (pointer.equals("cluster.members")) {
      return new JsonArray(Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList());
    }
    if (pointer.equals("demo.enabled") || pointer.equals("auth.print_token")) {
      return !(value.equalsIgnoreCase("off") || value.equalsIgnoreCase("false") || value.equals("0"));
    }
    if (pointer.endsWith("port") || pointer.endsWith("seconds") || pointer.endsWith("executors") || pointer.endsWith("keep") || pointer.endsWith("expected_members")) {
      try {
        return Integer.parseInt(value.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(pointer + " must be a whole number, not '" + value + "'");
      }
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
