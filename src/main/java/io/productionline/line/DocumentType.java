package io.productionline.line;

import java.util.List;

/**
 * One kind of document a line produces: its dependencies, its stations in order, the circuit
 * breaker for remediation ({@code max_remediations}), the limits for lost work
 * ({@code max_attempts}, {@code backoff}) and, optionally, its fan-out ({@link FanOut}: one child
 * track per item a station's result lists).
 */
public record DocumentType(
    String name,
    String title,
    List<String> dependsOn,
    List<StationDef> stations,
    Integer maxRemediations,
    Integer maxAttempts,
    Backoff backoff,
    Integer priority,
    // Left out of the JSON when there is none, so the stored definitions (and their content hashes) of lines without a
    // fan-out are what they were before fan-out existed.
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL) FanOut fanOut) {

  public static final int DEFAULT_MAX_REMEDIATIONS = 2;
  public static final int DEFAULT_MAX_ATTEMPTS = 3;
  public static final int DEFAULT_PRIORITY = 5;

  @com.fasterxml.jackson.annotation.JsonCreator
  public DocumentType {
    title = title == null ? name : title;
    dependsOn = dependsOn == null ? List.of() : List.copyOf(dependsOn);
    stations = stations == null ? List.of() : List.copyOf(stations);
    maxRemediations = maxRemediations == null ? DEFAULT_MAX_REMEDIATIONS : maxRemediations;
    maxAttempts = maxAttempts == null ? DEFAULT_MAX_ATTEMPTS : maxAttempts;
    backoff = backoff == null ? Backoff.DEFAULT : backoff;
    priority = priority == null ? DEFAULT_PRIORITY : priority;
  }

  /** A type without fan-out. */
  public DocumentType(String name, String title, List<String> dependsOn, List<StationDef> stations, Integer maxRemediations,
                      Integer maxAttempts, Backoff backoff, Integer priority) {
    this(name, title, dependsOn, stations, maxRemediations, maxAttempts, backoff, priority, null);
  }

  public StationDef station(int index) {
    return stations.get(index);
  }
}
