package io.productionline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.productionline.line.TrackState;
import io.productionline.track.StationState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's words and state groups ({@code webroot/js/vocab.js}) held to the Java enums: a
 * state added to {@link TrackState} or {@link StationState} that the page does not know, or a group
 * that says otherwise than the enum's own rule, fails here.
 */
@DisplayName("The dashboard's vocabulary and state groups match the server's enums")
class DashboardVocabularyTest {

  private static final String VOCAB = read();

  private static String read() {
    try {
      return Files.readString(Path.of("webroot/js/vocab.js"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The quoted words of {@code export const NAME = <open> … <close>}. */
  private static List<String> words(String name) {
    Matcher m = Pattern.compile("export const " + name + " = (?:new Set\\()?[\\[{]([^\\]}]*)[\\]}]", Pattern.DOTALL).matcher(VOCAB);
    if (!m.find()) {
      throw new AssertionError("vocab.js has no " + name);
    }
    List<String> out = new ArrayList<>();
    Matcher w = Pattern.compile("'([a-z_]+)'\\s*(:)?|([a-z_]+)\\s*:").matcher(m.group(1));
    while (w.find()) {
      if (w.group(3) != null) {
        out.add(w.group(3));
      } else if (w.group(2) != null || !name.endsWith("_TEXT")) {
        out.add(w.group(1));
      }
    }
    return out;
  }

  private static Set<String> wires(java.util.function.Predicate<TrackState> rule) {
    return Arrays.stream(TrackState.values()).filter(rule).map(TrackState::wire).collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  @DisplayName("TRACK_STATES lists every TrackState in order; URGENCY ranks every one")
  void everyTrackState() {
    assertEquals(Arrays.stream(TrackState.values()).map(TrackState::wire).toList(), words("TRACK_STATES"));
    assertEquals(wires(s -> true), new TreeSet<>(words("URGENCY")));
  }

  @Test
  @DisplayName("ACTIVE, TERMINAL and STOPPING are TrackState's atStation, terminal and stopsLine")
  void groups() {
    assertEquals(wires(TrackState::atStation), new TreeSet<>(words("ACTIVE")));
    assertEquals(wires(TrackState::terminal), new TreeSet<>(words("TERMINAL")));
    assertEquals(wires(TrackState::stopsLine), new TreeSet<>(words("STOPPING")));
  }

  @Test
  @DisplayName("every track state has its own words in trackStateText, every station state in STATION_STATE_TEXT")
  void everyStateHasWords() {
    Set<String> cases = new TreeSet<>();
    Matcher m = Pattern.compile("case '([a-z_]+)': return").matcher(
        VOCAB.substring(VOCAB.indexOf("export function trackStateText"), VOCAB.indexOf("export function shortStateText")));
    while (m.find()) {
      cases.add(m.group(1));
    }
    assertEquals(wires(s -> true), cases);
    assertEquals(Arrays.stream(StationState.values()).map(StationState::wire).collect(Collectors.toCollection(TreeSet::new)),
        new TreeSet<>(words("STATION_STATE_TEXT")));
  }

  @Test
  @DisplayName("LINE_STATE_TEXT has the words of every line state the server says")
  void lineStates() {
    assertEquals(new TreeSet<>(List.of("idle", "active", "stopped", "complete")), new TreeSet<>(words("LINE_STATE_TEXT")));
  }
}
