package io.productionline.support;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What the tests that run the server as a child process share: a demo line written to a
 * directory of its own, a configuration file that runs it, and JDBC reads of the database.
 */
public final class ChildServers {

  private ChildServers() {
  }

  /**
   * The {@code crash} line: a root, two leaves after it whose assembly takes {@code leafMs} (long
   * enough to kill the server while they run), and a join after both. No audit rejects.
   */
  public static JsonObject crashLine(long rootMs, long leafMs) {
    return new JsonObject().put("name", "crash").put("title", "A line to stop in the middle")
        .put("document_types", new JsonArray()
            .add(doc("root", List.of(), rootMs))
            .add(doc("leaf_a", List.of("root"), leafMs))
            .add(doc("leaf_b", List.of("root"), leafMs))
            .add(doc("leaf_c", List.of("leaf_a", "leaf_b"), 300)));
  }

  private static JsonObject doc(String name, List<String> deps, long assembleMs) {
    return new JsonObject().put("name", name).put("depends_on", new JsonArray(deps))
        .put("stations", new JsonArray()
            .add(station("bind", "bind", 10))
            .add(station("asm", "assemble", assembleMs))
            .add(station("aud", "audit", 10))
            .add(station("rem", "remediate", 10)));
  }

  private static JsonObject station(String id, String kind, long ms) {
    return new JsonObject().put("id", id).put("kind", kind).put("capability", "sim")
        .put("step", new JsonObject().put("type", "sim").put("trust", "vetted")
            .put("params", new JsonObject().put("duration_ms", ms)));
  }

  /**
   * Writes {@code line} into {@code dir/lines} and a configuration file ({@code dir/config.json},
   * for {@code PL_CONF}) that starts from {@code conf/config.json} and runs the demo on that line,
   * with a Redis key prefix of its own and a short lease so lost work comes back quickly (heartbeats
   * keep the default ratio to the lease: several per lease).
   */
  public static Path writeConfig(Path dir, JsonObject line, String project, int leaseSeconds) {
    try {
      Path lines = Files.createDirectories(dir.resolve("lines"));
      Files.writeString(lines.resolve(line.getString("name") + ".json"), line.encodePrettily());
      JsonObject conf = new JsonObject(Files.readString(ServerProcess.baseDir().resolve("conf/config.json")));
      conf.put("lines_dir", lines.toString());
      conf.put("demo", conf.getJsonObject("demo", new JsonObject()).copy()
          .put("enabled", true).put("project", project).put("line", line.getString("name")).put("executors", 3)
          .put("every_seconds", 0));
      conf.put("redis", conf.getJsonObject("redis", new JsonObject()).copy().put("prefix", TestServers.redisPrefix()));
      conf.put("work", conf.getJsonObject("work", new JsonObject()).copy()
          .put("lease_seconds", leaseSeconds).put("sweep_interval_ms", 500));
      // Heartbeats several times per lease, as with the defaults (15 s and 60 s).
      conf.put("executors", conf.getJsonObject("executors", new JsonObject()).copy()
          .put("heartbeat_seconds", 1).put("stale_seconds", leaseSeconds));
      conf.getJsonObject("cluster").put("config", ServerProcess.baseDir().resolve("conf/cluster.xml").toString());
      Path file = dir.resolve("config.json");
      Files.writeString(file, conf.encodePrettily());
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The environment of a child node: its own HTTP and cluster ports and cluster name. */
  public static Map<String, String> env(Path config, Path dataDir) {
    int clusterPort = TestServers.freePort();
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PL_CONF", config.toString());
    env.put("PL_DATA_DIR", dataDir.toString());
    env.put("PL_HTTP_PORT", Integer.toString(TestServers.freePort()));
    env.put("PL_CLUSTER_NAME", "pl-child-" + UUID.randomUUID().toString().substring(0, 8));
    env.put("PL_CLUSTER_PORT", Integer.toString(clusterPort));
    env.put("PL_CLUSTER_MEMBERS", "127.0.0.1:" + clusterPort);
    env.put("PL_DEMO", "on");
    return env;
  }

  /** Rows of a query as maps (column → value), over JDBC to {@code pgUrl} ({@code postgresql://user@host:port/db}). */
  public static List<Map<String, Object>> sql(String pgUrl, String query) {
    var m = java.util.regex.Pattern.compile("^postgresql://(?:([^@:/]+)(?::[^@]*)?@)?(.*)$").matcher(pgUrl);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a postgresql:// URL: " + pgUrl);
    }
    String user = m.group(1) == null ? "postgres" : m.group(1);
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + m.group(2), user, null);
         Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
      List<Map<String, Object>> out = new ArrayList<>();
      ResultSetMetaData md = rs.getMetaData();
      while (rs.next()) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          row.put(md.getColumnLabel(i), rs.getObject(i));
        }
        out.add(row);
      }
      return out;
    } catch (SQLException e) {
      throw new IllegalStateException("query on " + pgUrl + " did not run: " + query, e);
    }
  }
}
