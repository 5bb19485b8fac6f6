package io.productionline.line;

import java.util.List;

/**
 * A reusable step under {@code conf/skills/<id>/}: {@code SKILL.md} says what it is (name,
 * description, inputs, outputs, tags, trust level) and {@code step.json} is the step it runs.
 * Stations name it with {@code "step": {"skill": "<id>"}}; their own {@code params} are laid over
 * the skill's. A skill's trust level is the one that counts for the {@code fully_auto} rule.
 */
public record Skill(
    String id,
    String name,
    String description,
    List<String> inputs,
    List<String> outputs,
    List<String> tags,
    String trust,
    StepDef step) {

  public Skill {
    name = name == null || name.isBlank() ? id : name;
    description = description == null ? "" : description;
    inputs = inputs == null ? List.of() : List.copyOf(inputs);
    outputs = outputs == null ? List.of() : List.copyOf(outputs);
    tags = tags == null ? List.of() : List.copyOf(tags);
  }

  public TrustLevel trustLevel() {
    return trust == null ? TrustLevel.EXPERIMENTAL : TrustLevel.parse(trust).orElse(TrustLevel.EXPERIMENTAL);
  }
}
