package io.productionline.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Api;
import io.productionline.support.TestNode;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Bad input on every endpoint — the operator's ({@code /production}, projects, lines, interrupts,
 * outcomes, intents, verify), the executors' (registration, heartbeats, claims, work, the
 * build-intent work calls), the admin's (tokens, the audit log) and {@code /health} — each sent
 * with a token of a role the endpoint is for: each is refused with a 4xx and a JSON body that says
 * what was wrong, and the database does not change.
 */
@DisplayName("Hostile input is refused with a 4xx JSON body and changes nothing")
class HostileInputTest {

  private static final String PROJECT = "h1";
  private static final Set<Integer> BAD_ID = Set.of(400, 404);
  /** The executor the corpus speaks as on executor endpoints (registered; it holds nothing). */
  private static final String EXECUTOR = "h-exec";

  private TestNode node;
  private Api executor;
  private Api admin;

  @BeforeEach
  void start() {
    node = TestNode.start();
    admin = node.apiAs("admin");
    executor = node.executorApi(EXECUTOR);
    Api.Reply r = executor.post("/api/v1/executors", new JsonObject().put("executor_id", EXECUTOR)
        .put("capabilities", new JsonArray().add("nothing-queued")));
    assertEquals(201, r.status(), r.text());
  }

  @AfterEach
  void stop() {
    node.close();
  }

  /** A project standing still: one track awaiting an operator (open interrupt), one stabilized, one blocked. */
  private JsonObject standingLine() {
    node.createProject(PROJECT, "clarify");
    node.executor("e1");
    assertEquals(200, node.api.post("/production/start?project=" + PROJECT, new JsonObject()).status());
    return node.awaitProduction(PROJECT, p -> "awaiting_operator".equals(TestNode.track(p, "brief").getString("state"))
        && "stabilized".equals(TestNode.track(p, "other").getString("state"))
        && "blocked".equals(TestNode.track(p, "plan").getString("state")), Duration.ofSeconds(30));
  }

