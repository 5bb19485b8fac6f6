package io.productionline.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Api;
import io.productionline.support.Await;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The build-intent API with the seed's paths and shapes, called as curl would call it. */
@DisplayName("Build intents: submit, pull, progress and complete through every phase")
class IntentApiTest {

  /** Stations of the assembly line and the verification level each audit reports. */
  private static final List<String> STATIONS = List.of("spec", "spec_audit", "build", "build_audit", "test", "test_audit",
      "production", "production_audit");
  private static final Map<String, Integer> LEVELS = Map.of("spec_audit", 1, "build_audit", 2, "test_audit", 4, "production_audit", 6);

  private TestNode node;
  private Api api;

  @BeforeEach
  void start() {
    JsonObject config = TestNode.config().put("lines_dir", "conf/lines");
    node = TestNode.start(config, Clock.systemUTC());
    api = node.api;
  }

  @AfterEach
  void stop() {
    node.close();
  }

  private JsonObject submit(String title, int priority, String environment) {
    Api.Reply r = api.post("/assembly-line/intent", new JsonObject().put("title", title).put("spec_path", "specs/" + title + "/SPEC.md")
        .put("priority", priority).put("environment_preference", environment));
    assertEquals(201, r.status(), r.text());
    return r.json();
  }

  /** A client with the executor token of {@code executor}. */
  private Api as(String executor) {
    return node.executorApi(executor);
  }

  private JsonObject pull(String executor) {
    Api.Reply r = as(executor).get("/assembly-line/work/next?executor_id=" + executor);
    assertEquals(200, r.status(), r.text());
    return r.json();
  }

  private Api.Reply complete(String intent, String executor, JsonObject extra) {
    return as(executor).post("/assembly-line/work/complete", new JsonObject().put("intent_id", intent).put("executor_id", executor)
        .put("status", "completed").put("artifacts", new JsonObject()).mergeIn(extra));
  }

