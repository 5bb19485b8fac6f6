package io.productionline.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Browser;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

@DisplayName("The line designer in headless Chromium")
class DesignBrowserTest {

  private static final Duration WAIT = Duration.ofSeconds(20);

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

  private void openDesign(String role) {
    browser.driver.get(node.api.base() + "/?token=" + node.token(role) + "#design");
    browser.waiting(WAIT).until(ExpectedConditions.visibilityOfElementLocated(By.id("design-view")));
    browser.waiting(WAIT).until(d -> d.findElements(By.cssSelector("#design-line option")).size() > 1);
  }

  /** An admin starts a new line named {@code name} in the designer. */
  private void newLine(String name) {
    openDesign("admin");
    byId("design-new").click();
    byId("design-name").sendKeys(name);
  }

  /** Adds a document type and waits for it on the graph. */
  private void addType(String type) {
    byId("design-type-name").sendKeys(type);
    byId("design-add-type").click();
    browser.waiting(WAIT).until(d -> !d.findElements(By.cssSelector(".design-node[data-type='" + type + "']")).isEmpty());
  }

  private WebElement byId(String id) {
    return browser.driver.findElement(By.id(id));
  }

  /** Selects a type on the graph (graph and panel are redrawn when the validator answers: find them afresh). */
  private void pick(String type) {
    browser.waiting(WAIT).ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(d -> {
      d.findElement(By.cssSelector(".design-node[data-type='" + type + "']")).click();
      return d.findElement(By.cssSelector("#design-type h3")).getText().equals(type);
    });
  }

  private void addStation(String kind) {
    new Select(byId("design-preset-kind")).selectByValue(kind);
    new Select(byId("design-preset-step")).selectByValue("sim");
    int before = browser.driver.findElements(By.cssSelector("#design-type .design-station")).size();
    browser.waiting(WAIT).ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(d -> {
      WebElement add = d.findElement(By.id("design-add-station"));
      // Into the middle of the view: scrolled only to its edge, the button can sit under the status bar at the top.
      ((org.openqa.selenium.JavascriptExecutor) d).executeScript("arguments[0].scrollIntoView({block: 'center'})", add);
      add.click();
      return true;
    });
    browser.waiting(WAIT).until(d -> d.findElements(By.cssSelector("#design-type .design-station")).size() == before + 1);
  }

  /** Toggles a dependency of the selected type (the panel is redrawn when the validator answers: find it afresh). */
  private void dependOn(String dependency) {
    By box = By.cssSelector("#design-type input[data-dep='" + dependency + "']");
    boolean was = browser.driver.findElement(box).isSelected();
    browser.waiting(WAIT).ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(d -> {
      WebElement e = d.findElement(box);
      if (e.isSelected() == was) {
        // Into the middle of the view: scrolled only to its edge, the box can sit under the status bar at the top.
        ((org.openqa.selenium.JavascriptExecutor) d).executeScript("arguments[0].scrollIntoView({block: 'center'})", e);
        e.click();
      }
      return d.findElement(box).isSelected() != was;
    });
  }

  private void awaitStatus(String state) {
    browser.waiting(WAIT).until(ExpectedConditions.attributeToBe(By.id("design-status"), "data-state", state));
  }

  private Set<String> inCycle() {
    return browser.driver.findElements(By.cssSelector(".design-node.in-cycle")).stream()
        .map(e -> e.getAttribute("data-type")).collect(Collectors.toSet());
  }

  @Test
  @DisplayName("a three-type line built from scratch: a cycle is refused with its members named on the graph, fixed, "
      + "saved as version 1, and a project of it runs to the end")
  void buildSaveAndRun() {
    newLine("designed");
    for (String type : List.of("spec", "code", "tests")) {
      addType(type);
      pick(type);
      addStation("assemble");
      addStation("audit");
    }
    // code depends on spec: drawn on the graph, dragging from spec to code.
    browser.waiting(WAIT).until(d -> !"checking".equals(d.findElement(By.id("design-status")).getAttribute("data-state")));
    new Actions(browser.driver).dragAndDrop(browser.driver.findElement(By.cssSelector(".design-node[data-type='spec'] .node-box")),
        browser.driver.findElement(By.cssSelector(".design-node[data-type='code'] .node-box"))).perform();
    browser.waiting(WAIT).until(d -> !d.findElements(By.cssSelector(".design-edge[data-from='spec'][data-to='code']")).isEmpty());
    // tests depends on code: drawn from the keyboard, "c" on code, Enter on tests.
    browser.driver.executeScript("arguments[0].focus();", browser.driver.findElement(By.cssSelector(".design-node[data-type='code']")));
    new Actions(browser.driver).sendKeys("c").perform();
    browser.waiting(WAIT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("design-graph-note"), "A dependency from code"));
    browser.driver.executeScript("arguments[0].focus();", browser.driver.findElement(By.cssSelector(".design-node[data-type='tests']")));
    new Actions(browser.driver).sendKeys(Keys.ENTER).perform();
    browser.waiting(WAIT).until(d -> !d.findElements(By.cssSelector(".design-edge[data-from='code'][data-to='tests']")).isEmpty());
    pick("spec");
    dependOn("tests");

