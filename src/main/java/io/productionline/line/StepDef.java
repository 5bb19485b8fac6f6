package io.productionline.line;

import java.util.Map;

/**
 * What an executor runs at a station: a {@code shell}, {@code http} or {@code sim} step with its
 * parameters, or a reference to a skill under {@code conf/skills/}. Parameters by type:
 * <ul>
 *   <li>{@code sim}: {@code duration_ms} (how long the simulated work takes), {@code reject_share}
 *       (audits: the share of runs that report {@code audit_rejected}), {@code reject_limit} (audits:
 *       at most this many rejections per track: the audit rejects only while the task's
 *       {@code remediation_count} is below it, so a demo line always stabilizes; no limit when
 *       absent), {@code needs_input_share} (the share of runs that report {@code needs_input}),
 *       {@code halt_share} (the share of runs that report {@code halted}). Shares are 0–1.</li>
 *   <li>{@code shell}: {@code command}, {@code artifact} (a file the command writes, kept as an artifact);</li>
 *   <li>{@code http}: {@code url}, {@code method}.</li>
 * </ul>
 */
public record StepDef(String type, String trust, String skill, Map<String, Object> params) {

  public StepDef {
    params = params == null ? Map.of() : Map.copyOf(params);
  }

  public StepType stepType() {
    return StepType.parse(type).orElseThrow(() -> new IllegalStateException("unknown step type " + type));
  }

  public TrustLevel trustLevel() {
    return trust == null ? TrustLevel.EXPERIMENTAL : TrustLevel.parse(trust).orElse(TrustLevel.EXPERIMENTAL);
  }
}
