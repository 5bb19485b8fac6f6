package io.productionline.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Browser;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;

@DisplayName("The operator dashboard in headless Chromium")
class DashboardBrowserTest {

  private TestNode node;
  private Browser browser;

  @BeforeEach
  void start() {
    node = TestNode.start();
    browser = new Browser();
  }

  @AfterEach
  void stop() {
    browser.close();
    node.close();
  }

  private void open(String project) {
    // The URL the server prints carries the operator token; the page keeps it and takes it out of the address bar.
    browser.driver.get(node.api.base() + "/?project=" + project + "&token=" + node.operatorToken());
    browser.waiting(Duration.ofSeconds(20)).until(ExpectedConditions.attributeToBe(By.id("bridge-state"), "data-state", "live"));
    browser.waiting(Duration.ofSeconds(20)).until(d -> !d.findElements(By.cssSelector("#tracks .track")).isEmpty());
    assertFalse(browser.driver.getCurrentUrl().contains("token="), "the token left the address bar: " + browser.driver.getCurrentUrl());
    // A marker that a page navigation or reload would wipe out.
    browser.driver.executeScript("window.__stayedOnPage = true;");
  }

  private boolean stayedOnPage() {
    return Boolean.TRUE.equals(browser.driver.executeScript("return window.__stayedOnPage === true;"));
  }

  private List<WebElement> tracks(String state) {
    return browser.driver.findElements(By.cssSelector("#tracks .track[data-state='" + state + "']"));
  }

  @Test
  @DisplayName("[Run Full Line] on the page starts the line, and the page follows it to the end without a reload")
  void runFullLineFromThePage() throws Exception {
    node.createProject("shown", "fast");
    node.executor("e1");
    node.executor("e2");
    open("shown");
    assertEquals(4, tracks("queued").size(), "four queued tracks before the start");
    assertTrue(browser.driver.findElement(By.id("line-status")).getText().startsWith("Production Line: Idle"));

    browser.driver.findElement(By.id("run-full-line")).click();

    browser.waiting(Duration.ofSeconds(60)).until(d -> tracks("stabilized").size() == 4);
    assertTrue(stayedOnPage(), "the page updated in place");
    assertEquals("Production Line: Complete | 4/4 Stabilized", browser.driver.findElement(By.id("line-status")).getText());
    assertTrue(browser.driver.findElements(By.cssSelector("#dependency-graph .graph-node")).size() >= 4, "the dependency graph is drawn");
    Path shot = browser.screenshot("dashboard-complete");
    assertTrue(Files.size(shot) > 10_000, "a real screenshot was saved");
  }

  @Test
  @DisplayName("a running line shows live states and an elapsed timer on the active station")
  void runningLineIsLive() {
    node.createProject("live", "slowroot");
    open("live");
    node.api.post("/production/start?project=live", new JsonObject());
    // No executor yet: the root waits at its first station, and says why.
    browser.waiting(Duration.ofSeconds(20)).until(d -> !tracks("binding").isEmpty());
    WebElement root = browser.driver.findElement(By.cssSelector("#tracks .track[data-document-type='root']"));
    assertTrue(root.getText().contains("Binding"), root.getText());
    browser.waiting(Duration.ofSeconds(10)).until(ExpectedConditions.presenceOfElementLocated(
        By.cssSelector(".no-executors[data-capability='sim']")));
    assertTrue(browser.driver.findElement(By.cssSelector(".no-executors[data-capability='sim']")).getText().contains("No executors available"));
    // The warning comes with the queue's depth (QueueWatch), the dependents' states with their own views: two pushes,
    // either first (the assertion right after the warning failed once in a fresh-clone run on a busy machine).
    browser.waiting(Duration.ofSeconds(10)).until(d -> tracks("blocked").size() == 3);
    browser.waiting(Duration.ofSeconds(10)).until(d -> !d.findElements(By.cssSelector("#tracks .track[data-document-type='root'] .elapsed")).isEmpty());

    node.executor("e1");
    browser.waiting(Duration.ofSeconds(10)).until(ExpectedConditions.invisibilityOfElementLocated(
        By.cssSelector(".no-executors[data-capability='sim']")));
    browser.waiting(Duration.ofSeconds(10)).until(d -> !d.findElements(By.cssSelector("#executors .executor[data-executor-id='e1']")).isEmpty());
    browser.screenshot("dashboard-live");
    browser.waiting(Duration.ofSeconds(60)).until(d -> tracks("stabilized").size() == 4);
    assertTrue(stayedOnPage(), "the page updated in place");
  }