  @Test
  @DisplayName("One intent through spec → build → test → production with the seed's request and reply shapes")
  void intentThroughAllPhases() {
    JsonObject empty = api.get("/assembly-line/state").json();
    assertEquals(0, empty.getInteger("queue_depth"));
    assertEquals(0, empty.getInteger("in_progress"));
    assertEquals(new JsonObject(), empty.getJsonObject("executors"));
    assertTrue(empty.getString("message").startsWith("No executors available for build"));

    Instant before = Instant.now().minusSeconds(1);
    JsonObject submitted = submit("billing", 7, "either");
    String id = submitted.getString("intent_id");
    assertEquals("queued", submitted.getString("status"));
    assertFalse(Instant.parse(submitted.getString("estimated_start")).isBefore(before), "an ISO time, not in the past");
    assertEquals("spec", submitted.getString("current_phase"));

    JsonObject queued = api.get("/assembly-line/state").json();
    assertEquals(1, queued.getInteger("queue_depth"));
    assertEquals(List.of("build"), queued.getJsonObject("metrics").getJsonArray("no_executors_for").getList());
    assertEquals("No executors available for build (1 queued)",
        queued.getJsonArray("no_executors").getJsonObject(0).getString("message"));

    JsonObject first = pull("claude-1");
    assertEquals(true, first.getBoolean("assigned"));
    JsonObject intent = first.getJsonObject("intent");
    assertEquals(id, intent.getString("intent_id"));
    assertEquals("billing", intent.getString("title"));
    assertEquals("specs/billing/SPEC.md", intent.getString("spec_path"));
    assertEquals(7, intent.getInteger("priority"));
    assertEquals("either", intent.getString("environment_preference"));
    assertEquals("assigned", intent.getString("status"));
    assertEquals("spec", intent.getString("current_phase"));
    assertEquals("claude-1", intent.getString("assigned_to"));
    assertNotNull(intent.getString("assigned_at"));
    assertNotNull(intent.getJsonObject("task").getString("task_id"));
    // The claim is answered first; the executor's busy reaches Redis (and the dashboard) just after.
    JsonObject registered = Await.until(() -> api.get("/api/v1/executors/claude-1").json(), e -> "busy".equals(e.getString("status")),
        Duration.ofSeconds(10), "claude-1 busy");
    assertEquals(new JsonArray().add("build"), registered.getJsonArray("capabilities"), "registered on first contact");

    Api.Reply progress = as("claude-1").post("/assembly-line/work/progress", new JsonObject().put("intent_id", id).put("executor_id", "claude-1")
        .put("phase", "spec").put("progress", 0.5).put("message", "writing the spec"));
    assertEquals(200, progress.status(), progress.text());
    assertEquals(true, progress.json().getBoolean("updated"));
    assertEquals("assembling", progress.json().getString("current_state"));
    assertEquals("in_progress", api.get("/assembly-line/intent/" + id).json().getString("status"));
    assertEquals(1, api.get("/assembly-line/state").json().getInteger("in_progress"));

    Api.Reply wrongPhase = as("claude-1").post("/assembly-line/work/progress", new JsonObject().put("intent_id", id).put("executor_id", "claude-1")
        .put("phase", "build").put("progress", 0.6));
    assertEquals(409, wrongPhase.status(), "protocol: the intent is at spec, not build");
    assertEquals("spec", wrongPhase.json().getString("current_phase"));
    Api.Reply notHolder = as("someone-else").post("/assembly-line/work/progress", new JsonObject().put("intent_id", id).put("executor_id", "someone-else")
        .put("progress", 0.6));
    assertEquals(409, notHolder.status(), "an executor reaches only its own work");
    assertEquals(404, as("claude-1").post("/assembly-line/work/progress", new JsonObject().put("intent_id", "intent_nope")
        .put("executor_id", "claude-1")).status());

    List<String> phases = new ArrayList<>();
    List<String> stations = new ArrayList<>();
    JsonObject last = null;
    for (int i = 0; i < STATIONS.size(); i++) {
      JsonObject pulled = i == 0 ? first : pull("claude-1");
      assertEquals(true, pulled.getBoolean("assigned"), "pull " + i + ": " + pulled);
      JsonObject in = pulled.getJsonObject("intent");
      String station = in.getString("station");
      stations.add(station);
      phases.add(in.getString("current_phase"));
      JsonObject extra = new JsonObject();
      if (LEVELS.containsKey(station)) {
        extra.put("verification_level", LEVELS.get(station)).put("score", 0.9);
      } else {
        extra.put("artifacts", new JsonObject().put(station + ".md", "# " + station + "\n\nDone.\n"));
      }
      Api.Reply done = complete(id, "claude-1", extra);
      assertEquals(200, done.status(), done.text());
      last = done.json();
      assertEquals(true, last.getBoolean("completed"));
      assertEquals(true, last.getBoolean("auto_advanced"), "advanced by itself after " + station);
      if (i == 0) {
        assertEquals("spec", last.getString("next_phase"), "spec is followed by its audit");
        Api.Reply repeat = complete(id, "claude-1", extra);
        assertEquals(200, repeat.status(), "a repeated completion is harmless: " + repeat.text());
        assertEquals(true, repeat.json().getBoolean("repeated"));
        assertEquals("spec_audit", api.get("/assembly-line/intent/" + id).json().getString("station"), "and changed nothing");
      }
    }
    assertEquals(STATIONS, stations);
    assertEquals(List.of("spec", "spec", "build", "build", "test", "test", "production", "production"), phases);
    assertNull(last.getString("next_phase"));
    assertEquals("stabilized", last.getString("current_state"));
    assertEquals(false, pull("claude-1").getBoolean("assigned"), "nothing left");

    JsonObject finished = api.get("/assembly-line/intent/" + id).json();
    assertEquals("stabilized", finished.getString("status"));
    assertEquals(6, finished.getInteger("verification_level"));
    assertEquals(0.9, finished.getDouble("quality_score"));
    finished.getJsonObject("phase_progress").forEach(e -> assertEquals(1.0, ((Number) e.getValue()).doubleValue(), e.getKey()));
    JsonArray artifacts = api.get("/api/v1/tracks/" + finished.getString("track_id") + "/artifacts").json().getJsonArray("artifacts");
    assertEquals(List.of("spec.md", "build.md", "test.md", "production.md"),
        artifacts.stream().map(a -> ((JsonObject) a).getString("name")).toList());

    JsonObject state = api.get("/assembly-line/state").json();
    assertEquals(0, state.getInteger("queue_depth"));
    assertEquals(1, state.getJsonObject("metrics").getInteger("stabilized"));
    JsonObject claude = state.getJsonObject("executors").getJsonObject("claude-1");
    assertEquals("idle", claude.getString("status"));
    assertEquals(8, claude.getInteger("builds_completed"));
    assertEquals(1.0, claude.getDouble("stabilized_share"));
    assertNull(state.getString("message"), "an executor is there now");
  }

