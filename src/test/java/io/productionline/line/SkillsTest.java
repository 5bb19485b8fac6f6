package io.productionline.line;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Skills: reusable steps stations name by id")
class SkillsTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Map<String, Skill> TEST_SKILLS = Skills.loadDirectory(MAPPER, Path.of("src/test/resources/skills"));

  @Test
  @DisplayName("SKILL.md front matter gives name, description, inputs, outputs, tags and trust (lists inline or as bullets)")
  void frontMatter() {
    Skills.Header h = Skills.parseHeader("""
        ---
        name: Markdown audit
        description: "Checks sections"
        inputs: [document, sections]
        outputs:
          - findings
          - score
        tags: [audit, markdown]
        trust: community
        ---
        # Markdown audit
        """);
    assertEquals("Markdown audit", h.name());
    assertEquals("Checks sections", h.description());
    assertEquals(List.of("document", "sections"), h.inputs());
    assertEquals(List.of("findings", "score"), h.outputs());
    assertEquals(List.of("audit", "markdown"), h.tags());
    assertEquals("community", h.trust());
  }

  @Test
  @DisplayName("without front matter, the header block is read: title, first paragraph, Inputs, Outputs, Tags and Trust sections")
  void headerBlock() {
    Skills.Header h = Skills.parseHeader("# Analyze Transcript\n\nExtracts key insights\nfrom transcripts.\n\n## Inputs\n- transcript\n"
        + "- personas\n\n## Tags\nresearch, analysis\n\n## Trust\nExperimental, still in development\n");
    assertEquals("Analyze Transcript", h.name());
    assertEquals("Extracts key insights from transcripts.", h.description());
    assertEquals(List.of("transcript", "personas"), h.inputs());
    assertEquals(List.of("research", "analysis"), h.tags());
    assertEquals("experimental", h.trust());
  }

  @Test
  @DisplayName("an unknown front-matter key is refused, named")
  void unknownKey() {
    LineValidationException e = assertThrows(LineValidationException.class,
        () -> Skills.parseHeader("---\nname: x\ntrusted: yes\n---\n"));
    assertTrue(e.getMessage().contains("key \"trusted\" is unknown"), e.getMessage());
  }

  @Test
  @DisplayName("the shipped skills under conf/skills load and are valid")
  void shippedSkills() {
    Map<String, Skill> shipped = Skills.loadDirectory(MAPPER, Path.of("conf/skills"));
    assertTrue(shipped.keySet().containsAll(List.of("sim-assemble", "sim-audit", "markdown-sections-audit", "http-webhook")),
        shipped.keySet().toString());
    assertEquals(TrustLevel.VETTED, shipped.get("sim-assemble").trustLevel());
    assertEquals(TrustLevel.COMMUNITY, shipped.get("markdown-sections-audit").trustLevel());
    assertEquals("shell", shipped.get("markdown-sections-audit").step().type());
    assertEquals(TrustLevel.EXPERIMENTAL, shipped.get("http-webhook").trustLevel());
  }

  @Test
  @DisplayName("a skill's trust comes from SKILL.md, or from step.json when SKILL.md does not say")
  void trustSource() {
    assertEquals("vetted", TEST_SKILLS.get("fast-assemble").trust());
    assertEquals("vetted", TEST_SKILLS.get("fast-audit").trust());
    assertEquals("community", TEST_SKILLS.get("community-assemble").trust());
  }

  @Test
  @DisplayName("a skill directory that cannot be used is refused with every problem named")
  void brokenSkills(@TempDir Path dir) throws IOException {
    Files.createDirectories(dir.resolve("no-step"));
    Files.writeString(dir.resolve("no-step/SKILL.md"), "---\ntrust: vetted\n---\n");
    Files.createDirectories(dir.resolve("disagrees"));
    Files.writeString(dir.resolve("disagrees/SKILL.md"), "---\ntrust: vetted\n---\n");
    Files.writeString(dir.resolve("disagrees/step.json"), "{\"type\": \"sim\", \"trust\": \"community\"}");
    Files.createDirectories(dir.resolve("no-command"));
    Files.writeString(dir.resolve("no-command/SKILL.md"), "---\ntrust: vetted\n---\n");
    Files.writeString(dir.resolve("no-command/step.json"), "{\"type\": \"shell\"}");
    Files.createDirectories(dir.resolve("no-trust"));
    Files.writeString(dir.resolve("no-trust/SKILL.md"), "# No trust\n");
    Files.writeString(dir.resolve("no-trust/step.json"), "{\"type\": \"sim\", \"extra\": 1}");
    LineValidationException e = assertThrows(LineValidationException.class, () -> Skills.loadDirectory(MAPPER, dir));
    String all = String.join("\n", e.problems());
    assertTrue(all.contains("skill \"no-step\"") && all.contains("needs both SKILL.md and step.json"), all);
    assertTrue(all.contains("step.json says trust community but SKILL.md says vetted"), all);
    assertTrue(all.contains("params.command is missing"), all);
    assertTrue(all.contains("skill \"no-trust\"") && all.contains("step.json cannot be read"), all);
  }

  @Test
  @DisplayName("a missing skills directory holds no skills")
  void missingDirectory() {
    assertEquals(Map.of(), Skills.loadDirectory(MAPPER, Path.of("does/not/exist")));
  }

  // ---- lines that name skills

  private static LineDefinition line(StepDef asm, String automation) {
    return new LineDefinition("skilled", null, null, List.of(new DocumentType("doc", null, List.of(), List.of(
        new StationDef("asm", "assemble", "sim", null, null, automation, asm, List.of(), null),
        new StationDef("aud", "audit", "sim", null, null, "fully_auto", new StepDef(null, null, "fast-audit", Map.of()), List.of(), null)),
        null, null, null, null)));
  }

  @Test
  @DisplayName("a station that names a skill runs the skill's step, with its own params laid over the skill's")
  void resolvesReferences() {
    LineDefinition raw = line(new StepDef(null, null, "fast-assemble", Map.of("needs_input_share", 1.0)), "fully_auto");
    assertEquals(List.of(), LineValidator.problems(raw, TEST_SKILLS));
    LineDefinition resolved = Skills.resolve(raw, TEST_SKILLS);
    StepDef step = resolved.documentTypes().get(0).station(0).step();
    assertEquals("sim", step.type());
    assertEquals("vetted", step.trust());
    assertEquals("fast-assemble", step.skill());
    assertEquals(Map.of("duration_ms", 10, "needs_input_share", 1.0), step.params());
    assertEquals(List.of(), LineValidator.problems(resolved), "a resolved line is valid on its own");
  }

  @Test
  @DisplayName("the validator refuses an unknown skill, naming the known ones")
  void unknownSkill() {
    List<String> problems = LineValidator.problems(line(new StepDef(null, null, "nope", Map.of()), "fully_auto"), TEST_SKILLS);
    assertEquals(List.of("document type \"doc\": stations[0] (\"asm\") step.skill \"nope\" is unknown; "
        + "known skills: community-assemble, fast-assemble, fast-audit"), problems);
  }

  @Test
  @DisplayName("fully_auto may not run a skill that is not vetted; other automation levels may")
  void trustRuleUsesTheSkill() {
    StepDef community = new StepDef(null, null, "community-assemble", Map.of());
    assertEquals(List.of("document type \"doc\": stations[0] (\"asm\") automation fully_auto runs only vetted steps; "
        + "skill \"community-assemble\" is community"), LineValidator.problems(line(community, "fully_auto"), TEST_SKILLS));
    assertEquals(List.of(), LineValidator.problems(line(community, "human_approval"), TEST_SKILLS));
    assertEquals(List.of(), LineValidator.problems(line(community, "auto_notify"), TEST_SKILLS));
  }

  @Test
  @DisplayName("a station cannot raise a skill's trust or change its step type")
  void stationCannotChangeTheSkill() {
    List<String> problems = LineValidator.problems(line(new StepDef("shell", "vetted", "community-assemble", Map.of()), "auto_notify"),
        TEST_SKILLS);
    assertTrue(problems.contains("document type \"doc\": stations[0] (\"asm\") step.type \"shell\" does not match skill "
        + "\"community-assemble\", which is a sim step"), problems.toString());
    assertTrue(problems.contains("document type \"doc\": stations[0] (\"asm\") step.trust \"vetted\" does not match skill "
        + "\"community-assemble\", which is community; a station cannot change a skill's trust"), problems.toString());
  }

  @Test
  @DisplayName("Lines.parse with a catalog validates the references and resolves them")
  void parseWithSkills() {
    String json = """
        {"name": "p", "document_types": [{"name": "d", "stations": [
          {"id": "asm", "kind": "asm", "step": {"skill": "fast-assemble"}},
          {"id": "aud", "kind": "aud", "step": {"skill": "fast-audit", "params": {"reject_share": 1.0}}}]}]}""";
    LineDefinition line = Lines.parse(MAPPER, json, TEST_SKILLS);
    assertEquals("sim", line.documentTypes().get(0).station(1).step().type());
    assertEquals(1.0, line.documentTypes().get(0).station(1).step().params().get("reject_share"));
    LineValidationException e = assertThrows(LineValidationException.class,
        () -> Lines.parse(MAPPER, json.replace("fast-assemble", "community-assemble"), TEST_SKILLS));
    assertTrue(e.getMessage().contains("skill \"community-assemble\" is community"), e.getMessage());
  }
}
