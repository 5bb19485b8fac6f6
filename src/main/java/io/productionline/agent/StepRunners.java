package io.productionline.agent;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Runs the three step types. {@code sim}: waits {@code duration_ms} while reporting progress, then
 * reports an outcome drawn from {@code reject_share} (audits, only while the track's remediation
 * count is below {@code reject_limit}), {@code needs_input_share} and {@code halt_share}.
 * {@code shell}: runs {@code command} with the task's input in {@code $PL_INPUT} and a work
 * directory; its output lines become log events, exit 0 stabilizes (an audit rejects otherwise), and
 * a JSON file written to {@code $PL_RESULT} overrides the outcome. {@code http}: sends the input to
 * {@code url}; a 2xx answer stabilizes.
 */
final class StepRunners {

  private final Vertx vertx;
  private final ExecutorAgent agent;

  StepRunners(Vertx vertx, ExecutorAgent agent) {
    this.vertx = vertx;
    this.agent = agent;
  }

  RunningStep start(JsonObject task) {
    RunningStep step = new RunningStep(task);
    JsonObject stepDef = task.getJsonObject("step", new JsonObject());
    String type = stepDef.getString("type", "sim");
    JsonObject params = stepDef.getJsonObject("params", new JsonObject());
    try {
      switch (type) {
        case "shell" -> shell(step, params);
        case "http" -> http(step, params);
        default -> sim(step, params);
      }
    } catch (RuntimeException e) {
      step.finish(halted("the step could not start: " + e.getMessage()));
    }
    return step;
  }

  private static boolean isAudit(JsonObject task) {
    return "audit".equals(task.getString("station_kind"));
  }

  private static JsonObject halted(String reason) {
    return new JsonObject().put("outcome", "halted").put("reason", reason);
  }

  // --- sim -------------------------------------------------------------------------------------

  private void sim(RunningStep step, JsonObject params) {
    long duration = params.getLong("duration_ms", 1000L);
    int ticks = 4;
    long[] timers = new long[1];
    int[] tick = {0};
    step.onCancel(() -> vertx.cancelTimer(timers[0]));
    Runnable[] next = new Runnable[1];
    next[0] = () -> timers[0] = vertx.setTimer(Math.max(1, duration / ticks), t -> {
      tick[0]++;
      if (step.cancelled()) {
        return;
      }
      if (tick[0] < ticks) {
        agent.progress(step, (double) tick[0] / ticks, stationVerb(step.task()) + " " + (100 * tick[0] / ticks) + "%");
        next[0].run();
      } else {
        step.finish(simOutcome(step.task(), params));
      }
    });
    next[0].run();
  }

  private static String stationVerb(JsonObject task) {
    return switch (task.getString("station_kind", "")) {
      case "bind" -> "binding";
      case "audit" -> "auditing";
      case "remediate" -> "remediating";
      default -> "assembling";
    };
  }

  private static JsonObject simOutcome(JsonObject task, JsonObject params) {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    String doc = task.getString("document_type");
    JsonObject input = task.getJsonObject("input", new JsonObject());
    int remediations = input.getInteger("remediation_count", 0);
    if (r.nextDouble() < params.getDouble("halt_share", 0.0)) {
      return halted("simulated halt at " + task.getString("station"));
    }
    if (!input.containsKey("operator_answer") && r.nextDouble() < params.getDouble("needs_input_share", 0.0)) {
      return new JsonObject().put("outcome", "needs_input").put("reason", "the " + doc + " needs an operator's answer")
          .put("questions", new JsonArray().add("Which audience is " + doc + " for?"));
    }
    if (isAudit(task)) {
      int limit = params.getInteger("reject_limit", Integer.MAX_VALUE);
      boolean reject = remediations < limit && r.nextDouble() < params.getDouble("reject_share", 0.0);
      if (reject) {
        return new JsonObject().put("outcome", "audit_rejected").put("score", 0.4)
            .put("reason", "audit found gaps in " + doc)
            .put("findings", new JsonArray().add(new JsonObject().put("section", "scope").put("finding", "acceptance criteria missing")));
      }
      return new JsonObject().put("outcome", "stabilized").put("score", 0.9)
          .put("verification_level", params.getInteger("verification_level", 6));
    }
    JsonArray artifacts = new JsonArray();
    if ("assemble".equals(task.getString("station_kind")) || "remediate".equals(task.getString("station_kind"))) {
      artifacts.add(new JsonObject().put("name", doc + ".md").put("kind", "text").put("content_type", "text/markdown")
          .put("content", "# " + doc + "\n\n## Summary\n\nAssembled by a simulated executor.\n\n## Scope\n\nAcceptance criteria listed.\n"));
    }
    JsonObject out = new JsonObject().put("outcome", "stabilized");
    return artifacts.isEmpty() ? out : out.put("artifacts", artifacts);
  }

