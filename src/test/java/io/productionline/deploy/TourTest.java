package io.productionline.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Api;
import io.productionline.support.ChildServers;
import io.productionline.support.ServerProcess;
import io.productionline.support.TestServers;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's curl tour cannot rot: its {@code bash} block is cut out of README.md as it stands and
 * run top to bottom (bash, curl, jq) against a real server started for it, with {@code set -euo
 * pipefail} and every curl failing on a 4xx or 5xx. Then what the tour did is checked through the
 * API: the cancelled track, the answered question, the acknowledged halt. The operator scripts are run
 * against the same server: they find it and its token, and say a refusal on stderr, naming the server.
 */
@DisplayName("The README's curl tour")
class TourTest {

  private static final Pattern TOUR = Pattern.compile("## A curl tour.*?```bash\\n(.*?)```", Pattern.DOTALL);

  @TempDir
  Path dir;

  private ServerProcess server;

  /** A script of {@code scripts/} run with {@code env} (and no other PL_* variable): exit status, stdout, stderr. */
  private record Ran(int status, String out, String err) {
  }

  private Ran script(Map<String, String> env, String... command) throws Exception {
    Path out = Files.createTempFile(dir, "script", ".out");
    Path err = Files.createTempFile(dir, "script", ".err");
    java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(command));
    cmd.set(0, ServerProcess.baseDir().resolve(command[0]).toString());
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("PL_"));
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not end within 120 s");
    }
    return new Ran(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(Duration.ofSeconds(30));
    }
  }

  @Test
  @DisplayName("runs top to bottom as written against a fresh server, and did what it says")
  void tourRuns() throws Exception {
    String readme = Files.readString(ServerProcess.baseDir().resolve("README.md"));
    Matcher m = TOUR.matcher(readme);
    assertTrue(m.find(), "README.md has a '## A curl tour' section with a ```bash block");
    Path script = dir.resolve("tour.sh");
    Files.writeString(script, "set -euo pipefail\n"
        + "curl() { command curl --fail-with-body \"$@\"; }\n"
        + m.group(1));

    Path data = Files.createDirectories(dir.resolve("data"));
    Map<String, String> env = ChildServers.env(ServerProcess.baseDir().resolve("conf/config.json"), data);
    env.put("PL_PG_URL", TestServers.freshDatabase());
    env.put("PL_REDIS_URL", TestServers.redisUrl());
    server = ServerProcess.start("tour", env, ServerProcess.baseDir().resolve("target/tour/" + dir.getFileName()))
        .awaitReady(Duration.ofSeconds(120));

    Path out = dir.resolve("tour.out");
    ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).directory(dir.toFile())
        .redirectErrorStream(true).redirectOutput(out.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("PL_"));
    pb.environment().put("PL_SERVER", "http://127.0.0.1:" + server.port());
    pb.environment().put("PL_DATA_DIR", data.toString());
    Process tour = pb.start();
    boolean ended = tour.waitFor(180, TimeUnit.SECONDS);
    if (!ended) {
      tour.destroyForcibly();
    }
    String output = Files.readString(out, StandardCharsets.UTF_8);
    assertTrue(ended, "the tour ended within 180 s:\n" + output);
    assertEquals(0, tour.exitValue(), "every command of the tour ran and no call was refused:\n" + output);

    Api api = server.api();
    JsonObject tourLine = api.get("/production?project=tour").json();
    assertEquals(1, tourLine.getJsonObject("summary").getInteger("cancelled"), "the tour cancelled release_notes: " + tourLine.encode());
    assertEquals(0, api.get("/api/v1/projects/review/interrupts").json().getJsonArray("interrupts").size(),
        "both of the review project's interrupts were closed by the tour");
    JsonObject audit = new Api(server.port()).withToken(server.adminToken()).get("/api/v1/audit?actor=operator&limit=50").json();
    assertTrue(audit.getJsonArray("entries").stream().map(JsonObject.class::cast)
            .anyMatch(e -> "resolve".equals(e.getString("action")) && "brief".equals(e.getJsonObject("detail").getString("document_type"))
                && "operators".equals(e.getJsonObject("detail").getJsonObject("resolution").getJsonObject("answers").getString("audience"))),
        "the brief's question was answered under its key: " + audit.encode());
    JsonObject reviewLine = api.get("/production?project=review").json();
    assertEquals(1, reviewLine.getJsonObject("summary").getInteger("escalated"), "the halted sign-off was acknowledged: " + reviewLine.encode());

    // The scripts find the server from PL_HTTP_PORT and the token the server wrote, and say a refusal on stderr.
    Map<String, String> local = Map.of("PL_HTTP_PORT", Integer.toString(server.port()), "PL_DATA_DIR", data.toString());
    Ran executors = script(local, "scripts/pl-executors");
    assertEquals(0, executors.status(), executors.err());
    assertTrue(executors.out().contains("sim-1"), "the executors listed with the operator token of data/tokens: " + executors.out());
    Ran refused = script(local, "scripts/pl-start", "nosuch");
    assertEquals(1, refused.status(), refused.out() + refused.err());
    assertEquals("", refused.out(), "a refusal is not printed on stdout");
    assertTrue(refused.err().contains("http://127.0.0.1:" + server.port()) && refused.err().contains("no project nosuch"),
        "stderr names the server and the cause: " + refused.err());
    Ran away = script(Map.of("PL_SERVER", "http://127.0.0.1:1", "PL_DATA_DIR", data.toString()), "scripts/pl-start", "tour");
    assertEquals(1, away.status(), away.out() + away.err());
    assertTrue(away.err().contains("cannot reach the server at http://127.0.0.1:1"), "stderr names the server it could not reach: " + away.err());
  }

}
