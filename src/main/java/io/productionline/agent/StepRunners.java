package io.productionline.agent;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs the three step types.
 *
 * <p>{@code sim}: waits {@code duration_ms} while reporting progress, then reports an outcome
 * drawn from {@code reject_share} (audits, only while the track's remediation count is below
 * {@code reject_limit}), {@code needs_input_share} and {@code halt_share}; a bind or assemble
 * station that stabilizes reports {@code output} (the fields it hands on, which a fan-out reads) as given.
 *
 * <p>{@code shell}: runs {@code command} with {@code sh -c} in a fresh work directory holding
 * the task's input ({@code $PL_INPUT}, one file per field under {@code $PL_INPUTS}, and
 * {@code PL_INPUT_<FIELD>} variables for plain values) and the artifacts earlier stations of the
 * track produced ({@code $PL_ARTIFACTS}). Its stdout and stderr lines are streamed as log events
 * while it runs. Exit 0 stabilizes (an audit rejects otherwise, other stations halt); a JSON file
 * written to {@code $PL_RESULT} decides the outcome instead. Files left in {@code $PL_OUTPUT}, and
 * those named by {@code artifact} / {@code artifacts}, are handed in as artifacts. A cancel kills
 * the whole process tree.
 *
 * <p>{@code http}: sends the task's input to {@code url} ({@code {server}} in it stands for the
 * server's base URL) with {@code method} (default POST; GET and DELETE send no body); a 2xx answer
 * stabilizes; {@code artifact} keeps the answer's body under that name.
 */
final class StepRunners {

  private static final long FLUSH_MS = 200;
  private static final int MAX_LINE = 8000;

  private final Vertx vertx;
  private final ExecutorAgent agent;

  StepRunners(Vertx vertx, ExecutorAgent agent) {
    this.vertx = vertx;
    this.agent = agent;
  }

  RunningStep prepare(JsonObject task) {
    return new RunningStep(task);
  }

  void start(RunningStep step) {
    JsonObject stepDef = step.task().getJsonObject("step", new JsonObject());
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
          .put("questions", new JsonArray().add(new JsonObject().put("key", "audience").put("text", "Which audience is " + doc + " for?")));
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
    if (params.getValue("output") instanceof JsonObject output) {
      // What the simulated station hands on (a list a fan-out reads, for one).
      out.put("output", output.copy());
    }
    return artifacts.isEmpty() ? out : out.put("artifacts", artifacts);
  }

  // --- shell -----------------------------------------------------------------------------------

  private void shell(RunningStep step, JsonObject params) {
    String command = params.getString("command");
    if (command == null || command.isBlank()) {
      step.finish(halted("the shell step has no command"));
      return;
    }
    LogPump pump = new LogPump(vertx, agent, step);
    agent.get("/api/v1/tracks/" + step.task().getString("track_id") + "/artifacts")
        .map(r -> r.getJsonArray("artifacts", new JsonArray()))
        .otherwise(new JsonArray())
        .compose(earlier -> vertx.executeBlocking(() -> runShell(step, command, params, earlier, pump), false))
        .onComplete(ar -> {
          pump.stop();
          step.finish(ar.succeeded() ? ar.result() : halted("the shell step stopped: " + ar.cause().getMessage()));
        });
  }

