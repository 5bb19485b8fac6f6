package io.productionline.track;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.productionline.support.ChildServers;
import io.productionline.support.EventStream;
import io.productionline.support.ServerProcess;
import io.productionline.support.TestServers;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real server as a child JVM, killed with -9 as its fan-out has just created its children, and started again. */
@DisplayName("A kill -9 of the server during a fan-out loses no child and creates none twice")
class FanOutCrashTest {

  private static final String PROJECT = "fan";

  private final List<ServerProcess> children = new ArrayList<>();
  private final List<EventStream> streams = new ArrayList<>();

  @TempDir
  Path dir;

  @AfterEach
  void killChildren() {
    streams.forEach(EventStream::close);
    children.forEach(c -> c.stop(Duration.ofSeconds(15)));
  }

  @Test
  @DisplayName("Killed right after the fan-out of 30: after the restart exactly 30 children, one per item, all stabilized, then the join")
  void killDuringFanOut() {
    String pg = TestServers.freshDatabase();
    Path config = ChildServers.writeConfig(dir, FanOutTest.line("fancrash", FanOutTest.epics(30), 400), PROJECT, 4);
    Map<String, String> env;
    try {
      env = new java.util.LinkedHashMap<>(ChildServers.env(config, Files.createDirectories(dir.resolve("data"))));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    env.put("PL_PG_URL", pg);
    env.put("PL_REDIS_URL", TestServers.redisUrl());
    Path logs = ServerProcess.baseDir().resolve("target/fan-out-crash/" + dir.getFileName());

    ServerProcess first = child("first", env, logs).awaitReady(Duration.ofSeconds(60));
    EventStream events = stream(first);
    events.awaitUntil(seen -> seen.stream().anyMatch(e -> "fan_out".equals(e.getString("type"))), Duration.ofSeconds(60), "the fan-out");
    assertEquals(137, first.kill9(), "SIGKILL: no shutdown hook ran");

    List<Map<String, Object>> atKill = ChildServers.sql(pg, "SELECT id, state FROM tracks WHERE document_type = 'epic'");
    assertEquals(30, atKill.size(), "the fan-out's children were committed with the parent's move: " + atKill);

    ServerProcess second = child("second", env, logs).awaitReady(Duration.ofSeconds(60));
    EventStream after = stream(second);
    JsonObject view = after.awaitState(() -> second.api().get("/production?project=" + PROJECT).json(),
        v -> "complete".equals(v.getString("line_state")), Duration.ofSeconds(120), "the line to complete after the restart");

    List<Map<String, Object>> epics = ChildServers.sql(pg, """
        SELECT fan_out_index, count(*) AS n, bool_and(state = 'stabilized') AS stabilized, min(fan_out_item->>'epic') AS item
          FROM tracks WHERE document_type = 'epic' GROUP BY fan_out_index ORDER BY fan_out_index""");
    assertEquals(IntStream.range(0, 30).boxed().toList(), epics.stream().map(r -> ((Number) r.get("fan_out_index")).intValue()).toList(),
        "no child lost");
    epics.forEach(r -> {
      assertEquals(1L, ((Number) r.get("n")).longValue(), "no child twice: " + r);
      assertEquals(Boolean.TRUE, r.get("stabilized"), "every child stabilized: " + r);
      assertEquals("E" + r.get("fan_out_index"), r.get("item"), "each child has its own item: " + r);
    });
    assertEquals(1L, ((Number) ChildServers.sql(pg, "SELECT count(*) AS n FROM track_events WHERE type = 'fan_out'").get(0).get("n")).longValue(),
        "one fan-out");
    assertEquals("stabilized", io.productionline.support.TestNode.track(view, "release").getString("state"), "the join ran after the children");
    List<Map<String, Object>> twice = ChildServers.sql(pg, """
        SELECT track_id, station_index, count(*) AS n FROM station_tasks WHERE status = 'completed' GROUP BY track_id, station_index HAVING count(*) > 1""");
    assertEquals(List.of(), twice, "no station of a child completed twice");
  }

  private ServerProcess child(String name, Map<String, String> env, Path logs) {
    ServerProcess p = ServerProcess.start(name, env, logs);
    children.add(p);
    return p;
  }

  private EventStream stream(ServerProcess server) {
    EventStream s = EventStream.open(server.port(), PROJECT, 0, server.operatorToken());
    streams.add(s);
    return s;
  }
}
