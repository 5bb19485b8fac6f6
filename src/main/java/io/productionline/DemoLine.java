package io.productionline;

import io.productionline.agent.ExecutorAgent;
import io.productionline.auth.Role;
import io.productionline.auth.Tokens;
import io.vertx.core.Future;
import io.vertx.core.Promise;
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
 * started once and resumed as they stand after a restart, and a few in-process executors. The
 * projects are created before the banner ({@link #prepare}) and started with the executors after it
 * ({@link #run}). Every
 * {@code demo.every_seconds} (180) a new demo project {@code demo-<time>} starts, so a line is
 * always moving, and the finished demo projects beyond the newest {@code demo.keep} (3) are
 * archived, so the project list stays short however long the demo runs.
 */
final class DemoLine {

  private static final Logger log = LoggerFactory.getLogger(DemoLine.class);
  /** The idempotency-key prefix of every demo project: what the archiving picks them by. */
  static final String KEY = "demo-project:";
  /** Who the demo's actions are by (created_by, archived_by, the audit log). */
  private static final String BY = "demo";
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  private final Vertx vertx;
  private final ProductionLine node;
  private final JsonObject demo;
  /** Read by the shutdown hook's thread while {@link #run} may still add to it. */
  private final List<ExecutorAgent> agents = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** Set by {@link #stop}: a {@link #run} still under way starts nothing more. */
  private volatile boolean stopped;
  /** Projects {@link #prepare} created and {@link #run} has not started yet. */
  private final List<String> created = new ArrayList<>();
  private volatile long timer = -1;

  DemoLine(Vertx vertx, ProductionLine node, JsonObject demo) {
    this.vertx = vertx;
    this.node = node;
    this.demo = demo;
  }

  /** The project the dashboard opens on. */
  String project() {
    return demo.getString("project", "demo");
  }

  /**
   * Creates the demo projects the first time (not started yet), so the page the banner names has its
   * project; after a restart they stand as they were. {@link #run} starts them.
   */
  Future<Void> prepare() {
    String review = demo.getString("review_project", "demo-review");
    Future<Void> reviewCreated = review.isEmpty() || node.services().lines.find("review").isEmpty()
        ? Future.succeededFuture() : createOnce(review, "review").map(this::toStart);
    return reviewCreated.compose(v -> createOnce(project(), line()).map(this::toStart));
  }

  /**
   * Starts the projects {@link #prepare} created, the demo's executors and its timer. {@code Main}
   * calls it after the banner, so the banner is the last thing the start prints and the line's moves
   * follow it.
   */
  Future<Void> run() {
    Future<Void> chain = Future.succeededFuture();
    for (String project : List.copyOf(created)) {
      chain = chain.compose(v -> start(project, 1));
    }
    created.clear();
    // The executors start whatever became of the projects' start: a line must never be left without hands.
    return chain.compose(v -> {
          List<Future<Void>> started = new ArrayList<>();
          for (int i = 1; i <= demo.getInteger("executors", 3) && !stopped; i++) {
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
          if (every > 0 && !stopped) {
            timer = vertx.setPeriodic(every * 1000L, t -> next());
            if (stopped) {
              vertx.cancelTimer(timer);
            }
          }
        });
  }

  /**
   * Starts a demo project. A track whose node could not take its start (its owner went away as the
   * demo started: 503, or no answer in time) is asked again, up to ten times; a project that still
   * does not start is left for the operator's Start Production, and the demo goes on.
   */
  private Future<Void> start(String project, int attempt) {
    return node.orchestrator().start(project, null, "demo").<Void>mapEmpty().recover(e -> {
      int status = Refusal.of(e).status();
      if (stopped || attempt >= 10 || (status >= 400 && status < 500)) {
        log.warn("The demo project {} did not start: {}; Start Production on its page starts it", project, e.getMessage());
        return Future.succeededFuture();
      }
      log.info("The demo project {} did not start yet ({}); asking again in {} s", project, e.getMessage(), attempt);
      Promise<Void> again = Promise.promise();
      vertx.setTimer(1000L * attempt, t -> start(project, attempt + 1).onComplete(again));
      return again.future();
    });
  }

  /**
   * A new demo project on the line, started; then the finished demo projects beyond the newest
   * {@code keep} are archived, each announced as an operator's archive is (the page's project
   * selector drops it; it stays readable by its id).
   */
  Future<Void> next() {
    String id = "demo-" + STAMP.format(node.services().clock.instant());
    var s = node.services();
    return createOnce(id, line())
        .compose(createdNow -> createdNow != null ? node.orchestrator().start(id, null, "demo").mapEmpty() : Future.succeededFuture())
        .compose(v -> s.projects.archiveFinished(s.pool, KEY, demo.getInteger("keep", 3), BY))
        .compose(archived -> {
          java.time.Instant now = s.clock.instant();
          Future<Void> chain = Future.succeededFuture();
          for (var p : archived) {
            chain = chain.compose(v -> s.audit.record(s.pool, BY, "archive_project", p.id(), new JsonObject().put("line", p.line()), now))
                .onSuccess(v -> io.productionline.track.LiveViews.archived(vertx.eventBus(), p, BY, now));
          }
          return chain.map(archived.stream().map(p -> p.id()).toList());
        })
        .onSuccess(archived -> log.info("Demo project {} started{}", id, archived.isEmpty() ? "" : "; archived " + String.join(", ", archived)))
        .onFailure(e -> log.warn("The next demo project could not start: {}", e.getMessage()))
        .mapEmpty();
  }

  /** Stops the demo's timer and its executors (each finishes or hands back its task in hand). */
  Future<Void> stop() {
    stopped = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return Future.all(agents.stream().map(ExecutorAgent::stop).toList()).mapEmpty();
  }

  private String line() {
    return demo.getString("line", "documents");
  }

  /** Creates a demo project the first time; its id when it was created now, null when it stood already (a restart). */
  private Future<String> createOnce(String project, String line) {
    return node.orchestrator().create(project, line, new JsonObject(), KEY + project, BY)
        .map(c -> c.created() ? project : null);
  }

  /** Keeps a project {@link #prepare} created for {@link #run} to start. */
  private Void toStart(String createdNow) {
    if (createdNow != null) {
      created.add(createdNow);
    }
    return null;
  }
}