  @TestFactory
  @DisplayName("Every endpoint refuses the corpus with a 4xx JSON body, and the database is unchanged")
  Stream<DynamicTest> corpus() {
    JsonObject view = standingLine();
    String brief = TestNode.track(view, "brief").getString("track_id");
    String other = TestNode.track(view, "other").getString("track_id");
    String interrupt = view.getJsonArray("interrupts").getJsonObject(0).getString("interrupt_id");
    var held = node.sql("SELECT id, lease_token FROM station_tasks WHERE executor_id = 'e1' AND status = 'completed' LIMIT 1").get(0);
    String task = held.getString(0);
    String othersLease = held.getString(1);
    Map<String, String> before = snapshot();

    List<Case> cases = new ArrayList<>();
    // Every endpoint that takes a JSON body, with a token of a role it is for.
    Map<String, Case> bodyEndpoints = new LinkedHashMap<>();
    bodyEndpoints.put("create project", Case.endpoint("/api/v1/projects", "operator"));
    bodyEndpoints.put("cancel", Case.endpoint("/production/track/" + brief + "/cancel", "operator"));
    bodyEndpoints.put("resolve", Case.endpoint("/api/v1/interrupts/" + interrupt + "/resolve", "operator"));
    bodyEndpoints.put("escalate", Case.endpoint("/api/v1/interrupts/" + interrupt + "/escalate", "operator"));
    bodyEndpoints.put("manual outcome", Case.endpoint("/api/v1/tracks/" + brief + "/outcome", "operator"));
    bodyEndpoints.put("submit an intent", Case.endpoint("/assembly-line/intent", "operator"));
    bodyEndpoints.put("verify", Case.endpoint("/assembly-line/verify", "operator"));
    bodyEndpoints.put("mint a token", Case.endpoint("/api/v1/tokens", "admin"));
    bodyEndpoints.put("store a line", Case.endpoint("/api/v1/lines", "admin"));
    bodyEndpoints.put("validate a line", Case.endpoint("/api/v1/lines/validate", "operator"));
    bodyEndpoints.put("register an executor", Case.endpoint("/api/v1/executors", "executor"));
    bodyEndpoints.put("heartbeat", Case.endpoint("/api/v1/executors/" + EXECUTOR + "/heartbeat", "executor"));
    for (String call : List.of("progress", "events", "artifacts", "complete", "release")) {
      bodyEndpoints.put("work " + call, Case.endpoint("/api/v1/work/" + task + "/" + call, "executor"));
    }
    bodyEndpoints.put("work batch complete", Case.endpoint("/api/v1/work/complete", "executor"));
    bodyEndpoints.put("intent work progress", Case.endpoint("/assembly-line/work/progress", "executor"));
    bodyEndpoints.put("intent work complete", Case.endpoint("/assembly-line/work/complete", "executor"));
    bodyEndpoints.put("archive a project", Case.endpoint("/api/v1/projects/" + PROJECT + "/archive", "operator"));
    bodyEndpoints.put("cancel several tracks", Case.endpoint("/production/tracks/cancel", "operator"));
    bodyEndpoints.put("acknowledge several halts", Case.endpoint("/production/tracks/acknowledge", "operator"));
    bodyEndpoints.put("reserve a task", Case.endpoint("/api/v1/runs/" + task + "/reserve", "operator"));
    bodyEndpoints.put("release a task", Case.endpoint("/api/v1/runs/" + task + "/release", "operator"));
    String oversize = new JsonObject().put("notes", "x".repeat(1_100_000)).encode();
    String deep = "[".repeat(5000) + "]".repeat(5000);
    // Every endpoint of the guard's table that takes a body is in the corpus (POST /production/start takes its query only,
    // retiring a line its path only).
    for (Guard.Rule rule : Guard.RULES) {
      if (HttpMethod.POST.equals(rule.method()) && !Set.of("/production/start", "/api/v1/lines/:name/retire").contains(rule.path())) {
        assertTrue(bodyEndpoints.values().stream().anyMatch(e -> rule.matches(e.path())), "the corpus covers " + rule.name());
      }
    }
    bodyEndpoints.forEach((name, e) -> {
      String path = e.path();
      String who = e.who();
      cases.add(Case.post(name + ": an empty body", path, "", 400).mentioning("body").by(who));
      cases.add(new Case(name + ": no body and no Content-Type", "POST", path, Map.of(), null, Set.of(400), "body", null, null, who));
      cases.add(Case.post(name + ": malformed JSON", path, "{\"line\": ", 400).by(who));
      cases.add(Case.post(name + ": a JSON array instead of an object", path, "[1, 2, 3]", 400).by(who));
      cases.add(Case.post(name + ": a JSON string instead of an object", path, "\"clarify\"", 400).by(who));
      cases.add(Case.post(name + ": a JSON number instead of an object", path, "42", 400).by(who));
      cases.add(Case.post(name + ": JSON null", path, "null", 400).by(who));
      cases.add(Case.post(name + ": arrays nested 5000 deep", path, deep, 400).by(who));
      cases.add(Case.post(name + ": bytes that are not UTF-8", path, new byte[] {'{', '"', (byte) 0xff, (byte) 0xfe, '"', ':', '1', '}'}, 400).by(who));
      cases.add(Case.post(name + ": an unknown field", path, "{\"bogus_field\": true}", 400).mentioning("bogus_field").by(who));
      cases.add(Case.post(name + ": a body over max_body_bytes", path, oversize, 413).by(who));
      cases.add(Case.post(name + ": text/plain instead of JSON", path, "{\"notes\": \"x\"}", 415).type("text/plain").by(who));
      cases.add(Case.post(name + ": form encoding instead of JSON", path, "notes=x", 415).type("application/x-www-form-urlencoded").by(who));
    });

    // The executors' endpoints: wrong types, missing fields, other executors' ids and work.
    String register = "/api/v1/executors";
    cases.add(Case.post("register: capabilities empty", register, "{\"executor_id\": \"" + EXECUTOR + "\", \"capabilities\": []}", 400)
        .mentioning("capabilities").by("executor"));
    cases.add(Case.post("register: capabilities of numbers", register, "{\"executor_id\": \"" + EXECUTOR + "\", \"capabilities\": [1]}", 400)
        .mentioning("capabilities").by("executor"));
    cases.add(Case.post("register: environment mars", register,
        "{\"executor_id\": \"" + EXECUTOR + "\", \"capabilities\": [\"sim\"], \"environment\": \"mars\"}", 400).mentioning("environment").by("executor"));
    cases.add(Case.post("register: executor_id with a space", register, "{\"executor_id\": \"bad id\", \"capabilities\": [\"sim\"]}", 400)
        .mentioning("executor_id").by("executor"));
    cases.add(Case.post("register: executor_id missing", register, "{\"capabilities\": [\"sim\"]}", 400).mentioning("executor_id").by("executor"));
    cases.add(Case.post("register as another executor", register, "{\"executor_id\": \"e1\", \"capabilities\": [\"sim\"]}", 403).by("executor"));
    cases.add(Case.post("heartbeat: status sleeping", "/api/v1/executors/" + EXECUTOR + "/heartbeat", "{\"status\": \"sleeping\"}", 400)
        .mentioning("status").by("executor"));
    cases.add(Case.post("heartbeat as another executor", "/api/v1/executors/e1/heartbeat", "{}", 403).by("executor"));
    cases.add(Case.get("claim: wait of 99 s", "/api/v1/work/next?executor_id=" + EXECUTOR + "&wait=99", 400).mentioning("wait").by("executor"));
    cases.add(Case.get("claim: wait not a number", "/api/v1/work/next?executor_id=" + EXECUTOR + "&wait=soon", 400).by("executor"));
    cases.add(Case.get("claim as another executor", "/api/v1/work/next?executor_id=e1", 403).by("executor"));
    for (String max : List.of("0", "65", "-3", "many", "1e3", "%27%20OR%201%3D1")) {
      cases.add(Case.get("claim: max=" + max, "/api/v1/work/next?executor_id=" + EXECUTOR + "&wait=0&max=" + max, 400)
          .mentioning("max").by("executor"));
    }
    cases.add(Case.get("claim as another executor, several at once", "/api/v1/work/next?executor_id=e1&max=8", 403).by("executor"));
    String batch = "/api/v1/work/complete";
    cases.add(Case.post("batch complete: completions missing", batch, "{}", 400).mentioning("completions").by("executor"));
    cases.add(Case.post("batch complete: completions empty", batch, "{\"completions\": []}", 400).mentioning("completions").by("executor"));
    cases.add(Case.post("batch complete: completions an object", batch, "{\"completions\": {}}", 400).mentioning("completions").by("executor"));
    cases.add(Case.post("batch complete: 65 completions", batch, new JsonObject().put("completions", new JsonArray(
        java.util.Collections.nCopies(65, new JsonObject().put("task_id", task).put("lease_token", "x").put("outcome", "halted")))).encode(), 400)
        .mentioning("completions").by("executor"));
    cases.add(Case.post("batch complete: max without next", batch + "?max=2", new JsonObject().put("completions", new JsonArray()
        .add(new JsonObject().put("task_id", task).put("lease_token", othersLease).put("outcome", "halted"))).encode(), 400)
        .mentioning("max").by("executor"));
    cases.add(Case.post("batch complete: next of 99 s", batch + "?next=99", new JsonObject().put("completions", new JsonArray()
        .add(new JsonObject().put("task_id", task).put("lease_token", othersLease).put("outcome", "halted"))).encode(), 400)
        .mentioning("next").by("executor"));
    String work = "/api/v1/work/" + task;
    cases.add(Case.post("complete: outcome done", work + "/complete", "{\"lease_token\": \"x\", \"outcome\": \"done\"}", 400)
        .mentioning("outcome").by("executor"));
    cases.add(Case.post("complete: outcome missing", work + "/complete", "{\"lease_token\": \"x\"}", 400).mentioning("outcome").by("executor"));
    cases.add(Case.post("complete: verification_level 9", work + "/complete",
        "{\"lease_token\": \"x\", \"outcome\": \"stabilized\", \"verification_level\": 9}", 400).mentioning("verification_level").by("executor"));
    cases.add(Case.post("complete: score a string", work + "/complete",
        "{\"lease_token\": \"x\", \"outcome\": \"stabilized\", \"score\": \"high\"}", 400).mentioning("score").by("executor"));
    cases.add(Case.post("complete another executor's task with a lease that is not its", work + "/complete",
        "{\"lease_token\": \"x\", \"outcome\": \"stabilized\"}", 409).by("executor"));
    cases.add(Case.post("complete another executor's task with that executor's lease", work + "/complete",
        new JsonObject().put("lease_token", othersLease).put("outcome", "stabilized").encode(), 403).by("executor"));
    cases.add(Case.post("progress: progress a string", work + "/progress", "{\"lease_token\": \"x\", \"progress\": \"half\"}", 400)
        .mentioning("progress").by("executor"));
    cases.add(Case.post("progress: progress 2.0", work + "/progress",
        new JsonObject().put("lease_token", othersLease).put("progress", 2.0).encode(), 400).mentioning("progress").by("executor"));
    cases.add(Case.post("progress without a lease token", work + "/progress", "{\"progress\": 0.5}", 400).mentioning("lease_token").by("executor"));
    cases.add(Case.post("events: events a string", work + "/events", "{\"lease_token\": \"x\", \"events\": \"x\"}", 400)
        .mentioning("events").by("executor"));
    cases.add(Case.post("artifacts: artifacts an object", work + "/artifacts", "{\"lease_token\": \"x\", \"artifacts\": {}}", 400)
        .mentioning("artifacts").by("executor"));
    cases.add(Case.post("release another executor's task", work + "/release",
        new JsonObject().put("lease_token", othersLease).encode(), 403).by("executor"));
    cases.add(Case.post("intent work complete as another executor", "/assembly-line/work/complete",
        "{\"intent_id\": \"intent_x\", \"executor_id\": \"e1\", \"status\": \"completed\"}", 403).by("executor"));
    cases.add(Case.post("intent work complete: status done", "/assembly-line/work/complete",
        "{\"intent_id\": \"intent_x\", \"executor_id\": \"" + EXECUTOR + "\", \"status\": \"done\"}", 400).by("executor"));
    cases.add(Case.post("intent work progress of an unknown intent", "/assembly-line/work/progress",
        "{\"intent_id\": \"intent_nope\", \"executor_id\": \"" + EXECUTOR + "\", \"progress\": 0.5}", 404).by("executor"));
    cases.add(Case.get("intent work pull as another executor", "/assembly-line/work/next?executor_id=e1", 403).by("executor"));
    cases.add(Case.post("submit an intent: priority 11", "/assembly-line/intent",
        "{\"title\": \"t\", \"spec_path\": \"s\", \"priority\": 11}", 400).mentioning("priority"));
    cases.add(Case.post("verify: verification_level 7", "/assembly-line/verify",
        "{\"intent_id\": \"intent_x\", \"verification_level\": 7, \"phase\": \"spec\"}", 400).mentioning("verification_level"));
    cases.add(Case.post("manual outcome: outcome done", "/api/v1/tracks/" + brief + "/outcome", "{\"outcome\": \"done\"}", 400)
        .mentioning("outcome"));

    // The admin's endpoints.
    cases.add(Case.post("mint a token: role root", "/api/v1/tokens", "{\"role\": \"root\"}", 400).mentioning("role").by("admin"));
    cases.add(Case.post("mint a token: executor without executor_id", "/api/v1/tokens", "{\"role\": \"executor\"}", 400)
        .mentioning("executor_id").by("admin"));
    cases.add(Case.post("mint a token: executor_id on an operator token", "/api/v1/tokens", "{\"role\": \"operator\", \"executor_id\": \"x\"}", 400)
        .mentioning("executor_id").by("admin"));
    cases.add(Case.post("mint a token: ttl_seconds 0", "/api/v1/tokens", "{\"role\": \"viewer\", \"ttl_seconds\": 0}", 400)
        .mentioning("ttl_seconds").by("admin"));
    cases.add(Case.post("mint a token: name with a slash", "/api/v1/tokens", "{\"role\": \"viewer\", \"name\": \"a/b\"}", 400)
        .mentioning("name").by("admin"));
    cases.add(Case.get("audit: limit 0", "/api/v1/audit?limit=0", 400).mentioning("limit").by("admin"));
    cases.add(Case.get("audit: before -1", "/api/v1/audit?before=-1", 400).mentioning("before").by("admin"));
    cases.add(Case.get("audit: action with SQL", "/api/v1/audit?action=cancel'%3BDROP%20TABLE%20audit_log", 400).by("admin"));
    cases.add(Case.get("audit: actor with SQL", "/api/v1/audit?actor=x'%20OR%20'1'%3D'1", 400).by("admin"));

    // Wrong types, missing and out-of-range fields, per endpoint.
    String projects = "/api/v1/projects";
    cases.add(Case.post("create project: line missing", projects, "{}", 400).mentioning("line"));
    cases.add(Case.post("create project: line null", projects, "{\"line\": null}", 400).mentioning("line"));
    cases.add(Case.post("create project: line a number", projects, "{\"line\": 5}", 400).mentioning("line"));
    cases.add(Case.post("create project: line an array", projects, "{\"line\": [\"clarify\"]}", 400).mentioning("line"));
    cases.add(Case.post("create project: line too long", projects, new JsonObject().put("line", "l".repeat(100)).encode(), 400));
    cases.add(Case.post("create project: project_id a number", projects, "{\"line\": \"clarify\", \"project_id\": 7}", 400).mentioning("project_id"));
    cases.add(Case.post("create project: project_id with a path", projects, "{\"line\": \"clarify\", \"project_id\": \"../etc\"}", 400));
    cases.add(Case.post("create project: project_id with a quote", projects, "{\"line\": \"clarify\", \"project_id\": \"a'b\"}", 400));
    cases.add(Case.post("create project: project_id with NUL", projects, "{\"line\": \"clarify\", \"project_id\": \"a\\u0000b\"}", 400));
    cases.add(Case.post("create project: params a string", projects, "{\"line\": \"clarify\", \"params\": \"x\"}", 400).mentioning("params"));
    cases.add(Case.post("create project: start a string", projects, "{\"line\": \"clarify\", \"start\": \"yes\"}", 400).mentioning("start"));
    cases.add(Case.post("create project: an existing id", projects, "{\"line\": \"clarify\", \"project_id\": \"" + PROJECT + "\"}", 409));
    cases.add(Case.post("create project: an unknown line", projects, "{\"line\": \"no_such_line\"}", 404).mentioning("no_such_line"));
    cases.add(Case.post("create project: an Idempotency-Key of 300 characters", projects, "{\"line\": \"clarify\"}", 400)
        .header("Idempotency-Key", "k".repeat(300)));

    String cancel = "/production/track/" + brief + "/cancel";
    cases.add(Case.post("cancel: kind missing", cancel, "{}", 400).mentioning("kind"));
    cases.add(Case.post("cancel: kind a number", cancel, "{\"kind\": 5}", 400).mentioning("kind"));
    cases.add(Case.post("cancel: an unknown kind", cancel, "{\"kind\": \"obliterate\"}", 400).mentioning("kind"));
    cases.add(Case.post("cancel a stabilized track with an unknown kind", "/production/track/" + other + "/cancel",
        "{\"kind\": \"obliterate\"}", 400).mentioning("kind"));
    cases.add(Case.post("cancel: reason an object", cancel, "{\"kind\": \"permanent\", \"reason\": {}}", 400).mentioning("reason"));
    cases.add(Case.post("cancel: reason too long", cancel, new JsonObject().put("kind", "permanent").put("reason", "r".repeat(3000)).encode(), 400));

    String resolve = "/api/v1/interrupts/" + interrupt + "/resolve";
    cases.add(Case.post("resolve: resolution a string", resolve, "{\"resolution\": \"yes\"}", 400).mentioning("resolution"));
    cases.add(Case.post("resolve: answers an array", resolve, "{\"answers\": [1]}", 400).mentioning("answers"));
    cases.add(Case.post("resolve: notes a number", resolve, "{\"notes\": 5}", 400).mentioning("notes"));
    cases.add(Case.post("resolve: notes too long", resolve, new JsonObject().put("notes", "n".repeat(5000)).encode(), 400));

    String escalate = "/api/v1/interrupts/" + interrupt + "/escalate";
    cases.add(Case.post("escalate: notes a number", escalate, "{\"notes\": 5}", 400).mentioning("notes"));
    cases.add(Case.post("escalate: notes an object", escalate, "{\"notes\": {}}", 400).mentioning("notes"));

    // Illegal moves: 409 with the current state and the attempted move.
    cases.add(Case.post("start an already-running document", "/production/start?project=" + PROJECT + "&doc=brief", "", 409)
        .move("awaiting_operator", "start production"));
    cases.add(Case.post("start a stabilized document", "/production/start?project=" + PROJECT + "&doc=other", "", 409)
        .move("stabilized", "start production"));
    cases.add(Case.post("escalate a track that is not halted, through its interrupt", escalate, "{\"notes\": \"ship it\"}", 409)
        .move("awaiting_operator", "escalate"));

    // Unknown ids and unknown endpoints.
    cases.add(Case.get("production of an unknown project", "/production?project=nope", 404).mentioning("nope"));
    cases.add(Case.get("an unknown track", "/production/track/trk_nope", 404).mentioning("trk_nope"));
    cases.add(Case.post("cancel an unknown track", "/production/track/trk_nope/cancel", "{\"kind\": \"permanent\"}", 404));
    cases.add(Case.post("start an unknown project", "/production/start?project=nope", "", 404).mentioning("nope"));
    cases.add(Case.post("start an unknown document", "/production/start?project=" + PROJECT + "&doc=nope", "", 404).mentioning("nope"));
    cases.add(Case.get("events of an unknown project", "/production/events?project=nope", 404));
    cases.add(Case.get("an unknown project", "/api/v1/projects/nope", 404).mentioning("nope"));
    cases.add(Case.get("interrupts of an unknown project", "/api/v1/projects/nope/interrupts", 404));
    cases.add(Case.get("an unknown line", "/api/v1/lines/no_such_line", 404).mentioning("no_such_line"));
    cases.add(Case.get("an unknown interrupt", "/api/v1/interrupts/int_nope", 404).mentioning("int_nope"));
    cases.add(Case.post("resolve an unknown interrupt", "/api/v1/interrupts/int_nope/resolve", "{}", 404));
    cases.add(Case.post("escalate an unknown interrupt", "/api/v1/interrupts/int_nope/escalate", "{}", 404));
    cases.add(Case.get("an unknown API endpoint", "/api/v1/no-such-thing", 404));
    cases.add(new Case("DELETE a project", "DELETE", "/api/v1/projects/" + PROJECT, Map.of(), null, Set.of(404, 405), null, null, null));
    cases.add(new Case("PUT a line as an operator", "PUT", "/api/v1/lines/clarify", Map.of("Content-Type", "application/json"),
        "{}".getBytes(StandardCharsets.UTF_8), Set.of(403), null, null, null));
    cases.add(new Case("DELETE a track", "DELETE", "/production/track/" + brief, Map.of(), null, Set.of(404, 405), null, null, null));
    cases.add(Case.post("POST to /health", "/health", "{}", Set.of(404, 405)));

    // Requests too large for the HTTP decoder: a 10 kB query string, a 20 kB header.
    cases.add(Case.get("a 10 kB query string", "/production?project=" + PROJECT + "&pad=" + "q".repeat(10_240), 414));
    cases.add(Case.get("a 20 kB header", "/production?project=" + PROJECT, 431).header("X-Padding", "h".repeat(20_480)));

    // Missing and hostile query parameters.
    cases.add(Case.get("production without a project", "/production", 400).mentioning("project"));
    cases.add(Case.post("start without a project", "/production/start", "", 400).mentioning("project"));
    cases.add(Case.get("events without a project", "/production/events", 400));
    for (String sql : List.of("'%20OR%20'1'%3D'1", "h1'%3B%20DROP%20TABLE%20tracks%3B--", "h1%00", "h1%22%20OR%20%221%22%3D%221",
        "%3Cscript%3E", "p".repeat(300), "..%2F..%2Fetc%2Fpasswd")) {
      cases.add(Case.get("production?project=" + abbreviate(sql), "/production?project=" + sql, 400));
      cases.add(Case.post("start?project=" + abbreviate(sql), "/production/start?project=" + sql, "", 400));
      cases.add(Case.post("start?doc=" + abbreviate(sql), "/production/start?project=" + PROJECT + "&doc=" + sql, "", 400));
      cases.add(Case.get("events?project=" + abbreviate(sql), "/production/events?project=" + sql, 400));
    }
    cases.add(Case.get("events after a negative sequence", "/production/events?project=" + PROJECT + "&after=-5", 400));
    cases.add(Case.get("events after SQL", "/production/events?project=" + PROJECT + "&after=1%3BDROP%20TABLE%20track_events", 400));
    cases.add(Case.get("events with a Last-Event-ID of SQL", "/production/events?project=" + PROJECT, 400)
        .header("Last-Event-ID", "1 OR 1=1"));

    // Hostile ids in the path, on every endpoint that takes one.
    List<String> idPaths = List.of("/production/track/%s", "/api/v1/projects/%s", "/api/v1/projects/%s/interrupts",
        "/api/v1/lines/%s", "/api/v1/interrupts/%s", "/api/v1/executors/%s", "/api/v1/runs/%s", "/api/v1/runs/%s/logs",
        "/api/v1/runs/%s/artifacts", "/api/v1/tracks/%s/artifacts", "/assembly-line/intent/%s", "/api/v1/skills/%s");
    List<String> idPosts = List.of("/production/track/%s/cancel", "/api/v1/interrupts/%s/resolve", "/api/v1/interrupts/%s/escalate",
        "/api/v1/tracks/%s/outcome");
    List<String> executorPosts = List.of("/api/v1/work/%s/complete", "/api/v1/work/%s/progress", "/api/v1/work/%s/release");
    List<String> hostileIds = List.of("..%2F..%2Fetc%2Fpasswd", "..%2F" + PROJECT, "a%00b", "%00", "'%20OR%20'1'%3D'1",
        "%22quoted%22", "x".repeat(300), "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "%C3%A9t%C3%A9", "a%3BDROP%20TABLE%20tracks",
        "%252e%252e", "~root", "a%0d%0aX-Injected:%201");
    for (String id : hostileIds) {
      for (String p : idPaths) {
        cases.add(Case.get("GET " + p.formatted(abbreviate(id)), p.formatted(id), BAD_ID));
      }
      for (String p : idPosts) {
        String valid = p.endsWith("/cancel") ? "{\"kind\": \"permanent\"}" : p.endsWith("/outcome") ? "{\"outcome\": \"stabilized\"}" : "{}";
        cases.add(Case.post("POST " + p.formatted(abbreviate(id)), p.formatted(id), valid, BAD_ID));
      }
      for (String p : executorPosts) {
        String valid = p.endsWith("/complete") ? "{\"lease_token\": \"x\", \"outcome\": \"halted\"}"
            : p.endsWith("/progress") ? "{\"lease_token\": \"x\", \"progress\": 0.5}" : "{\"lease_token\": \"x\"}";
        cases.add(Case.post("POST " + p.formatted(abbreviate(id)), p.formatted(id), valid, BAD_ID).by("executor"));
      }
      // An executor naming another id in its path is refused before the id is read.
      cases.add(Case.post("POST /api/v1/executors/" + abbreviate(id) + "/heartbeat", "/api/v1/executors/" + id + "/heartbeat", "{}",
          Set.of(400, 403, 404)).by("executor"));
    }
    for (String raw : List.of("/api/v1/projects/../../etc/passwd", "/production/track/../../conf/config.json",
        "/api/v1/interrupts/./../lines/clarify/../../../pom.xml")) {
      cases.add(Case.get("a dot-segment path " + raw, raw, Set.of(400, 404)));
    }

    Stream<DynamicTest> refusals = cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    DynamicTest unchanged = DynamicTest.dynamicTest("the database is unchanged after the whole corpus", () -> {
      Map<String, String> after = snapshot();
      assertEquals(before, after, "projects, tracks, history, tasks, interrupts and the audit log are as they were");
    });
    return Stream.concat(refusals, Stream.of(unchanged));
  }