    awaitStatus("findings");
    browser.waiting(WAIT).until(d -> inCycle().size() == 3);
    assertEquals(Set.of("spec", "code", "tests"), inCycle());
    String note = byId("design-graph-note").getText();
    assertTrue(note.contains("Dependency cycle") && note.contains("spec") && note.contains("code") && note.contains("tests"), note);
    assertFalse(byId("design-save").isEnabled(), "a line with a cycle cannot be saved");
    browser.screenshot("design-cycle");

    // spec no longer depends on tests: the edge is removed from the keyboard.
    WebElement edge = browser.driver.findElement(By.cssSelector(".design-edge[data-from='tests'][data-to='spec']"));
    browser.driver.executeScript("arguments[0].focus();", edge);
    new Actions(browser.driver).sendKeys(Keys.DELETE).perform();
    browser.waiting(WAIT).until(d -> d.findElements(By.cssSelector(".design-edge[data-from='tests'][data-to='spec']")).isEmpty());
    awaitStatus("valid");
    assertTrue(inCycle().isEmpty());
    byId("design-note").sendKeys("first cut, from the designer");
    byId("design-save").click();
    browser.waiting(WAIT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("design-save-note"), "Saved version 1 of designed"));
    assertEquals("first cut, from the designer",
        node.sql("SELECT note FROM line_versions WHERE line = 'designed' AND version = 1").get(0).getString(0));
    assertEquals(1L, node.sql("SELECT count(*) FROM audit_log WHERE action = 'create_line' AND actor = 'admin'").get(0).getLong(0));
    browser.screenshot("design-saved");

    // A second version: code gets a remediation station; the diff against version 1 names it.
    pick("code");
    addStation("remediate");
    awaitStatus("valid");
    byId("design-note").sendKeys("code remediates");
    byId("design-save").click();
    browser.waiting(WAIT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("design-save-note"), "Saved version 2 of designed"));
    browser.waiting(WAIT).until(d -> !d.findElements(By.cssSelector("#design-diff .design-change")).isEmpty());
    List<String> changes = browser.driver.findElements(By.cssSelector("#design-diff .design-change")).stream()
        .map(e -> e.getAttribute("data-path")).toList();
    assertEquals(List.of("document_types[code].stations[rem]"), changes);
    browser.screenshot("design-diff");

    // The project is made from version 1, picked in the version list.
    new Select(byId("design-version")).selectByValue("1");
    browser.waiting(WAIT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("design-create-project"), "designed v1"));
    node.executor("e1");
    browser.waiting(WAIT).until(ExpectedConditions.elementToBeClickable(By.id("design-create-project"))).click();
    browser.waiting(WAIT).until(d -> d.getCurrentUrl().contains("project=designed-v1"));
    browser.waiting(Duration.ofSeconds(60)).until(d -> d.findElements(By.cssSelector("#tracks .track[data-state='stabilized']")).size() == 3);
    assertTrue(byId("line-title").getText().contains("v1"), byId("line-title").getText());
    assertEquals(1, node.sql("SELECT line_version FROM projects WHERE line = 'designed'").get(0).getInteger(0));
  }

  @Test
  @DisplayName("Add station stays where it is when the validator answers, and a click on it pressed before an edit "
      + "redraws the type's editor and released after adds the station")
  void addStationStaysPut() {
    newLine("steady");
    addType("spec");
    addType("code");
    pick("code");
    awaitStatus("findings");
    int y = byId("design-add-station").getLocation().getY();
    addStation("assemble");
    awaitStatus("findings");
    assertEquals(y, byId("design-add-station").getLocation().getY(), "a station added and the findings answered do not move the button");

    // Pressed; then an edit redraws the editor (as the validator's answer does, but on cue); then released.
    int before = browser.driver.findElements(By.cssSelector("#design-type .design-station")).size();
    new Actions(browser.driver).clickAndHold(byId("design-add-station")).perform();
    browser.driver.executeScript("document.querySelector(\"#design-type input[data-dep='spec']\").click();");
    new Actions(browser.driver).release().perform();
    browser.waiting(WAIT).until(d -> d.findElements(By.cssSelector("#design-type .design-station")).size() == before + 1);
    assertTrue(browser.driver.findElement(By.cssSelector("#design-type input[data-dep='spec']")).isSelected(),
        "the edit made while the button was held stands");
  }

  @Test
  @DisplayName("a viewer sees a line in the designer read-only")
  void viewerReadsOnly() {
    openDesign("viewer");
    new Select(byId("design-line")).selectByValue("fast");
    browser.waiting(WAIT).until(d -> d.findElements(By.cssSelector(".design-node")).size() == 4);
    assertTrue(byId("design-readonly").isDisplayed());
    assertFalse(byId("design-save").isEnabled());
    assertFalse(byId("design-add-type").isEnabled());
    pick("left");
    assertFalse(browser.driver.findElement(By.cssSelector("#design-type input[data-dep='root']")).isEnabled());
  }

  /** Types into a fan-out field of the selected type and leaves it (the panel is redrawn when the validator answers: find it afresh). */
  private void fanOutField(String field, String value) {
    By input = By.cssSelector("#design-type [data-fk='fanout:" + field + "']");
    browser.waiting(WAIT).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .ignoring(org.openqa.selenium.ElementNotInteractableException.class).until(d -> {
      WebElement e = d.findElement(input);
      e.clear();
      e.sendKeys(value, Keys.TAB);
      return true;
    });
    browser.waiting(WAIT).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .until(d -> value.equals(d.findElement(input).getAttribute("value")));
  }

  @Test
  @DisplayName("a fan_out set in the type's editor is saved into the version; a wrong child_type shows the validator's finding on its field")
  void fanOutInTheEditor() {
    JsonObject asm = new JsonObject().put("id", "asm").put("kind", "assemble").put("capability", "sim")
        .put("step", new JsonObject().put("type", "sim").put("trust", "vetted").put("params", new JsonObject().put("duration_ms", 10)));
    JsonObject line = new JsonObject().put("name", "plans").put("document_types", new JsonArray()
        .add(new JsonObject().put("name", "plan").put("stations", new JsonArray().add(asm)))
        .add(new JsonObject().put("name", "epic").put("stations", new JsonArray().add(asm)))
        .add(new JsonObject().put("name", "release").put("depends_on", new JsonArray().add("plan")).put("stations", new JsonArray().add(asm))));
    assertEquals(201, node.apiAs("admin").post("/api/v1/lines", new JsonObject().put("definition", line).put("note", "no fan-out")).status());
    openDesign("admin");
    new Select(byId("design-line")).selectByValue("plans");
    browser.waiting(WAIT).until(d -> d.findElements(By.cssSelector(".design-node")).size() == 3);
    pick("plan");
    browser.waiting(WAIT).ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(d -> {
      d.findElement(By.id("design-fanout-on")).click();
      return !d.findElements(By.cssSelector("#design-type [data-fk='fanout:station']")).isEmpty();
    });
    assertEquals("asm", browser.driver.executeScript("return document.querySelector(\"#design-type [data-fk='fanout:station']\").value;"),
        "the station is one of the type's");
    fanOutField("items", "epics");
    fanOutField("child_type", "epics");

    // The validator's finding on fan_out.child_type is on the child type's field.
    By childFinding = By.cssSelector("#design-type [data-fan-out-field='child_type'] .finding");
    browser.waiting(WAIT).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .until(d -> d.findElements(childFinding).stream().anyMatch(e -> e.getText().contains("unknown type")));
    @SuppressWarnings("unchecked")
    List<String> finding = (List<String>) browser.driver.executeScript("const f = document.querySelector(\"#design-type "
        + "[data-fan-out-field='child_type'] .finding\"); return [f.dataset.path, f.textContent, "
        + "document.querySelector(\"#design-type [data-fk='fanout:child_type']\").getAttribute('aria-invalid')];");
    assertEquals("document_types[0].fan_out.child_type", finding.get(0));
    assertTrue(finding.get(1).contains("unknown type \"epics\""), finding.get(1));
    assertEquals("true", finding.get(2), "the field is marked invalid");
    assertFalse(byId("design-save").isEnabled(), "a line with a finding cannot be saved");
    browser.screenshot("design-fan-out-finding");

    fanOutField("child_type", "epic");
    fanOutField("max_items", "40");
    awaitStatus("valid");
    assertTrue(browser.driver.findElements(childFinding).isEmpty(), "the finding left with its cause");
    byId("design-note").sendKeys("one epic per item");
    byId("design-save").click();
    browser.waiting(WAIT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("design-save-note"), "Saved version 2 of plans"));
    JsonObject saved = node.sql("SELECT definition FROM line_versions WHERE line = 'plans' AND version = 2").get(0).getJsonObject(0);
    assertEquals(new JsonObject().put("station", "asm").put("items", "epics").put("child_type", "epic").put("max_items", 40),
        saved.getJsonArray("document_types").getJsonObject(0).getJsonObject("fan_out"));
  }
}
