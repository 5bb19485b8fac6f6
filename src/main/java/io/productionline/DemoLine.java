package io.productionline;

import io.productionline.agent.ExecutorAgent;
import io.productionline.auth.Role;
import io.productionline.auth.Tokens;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo of the embedded default: the project {@code demo} on the documents line and
 * {@code demo-review} on the review line (it stops for an operator's answer), both created and
 * started once and resumed as they stand after a restart, and a few in-process executors. Every
 * {@code demo.every_seconds} (180) a new demo project {@code demo-<time>} starts, so a line is
 * always moving, and the finished demo projects beyond the newest {@code demo.keep} (3) are
 * archived, so the project list stays short however long the demo runs.
 */
final class DemoLine {

  private static final Logger log = LoggerFactory.getLogger(DemoLine.class);
  /** The idempotency-key prefix of every demo project: what the archiving picks them by. */
  static final String KEY = "demo-project:";
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  private final Vertx vertx;
  private final ProductionLine node;
  private final JsonObject demo;
  private final List<ExecutorAgent> agents = new ArrayList<>();
  private long timer = -1;

  DemoLine(Vertx vertx, ProductionLine node, JsonObject demo) {
    this.vertx = vertx;
    this.node = node;
    this.demo = demo;
  }

  /** The project the dashboard opens on. */
  String project() {
    return demo.getString("project", "demo");
  }

  Future<Void> start() {
    String review = demo.getString("review_project", "demo-review");
    Future<Void> reviewStarted = review.isEmpty() || node.services().lines.find("review").isEmpty()
        ? Future.succeededFuture() : startOnce(review, "review");
    return reviewStarted
        .compose(v -> startOnce(project(), line()))
        .compose(v -> {
          List<Future<Void>> started = new ArrayList<>();
          for (int i = 1; i <= demo.getInteger("executors", 3); i++) {
            String id = "sim-" + i;
            String token = node.services().tokens.mint(Role.EXECUTOR, id, id, Tokens.MAX_TTL);
            ExecutorAgent agent = new ExecutorAgent(vertx, new ExecutorAgent.Settings("http://127.0.0.1:" + node.port(),
                token, id, List.of("sim", "build"), "server", "simulated", 20));
            agents.add(agent);
            started.add(agent.start());
          }
          return Future.all(started).<Void>mapEmpty();
        })
        .onSuccess(v -> {
          int every = demo.getInteger("every_seconds", 180);
          if (every > 0) {
            timer = vertx.setPeriodic(every * 1000L, t -> next());
          }
        });
  }

  /** A new demo project on the line, started; then the oldest finished ones archived. */
  Future<Void> next() {
    String id = "demo-" + STAMP.format(node.services().clock.instant());
    return startOnce(id, line())
        .compose(v -> node.services().projects.archiveFinished(node.services().pool, KEY, demo.getInteger("keep", 3), "demo"))
        .onSuccess(archived -> log.info("Demo project {} started{}", id, archived.isEmpty() ? "" : "; archived " + String.join(", ", archived)))
        .onFailure(e -> log.warn("The next demo project could not start: {}", e.getMessage()))
        .mapEmpty();
  }

  /** Stops the demo's timer and its executors (each finishes or hands back its task in hand). */
  Future<Void> stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return Future.all(agents.stream().map(ExecutorAgent::stop).toList()).mapEmpty();
  }

  private String line() {
    return demo.getString("line", "documents");
  }

  /** Creates and starts a demo project the first time; after a restart it resumes as it stands. */
  private Future<Void> startOnce(String project, String line) {
    return node.orchestrator().create(project, line, new JsonObject(), KEY + project, "demo")
        .compose(created -> created.created()
            ? node.orchestrator().start(project, null, "demo").mapEmpty()
            : Future.succeededFuture());
  }
}
