package io.productionline.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Browser;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The control center modes of the dashboard (Run, Inspect, Plan) in headless Chromium. After the
 * first load the page only listens: a counter around {@code fetch} shows it never asks for the
 * metrics or the inbox again while they change.
 */
@DisplayName("The control center in headless Chromium: Run, Inspect and Plan, every view updated by push")
class ControlCenterBrowserTest {

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
    browser.driver.get(node.api.base() + "/?project=" + project + "&token=" + node.operatorToken());
    browser.waiting(Duration.ofSeconds(20)).until(ExpectedConditions.attributeToBe(By.id("bridge-state"), "data-state", "live"));
    browser.waiting(Duration.ofSeconds(20)).until(d -> !d.findElements(By.cssSelector("#tracks .track")).isEmpty());
    browser.waiting(Duration.ofSeconds(20)).until(d -> d.findElements(By.cssSelector("#inbox-list .empty-note")).stream()
        .anyMatch(e -> e.getText().startsWith("Inbox empty")) || !d.findElements(By.cssSelector("#inbox-list .inbox-item")).isEmpty());
    // A marker a navigation or reload would wipe out, and a counter of every request the page makes from now on.
    browser.driver.executeScript("window.__stayedOnPage = true; window.__fetches = [];"
        + "const f = window.fetch; window.fetch = (...a) => { window.__fetches.push(String(a[0])); return f(...a); };");
  }

  @SuppressWarnings("unchecked")
  private List<String> fetches() {
    return (List<String>) browser.driver.executeScript("return window.__fetches;");
  }

  private String text(String selector) {
    Object t = browser.driver.executeScript("const e = document.querySelector(arguments[0]); return e ? e.innerText : '';", selector);
    return String.valueOf(t);
  }

  private boolean stayedOnPage() {
    return Boolean.TRUE.equals(browser.driver.executeScript("return window.__stayedOnPage === true;"));
  }

  @Test
  @DisplayName("Inspect highlights the slow station as the bottleneck with its evidence; Plan shows the finish and what one more executor would change")
  void inspectShowsTheBottleneck() throws Exception {
    List<String> projects = List.of("slow-1", "slow-2", "slow-3", "slow-4", "slow-5");
    for (String p : projects) {
      node.createProject(p, "flow_slow");
    }
    node.executor("fast-1", "flow_fast");
    node.executor("slow-1", "flow_slow");
    open("slow-5");
    for (String p : projects) {
      node.api.post("/production/start?project=" + p, new JsonObject());
    }

    // Run: slow-5 waits its turn at assembly; its row says why, and when it should finish.
    By row = By.cssSelector("#tracks .track[data-document-type='item']");
    browser.waiting(Duration.ofSeconds(30)).until(d -> !d.findElements(By.cssSelector("#tracks .track .wait-text[data-cause]")).isEmpty()
        && !d.findElements(By.cssSelector("#tracks .track .track-eta.countdown")).isEmpty());
    assertTrue(browser.driver.findElement(row).getText().contains("ETA"), browser.driver.findElement(row).getText());
    browser.screenshot("run-why-eta");

    // Plan, while the line moves: a finish time, and one more flow_slow executor would bring it forward.
    browser.driver.findElement(By.id("mode-plan")).click();
    browser.waiting(Duration.ofSeconds(30)).until(d -> !d.findElements(By.cssSelector("#plan-what-if .what-if.helps[data-capability='flow_slow']")).isEmpty()
        && !d.findElements(By.cssSelector("#plan-finish .plan-eta.countdown")).isEmpty());
    assertTrue(text("#plan-finish").contains("ETA"), text("#plan-finish"));
    assertTrue(!browser.driver.findElements(By.cssSelector("#plan-tracks .plan-track")).isEmpty());
    assertTrue(!browser.driver.findElements(By.cssSelector("#plan-capacity .cap-line[data-capability='flow_slow']")).isEmpty());
    browser.screenshot("plan-forecast");

    // Inspect: the slow station is the bottleneck, highlighted, with its evidence.
    browser.driver.findElement(By.id("mode-inspect")).click();
    By bottleneckRow = By.cssSelector("#flow-stations .flow-station.bottleneck[data-station='asm'][data-document-type='item']");
    browser.waiting(Duration.ofSeconds(60)).until(ExpectedConditions.presenceOfElementLocated(bottleneckRow));
    browser.waiting(Duration.ofSeconds(30)).until(ExpectedConditions.attributeToBe(By.id("bottleneck"), "data-station", "asm"));
    browser.waiting(Duration.ofSeconds(30)).until(ExpectedConditions.attributeToBe(By.id("bottleneck"), "data-measured", "true"));
    // The view is redrawn on every push: read it in one go.
    String card = text("#bottleneck");
    assertTrue(card.contains("asm of item limits the line"), card);
    assertTrue(card.contains("Utilisation"), card);
    assertEquals(1L, browser.driver.executeScript("return document.querySelectorAll('#flow-stations .flow-station.bottleneck').length;"),
        "one station is the bottleneck");
    assertTrue(text("#flow-stations .flow-station.bottleneck").toLowerCase().contains("bottleneck"));
    assertTrue(!browser.driver.findElements(By.cssSelector("#remediation-loops .loop-stat[data-audit='aud']")).isEmpty());
    assertTrue(!browser.driver.findElements(By.cssSelector("#capability-use .cap-row.bottleneck[data-capability='flow_slow']")).isEmpty());
    Path shot = browser.screenshot("inspect-bottleneck");
    assertTrue(Files.size(shot) > 10_000, "a real screenshot was saved");

    browser.driver.findElement(By.id("mode-run")).click();
    browser.waiting(Duration.ofSeconds(60)).until(d -> d.findElements(By.cssSelector("#tracks .track[data-state='stabilized']")).size() == 1);
    browser.driver.findElement(By.id("mode-inspect")).click();
    browser.waiting(Duration.ofSeconds(30)).until(d -> text("#line-flow").contains("5 finished"));

    assertTrue(stayedOnPage(), "tabs switch in place; no navigation");
    List<String> asked = fetches();
    assertTrue(asked.stream().noneMatch(u -> u.contains("/production/metrics") || u.contains("/api/v1/inbox")),
        "the views changed by push only; the page asked for: " + asked);
  }

  @Test
  @DisplayName("The inbox shows an approval from another project with its SLA countdown, pushed as it opens")
  void inboxAcrossProjects() {
    node.createProject("watched", "flow_inbox");
    node.createProject("elsewhere", "flow_inbox");
    open("watched");
    node.api.post("/production/start?project=elsewhere&doc=approve", new JsonObject());
    By item = By.cssSelector("#inbox-list .inbox-item[data-kind='approval'][data-project='elsewhere']");
    browser.waiting(Duration.ofSeconds(20)).until(ExpectedConditions.presenceOfElementLocated(item));
    WebElement el = browser.driver.findElement(item);
    browser.waiting(Duration.ofSeconds(5)).until(d -> el.findElement(By.cssSelector(".sla")).getText().matches("SLA 1[45] m \\d\\d s left"));
    assertEquals("1", browser.driver.findElement(By.id("inbox-count")).getText());
    browser.screenshot("inbox-sla");
    assertTrue(fetches().stream().noneMatch(u -> u.contains("/api/v1/inbox")), "pushed: " + fetches());

    el.click();
    browser.waiting(Duration.ofSeconds(20)).until(ExpectedConditions.presenceOfElementLocated(
        By.cssSelector("#inbox .interrupt[data-type='approval']")));
    assertTrue(stayedOnPage(), "switching to the other project happens in place");
  }
}
