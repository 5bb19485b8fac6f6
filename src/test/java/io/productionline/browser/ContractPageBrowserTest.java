package io.productionline.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.Browser;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/** The contract as a page: {@code /openapi.html} renders what {@code /openapi.json} says, without a token. */
@DisplayName("The contract page renders every operation of the served contract")
class ContractPageBrowserTest {

  @Test
  @DisplayName("every documented operation is listed with its method, path and roles, and the filter narrows the list")
  void rendersTheContract() {
    try (TestNode node = TestNode.start(); Browser browser = new Browser()) {
      JsonObject doc = node.api.get("/openapi.json").json();
      int operations = doc.getJsonObject("paths").stream().mapToInt(e -> ((JsonObject) e.getValue()).size()).sum();
      browser.driver.get(node.api.base() + "/openapi.html");
      browser.waiting(Duration.ofSeconds(20)).until(d -> d.findElements(By.cssSelector("details.op")).size() == operations);

      WebElement mint = browser.driver.findElement(By.id("mintToken"));
      assertEquals("post", mint.findElement(By.cssSelector(".method")).getText().toLowerCase());
      assertEquals("/api/v1/tokens", mint.findElement(By.cssSelector(".path")).getText());
      assertEquals("admin", mint.findElement(By.cssSelector(".roles")).getText().trim());
      assertTrue(browser.driver.findElement(By.id("getHealth")).getText().contains("open"));

      browser.driver.findElement(By.id("filter")).sendKeys("heartbeat");
      List<WebElement> shown = browser.driver.findElements(By.cssSelector("details.op")).stream().filter(WebElement::isDisplayed).toList();
      assertEquals(List.of("heartbeat"), shown.stream().map(e -> e.getAttribute("id")).toList());
    }
  }
}
