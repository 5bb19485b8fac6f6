package io.productionline.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.Config;
import io.productionline.support.ServerProcess;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The README's configuration table and the options of {@code serve} say the same as {@link Config#SETTINGS}. */
@DisplayName("Configuration: the README table and serve's options")
class ConfigurationDocsTest {

  @Test
  @DisplayName("every PL_* setting is a row of the README's table with its option")
  void readmeListsEverySetting() throws Exception {
    String readme = Files.readString(ServerProcess.baseDir().resolve("README.md"));
    String table = readme.substring(readme.indexOf("## Configuration"));
    for (Config.Setting s : Config.SETTINGS) {
      assertTrue(table.contains("| `" + s.env() + "` | `" + s.option() + "` |"), "README's configuration table has a row for " + s.env());
    }
  }

  @Test
  @DisplayName("an option of serve sets the variable it is named after, and an unknown one is refused by name")
  void optionsAreVariables() {
    Map<String, String> env = Config.withOptions(new String[] {"--http-port", "9000", "--demo", "off"}, Map.of("PL_HTTP_PORT", "1"));
    assertEquals("9000", env.get("PL_HTTP_PORT"));
    assertEquals(9000, Config.withEnv(new io.vertx.core.json.JsonObject(), env).getJsonObject("http").getInteger("port"));
    assertEquals(false, Config.withEnv(new io.vertx.core.json.JsonObject(), env).getJsonObject("demo").getBoolean("enabled"));
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Config.withOptions(new String[] {"--http-prot", "9000"}, Map.of()));
    assertEquals("unknown option --http-prot", e.getMessage());
    assertEquals(List.of(), Config.SETTINGS.stream().filter(s -> !s.env().startsWith("PL_")).toList());
  }
}