  @Test
  @DisplayName("Priority and environment preference decide who gets what; an audit rejection goes to remediation")
  void priorityEnvironmentAndRemediation() {
    JsonObject low = submit("low", 3, "either");
    JsonObject local = submit("laptop-only", 10, "local");
    JsonObject high = submit("high", 8, "server");

    JsonObject s1 = pull("server-ai").getJsonObject("intent");
    assertEquals(high.getString("intent_id"), s1.getString("intent_id"), "highest priority a server may run");
    JsonObject l1 = as("laptop").get("/assembly-line/work/next?executor_id=laptop&environment=local").json().getJsonObject("intent");
    assertEquals(local.getString("intent_id"), l1.getString("intent_id"));
    assertEquals("local", api.get("/api/v1/executors/laptop").json().getString("environment"));
    JsonObject s2 = pull("server-ai-2").getJsonObject("intent");
    assertEquals(low.getString("intent_id"), s2.getString("intent_id"), "the local-only intent is never given to a server");

    String id = high.getString("intent_id");
    assertEquals(200, complete(id, "server-ai", new JsonObject()).status());
    assertEquals("spec_audit", pull("server-ai").getJsonObject("intent").getString("station"));
    Api.Reply rejected = as("server-ai").post("/assembly-line/work/complete", new JsonObject().put("intent_id", id).put("executor_id", "server-ai")
        .put("status", "audit_rejected").put("reason", "acceptance criteria missing")
        .put("findings", new JsonArray().add(new JsonObject().put("section", "scope").put("finding", "no acceptance criteria"))));
    assertEquals(200, rejected.status(), rejected.text());
    assertEquals(false, rejected.json().getBoolean("auto_advanced"));
    assertEquals("remediating", rejected.json().getString("current_state"));
    assertEquals("spec", rejected.json().getString("next_phase"));
    JsonObject rem = pull("server-ai").getJsonObject("intent");
    assertEquals("spec_rem", rem.getString("station"));
    assertEquals(1, rem.getInteger("remediation_count"));
    assertEquals("acceptance criteria missing", rem.getJsonObject("task").getJsonObject("input").getString("reason"));
    Api.Reply remDone = complete(id, "server-ai", new JsonObject());
    assertEquals(true, remDone.json().getBoolean("auto_advanced"));
    assertEquals("spec_audit", api.get("/assembly-line/intent/" + id).json().getString("station"), "back to the audit");
  }

  @Test
  @DisplayName("Bad requests get a 4xx JSON body that names the problem and change nothing; Idempotency-Key makes a resubmit harmless")
  void badInputAndIdempotency() {
    Map<JsonObject, String> bad = Map.of(
        new JsonObject().put("spec_path", "x").put("priority", 5), "title",
        new JsonObject().put("title", "t").put("spec_path", "x").put("priority", 11), "priority",
        new JsonObject().put("title", "t").put("spec_path", "x").put("priority", "high"), "priority",
        new JsonObject().put("title", "t").put("spec_path", "x").put("environment_preference", "mars"), "environment_preference",
        new JsonObject().put("title", "t").put("spec_path", "x").put("colour", "red"), "colour");
    bad.forEach((body, field) -> {
      Api.Reply r = api.post("/assembly-line/intent", body);
      assertEquals(400, r.status(), body.encode());
      assertTrue(r.json().getString("detail").contains(field), r.text());
    });
    assertEquals(400, api.post("/assembly-line/intent", "{\"title\": ", Map.of()).status());
    assertEquals(0, api.get("/assembly-line/state").json().getJsonObject("metrics").getInteger("intents_total"));
    assertEquals(400, as("e").get("/assembly-line/work/next").status(), "executor_id is required");
    assertEquals(400, as("e").post("/assembly-line/work/complete", new JsonObject().put("intent_id", "x").put("executor_id", "e")
        .put("status", "done")).status());

    Map<String, String> key = Map.of("Idempotency-Key", "submit-42");
    String body = new JsonObject().put("title", "once").put("spec_path", "specs/once.md").encode();
    Api.Reply one = api.post("/assembly-line/intent", body, key);
    Api.Reply two = api.post("/assembly-line/intent", body, key);
    assertEquals(201, one.status());
    assertEquals(200, two.status());
    assertEquals(one.json().getString("intent_id"), two.json().getString("intent_id"));
    assertEquals(1, api.get("/assembly-line/state").json().getJsonObject("metrics").getInteger("intents_total"));
    assertEquals(5, one.json().getInteger("priority"));
    assertEquals("either", one.json().getString("environment_preference"));
  }