  // --- shell -----------------------------------------------------------------------------------

  private void shell(RunningStep step, JsonObject params) {
    String command = params.getString("command");
    if (command == null || command.isBlank()) {
      step.finish(halted("the shell step has no command"));
      return;
    }
    vertx.<JsonObject>executeBlocking(() -> runShell(step, command, params), false)
        .onComplete(ar -> step.finish(ar.succeeded() ? ar.result() : halted("the shell step stopped: " + ar.cause().getMessage())));
  }

  private JsonObject runShell(RunningStep step, String command, JsonObject params) throws IOException, InterruptedException {
    JsonObject task = step.task();
    Path dir = Files.createTempDirectory("pl-" + step.taskId() + "-");
    Path input = dir.resolve("input.json");
    Path result = dir.resolve("result.json");
    Files.writeString(input, task.getJsonObject("input", new JsonObject()).encodePrettily());
    ProcessBuilder pb = new ProcessBuilder("sh", "-c", command).directory(dir.toFile()).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.put("PL_TASK_ID", step.taskId());
    env.put("PL_PROJECT", task.getString("project_id"));
    env.put("PL_TRACK_ID", task.getString("track_id"));
    env.put("PL_DOCUMENT_TYPE", task.getString("document_type"));
    env.put("PL_STATION", task.getString("station"));
    env.put("PL_STATION_KIND", task.getString("station_kind"));
    env.put("PL_ATTEMPT", String.valueOf(task.getInteger("attempt")));
    env.put("PL_INPUT", input.toString());
    env.put("PL_RESULT", result.toString());
    env.put("PL_WORKDIR", dir.toString());
    Process process = pb.start();
    step.onCancel(process::destroy);
    List<JsonObject> batch = new ArrayList<>();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        batch.add(new JsonObject().put("level", "info").put("message", line).put("fields", new JsonObject().put("stream", "output")));
        if (batch.size() >= 20) {
          flush(step, batch);
        }
      }
    }
    flush(step, batch);
    boolean exited = process.waitFor(task.getInteger("timeout_seconds", 300), TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly();
      return halted("the command ran past the station timeout");
    }
    int code = process.exitValue();
    JsonObject outcome;
    if (Files.exists(result)) {
      outcome = new JsonObject(Files.readString(result));
    } else if (code == 0) {
      outcome = new JsonObject().put("outcome", "stabilized");
    } else if (isAudit(task)) {
      outcome = new JsonObject().put("outcome", "audit_rejected").put("reason", "the audit command exited with " + code)
          .put("findings", new JsonArray().add(new JsonObject().put("finding", "exit code " + code)));
    } else {
      outcome = halted("the command exited with " + code);
    }
    String artifact = params.getString("artifact");
    if (artifact != null && Files.exists(dir.resolve(artifact))) {
      String content = Files.readString(dir.resolve(artifact));
      JsonArray artifacts = outcome.getJsonArray("artifacts", new JsonArray());
      artifacts.add(new JsonObject().put("name", Path.of(artifact).getFileName().toString()).put("kind", "text")
          .put("content_type", artifact.endsWith(".md") ? "text/markdown" : "text/plain").put("content", content));
      outcome.put("artifacts", artifacts);
    }
    return outcome.put("exit_code", code);
  }

  private void flush(RunningStep step, List<JsonObject> batch) {
    if (batch.isEmpty()) {
      return;
    }
    JsonArray lines = new JsonArray(new ArrayList<>(batch));
    batch.clear();
    try {
      agent.logs(step, lines).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // Log lines are best effort; the outcome is what counts.
    }
  }

  // --- http ------------------------------------------------------------------------------------

  private void http(RunningStep step, JsonObject params) {
    String url = params.getString("url");
    String method = params.getString("method", "POST");
    if (url == null) {
      step.finish(halted("the http step has no url"));
      return;
    }
    Future<io.vertx.ext.web.client.HttpResponse<io.vertx.core.buffer.Buffer>> call = agent.client()
        .requestAbs(io.vertx.core.http.HttpMethod.valueOf(method), url)
        .timeout(step.task().getInteger("timeout_seconds", 300) * 1000L)
        .sendJsonObject(step.task().getJsonObject("input", new JsonObject()));
    call.onComplete(ar -> {
      if (ar.failed()) {
        step.finish(halted("the http step could not reach " + url + ": " + ar.cause().getMessage()));
        return;
      }
      int code = ar.result().statusCode();
      if (code >= 200 && code < 300) {
        step.finish(new JsonObject().put("outcome", "stabilized").put("status_code", code));
      } else if (isAudit(step.task())) {
        step.finish(new JsonObject().put("outcome", "audit_rejected").put("reason", url + " answered " + code)
            .put("findings", new JsonArray().add(new JsonObject().put("finding", "status " + code))));
      } else {
        step.finish(halted(url + " answered " + code));
      }
    });
  }
}
