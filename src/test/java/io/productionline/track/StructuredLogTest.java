package io.productionline.track;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.productionline.support.TestNode;
import io.productionline.work.RescueSweeper;
import io.productionline.work.WorkService;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import net.logstash.logback.encoder.LogstashEncoder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The JSON log (logback's LogstashEncoder, as {@code logback.xml} writes {@code data/logs}): one
 * line per state change with track, station, from, to, executor and attempt; claims, hand-backs and
 * cancels as lines with their own fields.
 */
@DisplayName("Structured JSON log lines for moves, claims, hand-backs and cancels")
class StructuredLogTest {

  private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
  private final List<Logger> loggers = List.of(logger(TrackVerticle.class), logger(WorkService.class), logger(RescueSweeper.class));
  private final LogstashEncoder encoder = new LogstashEncoder();
  private TestNode node;

  private static Logger logger(Class<?> c) {
    return (Logger) LoggerFactory.getLogger(c);
  }

  @BeforeEach
  void start() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    encoder.setContext(context);
    encoder.start();
    lines.setContext(context);
    lines.start();
    loggers.forEach(l -> l.addAppender(lines));
    node = TestNode.start();
  }

  @AfterEach
  void stop() {
    node.close();
    loggers.forEach(l -> l.detachAppender(lines));
    lines.stop();
    encoder.stop();
  }

  /** Every captured line as the JSON object the file appender writes. */
  private List<JsonObject> json() {
    return List.copyOf(lines.list).stream().map(e -> new JsonObject(new String(encoder.encode(e), StandardCharsets.UTF_8))).toList();
  }

  @Test
  @DisplayName("a move after a completion names track, station, from, to, executor and attempt; claims, hand-backs and cancels log their fields")
  void fields() {
    node.createProject("log", "single");
    node.executor("e1");
    node.api.post("/production/start?project=log&doc=doc", new JsonObject());
    node.awaitProduction("log", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(30));

    List<JsonObject> all = json();
    JsonObject moved = all.stream().filter(j -> "transition".equals(j.getString("event")) && "auditing".equals(j.getString("from"))).findFirst()
        .orElseThrow(() -> new AssertionError("no transition line from auditing: " + all));
    assertEquals("stabilized", moved.getString("to"));
    assertEquals("e1", moved.getString("executor"), moved.encode());
    assertEquals(1, moved.getInteger("attempt"), moved.encode());
    assertTrue(moved.getString("track_id").startsWith("trk_"), moved.encode());
    assertEquals("aud", moved.getString("station"));
    assertEquals("log", moved.getString("project"));
    assertEquals("INFO", moved.getString("level"));
    assertTrue(moved.getString("message").startsWith("log / doc: moved auditing -> stabilized"), "the line names the project and the document: " + moved.encode());
    JsonObject started = all.stream().filter(j -> "transition".equals(j.getString("event")) && "queued".equals(j.getString("from")))
        .findFirst().orElseThrow();
    assertEquals("line", started.getString("actor"), "a move no executor made names its actor");
    JsonObject claimed = all.stream().filter(j -> "claimed".equals(j.getString("event"))).findFirst().orElseThrow();
    assertEquals("e1", claimed.getString("executor"));
    assertEquals(1, claimed.getInteger("attempt"));
    assertEquals("bind", claimed.getString("station"));

    // A hand-back and a cancel.
    node.createProject("log2", "slowjob");
    node.api.post("/production/start?project=log2&doc=job", new JsonObject());
    var hand = node.executorApi("hand");
    hand.post("/api/v1/executors", new JsonObject().put("executor_id", "hand").put("capabilities", new JsonArray().add("slow")));
    JsonObject task = hand.get("/api/v1/work/next?executor_id=hand").json().getJsonObject("task");
    assertEquals(200, hand.post("/api/v1/work/" + task.getString("task_id") + "/release",
        new JsonObject().put("lease_token", task.getString("lease_token")).put("reason", "going home")).status());
    assertEquals(200, node.api.post("/production/track/" + task.getString("track_id") + "/cancel",
        new JsonObject().put("kind", "permanent").put("reason", "not needed")).status());
    List<JsonObject> later = json();
    JsonObject handedBack = later.stream().filter(j -> "handed_back".equals(j.getString("event"))).findFirst().orElseThrow();
    assertEquals(Map.of("executor", "hand", "attempt", 1, "reason", "going home"), Map.of("executor", handedBack.getString("executor"),
        "attempt", handedBack.getInteger("attempt"), "reason", handedBack.getString("reason")));
    JsonObject cancelled = later.stream().filter(j -> "cancelled".equals(j.getString("event"))).findFirst().orElseThrow();
    assertEquals("permanent", cancelled.getString("kind"));
    assertEquals("operator", cancelled.getString("actor"));
    assertEquals(task.getString("track_id"), cancelled.getString("track_id"));
  }

  @Test
  @DisplayName("an executor that claims several tasks in one call gets one line naming each task with its own fields")
  void batchClaimOneLine() {
    node.createProject("logb", "slowjob");
    node.api.post("/production/start?project=logb&doc=job", new JsonObject());
    node.api.post("/production/start?project=logb&doc=short", new JsonObject());
    // Both tracks at their station, so both tasks are queued before the executor asks.
    node.awaitProduction("logb", p -> p.getJsonArray("tracks").size() == 2 && TestNode.allTracks(p, "assembling"), Duration.ofSeconds(30));
    var hand = node.executorApi("hand");
    hand.post("/api/v1/executors", new JsonObject().put("executor_id", "hand").put("capabilities", new JsonArray().add("slow")));
    JsonArray tasks = hand.get("/api/v1/work/next?executor_id=hand&wait=0&max=2").json().getJsonArray("tasks");
    assertEquals(2, tasks.size(), tasks.encode());
    List<JsonObject> claims = json().stream().filter(j -> "claimed".equals(j.getString("event"))).toList();
    assertEquals(claims.size(), lines.list.stream().filter(e -> e.getFormattedMessage().contains("claimed")).count());
    java.util.Set<String> logged = new java.util.HashSet<>();
    for (JsonObject c : claims) {
      assertEquals("hand", c.getString("executor"), c.encode());
      JsonArray each = c.getJsonArray("tasks");
      assertTrue(each != null, "one line for the call, not one a task: " + claims);
      assertTrue(c.getString("message").startsWith("Executor hand claimed 2 tasks: logb / "), c.encode());
      for (Object o : each) {
        JsonObject t = (JsonObject) o;
        assertEquals("asm", t.getString("station"), c.encode());
        assertEquals(1, t.getInteger("attempt"), c.encode());
        assertEquals("logb", t.getString("project"), c.encode());
        assertTrue(t.getString("track_id").startsWith("trk_"), c.encode());
        logged.add(t.getString("task_id"));
      }
    }
    assertEquals(java.util.Set.of(tasks.getJsonObject(0).getString("task_id"), tasks.getJsonObject(1).getString("task_id")), logged,
        "every claimed task is named once: " + claims);
  }

  @Test
  @DisplayName("every change of a track's state is an INFO line; a move on to the next assembly station is a DEBUG line")
  void stateChangesAtInfoOnwardMovesAtDebug() {
    node.createProject("onw", "onward");
    node.executor("e1");
    node.api.post("/production/start?project=onw&doc=doc", new JsonObject());
    node.awaitProduction("onw", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(30));
    assertEquals(List.of("queued -> binding at bind", "binding -> assembling at asm1", "assembling -> auditing at aud",
        "auditing -> stabilized at aud"), moves("onw"), "each state change once, and not the move from asm1 to asm2");

    Logger track = logger(TrackVerticle.class);
    ch.qos.logback.classic.Level was = track.getLevel();
    track.setLevel(ch.qos.logback.classic.Level.DEBUG);
    try {
      node.createProject("onw2", "onward");
      node.api.post("/production/start?project=onw2&doc=doc", new JsonObject());
      node.awaitProduction("onw2", p -> TestNode.allTracks(p, "stabilized"), Duration.ofSeconds(30));
    } finally {
      track.setLevel(was);
    }
    JsonObject onward = json().stream().filter(j -> "transition".equals(j.getString("event")) && "onw2".equals(j.getString("project"))
        && "asm2".equals(j.getString("station"))).findFirst().orElseThrow(() -> new AssertionError("no line for the move to asm2: " + json()));
    assertEquals("DEBUG", onward.getString("level"));
    assertEquals("assembling", onward.getString("from"));
    assertEquals("assembling", onward.getString("to"));
    assertEquals("e1", onward.getString("executor"), onward.encode());
  }

  /** The transition lines of {@code project}, as "from -> to at station", in order. */
  private List<String> moves(String project) {
    return json().stream().filter(j -> "transition".equals(j.getString("event")) && project.equals(j.getString("project")))
        .map(j -> j.getString("from") + " -> " + j.getString("to") + " at " + j.getString("station")).toList();
  }
}
