package io.productionline.line;

import java.util.List;

/**
 * One kind of document a line produces: its dependencies, its stations in order, the circuit
 * breaker for remediation ({@code max_remediations}) and the limits for lost work
 * ({@code max_attempts}, {@code backoff}).
 */
public record DocumentType(
    String name,
    String title,
    List<String> dependsOn,
    List<StationDef> stations,
    Integer maxRemediations,
    Integer maxAttempts,
    Backoff backoff,
    Integer priority) {

  public static final int DEFAULT_MAX_REMEDIATIONS = 2;
  public static final int DEFAULT_MAX_ATTEMPTS = 3;
  public static final int DEFAULT_PRIORITY = 5;

  public DocumentType {
    title = title == null ? name : title;
    dependsOn = dependsOn == null ? List.of() : List.copyOf(dependsOn);
    stations = stations == null ? List.of() : List.copyOf(stations);
    maxRemediations = maxRemediations == null ? DEFAULT_MAX_REMEDIATIONS : maxRemediations;
    maxAttempts = maxAttempts == null ? DEFAULT_MAX_ATTEMPTS : maxAttempts;
    backoff = backoff == null ? Backoff.DEFAULT : backoff;
    priority = priority == null ? DEFAULT_PRIORITY : priority;
  }

  public StationDef station(int index) {
    return stations.get(index);
  }
}
