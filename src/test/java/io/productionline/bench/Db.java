package io.productionline.bench;

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
