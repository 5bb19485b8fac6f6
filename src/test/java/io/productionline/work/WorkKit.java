package io.productionline.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Api;
import io.productionline.support.ServerProcess;
import io.productionline.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Helpers for the work tests: an executor speaking raw HTTP, a bus recorder, a child executor process. */
final class WorkKit {

  private WorkKit() {
  }

  /**
   * An executor that is nothing but HTTP calls, as a script would make them, with its own executor
   * token: the test decides when it claims, what it reports, and when it goes silent.
   */
  static final class RawExecutor {
    final Api api;
    final String id;

    RawExecutor(TestNode node, String id, String environment, String... capabilities) {
      this.api = node.executorApi(id);
      this.id = id;
      Api.Reply r = api.post("/api/v1/executors", new JsonObject().put("executor_id", id).put("environment", environment)
          .put("type", "test").put("capabilities", new JsonArray(List.of(capabilities))));
      if (r.status() != 201) {
        throw new AssertionError("register " + id + ": " + r.status() + " " + r.text());
      }
    }

    /** Claims with a long-poll of {@code waitSeconds}; empty when nothing came. */
    Optional<JsonObject> claim(int waitSeconds) {
      Api.Reply r = api.get("/api/v1/work/next?executor_id=" + id + "&wait=" + waitSeconds);
      if (r.status() != 200) {
        throw new AssertionError("claim by " + id + ": " + r.status() + " " + r.text());
      }
      return r.json().getBoolean("assigned") ? Optional.of(r.json().getJsonObject("task")) : Optional.empty();
    }

    Api.Reply complete(JsonObject task, String outcome) {
      return complete(task.getString("task_id"), task.getString("lease_token"), new JsonObject().put("outcome", outcome), Map.of());
    }

    Api.Reply complete(String taskId, String token, JsonObject body, Map<String, String> headers) {
      return api.post("/api/v1/work/" + taskId + "/complete", body.copy().put("lease_token", token).encode(), headers);
    }

    Api.Reply progress(String taskId, String token, double progress, String message) {
      return api.post("/api/v1/work/" + taskId + "/progress", new JsonObject().put("lease_token", token)
          .put("progress", progress).put("message", message));
    }

    Api.Reply heartbeat(String status, String currentTask) {
      return api.post("/api/v1/executors/" + id + "/heartbeat", new JsonObject().put("status", status).put("current_task", currentTask));
    }
  }

  /**
   * Every station task of {@code project} ({@code tasks} of them) completed, none lost and run
   * again, and each started once: every executor writes a "started" line to a task's log when it
   * begins it.
   */
  static void assertEachTaskRanOnce(TestNode node, String project, long tasks) {
    Row row = node.sql("SELECT count(*) AS n, count(*) FILTER (WHERE status = 'completed') AS done, max(attempt) AS attempts "
        + "FROM station_tasks WHERE project_id = '" + project + "'").get(0);
    assertEquals(tasks, row.getLong("n"));
    assertEquals(tasks, row.getLong("done"));
    assertEquals(1, row.getInteger("attempts"), "no task was lost and run again");
    List<Row> started = node.sql("SELECT l.task_id, count(*) AS n FROM task_logs l JOIN station_tasks t ON t.id = l.task_id "
        + "WHERE t.project_id = '" + project + "' AND l.fields->>'event' = 'started' GROUP BY l.task_id");
    assertEquals(tasks, started.size());
    assertTrue(started.stream().allMatch(r -> r.getLong("n") == 1), "a task was started twice");
  }

  /** Everything published on one bus address from now on, awaited as it arrives. */
  static final class BusRecorder implements AutoCloseable {
    private final List<JsonObject> seen = new CopyOnWriteArrayList<>();
    private final LinkedBlockingQueue<JsonObject> arrivals = new LinkedBlockingQueue<>();
    private final MessageConsumer<JsonObject> consumer;

    BusRecorder(Vertx vertx, String address) {
      consumer = vertx.eventBus().consumer(address, m -> {
        seen.add(m.body());
        arrivals.offer(m.body());
      });
      consumer.completion().await();
    }

    List<JsonObject> all() {
      return List.copyOf(seen);
    }

    /** The first event (already seen or still to come) that matches; fails after {@code timeout}. */
    JsonObject await(Predicate<JsonObject> match, Duration timeout, String what) {
      long deadline = System.nanoTime() + timeout.toNanos();
      try {
        while (true) {
          Optional<JsonObject> hit = seen.stream().filter(match).findFirst();
          if (hit.isPresent()) {
            return hit.get();
          }
          long left = deadline - System.nanoTime();
          if (left <= 0 || arrivals.poll(left, TimeUnit.NANOSECONDS) == null) {
            throw new AssertionError("timed out after " + timeout + " waiting for " + what + "; seen: " + seen);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    /** Forgets what was seen so far. */
    void clear() {
      seen.clear();
      arrivals.clear();
    }

    @Override
    public void close() {
      consumer.unregister();
    }
  }

  /**
   * {@code scripts/executor} as it runs in production: {@code java -cp <classpath> io.productionline.Main
   * executor …} in a child JVM with its executor token, its output in {@code target/executor-<id>.log}.
   */
  static Process childExecutor(TestNode node, String id, String capabilities, String... more) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-Xmx256m", "-cp", ServerProcess.classpath(), "io.productionline.Main", "executor",
        "--server", node.api.base(), "--token", node.token(io.productionline.auth.Role.EXECUTOR, id, id),
        "--id", id, "--capabilities", capabilities, "--wait", "5"));
    cmd.addAll(List.of(more));
    try {
      Path dir = Files.createDirectories(Path.of("target", "executors"));
      File log = dir.resolve(id + ".log").toFile();
      return new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.to(log)).start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
