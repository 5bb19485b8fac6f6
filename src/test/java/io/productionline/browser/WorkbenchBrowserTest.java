package io.productionline.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.audit.AuditNodes;
import io.productionline.auth.Role;
import io.productionline.support.Api;
import io.productionline.support.Browser;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

/**
 * The operator's workbench driven as an operator would (click, type) in headless Chromium, each
 * result checked in the page and in the API; and a viewer's token sees no control that would
 * change anything. The {@code manual} line: an assembly an executor does, then an audit an
 * operator does by hand.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("The operator's workbench in headless Chromium")
class WorkbenchBrowserTest {

  private TestNode node;
  private Browser browser;
  private Api worker;

  @BeforeAll
  void startNode() {
    node = TestNode.start(AuditNodes.config(), Clock.systemUTC());
    worker = node.executorApi("worker");
    assertEquals(201, worker.post("/api/v1/executors", new JsonObject().put("executor_id", "worker")
        .put("capabilities", new JsonArray().add("sim"))).status());
  }

  @AfterAll
  void stopNode() {
    node.close();
  }

  @BeforeEach
  void startBrowser() {
    browser = new Browser();
  }

  @AfterEach
  void stopBrowser() {
    browser.close();
  }

  private void open(String project, String token) {
    browser.driver.get(node.api.base() + "/?project=" + project + "&token=" + token);
    browser.waiting(Duration.ofSeconds(20)).until(d -> !d.findElements(By.cssSelector("#tracks .track .wb-track-runs")).isEmpty());
  }

  private String viewer() {
    return node.token("viewer");
  }

  private WebElement find(String css) {
    return browser.waiting(Duration.ofSeconds(20)).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(css)));
  }

  /** Clicks the element of {@code css} once it is there, again if a live update replaced it as it was clicked. */
  private void click(String css) {
    browser.waiting(Duration.ofSeconds(20)).ignoring(StaleElementReferenceException.class).until(d -> {
      d.findElement(By.cssSelector(css)).click();
      return true;
    });
  }

  private boolean none(String css) {
    return browser.driver.findElements(By.cssSelector(css)).isEmpty();
  }

  /** A data attribute of the drawer's log, read afresh. */
  private Object logData(String name) {
    return browser.driver.executeScript("const l = document.getElementById('wb-log'); return l ? l.dataset[arguments[0]] : null;", name);
  }

  private String trackOf(String project) {
    return node.production(project).getJsonArray("tracks").getJsonObject(0).getString("track_id");
  }

  /** The worker claims the project's assembly, logs, hands in artifacts and completes it: the track waits at the manual audit. */
  private String assemble(String project) {
    assertEquals(200, node.api.post("/production/start?project=" + project, new JsonObject()).status());
    JsonObject task = worker.get("/api/v1/work/next?executor_id=worker&wait=5").json().getJsonObject("task");
    String id = task.getString("task_id");
    String token = task.getString("lease_token");
    JsonArray lines = new JsonArray();
    for (int i = 0; i < 40; i++) {
      lines.add(new JsonObject().put("level", i == 17 ? "warn" : "info").put("message", i == 17 ? "Disk nearly full" : "step " + i));
    }
    assertEquals(200, worker.post("/api/v1/work/" + id + "/events", new JsonObject().put("lease_token", token).put("events", lines)).status());
    assertEquals(200, worker.post("/api/v1/work/" + id + "/artifacts", new JsonObject().put("lease_token", token).put("artifacts", new JsonArray()
        .add(new JsonObject().put("name", "report.md").put("kind", "text").put("content_type", "text/markdown")
            .put("content", "# Report\n\n- first point\n\n<script>window.__owned = true</script>"))
        .add(new JsonObject().put("name", "metrics.json").put("kind", "json").put("content", new JsonObject().put("pages", 3)
            .put("nested", new JsonObject().put("deep", new JsonArray().add(1).add(2)))))
        .add(new JsonObject().put("name", "spec").put("kind", "url").put("url", "https://example.org/spec")))).status());
    assertEquals(200, worker.post("/api/v1/work/" + id + "/complete", new JsonObject().put("lease_token", token).put("outcome", "stabilized")).status());
    node.awaitProduction(project, p -> "awaiting_operator".equals(p.getJsonArray("tracks").getJsonObject(0).getString("state"))
        || p.getJsonArray("tracks").getJsonObject(0).getJsonArray("stations").stream()
            .anyMatch(s -> "operator outcome".equals(((JsonObject) s).getString("awaiting"))), Duration.ofSeconds(20));
    return id;
  }

  @Test
  @DisplayName("1 + 2: the drawer shows every run with its log (filtered), artifacts rendered safely; the operator records the manual audit's outcome; a viewer reads only")
  void runDrawerAndManualOutcome() {
    node.createProject("wb-run", "manual");
    String asm = assemble("wb-run");
    String track = trackOf("wb-run");

    // A viewer first: the same drawer, no form, no selection box.
    open("wb-run", viewer());
    assertTrue(none(".wb-select"), "a viewer gets no selection boxes");
    browser.driver.findElement(By.cssSelector(".track[data-track-id='" + track + "'] .wb-track-runs")).click();
    find("#wb-drawer");
    find("#wb-manual[data-readonly='true']");
    assertTrue(none("form#wb-manual") && none("#wb-manual-submit"), "no outcome form for a viewer");
    assertNoControls("the dashboard and the drawer");

    open("wb-run", node.operatorToken());
    browser.driver.findElement(By.cssSelector(".track[data-track-id='" + track + "'] .wb-track-runs")).click();
    find("#wb-drawer");
    find("#wb-drawer tr[data-task-id='" + asm + "']").click();
    browser.waiting(Duration.ofSeconds(20)).until(d -> "40".equals(logData("lines")));
    assertEquals(asm, find("#wb-run").getDomAttribute("data-task-id"));
    assertTrue(find("#wb-run").getText().contains("worker"), "the executor: " + find("#wb-run").getText());
    WebElement filter = find(".wb-log-filter");
    filter.sendKeys("disk");
    browser.waiting(Duration.ofSeconds(5)).until(d -> "1".equals(logData("shown")));
    assertTrue(find("#wb-log").getText().contains("Disk nearly full"));
    filter.clear();
    filter.sendKeys(" ");
    browser.driver.findElement(By.cssSelector(".wb-level input[data-level='info']")).click();
    browser.waiting(Duration.ofSeconds(5)).until(d -> "1".equals(logData("shown")));
    assertEquals(40, node.api.get("/api/v1/runs/" + asm + "/logs").json().getJsonArray("logs").size(), "the page shows what the API holds");

    WebElement md = find(".wb-artifact[data-name='report.md'] .wb-md");
    assertEquals("Report", md.findElement(By.tagName("h3")).getText());
    assertEquals("first point", md.findElement(By.tagName("li")).getText());
    assertTrue(md.getText().contains("<script>"), "markup is shown as text");
    assertTrue(md.findElements(By.tagName("script")).isEmpty());
    assertFalse(Boolean.TRUE.equals(browser.driver.executeScript("return window.__owned === true")), "nothing of it ran");
    assertFalse(browser.driver.findElements(By.cssSelector(".wb-artifact[data-name='metrics.json'] details.wb-json")).isEmpty(), "JSON folds");
    assertEquals("https://example.org/spec", find(".wb-artifact[data-name='spec'] a").getDomAttribute("href"));

    // The manual audit: rejected with findings and a score.
    new Select(find("#wb-outcome")).selectByValue("audit_rejected");
    find("#wb-reason").sendKeys("the summary is missing");
    find("#wb-findings").sendKeys("no summary\nno owner");
    find("#wb-score").sendKeys("0.4");
    find("#wb-manual-submit").click();
    browser.waiting(Duration.ofSeconds(20)).until(ExpectedConditions.textToBePresentInElementLocated(By.id("wb-manual-note"), "Outcome recorded"));
    JsonObject aud = node.api.get("/production/track/" + track).json().getJsonArray("runs").stream().map(JsonObject.class::cast)
        .filter(r -> "aud".equals(r.getString("station"))).findFirst().orElseThrow();
    assertEquals("audit_rejected", aud.getString("outcome"));
    assertEquals(new JsonArray().add("no summary").add("no owner"), aud.getJsonObject("result").getJsonArray("findings"));
    assertEquals(0.4, aud.getJsonObject("result").getDouble("score"));
  }

  @Test
  @DisplayName("1: a run of 100,000 log lines: the drawer opens on the latest page, a filter asks the server, earlier lines load by paging up")
  void hundredThousandLines() {
    // An executor of its own (capability "hand", which no other test here claims), so no other test's task is taken.
    node.createProject("wb-big", "gated");
    Api logger = node.executorApi("logger");
    assertEquals(201, logger.post("/api/v1/executors", new JsonObject().put("executor_id", "logger")
        .put("capabilities", new JsonArray().add("hand"))).status());
    assertEquals(200, node.api.post("/production/start?project=wb-big&doc=exists_doc", new JsonObject()).status());
    JsonObject task = logger.get("/api/v1/work/next?executor_id=logger&wait=5").json().getJsonObject("task");
    String id = task.getString("task_id");
    String lease = task.getString("lease_token");
    for (int batch = 0; batch < 200; batch++) {
      JsonArray lines = new JsonArray();
      for (int i = 0; i < 500; i++) {
        int n = batch * 500 + i;
        lines.add(new JsonObject().put("level", n % 1000 == 999 ? "warn" : "info").put("message", String.format("entry %06d", n)));
      }
      Api.Reply r = logger.post("/api/v1/work/" + id + "/events", new JsonObject().put("lease_token", lease).put("events", lines));
      assertEquals(200, r.status(), r.text());
      if (batch % 20 == 0) {
        assertEquals(200, logger.post("/api/v1/executors/logger/heartbeat", new JsonObject().put("status", "busy").put("current_task", id)).status());
      }
    }
    JsonObject levels = node.api.get("/api/v1/runs/" + id + "/logs?tail=true&limit=1").json().getJsonObject("levels");
    assertEquals(100_000, levels.getInteger("info") + levels.getInteger("warn"), levels.encode());

    open("wb-big", node.operatorToken());
    long started = System.nanoTime();
    click(".track[data-track-id='" + task.getString("track_id") + "'] .wb-track-runs");
    find("#wb-drawer tr[data-task-id='" + id + "']").click();
    browser.waiting(Duration.ofSeconds(30)).until(d -> "100000".equals(logData("lines")) && "1000".equals(logData("shown")));
    long openedMs = (System.nanoTime() - started) / 1_000_000;
    System.out.println("[measure] the drawer of a run with 100,000 log lines: from the click on Runs & logs to its latest page shown, "
        + openedMs + " ms");
    WebElement log = find("#wb-log");
    browser.waiting(Duration.ofSeconds(10)).until(d -> log.getText().contains("entry 099999"));
    long rows = (Long) browser.driver.executeScript("return document.querySelectorAll('#wb-log .wb-log-row').length");
    assertTrue(rows < 200, "only the rows in view are drawn: " + rows);
    assertEquals("true", logData("earlier"), "earlier lines are there to page to");
    JsonArray latest = node.api.get("/api/v1/runs/" + id + "/logs?tail=true&limit=1000").json().getJsonArray("logs");
    assertEquals(String.valueOf(latest.getJsonObject(0).getLong("id")), logData("first"), "the page holds the API's latest page");

    // A filter asks the server: ten lines of the 100,000 contain "entry 04242".
    WebElement filter = find(".wb-log-filter");
    filter.sendKeys("entry 04242");
    browser.waiting(Duration.ofSeconds(10)).until(d -> "10".equals(logData("shown")) && "false".equals(logData("earlier")));
    assertTrue(log.getText().contains("entry 042429"), log.getText());
    assertEquals(10, node.api.get("/api/v1/runs/" + id + "/logs?contains=entry%2004242").json().getJsonArray("logs").size());
    filter.clear();
    filter.sendKeys(" ");
    browser.waiting(Duration.ofSeconds(10)).until(d -> "1000".equals(logData("shown")));

    // Paging up: Home scrolls the log to its top, and the page before the first loaded line comes.
    log.sendKeys(Keys.HOME);
    browser.waiting(Duration.ofSeconds(10)).until(d -> "2000".equals(logData("shown")));
    JsonArray before = node.api.get("/api/v1/runs/" + id + "/logs?before=" + latest.getJsonObject(0).getLong("id") + "&limit=1000").json()
        .getJsonArray("logs");
    assertEquals(String.valueOf(before.getJsonObject(0).getLong("id")), logData("first"), "the page before, as the API pages it");
    assertEquals("entry 098000", before.getJsonObject(0).getString("message"));
    log.sendKeys(Keys.HOME);
    browser.waiting(Duration.ofSeconds(10)).until(d -> "3000".equals(logData("shown")));
    browser.waiting(Duration.ofSeconds(10)).until(d -> log.getText().contains("entry 097"));

    assertEquals(200, logger.post("/api/v1/work/" + id + "/complete", new JsonObject().put("lease_token", lease).put("outcome", "stabilized")).status());
    // Its next station's task leaves the queue, so no other test's claim takes it.
    assertEquals(200, node.api.post("/production/track/" + task.getString("track_id") + "/cancel", new JsonObject().put("kind", "permanent")
        .put("reason", "seen enough")).status());
  }

  @Test
  @DisplayName("3: create a project from a line and a version picked (a double click makes one), start it, archive a finished one; a viewer gets no such controls")
  void projects() {
    // An admin stores a second version of the line (a new title), so the form has versions to offer.
    JsonObject definition = node.api.get("/api/v1/lines/manual").json().getJsonObject("definition");
    Api.Reply v2 = node.apiAs("admin").put("/api/v1/lines/manual", new JsonObject()
        .put("definition", definition.copy().put("title", definition.getString("title") + " (second)")).put("note", "a new title"));
    assertEquals(201, v2.status(), v2.text());
    node.createProject("wb-home", "manual");
    node.createProject("wb-shown", "manual");
    open("wb-shown", viewer());
    find("#wb-open-projects").click();
    find("#wb-projects-view tr[data-project-id='wb-home']");
    assertTrue(none("#wb-create-form") && none(".wb-archive") && none(".wb-start-line"), "a viewer reads the projects only");

    open("wb-shown", node.operatorToken());
    browser.waiting(Duration.ofSeconds(20)).until(d -> !d.findElements(By.cssSelector("#project-select option[value='wb-home']")).isEmpty());
    find("#wb-open-projects").click();
    find("#wb-create-form");
    browser.waiting(Duration.ofSeconds(10)).until(d -> !d.findElements(By.cssSelector("#wb-new-line option[value='manual']")).isEmpty());
    new Select(find("#wb-new-line")).selectByValue("manual");
    // The line has two versions (an admin stored the second above): the picker offers the current one and each version.
    browser.waiting(Duration.ofSeconds(10)).until(d -> !d.findElements(By.cssSelector("#wb-new-version option[value='1']")).isEmpty());
    Select version = new Select(find("#wb-new-version"));
    assertEquals("current (v2)", version.getFirstSelectedOption().getText(), "the current version by default");
    assertEquals(List.of("", "2", "1"), version.getOptions().stream().map(o -> o.getDomAttribute("value")).toList());
    version.selectByValue("1");
    long before = countOnLine("manual");
    WebElement create = find("#wb-create");
    browser.driver.executeScript("arguments[0].click(); arguments[0].click();", create);
    browser.waiting(Duration.ofSeconds(10)).until(ExpectedConditions.textToBePresentInElementLocated(By.id("wb-projects-note"), "Project"));
    browser.waiting(Duration.ofSeconds(10)).until(d -> countOnLine("manual") > before);
    assertEquals(before + 1, countOnLine("manual"), "two clicks, one project");
    String pinned = find("#wb-projects-note").getText().split(" ")[1];
    browser.waiting(Duration.ofSeconds(10)).until(ExpectedConditions.textToBePresentInElementLocated(
        By.cssSelector("#wb-projects-view tr[data-project-id='" + pinned + "']"), "manual v1"));
    assertEquals(1, node.api.get("/api/v1/projects/" + pinned).json().getInteger("line_version"), "the version picked, as the API says");
    // The current version, with an id typed.
    find("#wb-new-id").sendKeys("wb-current");
    version.selectByValue("");
    create.click();
    browser.waiting(Duration.ofSeconds(10)).until(ExpectedConditions.textToBePresentInElementLocated(By.id("wb-projects-note"),
        "Project wb-current created on manual v2"));
    assertEquals(2, node.api.get("/api/v1/projects/wb-current").json().getInteger("line_version"));
    find("#wb-projects-view tr[data-project-id='wb-current']");
    // A version the line does not have is refused with what was wrong, and nothing is made.
    Api.Reply unknown = node.api.post("/api/v1/projects", new JsonObject().put("project_id", "wb-v9").put("line", "manual").put("line_version", 9));
    assertEquals(404, unknown.status(), unknown.text());
    assertEquals("line manual has no version 9", unknown.json().getString("detail"));
    assertEquals(404, node.api.get("/api/v1/projects/wb-v9").status(), "nothing was made");

    WebElement row = find("#wb-projects-view tr[data-project-id='wb-home']");
    row.findElement(By.cssSelector(".wb-start-line")).click();
    browser.waiting(Duration.ofSeconds(10)).until(ExpectedConditions.textToBePresentInElementLocated(By.id("wb-projects-note"), "started"));
    assertFalse("queued".equals(node.production("wb-home").getJsonArray("tracks").getJsonObject(0).getString("state")), "started on the server");

    find("#wb-projects-view tr[data-project-id='wb-home'] .wb-archive").click();
    browser.waiting(Duration.ofSeconds(10)).until(ExpectedConditions.textToBePresentInElementLocated(By.id("wb-projects-note"), "not finished"));
    assertEquals(200, node.api.post("/production/track/" + trackOf("wb-home") + "/cancel", new JsonObject().put("kind", "permanent")
        .put("reason", "done with it")).status());
    find("#wb-projects-view tr[data-project-id='wb-home'] .wb-archive").click();
    find("#wb-archived li[data-project-id='wb-home']");
    assertTrue(none("#wb-projects-rows tr[data-project-id='wb-home']"), "it left the list");
    browser.waiting(Duration.ofSeconds(10)).until(d -> d.findElements(By.cssSelector("#project-select option[value='wb-home']")).isEmpty());
    assertFalse(node.api.get("/api/v1/projects").json().getJsonArray("projects").stream()
        .anyMatch(p -> "wb-home".equals(((JsonObject) p).getString("project_id"))), "and the API's list");
    assertEquals(200, node.api.get("/api/v1/projects/wb-home").status(), "still readable");
  }

  private long countOnLine(String line) {
    return node.api.get("/api/v1/projects").json().getJsonArray("projects").stream()
        .filter(p -> line.equals(((JsonObject) p).getString("line"))).count();
  }

  @Test
  @DisplayName("4 + 6: the runs view filters, follows a claim live, reserves a run for bob and releases it, and opens the run's track; a viewer gets no controls")
  void runsAndAssignment() {
    // Capability "hand" (line gated), which only this test's bob claims here, so bob's claim takes this task.
    node.createProject("wb-runs", "gated");
    assertEquals(200, node.api.post("/production/start?project=wb-runs&doc=exists_doc", new JsonObject()).status());
    String queued = node.sql("SELECT id FROM station_tasks WHERE project_id = 'wb-runs'").get(0).getString(0);
    String runsTrack = node.sql("SELECT track_id FROM station_tasks WHERE id = '" + queued + "'").get(0).getString(0);
    try {
      Api bob = node.executorApi("bob");
      assertEquals(201, bob.post("/api/v1/executors", new JsonObject().put("executor_id", "bob").put("capabilities", new JsonArray().add("hand"))).status());

      open("wb-runs", viewer());
      assertNoControls("the dashboard");
      find("#wb-open-runs").click();
      find("#wb-f-project").sendKeys("wb-runs");
      find("#wb-f-apply").click();
      find("#wb-runs tr[data-task-id='" + queued + "']");
      assertTrue(none(".wb-reserve") && none(".wb-release") && none(".wb-reserve-for"), "a viewer gets no assignment controls");

      open("wb-runs", node.operatorToken());
      find("#wb-open-runs").click();
      find("#wb-f-project").sendKeys("wb-runs");
      new Select(find("#wb-f-status")).selectByValue("");
      find("#wb-f-apply").click();
      WebElement row = find("#wb-runs tr[data-task-id='" + queued + "']");
      assertEquals("queued", row.getDomAttribute("data-status"));
      row.findElement(By.cssSelector(".wb-reserve-for")).sendKeys("bob");
      row.findElement(By.cssSelector(".wb-reserve")).click();
      browser.waiting(Duration.ofSeconds(10)).until(ExpectedConditions.textToBePresentInElementLocated(By.id("wb-runs-note"), "Reserved for bob"));
      assertEquals("bob", node.sql("SELECT reserved_for FROM station_tasks WHERE id = '" + queued + "'").get(0).getString(0));
      find("#wb-assignments li[data-executor='bob']");
      find("#wb-runs tr[data-task-id='" + queued + "'] .wb-release").click();
      browser.waiting(Duration.ofSeconds(10)).until(ExpectedConditions.textToBePresentInElementLocated(By.id("wb-runs-note"), "Released"));
      assertEquals(null, node.sql("SELECT reserved_for FROM station_tasks WHERE id = '" + queued + "'").get(0).getString(0));

      // Live: a reservation made elsewhere (the API) reaches the row by push.
      assertEquals(200, node.api.post("/api/v1/runs/" + queued + "/reserve", new JsonObject().put("executor_id", "bob")).status());
      browser.waiting(Duration.ofSeconds(20)).until(ExpectedConditions.textToBePresentInElementLocated(
          By.cssSelector("#wb-runs tr[data-task-id='" + queued + "']"), "bob until"));

      // bob claims it; the row and who holds what follow live; the operator takes it back from him.
      JsonObject held = bob.get("/api/v1/work/next?executor_id=bob&wait=5").json().getJsonObject("task");
      assertEquals(queued, held.getString("task_id"));
      browser.waiting(Duration.ofSeconds(20)).until(ExpectedConditions.attributeToBe(
          By.cssSelector("#wb-runs tr[data-task-id='" + queued + "']"), "data-status", "claimed"));
      browser.waiting(Duration.ofSeconds(20)).until(ExpectedConditions.textToBePresentInElementLocated(
          By.cssSelector("#wb-assignments li[data-executor='bob']"), "holds 1"));
      find("#wb-runs tr[data-task-id='" + queued + "'] .wb-release").click();
      browser.waiting(Duration.ofSeconds(10)).until(ExpectedConditions.textToBePresentInElementLocated(By.id("wb-runs-note"),
          "Released from bob: back on the queue for any executor; bob is told to stop on its next heartbeat"));
      browser.waiting(Duration.ofSeconds(20)).until(ExpectedConditions.attributeToBe(
          By.cssSelector("#wb-runs tr[data-task-id='" + queued + "']"), "data-status", "queued"));
      assertEquals("queued", node.sql("SELECT status FROM station_tasks WHERE id = '" + queued + "'").get(0).getString(0));
      JsonObject beat = bob.post("/api/v1/executors/bob/heartbeat", new JsonObject().put("status", "busy").put("current_task", queued)).json();
      assertEquals(new JsonArray().add(queued), beat.getJsonArray("released_tasks"), "bob learns it: " + beat.encode());
      Api.Reply late = bob.post("/api/v1/work/" + queued + "/complete", new JsonObject().put("lease_token", held.getString("lease_token"))
          .put("outcome", "stabilized"));
      assertEquals(409, late.status(), late.text());
      assertTrue(late.json().getBoolean("released"), late.text());
      JsonArray audited = node.apiAs("admin").get("/api/v1/audit?action=release_task").json().getJsonArray("entries");
      assertEquals("bob", audited.getJsonObject(0).getJsonObject("detail").getString("held_by"), audited.encode());
      assertEquals(queued, audited.getJsonObject(0).getString("target"));

      click("#wb-runs tr[data-task-id='" + queued + "'] .wb-open-track");
      WebElement drawer = find("#wb-drawer");
      assertEquals(runsTrack, drawer.getDomAttribute("data-track-id"));
      assertTrue(none("#wb-panel"), "the runs view gave way to the track");
    } finally {
      // Its task leaves the queue, so no other test's claim of "hand" takes it, whatever happened above.
      node.api.post("/production/track/" + runsTrack + "/cancel", new JsonObject().put("kind", "permanent").put("reason", "seen enough"));
    }
  }

  @Test
  @DisplayName("8: two tracks selected, cancelled in one action after a confirmation that says exactly what happens; a viewer cannot select")
  void bulkCancel() {
    node.createProject("wb-bulk", "cancels");
    JsonObject view = node.production("wb-bulk");
    String root = TestNode.track(view, "root").getString("track_id");
    String mid = TestNode.track(view, "mid").getString("track_id");
    String leaf = TestNode.track(view, "leaf").getString("track_id");
    open("wb-bulk", viewer());
    assertTrue(none(".wb-select") && none("#wb-bulk"), "a viewer cannot select tracks");
    assertNoControls("the dashboard");

    open("wb-bulk", node.operatorToken());
    find(".track[data-track-id='" + leaf + "'] .wb-select").click();
    find(".track[data-track-id='" + mid + "'] .wb-select").click();
    assertEquals("2 selected", find("#wb-bulk-count").getText());
    find("#wb-bulk-reason").sendKeys("out of scope");
    find("#wb-bulk-cancel").click();
    WebElement says = find("#wb-confirm-says");
    assertEquals("Cancel 2 tracks (permanent, reason \u201cout of scope\u201d): leaf (wb-bulk), mid (wb-bulk).", says.getText());
    assertEquals("queued", node.api.get("/production/track/" + leaf).json().getString("state"), "nothing happens before the confirmation");
    find("#wb-confirm-go").click();
    browser.waiting(Duration.ofSeconds(10)).until(ExpectedConditions.textToBePresentInElementLocated(By.id("wb-bulk-note"), "Done: 2 of 2"));
    assertEquals("cancelled", node.api.get("/production/track/" + leaf).json().getString("state"));
    assertEquals("cancelled", node.api.get("/production/track/" + mid).json().getString("state"));
    assertFalse("cancelled".equals(node.api.get("/production/track/" + root).json().getString("state")), "the one not selected stays");
    browser.waiting(Duration.ofSeconds(10)).until(ExpectedConditions.attributeToBe(
        By.cssSelector(".track[data-track-id='" + leaf + "']"), "data-state", "cancelled"));
  }

  @Test
  @DisplayName("8: two halted tracks and a queued one selected, their halts acknowledged in one action after a confirmation that is the server's own dry run")
  void bulkAcknowledge() {
    node.createProject("wb-ack", "gated");
    JsonObject view = node.production("wb-ack");
    String exists = TestNode.track(view, "exists_doc").getString("track_id");
    String content = TestNode.track(view, "content_doc").getString("track_id");
    String metric = TestNode.track(view, "metric_doc").getString("track_id");
    Api halter = node.executorApi("halter");
    assertEquals(201, halter.post("/api/v1/executors", new JsonObject().put("executor_id", "halter")
        .put("capabilities", new JsonArray().add("hand"))).status());
    for (String doc : List.of("exists_doc", "content_doc")) {
      assertEquals(200, node.api.post("/production/start?project=wb-ack&doc=" + doc, new JsonObject()).status());
      JsonObject task = halter.get("/api/v1/work/next?executor_id=halter&wait=5").json().getJsonObject("task");
      assertEquals(doc, task.getString("document_type"), task.encode());
      assertEquals(200, halter.post("/api/v1/work/" + task.getString("task_id") + "/complete", new JsonObject()
          .put("lease_token", task.getString("lease_token")).put("outcome", "halted").put("reason", "the source is unreadable")).status());
    }
    node.awaitProduction("wb-ack", p -> "halted".equals(TestNode.track(p, "exists_doc").getString("state"))
        && "halted".equals(TestNode.track(p, "content_doc").getString("state")), Duration.ofSeconds(20));

    open("wb-ack", node.operatorToken());
    for (String t : List.of(exists, content, metric)) {
      find(".track[data-track-id='" + t + "'] .wb-select").click();
    }
    assertEquals("3 selected", find("#wb-bulk-count").getText());
    find("#wb-bulk-notes").sendKeys("checked by hand");
    find("#wb-bulk-ack").click();
    String says = find("#wb-confirm-says").getText();
    JsonObject dry = node.api.post("/production/tracks/acknowledge", new JsonObject().put("track_ids", new JsonArray().add(exists)
        .add(content).add(metric)).put("notes", "checked by hand").put("dry_run", true)).json();
    assertEquals(dry.getString("says"), says, "the confirmation is the server's own dry run");
    assertEquals(2, dry.getInteger("will_change"), dry.encode());
    find("#wb-confirm li[data-track-id='" + metric + "'][data-action='skip']");
    assertEquals("halted", node.api.get("/production/track/" + exists).json().getString("state"), "nothing happens before the confirmation");
    find("#wb-confirm-go").click();
    browser.waiting(Duration.ofSeconds(10)).until(ExpectedConditions.textToBePresentInElementLocated(By.id("wb-bulk-note"), "Done: 2 of 2"));
    assertEquals("escalated", node.api.get("/production/track/" + exists).json().getString("state"));
    assertEquals("escalated", node.api.get("/production/track/" + content).json().getString("state"));
    assertEquals("queued", node.api.get("/production/track/" + metric).json().getString("state"), "the skipped one stays");
    browser.waiting(Duration.ofSeconds(10)).until(ExpectedConditions.attributeToBe(
        By.cssSelector(".track[data-track-id='" + content + "']"), "data-state", "escalated"));
    assertEquals(2L, node.sql("SELECT count(*) FROM interrupts WHERE project_id = 'wb-ack' AND status = 'escalated'").get(0).getLong(0));
  }

  /** Whether a visible element of the page matches {@code css}. */
  private boolean visible(String css) {
    return browser.driver.findElements(By.cssSelector(css)).stream().anyMatch(WebElement::isDisplayed);
  }

  /** No control that would change anything: answer cards, start, cancel, Run Full Line, selection boxes, the bulk bar. */
  private void assertNoControls(String where) {
    for (String css : List.of(".inbox-item .resolve", ".inbox-item .escalate", ".inbox-item textarea", ".inbox-item input",
        ".track .answer", ".track .start-production", ".track .cancel-track", "#run-full-line", ".wb-select", "#wb-bulk")) {
      assertFalse(visible(css), where + ": a viewer sees no " + css);
    }
  }

  @Test
  @DisplayName("7: the inbox says what will happen when the SLA passes; it passes, the policy answers with the default, the inbox shows it by push; API, track and audit log agree; a viewer gets no answer controls")
  void slaPolicyInInbox() {
    JsonObject config = TestNode.config().put("analytics", new JsonObject().put("sla_check_seconds", 3600)
        .put("sla_seconds", new JsonObject().put("approval", 1))
        .put("sla_policy", new JsonObject().put("approval", new JsonObject().put("action", "answer")
            .put("answer", new JsonObject().put("notes", "approved: no objection")))));
    try (TestNode other = TestNode.start(config, Clock.systemUTC())) {
      other.createProject("wb-sla", "flow_inbox");
      assertEquals(200, other.api.post("/production/start?project=wb-sla&doc=approve", new JsonObject()).status());
      JsonObject item = io.productionline.support.Await.until(() -> other.api.get("/api/v1/inbox").json().getJsonArray("items"),
          a -> !a.isEmpty(), Duration.ofSeconds(10), "the approval in the inbox").getJsonObject(0);
      String id = item.getString("interrupt_id");
      String track = item.getString("track_id");
      String says = "when the SLA passes: answered with the configured default";
      assertEquals(says, item.getJsonObject("sla_policy").getString("says"));
      String inboxItem = ".inbox-item[data-interrupt-id='" + id + "']";

      // The operator's page: the answer card, and what will happen if nobody answers.
      browser.driver.get(other.api.base() + "/?project=wb-sla&token=" + other.operatorToken());
      assertEquals(says, find(inboxItem + " .wb-sla-policy").getText(), "the page shows what the API says");
      find(inboxItem + " .resolve");

      // A viewer's page: the same words, and no control that would answer it or change anything else.
      browser.driver.get(other.api.base() + "/?project=wb-sla&token=" + other.token(Role.VIEWER.wire()));
      assertEquals(says, find(inboxItem + " .wb-sla-policy").getText());
      browser.waiting(Duration.ofSeconds(20)).until(d -> !d.findElements(By.cssSelector(".track[data-track-id='" + track + "']")).isEmpty());
      assertNoControls("the inbox and the tracks");

      // The SLA passes; the cluster's SLA check runs (its timer's own entry point) and takes the action once.
      io.productionline.support.Await.until(() -> other.api.get("/api/v1/inbox").json().getJsonArray("items").getJsonObject(0),
          i -> i.getBoolean("breached"), Duration.ofSeconds(10), "the approval past its SLA");
      browser.driver.executeScript("window.__samePage = true;");
      io.productionline.interrupt.SlaWatch.Check check = other.node.slaWatch().runOnce().await();
      assertEquals(1, check.actions().size(), check.actions().toString());

      // The page hears it by push: the item leaves, the action taken is listed; no reload happened.
      WebElement did = find("#wb-sla-actions li.wb-sla-action[data-interrupt-id='" + id + "']");
      browser.waiting(Duration.ofSeconds(20)).until(d -> d.findElements(By.cssSelector(inboxItem)).isEmpty());
      assertEquals(Boolean.TRUE, browser.driver.executeScript("return window.__samePage === true;"), "no reload");
      assertEquals("true", did.getDomAttribute("data-taken"));
      assertEquals("answer", did.getDomAttribute("data-action"));
      String shown = did.findElement(By.cssSelector(".wb-sla-did")).getText();
      assertEquals("SLA passed: answered with the configured default", shown);
      assertNoControls("after the action");

      // The API agrees: nothing waits, the action is the inbox's newest; the interrupt was resolved by the policy with the default.
      JsonObject inbox = other.api.get("/api/v1/inbox").json();
      assertTrue(inbox.getJsonArray("items").isEmpty(), inbox.encode());
      JsonObject acted = inbox.getJsonArray("sla_actions").getJsonObject(0);
      assertEquals(id, acted.getString("interrupt_id"));
      assertEquals(shown, acted.getString("says"), "the page shows what the API says");
      assertTrue(acted.getBoolean("taken"));
      JsonObject interrupt = other.api.get("/api/v1/interrupts/" + id).json();
      assertEquals("resolved", interrupt.getString("status"), interrupt.encode());
      assertEquals("sla-policy", interrupt.getString("resolved_by"), interrupt.encode());
      // The track went on past its approval: its bind task is queued for an executor.
      JsonObject t = other.api.get("/production/track/" + track).json();
      assertNotEquals("awaiting_operator", t.getString("state"), t.encode());
      assertEquals(1, other.sql("SELECT id FROM station_tasks WHERE track_id = '" + track + "'").size(), "the approved station's task");
      // The audit log names the policy as the actor, once.
      JsonArray audit = other.apiAs("admin").get("/api/v1/audit?actor=sla-policy").json().getJsonArray("entries");
      assertEquals(List.of("sla_answer", "resolve"), audit.stream().map(e -> ((JsonObject) e).getString("action")).toList(), audit.encode());
      assertEquals(id, audit.getJsonObject(0).getString("target"), audit.encode());
      assertTrue(other.node.slaWatch().runOnce().await().actions().isEmpty(), "the action is taken once");
    }
  }

  @Test
  @DisplayName("5: /assembly-line/dashboard, opened from the dashboard, shows intents queued with their estimate, at work, completed with the evidence unfolded; live; no controls")
  void intentQueue() {
    try (TestNode assembly = TestNode.start(TestNode.config().put("lines_dir", "conf/lines"), Clock.systemUTC())) {
      Api.Reply submitted = assembly.api.post("/assembly-line/intent", new JsonObject().put("title", "billing").put("spec_path", "specs/billing"));
      assertEquals(201, submitted.status(), submitted.text());
      String first = submitted.json().getString("intent_id");
      // A viewer opens the queue from the dashboard's header.
      browser.driver.get(assembly.api.base() + "/?token=" + assembly.token(Role.VIEWER.wire()));
      assertNoControls("the dashboard");
      find("#wb-open-intents").click();
      WebElement queued = find("#intents-queued li[data-intent-id='" + first + "']");
      assertTrue(queued.getText().contains("starts about"), queued.getText());
      assertTrue(queued.getText().contains("waits for an executor that can build"), queued.getText());
      assertEquals(assembly.api.get("/assembly-line/queue").json().getJsonArray("queued").getJsonObject(0).getString("waiting_for"),
          queued.findElement(By.cssSelector(".wb-intent-wait")).getText().substring("waits for ".length()), "the page shows what the API says");
      Api builder = assembly.executorApi("builder");
      assertTrue(builder.get("/assembly-line/work/next?executor_id=builder").json().getBoolean("assigned"));
      builder.post("/assembly-line/work/progress", new JsonObject().put("intent_id", first).put("executor_id", "builder")
          .put("phase", "spec").put("progress", 0.5));
      WebElement atWork = find("#intents-in-progress li[data-intent-id='" + first + "']");
      browser.waiting(Duration.ofSeconds(10)).until(d -> atWork.getText().contains("at builder"));
      assertTrue(atWork.getText().startsWith("billing"), atWork.getText());
      assertTrue(none("#intents-queued li"), "it left the queue, live");

      // The builder finishes every station, each audit with its verification level: the intent is completed, live.
      Map<String, Integer> levels = Map.of("spec_audit", 1, "build_audit", 2, "test_audit", 4, "production_audit", 6);
      String station = "spec";
      for (int i = 0; i < 8; i++) {
        if (i > 0) {
          JsonObject pulled = builder.get("/assembly-line/work/next?executor_id=builder").json();
          assertTrue(pulled.getBoolean("assigned"), pulled.encode());
          station = pulled.getJsonObject("intent").getString("station");
        }
        JsonObject report = new JsonObject().put("intent_id", first).put("executor_id", "builder").put("status", "completed")
            .put("artifacts", new JsonObject());
        if (station.endsWith("_audit")) {
          report.put("verification_level", levels.get(station)).put("score", 0.95).put("findings", new JsonArray().add("tests pass"));
        }
        Api.Reply done = builder.post("/assembly-line/work/complete", report);
        assertEquals(200, done.status(), done.text());
      }
      find("#intents-completed li[data-intent-id='" + first + "']");
      browser.waiting(Duration.ofSeconds(10)).until(d -> d.findElements(By.cssSelector("#intents-in-progress li")).isEmpty());
      WebElement completed = find("#intents-completed li[data-intent-id='" + first + "']");
      JsonObject finished = assembly.api.get("/assembly-line/queue").json().getJsonArray("completed").getJsonObject(0);
      assertTrue(completed.getText().contains("verification level " + finished.getInteger("verification_level")), completed.getText());
      completed.findElement(By.cssSelector(".wb-evidence summary")).click();
      List<WebElement> evidence = completed.findElements(By.cssSelector(".wb-evidence li"));
      assertEquals(finished.getJsonArray("evidence").size(), evidence.size(), "each audit's evidence, as the API has it");
      assertTrue(evidence.get(evidence.size() - 1).isDisplayed(), "unfolded");
      assertTrue(evidence.stream().anyMatch(e -> e.getText().contains("level 6") && e.getText().contains("tests pass")),
          evidence.stream().map(WebElement::getText).toList().toString());
      assertTrue(browser.driver.findElements(By.cssSelector("main button, main input, main select, main textarea, main form")).isEmpty(),
          "the queue page has no controls");
    }
  }

}