  @Test
  @DisplayName("A batch of hostile completions: the call is answered, each item refused with its own 4xx JSON body, nothing changed")
  void hostileBatchItems() {
    standingLine();
    var rows = node.sql("SELECT id, lease_token FROM station_tasks WHERE executor_id = 'e1' AND status = 'completed' ORDER BY id LIMIT 2");
    Map<String, String> before = snapshot();
    JsonArray items = new JsonArray()
        .add(new JsonObject().put("task_id", rows.get(0).getString(0)).put("lease_token", rows.get(0).getString(1)).put("outcome", "stabilized"))
        .add(new JsonObject().put("task_id", rows.get(1).getString(0)).put("lease_token", "x").put("outcome", "stabilized"))
        .add(new JsonObject().put("task_id", "task_nope").put("lease_token", "x").put("outcome", "halted"))
        .add(new JsonObject().put("task_id", "../" + rows.get(0).getString(0)).put("lease_token", "x").put("outcome", "halted"))
        .add(new JsonObject().put("task_id", "x".repeat(300)).put("lease_token", "x").put("outcome", "halted"))
        .add(new JsonObject().put("task_id", 7).put("lease_token", "x").put("outcome", "halted"))
        .add(new JsonObject().put("task_id", "task_a").put("outcome", "halted"))
        .add(new JsonObject().put("task_id", "task_b").put("lease_token", "x").put("outcome", "done"))
        .add(new JsonObject().put("task_id", "task_c").put("lease_token", "x").put("outcome", "stabilized").put("score", "high"))
        .add(new JsonObject().put("task_id", "task_d").put("lease_token", "x").put("outcome", "halted").put("bogus_field", 1))
        .add("a string").add(42).addNull().add(new JsonArray());
    List<Integer> expected = List.of(403, 409, 404, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400);
    Api.Reply r = executor.post("/api/v1/work/complete", new JsonObject().put("completions", items));
    assertEquals(200, r.status(), r.text());
    JsonArray results = r.json().getJsonArray("results");
    assertEquals(expected.size(), results.size(), r.text());
    for (int i = 0; i < expected.size(); i++) {
      JsonObject result = results.getJsonObject(i);
      assertEquals(expected.get(i), result.getInteger("status"), "item " + i + ": " + result.encode());
      JsonObject body = result.getJsonObject("body");
      assertEquals(result.getInteger("status"), body.getInteger("status"), "item " + i + ": " + result.encode());
      assertTrue(body.getString("detail", "").length() > 0, "the item's refusal says what was wrong: " + result.encode());
      assertTrue(result.encode().length() < 2000, "a hostile item is not echoed back whole: " + abbreviate(result.encode()));
    }
    assertTrue(results.getJsonObject(9).encode().contains("bogus_field"), results.getJsonObject(9).encode());
    assertEquals(before, snapshot(), "nothing changed");
  }

