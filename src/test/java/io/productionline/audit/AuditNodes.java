package io.productionline.audit;

import io.productionline.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.time.Clock;

/** Test nodes for the audit and interrupt tests: their own lines ({@code src/test/resources/audit-lines}) and the test skills. */
public final class AuditNodes {

  public static final String LINES = "src/test/resources/audit-lines";
  public static final String SKILLS = "src/test/resources/skills";

  private AuditNodes() {
  }

  public static JsonObject config() {
    return TestNode.config().put("lines_dir", LINES).put("skills_dir", SKILLS);
  }

  public static TestNode start() {
    return TestNode.start(config(), Clock.systemUTC());
  }
}
