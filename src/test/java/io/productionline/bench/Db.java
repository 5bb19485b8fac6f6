package io.productionline.bench;

import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The bench's own view of PostgreSQL, over JDBC on loopback: creates the dedicated bench database,
 * reads {@code pg_stat_database} / {@code pg_stat_wal} counters, bulk-loads rows with SQL.
 */
final class Db implements AutoCloseable {

  /** {@code postgresql://user@host:port} without a database. */
  final String base;
  final String name;
  private final Connection conn;

  private Db(String base, String name, Connection conn) {
    this.base = base;
    this.name = name;
    this.conn = conn;
  }

  /** Drops and creates database {@code name} on the server of {@code url}, and connects to it. */
  static Db fresh(String url, String name) throws SQLException {
    String base = url.replaceFirst("/[^/@]*$", "");
    try (Connection admin = DriverManager.getConnection(jdbc(base + "/postgres"), user(base), null);
         Statement st = admin.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      st.execute("CREATE DATABASE " + name);
    }
    Connection c = DriverManager.getConnection(jdbc(base + "/" + name), user(base), null);
    c.setAutoCommit(true);
    return new Db(base, name, c);
  }

  String url() {
    return base + "/" + name;
  }

  /** Host and port of the server, for pgbench. */
  String host() {
    var m = java.util.regex.Pattern.compile("@([^:/]+)(?::(\\d+))?").matcher(base);
    return m.find() ? m.group(1) : "127.0.0.1";
  }

  int port() {
    var m = java.util.regex.Pattern.compile("@[^:/]+:(\\d+)").matcher(base);
    return m.find() ? Integer.parseInt(m.group(1)) : 5432;
  }

  String user() {
    return user(base);
  }

  void exec(String sql) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute(sql);
    }
  }

  long scalar(String sql) throws SQLException {
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The first column of every row. */
  java.util.List<String> texts(String sql) throws SQLException {
    java.util.List<String> out = new java.util.ArrayList<>();
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  String text(String sql) throws SQLException {
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  List<String> lines(String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  /** Transactions committed in the bench database so far (every autocommit statement counts). */
  long commits() throws SQLException {
    exec("SELECT pg_stat_clear_snapshot()");
    return scalar("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()");
  }

  /**
   * Counters of the bench database's tables and indexes so far, by name: for a table its buffers read
   * (heap and index), updates (and HOT ones) and live and dead rows; for an index its scans and the
   * entries they read. Two of them a window apart say where PostgreSQL's reads went ({@link #perTask}).
   */
  JsonObject relations() throws SQLException {
    exec("SELECT pg_stat_clear_snapshot()");
    JsonObject out = new JsonObject();
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("""
        SELECT t.relname, coalesce(io.heap_blks_hit, 0) + coalesce(io.heap_blks_read, 0),
               coalesce(io.idx_blks_hit, 0) + coalesce(io.idx_blks_read, 0), t.n_tup_upd, t.n_tup_hot_upd, t.n_live_tup, t.n_dead_tup,
               t.seq_scan, t.seq_tup_read
        FROM pg_stat_user_tables t JOIN pg_statio_user_tables io USING (relid)""")) {
      while (rs.next()) {
        out.put("table " + rs.getString(1), new JsonObject().put("heap_blks", rs.getLong(2)).put("idx_blks", rs.getLong(3))
            .put("updates", rs.getLong(4)).put("hot_updates", rs.getLong(5)).put("live", rs.getLong(6)).put("dead", rs.getLong(7))
            .put("seq_scans", rs.getLong(8)).put("seq_read", rs.getLong(9)));
      }
    }
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT indexrelname, idx_scan, idx_tup_read FROM pg_stat_user_indexes")) {
      while (rs.next()) {
        out.put("index " + rs.getString(1), new JsonObject().put("scans", rs.getLong(2)).put("read", rs.getLong(3)));
      }
    }
    return out;
  }

  /**
   * What the window between {@code before} and {@code after} ({@link #relations}) cost a task: per table,
   * buffers and updates a task, the share of HOT updates, the dead rows left and what sequential scans read; per index used, scans a
   * task and entries read a scan. Relations the window did not touch are left out.
   */
  static JsonObject perTask(JsonObject before, JsonObject after, long tasks) {
    JsonObject out = new JsonObject();
    if (tasks == 0) {
      return out;
    }
    for (String name : after.fieldNames()) {
      JsonObject a = after.getJsonObject(name);
      JsonObject b = before.getJsonObject(name, new JsonObject());
      if (name.startsWith("table ")) {
        long heap = a.getLong("heap_blks") - b.getLong("heap_blks", 0L);
        long idx = a.getLong("idx_blks") - b.getLong("idx_blks", 0L);
        long upd = a.getLong("updates") - b.getLong("updates", 0L);
        long hot = a.getLong("hot_updates") - b.getLong("hot_updates", 0L);
        long seqScans = a.getLong("seq_scans") - b.getLong("seq_scans", 0L);
        long seqRead = a.getLong("seq_read") - b.getLong("seq_read", 0L);
        if (heap + idx > 0) {
          out.put(name, new JsonObject().put("heap_blks_per_task", Samples.round((double) heap / tasks))
              .put("idx_blks_per_task", Samples.round((double) idx / tasks)).put("updates_per_task", Samples.round((double) upd / tasks))
              .put("hot_share", upd == 0 ? null : Samples.round((double) hot / upd)).put("live", a.getLong("live")).put("dead", a.getLong("dead"))
              .put("seq_scans", seqScans).put("seq_rows_read_per_task", Samples.round((double) seqRead / tasks)));
        }
      } else {
        long scans = a.getLong("scans") - b.getLong("scans", 0L);
        long read = a.getLong("read") - b.getLong("read", 0L);
        if (scans > 0) {
          out.put(name, new JsonObject().put("scans_per_task", Samples.round((double) scans / tasks))
              .put("read_per_scan", Samples.round((double) read / scans)));
        }
      }
    }
    return out;
  }

  /** WAL flushes (fsyncs) of the whole server so far; other databases' work counts too. */
  long walSyncs() throws SQLException {
    return scalar("SELECT wal_sync FROM pg_stat_wal");
  }

  @Override
  public void close() throws SQLException {
    conn.close();
  }

  static String jdbc(String url) {
    return "jdbc:" + url.replaceFirst("^postgresql://[^@]*@", "postgresql://");
  }

  static String user(String url) {
    var m = java.util.regex.Pattern.compile("^postgresql://([^@:]+)").matcher(url);
    return m.find() ? m.group(1) : "postgres";
  }
}
