package io.productionline.support;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import redis.embedded.RedisServer;

/**
 * The real PostgreSQL and Redis the tests talk to: the servers named by {@code PL_PG_URL} and
 * {@code PL_REDIS_URL}, or embedded ones started once per test JVM on free ports. Each test gets a
 * database of its own ({@link #freshDatabase()}) and a Redis key prefix of its own.
 */
public final class TestServers {

  private static String pgBase;
  private static String redisUrl;
  private static EmbeddedPostgres embeddedPg;
  private static RedisServer embeddedRedis;

  private TestServers() {
  }

  /** {@code postgresql://user@host:port} without a database, for the given or embedded server. */
  public static synchronized String pgBase() {
    if (pgBase == null) {
      String url = System.getenv("PL_PG_URL");
      if (url != null && !url.isBlank()) {
        pgBase = url.replaceFirst("/[^/]*$", "");
      } else {
        try {
          Path dir = Files.createTempDirectory("pl-test-pg");
          embeddedPg = EmbeddedPostgres.builder().setDataDirectory(dir).setCleanDataDirectory(true)
              .setPort(freePort()).setServerConfig("max_connections", "300").setServerConfig("fsync", "off").start();
          pgBase = "postgresql://postgres@127.0.0.1:" + embeddedPg.getPort();
          Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
              embeddedPg.close();
            } catch (IOException ignored) {
              // The JVM is exiting.
            }
          }));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return pgBase;
  }

  /**
   * A new, empty database on the test server; returns its URL. On a server named by
   * {@code PL_PG_URL} the databases a test JVM made are dropped when it exits (an embedded server
   * goes with its directory), unless {@code PL_TEST_KEEP_DATABASES} is set, to look into them.
   */
  public static String freshDatabase() {
    String name = "pl_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    String base = pgBase();
    String admin = jdbc(base + "/postgres");
    try (Connection c = DriverManager.getConnection(admin, user(base), null); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("could not create test database " + name + " on " + base, e);
    }
    madeOnGivenServer(name);
    return base + "/" + name;
  }

  private static final java.util.List<String> MADE = new java.util.ArrayList<>();

  private static synchronized void madeOnGivenServer(String name) {
    if (embeddedPg != null || System.getenv("PL_TEST_KEEP_DATABASES") != null) {
      return;
    }
    if (MADE.isEmpty()) {
      Runtime.getRuntime().addShutdownHook(new Thread(TestServers::dropMade));
    }
    MADE.add(name);
  }

  /** Drops the databases this JVM made on the given server; what cannot be dropped is said, and left. */
  private static synchronized void dropMade() {
    String base = pgBase;
    try (Connection c = DriverManager.getConnection(jdbc(base + "/postgres"), user(base), null); Statement st = c.createStatement()) {
      for (String name : MADE) {
        try {
          st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException e) {
          System.err.println("test database " + name + " on " + base + " not dropped: " + e.getMessage());
        }
      }
    } catch (SQLException e) {
      System.err.println("the test databases on " + base + " were not dropped: " + e.getMessage());
    }
  }

  public static synchronized String redisUrl() {
    if (redisUrl == null) {
      String url = System.getenv("PL_REDIS_URL");
      if (url != null && !url.isBlank()) {
        redisUrl = url;
      } else {
        try {
          int port = freePort();
          embeddedRedis = RedisServer.newRedisServer().port(port).bind("127.0.0.1").setting("save \"\"")
              .setting("appendonly no").build();
          embeddedRedis.start();
          redisUrl = "redis://127.0.0.1:" + port;
          Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
              embeddedRedis.stop();
            } catch (IOException ignored) {
              // The JVM is exiting.
            }
          }));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return redisUrl;
  }

  public static String redisPrefix() {
    return "pltest:" + UUID.randomUUID().toString().substring(0, 8) + ":";
  }

  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String jdbc(String url) {
    return "jdbc:" + url.replaceFirst("^postgresql://[^@]*@", "postgresql://");
  }

  private static String user(String url) {
    var m = java.util.regex.Pattern.compile("^postgresql://([^@:]+)").matcher(url);
    return m.find() ? m.group(1) : "postgres";
  }
}