  @Test
  @DisplayName("The estimated start counts the work ahead, the recent station time and the live executors")
  void estimatedStart() {
    for (int i = 0; i < 3; i++) {
      submit("ahead-" + i, 9, "either");
    }
    pull("only-one");
    JsonObject later = submit("later", 2, "either");
    assertEquals(3, later.getInteger("queue_ahead"), "one at an executor, two queued with a higher priority");
    assertEquals(1, later.getInteger("live_executors"));
    Instant estimate = Instant.parse(later.getString("estimated_start"));
    assertTrue(estimate.isAfter(Instant.now().plus(Duration.ofSeconds(60))), "3 ahead × the default 60 s ÷ 1 executor: " + estimate);
  }

  @Test
  @DisplayName("An audit task says what its gates require, and the seed's own completion body there is answered with the gate's finding")
  void gatesSayWhatTheyRequireAndWhyTheyRejected() {
    String id = submit("seedbody", 5, "either").getString("intent_id");
    JsonObject spec = pull("seed-1").getJsonObject("intent").getJsonObject("task");
    assertEquals("spec", spec.getString("station"));
    assertEquals(new JsonArray(), spec.getJsonArray("requirements"), "an assemble station has no gates");
    assertFalse(spec.getJsonObject("step").containsKey("requirements"), "the requirements are beside the step, not in it");
    Api.Reply assembled = complete(id, "seed-1", new JsonObject());
    assertEquals(200, assembled.status(), assembled.text());
    assertNull(assembled.json().getValue("audit"), "no audit at an assemble station");

    JsonObject audit = pull("seed-1").getJsonObject("intent").getJsonObject("task");
    assertEquals("spec_audit", audit.getString("station"));
    JsonArray required = audit.getJsonArray("requirements");
    assertEquals(1, required.size(), required.encode());
    JsonObject level = required.getJsonObject(0);
    assertEquals("verification", level.getString("gate"));
    assertEquals("verification_level", level.getString("field"));
    assertEquals(">=", level.getString("operator"));
    assertEquals(1, level.getInteger("value"));
    assertTrue(level.getString("text").startsWith("verification level \u2265 1"), level.getString("text"));

    // The seed's own body, {"status":"completed","artifacts":{}}, reports no verification level.
    Api.Reply rejected = complete(id, "seed-1", new JsonObject());
    assertEquals(200, rejected.status(), rejected.text());
    JsonObject reply = rejected.json();
    assertEquals(false, reply.getBoolean("auto_advanced"));
    assertEquals("remediating", reply.getString("current_state"));
    JsonObject verdict = reply.getJsonObject("audit");
    assertNotNull(verdict, "the reply says what the audit decided: " + reply.encode());
    assertEquals("audit_rejected", verdict.getString("verdict"));
    assertEquals("stabilized", verdict.getString("executor_outcome"));
    assertEquals("gate", verdict.getString("decided_by"));
    assertEquals("gate verification: no verification level reported; level 1 is required", verdict.getString("reason"));
    assertEquals(false, verdict.getJsonObject("gate").getBoolean("passed"));

    // With the level the gate asks for, the next audit passes and says so.
    assertEquals("spec_rem", pull("seed-1").getJsonObject("intent").getJsonObject("task").getString("station"));
    complete(id, "seed-1", new JsonObject());
    assertEquals("spec_audit", pull("seed-1").getJsonObject("intent").getJsonObject("task").getString("station"));
    JsonObject passed = complete(id, "seed-1", new JsonObject().put("verification_level", 1)).json();
    assertEquals("stabilized", passed.getJsonObject("audit").getString("verdict"), passed.encode());
    assertEquals(true, passed.getBoolean("auto_advanced"));
  }
}
