package io.productionline.line;

import java.util.List;

/**
 * A server-side check at an audit station, on the track's artifacts:
 * {@code artifact_exists} ({@code pattern}), {@code content_check} ({@code artifact}, {@code sections}),
 * {@code metric_threshold} ({@code metric}, {@code operator}, {@code threshold}),
 * {@code verification} ({@code level} 1–6).
 */
public record GateDef(
    String type,
    String pattern,
    String artifact,
    List<String> sections,
    String metric,
    String operator,
    Double threshold,
    Integer level) {

  public static final List<String> TYPES = List.of("artifact_exists", "content_check", "metric_threshold", "verification");

  public GateDef {
    sections = sections == null ? List.of() : List.copyOf(sections);
  }
}