  private JsonObject runShell(RunningStep step, String command, JsonObject params, JsonArray earlier, LogPump pump)
      throws IOException, InterruptedException {
    JsonObject task = step.task();
    JsonObject input = task.getJsonObject("input", new JsonObject());
    Path dir = Files.createTempDirectory("pl-" + step.taskId() + "-");
    Path inputFile = dir.resolve("input.json");
    Path inputs = Files.createDirectories(dir.resolve("inputs"));
    Path artifactsIn = Files.createDirectories(dir.resolve("artifacts"));
    Path output = Files.createDirectories(dir.resolve("out"));
    Path result = dir.resolve("result.json");
    Files.writeString(inputFile, input.encodePrettily());
    ProcessBuilder pb = new ProcessBuilder("sh", "-c", command).directory(dir.toFile());
    Map<String, String> env = pb.environment();
    for (String key : input.fieldNames()) {
      if (!key.matches("[A-Za-z0-9_]{1,64}")) {
        continue;
      }
      Object v = input.getValue(key);
      Files.writeString(inputs.resolve(key), v instanceof String str ? str : io.vertx.core.json.Json.encode(v));
      if (v instanceof String || v instanceof Number || v instanceof Boolean) {
        env.put("PL_INPUT_" + key.toUpperCase(Locale.ROOT), String.valueOf(v));
      }
    }
    for (Object o : earlier) {
      JsonObject a = (JsonObject) o;
      String name = a.getString("name", "");
      if (name.isEmpty() || name.contains("/") || name.startsWith(".")) {
        continue;
      }
      if ("url".equals(a.getString("kind"))) {
        Files.writeString(artifactsIn.resolve(name + ".url"), a.getString("url", ""));
      } else if ("file".equals(a.getString("kind")) && a.getString("content") != null) {
        Files.write(artifactsIn.resolve(name), Base64.getDecoder().decode(a.getString("content")));
      } else if (a.getValue("content") != null) {
        Files.writeString(artifactsIn.resolve(name), a.getValue("content").toString());
      }
    }
    env.put("PL_TASK_ID", step.taskId());
    env.put("PL_PROJECT", task.getString("project_id"));
    env.put("PL_TRACK_ID", task.getString("track_id"));
    env.put("PL_DOCUMENT_TYPE", task.getString("document_type"));
    env.put("PL_STATION", task.getString("station"));
    env.put("PL_STATION_KIND", task.getString("station_kind"));
    env.put("PL_ATTEMPT", String.valueOf(task.getInteger("attempt")));
    env.put("PL_EXECUTOR_ID", agent.id());
    env.put("PL_INPUT", inputFile.toString());
    env.put("PL_INPUTS", inputs.toString());
    env.put("PL_ARTIFACTS", artifactsIn.toString());
    env.put("PL_OUTPUT", output.toString());
    env.put("PL_RESULT", result.toString());
    env.put("PL_WORKDIR", dir.toString());
    Process process = pb.start();
    step.onCancel(() -> killTree(process));
    if (step.cancelled()) {
      killTree(process);
    }
    Thread out = reader(process.getInputStream(), "stdout", "info", pump, step.taskId());
    Thread err = reader(process.getErrorStream(), "stderr", "warn", pump, step.taskId());
    int timeout = task.getInteger("timeout_seconds", 300);
    boolean exited = process.waitFor(timeout, TimeUnit.SECONDS);
    if (!exited) {
      killTree(process);
    }
    // Output of children that outlive the command is not waited for long.
    out.join(5_000);
    err.join(5_000);
    pump.drain();
    if (step.cancelled()) {
      return halted("cancelled");
    }
    if (!exited) {
      return halted("the command ran past the station timeout of " + timeout + " s");
    }
    int code = process.exitValue();
    JsonObject outcome;
    if (Files.exists(result)) {
      try {
        outcome = new JsonObject(Files.readString(result));
      } catch (RuntimeException e) {
        outcome = halted("the command wrote a result file that is not a JSON object");
      }
    } else if (code == 0) {
      outcome = new JsonObject().put("outcome", "stabilized");
    } else if (isAudit(task)) {
      outcome = new JsonObject().put("outcome", "audit_rejected").put("reason", "the audit command exited with " + code)
          .put("findings", new JsonArray().add(new JsonObject().put("finding", "exit code " + code)));
    } else {
      outcome = halted("the command exited with " + code);
    }
    JsonArray artifacts = outcome.getJsonArray("artifacts", new JsonArray());
    List<Path> files = new ArrayList<>();
    String one = params.getString("artifact");
    if (one != null) {
      files.add(dir.resolve(one).normalize());
    }
    for (Object named : params.getJsonArray("artifacts", new JsonArray())) {
      files.add(dir.resolve(String.valueOf(named)).normalize());
    }
    try (Stream<Path> left = Files.list(output)) {
      left.filter(Files::isRegularFile).sorted(Comparator.naturalOrder()).forEach(files::add);
    }
    Map<String, Path> byName = new LinkedHashMap<>();
    for (Path f : files) {
      if (f.startsWith(dir) && Files.isRegularFile(f)) {
        byName.putIfAbsent(f.getFileName().toString(), f);
      }
    }
    for (Map.Entry<String, Path> e : byName.entrySet()) {
      JsonObject artifact = fileArtifact(e.getKey(), e.getValue(), pump);
      if (artifact != null) {
        artifacts.add(artifact);
      }
    }
    pump.drain();
    if (!artifacts.isEmpty()) {
      outcome.put("artifacts", artifacts);
    }
    deleteQuietly(dir);
    return outcome.put("exit_code", code);
  }