  @Test
  @DisplayName("opened without a token the page asks for one; the operator token entered there loads the line, live")
  void tokenPrompt() {
    node.createProject("asks", "fast");
    browser.driver.get(node.api.base() + "/?project=asks");
    browser.waiting(Duration.ofSeconds(20)).until(ExpectedConditions.visibilityOfElementLocated(By.id("token-prompt")));
    assertTrue(browser.driver.findElements(By.cssSelector("#tracks .track")).isEmpty(), "nothing of the line without a token");
    assertTrue(browser.driver.findElement(By.id("token-why")).getText().contains("token"), browser.driver.findElement(By.id("token-why")).getText());

    browser.driver.findElement(By.id("token-input")).sendKeys(node.operatorToken());
    browser.driver.findElement(By.cssSelector("#token-prompt button[type='submit']")).click();
    browser.waiting(Duration.ofSeconds(20)).until(ExpectedConditions.attributeToBe(By.id("bridge-state"), "data-state", "live"));
    browser.waiting(Duration.ofSeconds(20)).until(d -> tracks("queued").size() == 4);
    assertFalse(browser.driver.findElement(By.id("token-prompt")).isDisplayed(), "the prompt is gone");
    node.executor("e1");
    node.api.post("/production/start?project=asks", new JsonObject());
    browser.waiting(Duration.ofSeconds(60)).until(d -> tracks("stabilized").size() == 4);
  }

  @Test
  @DisplayName("an interrupt is answered inline and the track resumes")
  void interruptAnsweredInline() {
    node.createProject("ask", "clarify");
    node.executor("e1");
    open("ask");
    node.api.post("/production/start?project=ask", new JsonObject());

    By interrupt = By.cssSelector("#inbox .interrupt[data-type='clarification']");
    browser.waiting(Duration.ofSeconds(30)).until(ExpectedConditions.presenceOfElementLocated(interrupt));
    browser.screenshot("dashboard-interrupt");
    WebElement panel = browser.driver.findElement(interrupt);
    for (WebElement input : panel.findElements(By.cssSelector("input.answer-input"))) {
      input.sendKeys("platform operators");
    }
    panel.findElement(By.cssSelector("button.resolve")).click();

    browser.waiting(Duration.ofSeconds(30)).until(d -> tracks("stabilized").size() == 3);
    assertTrue(stayedOnPage(), "answered without leaving the page");
    assertTrue(browser.driver.findElements(interrupt).isEmpty(), "the interrupt left the panel");
    JsonObject answered = node.sql("SELECT resolution FROM interrupts").get(0).getJsonObject(0);
    assertTrue(answered.encode().contains("platform operators"), "the answer reached the server: " + answered);
  }

  private static JsonObject simStation(String id, String kind, long ms, JsonObject output) {
    JsonObject params = new JsonObject().put("duration_ms", ms);
    if (output != null) {
      params.put("output", output);
    }
    return new JsonObject().put("id", id).put("kind", kind).put("capability", "sim")
        .put("step", new JsonObject().put("type", "sim").put("trust", "vetted").put("params", params));
  }

  /** The server's own words for the fan-out of the project's plan track ({@code fan_out.progress}), or null before it fanned out. */
  private String serverProgress(String project) {
    JsonObject fanOut = TestNode.track(node.production(project), "plan").getJsonObject("fan_out");
    return fanOut == null ? null : fanOut.getString("progress");
  }

  /** The fan-out progress the page shows on the epic family's row (read in one go: the row repaints as children move). */
  private String pageProgress() {
    return (String) browser.driver.executeScript(
        "const e = document.querySelector(\".family-head[data-document-type='epic'] .fanout-progress\"); return e ? e.textContent : null;");
  }

