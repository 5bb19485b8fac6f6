package io.productionline.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.status.Status;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import net.logstash.logback.argument.StructuredArguments;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;

/**
 * The server's own {@code logback.xml} (not the tests' configuration): the JSON lines an SRE tails in
 * {@code data/logs/production-line.jsonl} are written from a thread of their own, in batches, yet
 * reach the file as soon as they are logged, and a stop writes out every line still waiting.
 */
@DisplayName("The server's JSON log file: lines reach it at once, and none is lost at a stop")
class LogFileTest {

  @TempDir
  Path data;

  private LoggerContext logs;

  @BeforeEach
  void configure() throws Exception {
    logs = new LoggerContext();
    // What SLF4J's provider gives the server's context; a context made by hand needs it given.
    logs.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    logs.putProperty("PL_DATA_DIR", data.toString());
    JoranConfigurator joran = new JoranConfigurator();
    joran.setContext(logs);
    joran.doConfigure(getClass().getResource("/logback.xml"));
    List<Status> errors = logs.getStatusManager().getCopyOfStatusList().stream().filter(s -> s.getLevel() >= Status.WARN).toList();
    assertEquals(List.of(), errors, "logback.xml configures without warnings");
  }

  @AfterEach
  void stop() {
    logs.stop();
  }

  private Path file() {
    return data.resolve("logs").resolve("production-line.jsonl");
  }

  private List<JsonObject> lines() throws Exception {
    return Files.exists(file()) ? Files.readAllLines(file()).stream().map(JsonObject::new).toList() : List.of();
  }

  @Test
  @DisplayName("a line logged on a quiet server is in the file without waiting for more lines or a stop")
  void aLoneLineIsWrittenAtOnce() throws Exception {
    Logger log = logs.getLogger("io.productionline.track.TrackVerticle");
    log.info("p / doc: moved queued -> binding at bind (track trk_1)", StructuredArguments.entries(Map.of("event", "transition", "track_id", "trk_1")));
    long deadline = System.nanoTime() + 10_000_000_000L;
    List<JsonObject> seen = lines();
    while (seen.isEmpty() && System.nanoTime() < deadline) {
      LockSupport.parkNanos(5_000_000);
      seen = lines();
    }
    assertEquals(1, seen.size(), "the line is in the file while the server runs on");
    assertEquals("trk_1", seen.get(0).getString("track_id"));
    assertEquals("transition", seen.get(0).getString("event"));
    assertEquals("INFO", seen.get(0).getString("level"));
  }

  @Test
  @DisplayName("a burst larger than the buffer, from several threads, is all in the file after the stop, each line once")
  void aStopWritesEveryWaitingLine() throws Exception {
    Logger log = logs.getLogger("io.productionline.work.WorkService");
    int threads = 4;
    int each = 6_000;
    List<Thread> loggers = new java.util.ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Thread th = new Thread(() -> {
        for (int i = 0; i < each; i++) {
          log.info("claimed {}", thread + "-" + i, StructuredArguments.entries(Map.of("event", "claimed", "task_id", thread + "-" + i)));
        }
      });
      loggers.add(th);
      th.start();
    }
    for (Thread th : loggers) {
      th.join();
    }
    logs.stop();
    List<JsonObject> written = lines();
    Set<String> ids = new HashSet<>();
    written.forEach(j -> ids.add(j.getString("task_id")));
    assertEquals(threads * each, written.size(), "every line logged is written (the buffer holds 8,192)");
    assertEquals(threads * each, ids.size(), "each line once");
    assertTrue(ids.contains("3-5999"));
  }
}