  private JsonObject fileArtifact(String name, Path file, LogPump pump) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    int limit = agent.maxArtifactBytes();
    String text = utf8(bytes);
    int size = text != null ? bytes.length : (bytes.length + 2) / 3 * 4;
    if (size > limit) {
      pump.add("warn", "artifact " + name + " not handed in: " + size + " bytes, the server takes at most " + limit, "agent");
      return null;
    }
    if (text != null) {
      return new JsonObject().put("name", name).put("kind", "text").put("content_type", contentType(name)).put("content", text);
    }
    return new JsonObject().put("name", name).put("kind", "file").put("content_type", "application/octet-stream")
        .put("content", Base64.getEncoder().encodeToString(bytes));
  }

  private static String utf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  private static String contentType(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (n.endsWith(".md")) {
      return "text/markdown";
    }
    if (n.endsWith(".json")) {
      return "application/json";
    }
    if (n.endsWith(".html")) {
      return "text/html";
    }
    return "text/plain";
  }

  private static Thread reader(InputStream in, String stream, String level, LogPump pump, String taskId) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          pump.add(level, line.length() > MAX_LINE ? line.substring(0, MAX_LINE) : line, stream);
        }
      } catch (IOException e) {
        // The process is gone; what was read is kept.
      }
    }, "pl-" + stream + "-" + taskId);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Stops the command and everything it started: TERM to the tree, KILL to what is left after 2 s. */
  private static void killTree(Process process) {
    List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
    tree.forEach(ProcessHandle::destroy);
    process.destroy();
    CompletableFuture.runAsync(() -> {
      try {
        process.waitFor(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
      if (process.isAlive()) {
        process.destroyForcibly();
      }
    });
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // A temp directory left behind is harmless.
    }
  }

  /**
   * Streams a running command's output lines to the server in order: lines queue up from any
   * thread; a timer on the executor's context sends them in batches, one request after another.
   */
  static final class LogPump {
    private final Vertx vertx;
    private final ExecutorAgent agent;
    private final RunningStep step;
    private final Context ctx;
    private final ConcurrentLinkedQueue<JsonObject> queue = new ConcurrentLinkedQueue<>();
    private final long timer;
    private Future<Void> tail = Future.succeededFuture();

    LogPump(Vertx vertx, ExecutorAgent agent, RunningStep step) {
      this.vertx = vertx;
      this.agent = agent;
      this.step = step;
      this.ctx = vertx.getOrCreateContext();
      this.timer = vertx.setPeriodic(FLUSH_MS, t -> flush());
    }

    void add(String level, String message, String stream) {
      queue.add(new JsonObject().put("level", level).put("message", message).put("fields", new JsonObject().put("stream", stream)));
    }

    /** On the context: sends what is queued after what was sent before. */
    private Future<Void> flush() {
      while (!queue.isEmpty()) {
        JsonArray batch = new JsonArray();
        JsonObject line;
        while (batch.size() < 200 && (line = queue.poll()) != null) {
          batch.add(line);
        }
        tail = tail.compose(v -> agent.logs(step, batch));
      }
      return tail;
    }

    /** From the command's thread: waits until every queued line is sent (at most 10 s). */
    void drain() {
      CompletableFuture<Void> done = new CompletableFuture<>();
      ctx.runOnContext(v -> flush().onComplete(ar -> done.complete(null)));
      try {
        done.get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        // Log lines are best effort; the outcome is what counts.
      }
    }

    void stop() {
      vertx.cancelTimer(timer);
    }
  }

  // --- http ------------------------------------------------------------------------------------

  private void http(RunningStep step, JsonObject params) {
    String url = params.getString("url");
    if (url == null) {
      step.finish(halted("the http step has no url"));
      return;
    }
    String target = url.replace("{server}", agent.serverUrl());
    HttpMethod method = HttpMethod.valueOf(params.getString("method", "POST").toUpperCase(Locale.ROOT));
    HttpRequest<Buffer> request = agent.client().requestAbs(method, target)
        .timeout(step.task().getInteger("timeout_seconds", 300) * 1000L);
    Future<HttpResponse<Buffer>> call = method == HttpMethod.GET || method == HttpMethod.DELETE
        ? request.send()
        : request.sendJsonObject(step.task().getJsonObject("input", new JsonObject()));
    step.onCancel(() -> { });
    call.onComplete(ar -> {
      if (ar.failed()) {
        step.finish(halted("the http step could not reach " + target + ": " + ar.cause().getMessage()));
        return;
      }
      int code = ar.result().statusCode();
      JsonObject outcome;
      if (code >= 200 && code < 300) {
        outcome = new JsonObject().put("outcome", "stabilized").put("status_code", code);
      } else if (isAudit(step.task())) {
        outcome = new JsonObject().put("outcome", "audit_rejected").put("reason", target + " answered " + code)
            .put("status_code", code).put("findings", new JsonArray().add(new JsonObject().put("finding", "status " + code)));
      } else {
        outcome = halted(target + " answered " + code).put("status_code", code);
      }
      String artifact = params.getString("artifact");
      Buffer body = ar.result().body();
      if (artifact != null && body != null && body.length() <= agent.maxArtifactBytes()) {
        String type = ar.result().getHeader("Content-Type");
        outcome.put("artifacts", new JsonArray().add(new JsonObject().put("name", artifact).put("kind", "text")
            .put("content_type", type == null ? contentType(artifact) : type).put("content", body.toString(StandardCharsets.UTF_8))));
      }
      step.finish(outcome);
    });
  }
}