  @Test
  @DisplayName("a fan-out of 30 children is one row saying the server's progress as they stabilize; its button (mouse or keyboard) opens the 30 rows")
  void fanOutCollapsesIntoOneRow() {
    JsonArray epics = new JsonArray(IntStream.range(0, 30).mapToObj(i -> (Object) ("epic " + i)).toList());
    JsonObject line = new JsonObject().put("name", "fan30").put("document_types", new JsonArray()
        .add(new JsonObject().put("name", "plan")
            .put("fan_out", new JsonObject().put("station", "asm").put("items", "epics").put("child_type", "epic").put("max_items", 40))
            .put("stations", new JsonArray().add(simStation("asm", "assemble", 10, new JsonObject().put("epics", epics)))))
        .add(new JsonObject().put("name", "epic").put("stations", new JsonArray().add(simStation("asm", "assemble", 400, null))))
        .add(new JsonObject().put("name", "release").put("depends_on", new JsonArray().add("plan"))
            .put("stations", new JsonArray().add(simStation("asm", "assemble", 10, null)))));
    assertEquals(201, node.apiAs("admin").post("/api/v1/lines", new JsonObject().put("definition", line).put("note", "fan-out")).status());
    node.createProject("fan", "fan30");
    open("fan");
    node.executor(2, "e1");
    node.executor(2, "e2");
    node.api.post("/production/start?project=fan", new JsonObject());

    By head = By.cssSelector(".family-head[data-document-type='epic']");
    By toggle = By.cssSelector(".family-head[data-document-type='epic'] button.fanout-toggle");
    By childRows = By.cssSelector("#tracks .track[data-document-type='epic']");

    // While the children run the page says what the server says, word for word (read before and after the page).
    String midway = browser.waiting(Duration.ofSeconds(60)).pollingEvery(Duration.ofMillis(50)).until(d -> {
      String before = serverProgress("fan");
      String page = pageProgress();
      return before != null && before.equals(page) && page.equals(serverProgress("fan")) && !before.startsWith("30 of") ? page : null;
    });
    assertTrue(midway.matches("\\d+ of 30 stabilized"), midway);
    assertEquals(1, browser.driver.findElements(head).size(), "the 30 children are one row");
    assertTrue(browser.driver.findElements(childRows).isEmpty(), "no child row while collapsed");
    assertTrue(browser.driver.findElements(By.cssSelector(".fanout-summary[data-document-type='epic']")).isEmpty(), "no '+N more' row besides");
    browser.screenshot("dashboard-fan-out-collapsed");

    WebElement button = browser.driver.findElement(toggle);
    assertEquals("Show all 30", button.getText());
    assertEquals("false", button.getAttribute("aria-expanded"));
    button.click();
    browser.waiting(Duration.ofSeconds(10)).until(d -> d.findElements(childRows).size() == 30);
    assertEquals("true", browser.driver.findElement(toggle).getAttribute("aria-expanded"));
    browser.driver.findElement(toggle).click();
    browser.waiting(Duration.ofSeconds(10)).until(d -> d.findElements(childRows).isEmpty());

    // The progress moves on as the children stabilize, to the server's last word.
    browser.waiting(Duration.ofSeconds(90)).until(d -> "30 of 30 stabilized".equals(pageProgress()));
    assertEquals(serverProgress("fan"), pageProgress());
    node.awaitProduction("fan", p -> "complete".equals(p.getString("line_state")), Duration.ofSeconds(60));
    browser.waiting(Duration.ofSeconds(20)).until(d -> tracks("stabilized").size() == 2);

    // The expand control is a real button, reached with Tab and pressed with Enter.
    WebElement control = browser.driver.findElement(toggle);
    assertEquals("button", control.getTagName());
    browser.driver.executeScript("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);");
    Actions keys = new Actions(browser.driver);
    int presses = 0;
    while (!control.equals(browser.driver.switchTo().activeElement()) && presses++ < 400) {
      keys.sendKeys(Keys.TAB).perform();
    }
    assertEquals(control, browser.driver.switchTo().activeElement(), "Tab reaches the fan-out's button");
    keys.sendKeys(Keys.ENTER).perform();
    browser.waiting(Duration.ofSeconds(10)).until(d -> d.findElements(childRows).size() == 30);
    assertEquals(30, tracks("stabilized").size() - 2, "the 30 children, each stabilized");
    assertEquals("Collapse", browser.driver.findElement(toggle).getText());
    assertEquals(control, browser.driver.switchTo().activeElement(), "the focus stays on the button it pressed");
    assertTrue(stayedOnPage(), "the page updated in place");
  }
}