  @Test
  @DisplayName("The events WebSocket answers hostile subscribe messages with a JSON refusal, and a plain GET of it is a 4xx")
  void websocketRefusals() throws Exception {
    standingLine();
    Map<String, String> before = snapshot();
    LinkedBlockingQueue<String> replies = new LinkedBlockingQueue<>();
    WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
        .buildAsync(URI.create("ws://127.0.0.1:" + node.node.port() + "/production/ws?token=" + node.operatorToken()), new WebSocket.Listener() {
          private final StringBuilder text = new StringBuilder();

          @Override
          public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
              replies.offer(text.toString());
              text.setLength(0);
            }
            socket.request(1);
            return null;
          }
        }).get(10, TimeUnit.SECONDS);
    try {
      Map<String, Integer> corpus = new LinkedHashMap<>();
      corpus.put("not json at all", 400);
      corpus.put("[\"subscribe\", \"h1\"]", 400);
      corpus.put("{\"subscribe\": 5}", 400);
      corpus.put("{\"subscribe\": \"../etc/passwd\"}", 400);
      corpus.put("{\"subscribe\": \"h1' OR '1'='1\"}", 400);
      corpus.put("{\"subscribe\": \"" + "p".repeat(300) + "\"}", 400);
      corpus.put("{\"subscribe\": \"nope\"}", 404);
      corpus.put("{\"subscribe\": \"" + PROJECT + "\", \"after\": \"1; DROP TABLE track_events\"}", 400);
      corpus.put("{\"subscribe\": \"" + PROJECT + "\", \"after\": -1}", 400);
      for (var c : corpus.entrySet()) {
        ws.sendText(c.getKey(), true).get(5, TimeUnit.SECONDS);
        String reply = replies.poll(10, TimeUnit.SECONDS);
        assertTrue(reply != null, "an answer to " + abbreviate(c.getKey()));
        JsonObject r = new JsonObject(reply);
        assertEquals("refused", r.getString("type"), abbreviate(c.getKey()) + " → " + reply);
        assertEquals(c.getValue(), r.getInteger("status"), abbreviate(c.getKey()) + " → " + reply);
        assertTrue(r.getString("detail", r.getString("title", "")).length() > 0, reply);
      }
    } finally {
      ws.abort();
    }
    Api.Reply plain = node.api.get("/production/ws");
    assertTrue(plain.status() >= 400 && plain.status() < 500, "a plain GET of the WebSocket: " + plain.status() + " " + plain.text());
    assertEquals(plain.status(), plain.json().getInteger("status", -1), plain.text());
    assertEquals(before, snapshot(), "the database is unchanged");
  }

  @Test
  @DisplayName("Creating a project twice with one Idempotency-Key makes one project; the second answer is 200 with the same project")
  void idempotentCreate() {
    Api.Reply first = create("{\"project_id\": \"idem\", \"line\": \"single\"}", "key-1");
    assertEquals(201, first.status(), first.text());
    Api.Reply second = create("{\"project_id\": \"idem\", \"line\": \"single\"}", "key-1");
    assertEquals(200, second.status(), second.text());
    assertEquals("idem", second.json().getString("project_id"));
    assertEquals(first.json().getString("created_at"), second.json().getString("created_at"));
    assertEquals(Boolean.FALSE, second.json().getBoolean("created"));
    Api.Reply other = create("{\"project_id\": \"idem2\", \"line\": \"single\"}", "key-1");
    assertEquals(200, other.status(), "the key names the first request, whatever the body says");
    assertEquals("idem", other.json().getString("project_id"));
    assertEquals(1L, count("SELECT count(*) FROM projects"));
    assertEquals(1L, count("SELECT count(*) FROM tracks"));
    assertEquals(1L, count("SELECT count(*) FROM audit_log WHERE action = 'create_project'"));
  }

  @Test
  @DisplayName("Eight simultaneous creates with one Idempotency-Key make one project; every answer carries it")
  void idempotentCreateUnderRace() throws Exception {
    var pool = Executors.newFixedThreadPool(8);
    try {
      List<CompletableFuture<Api.Reply>> replies = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        replies.add(CompletableFuture.supplyAsync(() -> create("{\"project_id\": \"race\", \"line\": \"fast\"}", "race-key"), pool));
      }
      List<Api.Reply> all = replies.stream().map(CompletableFuture::join).toList();
      assertEquals(1L, all.stream().filter(r -> r.status() == 201).count(), "one request created it: " + statuses(all));
      assertTrue(all.stream().allMatch(r -> (r.status() == 201 || r.status() == 200) && "race".equals(r.json().getString("project_id"))),
          "the others answered 200 with the same project: " + statuses(all));
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1L, count("SELECT count(*) FROM projects"));
    assertEquals(4L, count("SELECT count(*) FROM tracks"));
  }

  @Test
  @DisplayName("Creating a project on an unknown line is 404 naming the line and the lines there are")
  void unknownLine() {
    Api.Reply r = create("{\"line\": \"no_such_line\"}", null);
    assertEquals(404, r.status());
    assertTrue(r.json().getString("detail").contains("no_such_line"), r.text());
    assertTrue(r.json().getJsonArray("lines", new JsonArray()).contains("clarify"), "the refusal lists the lines: " + r.text());
    assertEquals(0L, count("SELECT count(*) FROM projects"));
  }

  @Test
  @DisplayName("Illegal moves are 409 with the current state and the attempted move")
  void illegalMoves() {
    JsonObject view = standingLine();
    String interrupt = view.getJsonArray("interrupts").getJsonObject(0).getString("interrupt_id");
    Api.Reply start = node.api.post("/production/start?project=" + PROJECT + "&doc=brief", new JsonObject());
    assertEquals(409, start.status(), start.text());
    assertEquals("awaiting_operator", start.json().getString("current_state"));
    assertEquals("start production", start.json().getString("attempted"));
    Api.Reply escalate = node.api.post("/api/v1/interrupts/" + interrupt + "/escalate", new JsonObject().put("notes", "ship it"));
    assertEquals(409, escalate.status(), escalate.text());
    assertEquals("awaiting_operator", escalate.json().getString("current_state"));
    assertTrue(escalate.json().getString("attempted").startsWith("escalate"), escalate.text());
    assertEquals("open", node.api.get("/api/v1/interrupts/" + interrupt).json().getString("status"), "the interrupt is still open");
  }

  @Test
  @DisplayName("An unexpected problem is a 500 whose body names no Java exception, whatever the cause says")
  void unexpectedProblemNamesNoException() {
    List<Throwable> causes = List.of(
        new NullPointerException("Cannot invoke \"io.vertx.core.internal.buffer.BufferInternal.getByteBuf()\" because \"buf\" is null"),
        new IllegalStateException("java.lang.IllegalStateException: no caller"),
        new io.vertx.core.eventbus.ReplyException(io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE, 500,
            "java.lang.ClassCastException: class java.lang.String cannot be cast"),
        new io.vertx.core.eventbus.ReplyException(io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE, 503,
            "{\"title\":\"Unavailable\",\"detail\":\"io.netty.channel.ConnectTimeoutException: refused\"}"));
    for (Throwable t : causes) {
      JsonObject body = Http.problem(t).body();
      assertTrue(body.getInteger("status") >= 500, body.encode());
      assertTrue(!body.encode().matches("(?s).*(Exception|java\\.|io\\.vertx|io\\.netty).*"), "no Java name: " + body.encode());
      assertTrue(body.getString("detail").contains("node's log"), body.encode());
    }
  }

  // --- helpers -----------------------------------------------------------------------------------

  private void check(Case c) {
    Api client = switch (c.who()) {
      case "executor" -> executor;
      case "admin" -> admin;
      default -> node.api;
    };
    // HTTP/1.1, as curl and the executors speak it (the JDK client would otherwise offer an h2c upgrade).
    HttpRequest.Builder b = client.builder(c.path()).version(HttpClient.Version.HTTP_1_1);
    c.headers().forEach(b::header);
    b.method(c.method(), c.body() == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(c.body()));
    Api.Reply r = client.send(b);
    String what = c.method() + " " + abbreviate(c.path()) + " → " + r.status() + " " + abbreviate(r.text());
    assertTrue(c.expected().contains(r.status()), "expected " + c.expected() + ": " + what);
    assertTrue(r.raw().headers().firstValue("Content-Type").orElse("").startsWith("application/json"), "a JSON body: " + what);
    JsonObject body;
    try {
      body = new JsonObject(r.text());
    } catch (RuntimeException e) {
      throw new AssertionError("the body is not a JSON object: " + what);
    }
    assertEquals(r.status(), body.getInteger("status", -1), "the body carries the status: " + what);
    String says = body.getString("detail", body.getString("title"));
    assertTrue(says != null && !says.isBlank(), "the body says what was wrong: " + what);
    if (c.mentions() != null) {
      assertTrue(body.encode().contains(c.mentions()), "the refusal names " + c.mentions() + ": " + what);
    }
    if (c.currentState() != null) {
      assertEquals(c.currentState(), body.getString("current_state"), what);
      assertTrue(body.getString("attempted", "").startsWith(c.attempted()), what);
    }
  }

  private Api.Reply create(String body, String key) {
    return node.api.post("/api/v1/projects", body, key == null ? Map.of() : Map.of("Idempotency-Key", key));
  }

  private long count(String sql) {
    return node.sql(sql).get(0).getLong(0);
  }

  /** Counts, highest sequence numbers and a digest of every row of the tables a request could change. */
  private Map<String, String> snapshot() {
    Map<String, String> out = new LinkedHashMap<>();
    for (String table : List.of("projects", "tracks", "track_events", "station_tasks", "interrupts", "audit_log", "task_logs", "artifacts")) {
      var row = node.sql("SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM " + table + " t").get(0);
      out.put(table, row.getLong(0) + " rows, digest " + row.getString(1));
    }
    out.put("track_events.max(seq)", String.valueOf(node.sql("SELECT max(seq) FROM track_events").get(0).getValue(0)));
    out.put("audit_log.max(id)", String.valueOf(node.sql("SELECT max(id) FROM audit_log").get(0).getValue(0)));
    return out;
  }

  private static String statuses(List<Api.Reply> all) {
    return all.stream().map(r -> r.status() + " " + abbreviate(r.text())).toList().toString();
  }

  private static String abbreviate(String s) {
    return s == null ? "" : s.length() <= 60 ? s : s.substring(0, 40) + "…(" + s.length() + " chars)";
  }

  /** One hostile request, who sends it (operator, admin or the executor), and what the answer must be. */
  private record Case(String name, String method, String path, Map<String, String> headers, byte[] body, Set<Integer> expected,
                      String mentions, String currentState, String attempted, String who) {

    Case(String name, String method, String path, Map<String, String> headers, byte[] body, Set<Integer> expected,
         String mentions, String currentState, String attempted) {
      this(name, method, path, headers, body, expected, mentions, currentState, attempted, "operator");
    }

    /** An endpoint and the role that may call it, for the cases every body endpoint gets. */
    static Case endpoint(String path, String who) {
      return new Case(path, "POST", path, Map.of(), null, Set.of(), null, null, null, who);
    }

    Case by(String role) {
      return new Case(name, method, path, headers, body, expected, mentions, currentState, attempted, role);
    }

    static Case get(String name, String path, int status) {
      return get(name, path, Set.of(status));
    }

    static Case get(String name, String path, Set<Integer> statuses) {
      return new Case(name, "GET", path, Map.of(), null, statuses, null, null, null);
    }

    static Case post(String name, String path, String body, int status) {
      return post(name, path, body, Set.of(status));
    }

    static Case post(String name, String path, String body, Set<Integer> statuses) {
      return post(name, path, body.getBytes(StandardCharsets.UTF_8), statuses);
    }

    static Case post(String name, String path, byte[] body, int status) {
      return post(name, path, body, Set.of(status));
    }

    static Case post(String name, String path, byte[] body, Set<Integer> statuses) {
      return new Case(name, "POST", path, Map.of("Content-Type", "application/json"), body, statuses, null, null, null);
    }

    Case mentioning(String text) {
      return new Case(name, method, path, headers, body, expected, text, currentState, attempted, who);
    }

    Case move(String state, String tried) {
      return new Case(name, method, path, headers, body, expected, mentions, state, tried, who);
    }

    Case type(String contentType) {
      return header("Content-Type", contentType);
    }

    Case header(String name, String value) {
      Map<String, String> h = new LinkedHashMap<>(headers);
      h.put(name, value);
      return new Case(this.name, method, path, h, body, expected, mentions, currentState, attempted, who);
    }
  }
}
