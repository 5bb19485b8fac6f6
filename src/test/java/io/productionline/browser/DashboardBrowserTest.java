package io.productionline.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    assertEquals(3, tracks("blocked").size(), "dependents show as blocked");
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
}
