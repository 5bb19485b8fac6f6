package io.productionline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.events.Addresses;
import io.productionline.support.ServerProcess;
import io.productionline.support.TestNode;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * SPEC §2: the words generate, retry, failed, failure, error, success, pending and paused do not
 * appear in what an operator reads — API fields and values, events, the dashboard, log messages,
 * the line definitions and the README — neither as words nor as parts of snake_case or camelCase
 * identifiers ({@code retry_count}, {@code onFailure}), in any case. Java exception class names and
 * HTTP status texts are exempt.
 */
@DisplayName("Production vocabulary")
class VocabularyTest {

  /** The prohibited words with their inflections, matched against whole words and identifier parts. */
  static final Pattern PROHIBITED = Pattern.compile(
      "generate|generates|generated|generating|retry|retries|retried|retrying|failed|failure|failures"
          + "|error|errors|success|successes|successful|successfully|pending|paused");

  /** Java exception class names ({@code IllegalStateException}, {@code AssertionError}) and HTTP status texts. */
  private static final Pattern EXEMPT = Pattern.compile("\\b[A-Z][A-Za-z0-9]*(Exception|Error)\\b|Internal Server Error");

  private static final Pattern WORD = Pattern.compile("[A-Za-z0-9]+");
  private static final Pattern CAMEL = Pattern.compile("(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])");

  /** The prohibited words in {@code text}: each word, and each part of a snake_case, kebab-case or camelCase identifier. */
  static List<String> prohibitedIn(String text) {
    List<String> found = new ArrayList<>();
    Matcher w = WORD.matcher(EXEMPT.matcher(text).replaceAll(" "));
    while (w.find()) {
      for (String part : CAMEL.split(w.group())) {
        String p = part.toLowerCase(Locale.ROOT);
        if (PROHIBITED.matcher(p).matches()) {
          found.add(p);
        }
      }
    }
    return found;
  }

  @Test
  @DisplayName("The words are caught whole, inside snake_case and camelCase identifiers and in any case; other words pass")
  void detector() {
    for (String bad : List.of("retry", "Retry_count", "retry_count", "retryCount", "onFailure", "FAILED", "error-code", "httpError",
        "jobSuccess", "pending", "Paused!", "generated text", "retries", "successfully")) {
      assertTrue(!prohibitedIn(bad).isEmpty(), bad + " is caught");
    }
    for (String ok : List.of("stabilized", "audit_rejected", "remediation_count", "halted", "awaiting_operator", "pipefail",
        "IllegalStateException", "an AssertionError", "500 Internal Server Error", "queued", "errand", "successor")) {
      assertEquals(List.of(), prohibitedIn(ok), ok + " passes");
    }
  }

  // --- (a) the API and the events ------------------------------------------------------------------

  @Test
  @DisplayName("API field names and values and every event of lines with a remediation loop, an interrupt and a halt use production words")
  void apiAndEvents() {
    try (TestNode node = TestNode.start()) {
      List<JsonObject> events = new CopyOnWriteArrayList<>();
      List<String> projects = List.of("v-fast", "v-clarify", "v-breaker");
      Map<String, String> lines = Map.of("v-fast", "fast", "v-clarify", "clarify", "v-breaker", "breaker");
      Map<String, Object> bodies = new LinkedHashMap<>();
      for (String p : projects) {
        node.createProject(p, lines.get(p));
        List<JsonObject> recorded = node.record(p);
        bodies.put("events of " + p, recorded);
      }
      MessageConsumer<JsonObject> executorEvents = node.vertx.eventBus().consumer(Addresses.EXECUTORS, m -> events.add(m.body()));
      executorEvents.completion().await();
      node.executor("e1");
      node.executor("e2");
      for (String p : projects) {
        assertEquals(200, node.api.post("/production/start?project=" + p, new JsonObject()).status());
      }

      node.awaitProduction("v-fast", v -> TestNode.allTracks(v, "stabilized"), Duration.ofSeconds(60));
      JsonObject clarify = node.awaitProduction("v-clarify", v -> "awaiting_operator".equals(TestNode.track(v, "brief").getString("state")),
          Duration.ofSeconds(30));
      JsonObject breaker = node.awaitProduction("v-breaker", v -> "halted".equals(TestNode.track(v, "doc").getString("state")),
          Duration.ofSeconds(30));
      String question = clarify.getJsonArray("interrupts").getJsonObject(0).getString("interrupt_id");
      String review = breaker.getJsonArray("interrupts").getJsonObject(0).getString("interrupt_id");
      bodies.put("GET /production?project=v-clarify (stopped)", clarify);
      bodies.put("GET /production?project=v-breaker (halted)", breaker);
      for (String path : List.of("/api/v1/interrupts", "/api/v1/interrupts/" + question, "/api/v1/interrupts/" + review,
          "/api/v1/projects/v-clarify/interrupts", "/api/v1/projects/v-breaker/interrupts")) {
        bodies.put("GET " + path, node.api.get(path).json());
      }
      // Refusals an operator or an executor author reads.
      bodies.put("409 start a document awaiting an operator",
          node.api.post("/production/start?project=v-clarify&doc=brief", new JsonObject()).json());
      bodies.put("409 escalate a track awaiting an operator",
          node.api.post("/api/v1/interrupts/" + question + "/escalate", new JsonObject()).json());
      bodies.put("400 malformed JSON", node.api.post("/api/v1/projects", "{\"line\":", Map.of()).json());
      bodies.put("400 unknown field", node.api.post("/api/v1/projects", "{\"lines\": \"fast\"}", Map.of()).json());
      bodies.put("404 unknown project", node.api.get("/production?project=nope").json());
      bodies.put("404 unknown line", node.api.post("/api/v1/projects", "{\"line\": \"nope\"}", Map.of()).json());
      bodies.put("404 unknown endpoint", node.api.get("/api/v1/nothing").json());
      bodies.put("413 oversize", node.api.post("/api/v1/projects", "{\"x\":\"" + "x".repeat(1_100_000) + "\"}", Map.of()).json());
      bodies.put("415 text/plain", node.api.post("/api/v1/projects", "{}", Map.of("Content-Type", "text/plain")).json());
      bodies.put("404 claim by an unregistered executor", node.executorApi("ghost").get("/api/v1/work/next?executor_id=ghost").json());
      var holder = node.sql("SELECT id, executor_id FROM station_tasks WHERE status = 'completed' LIMIT 1").get(0);
      String someTask = holder.getString(0);
      var executor = node.executorApi(holder.getString(1));
      bodies.put("409 complete with a stale lease", executor.post("/api/v1/work/" + someTask + "/complete",
          new JsonObject().put("lease_token", "not-the-lease").put("outcome", "stabilized")).json());
      bodies.put("400 complete with an unknown outcome", executor.post("/api/v1/work/" + someTask + "/complete",
          new JsonObject().put("lease_token", "x").put("outcome", "done")).json());
      bodies.put("401 no token", new io.productionline.support.Api(node.node.port()).get("/production?project=v-fast").json());
      bodies.put("403 a viewer starts the line", node.apiAs("viewer").post("/production/start?project=v-fast", new JsonObject()).json());
      bodies.put("403 another executor's task", node.executorApi("intruder").post("/api/v1/work/" + someTask + "/complete",
          new JsonObject().put("lease_token", "x").put("outcome", "stabilized")).json());
      bodies.put("GET /api/v1/audit", node.apiAs("admin").get("/api/v1/audit").json());
      JsonObject minted = node.apiAs("admin").post("/api/v1/tokens", new JsonObject().put("role", "viewer")).json();
      minted.remove("token"); // random base64url, not words
      bodies.put("POST /api/v1/tokens", minted);

      assertEquals(200, node.api.post("/api/v1/interrupts/" + question + "/resolve",
          new JsonObject().put("answers", new JsonObject().put("audience", "operators"))).status());
      assertEquals(200, node.api.post("/api/v1/interrupts/" + review + "/escalate", new JsonObject().put("notes", "ship it")).status());
      node.awaitProduction("v-clarify", v -> TestNode.allTracks(v, "stabilized"), Duration.ofSeconds(30));
      node.awaitProduction("v-breaker", v -> TestNode.allTracks(v, "escalated"), Duration.ofSeconds(30));

      for (String p : projects) {
        JsonObject view = node.production(p);
        bodies.put("GET /production?project=" + p, view);
        for (Object t : view.getJsonArray("tracks")) {
          String track = ((JsonObject) t).getString("track_id");
          bodies.put("GET /production/track/" + track, node.api.get("/production/track/" + track).json());
          bodies.put("GET /api/v1/tracks/" + track + "/artifacts", node.api.get("/api/v1/tracks/" + track + "/artifacts").json());
        }
        bodies.put("GET /api/v1/projects/" + p, node.api.get("/api/v1/projects/" + p).json());
      }
      for (var row : node.sql("SELECT id FROM station_tasks ORDER BY id")) {
        String task = row.getString(0);
        bodies.put("GET /api/v1/runs/" + task + "/logs", node.api.get("/api/v1/runs/" + task + "/logs").json());
      }
      for (String path : List.of("/api/v1/projects", "/api/v1/lines", "/api/v1/lines/fast", "/api/v1/lines/clarify",
          "/api/v1/lines/breaker", "/api/v1/executors", "/api/v1/executors/e1", "/api/v1/interrupts", "/health")) {
        bodies.put("GET " + path, node.api.get(path).json());
      }
      bodies.put("executor_status events", events);
      executorEvents.unregister();

      assertTrue(((List<?>) bodies.get("events of v-fast")).stream()
          .anyMatch(e -> "remediating".equals(((JsonObject) e).getString("state"))), "the fast line ran a remediation loop");
      assertTrue(((List<?>) bodies.get("events of v-clarify")).stream()
          .anyMatch(e -> "interrupt_resolved".equals(((JsonObject) e).getString("type"))), "the clarify line stopped and was answered");

      List<String> violations = new ArrayList<>();
      bodies.forEach((source, body) -> scanJson(source, "", body, violations));
      assertEquals(List.of(), violations, "prohibited words in the API and events");
    }
  }

  /** Scans every key and every string value of a JSON value. */
  private static void scanJson(String source, String path, Object value, List<String> out) {
    if (value instanceof JsonObject o) {
      for (String k : o.fieldNames()) {
        List<String> bad = prohibitedIn(k);
        if (!bad.isEmpty()) {
          out.add(source + ": field " + path + "/" + k + " " + bad);
        }
        scanJson(source, path + "/" + k, o.getValue(k), out);
      }
    } else if (value instanceof JsonArray a) {
      for (int i = 0; i < a.size(); i++) {
        scanJson(source, path + "[" + i + "]", a.getValue(i), out);
      }
    } else if (value instanceof List<?> l) {
      for (int i = 0; i < l.size(); i++) {
        scanJson(source, path + "[" + i + "]", l.get(i), out);
      }
    } else if (value instanceof Map<?, ?> m) {
      scanJson(source, path, new JsonObject(new LinkedHashMap<>(castMap(m))), out);
    } else if (value instanceof String s) {
      List<String> bad = prohibitedIn(s);
      if (!bad.isEmpty()) {
        out.add(source + ": value " + path + " = \"" + abbreviate(s) + "\" " + bad);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Map<?, ?> m) {
    return (Map<String, Object>) m;
  }

  // --- (b) the dashboard ---------------------------------------------------------------------------

  @Test
  @DisplayName("The dashboard's visible text and its JavaScript and CSS string literals use production words (webroot/vendor aside)")
  void dashboard() throws IOException {
    Path webroot = ServerProcess.baseDir().resolve("webroot");
    List<String> violations = new ArrayList<>();
    int[] texts = {0};
    try (Stream<Path> files = Files.walk(webroot)) {
      for (Path f : files.filter(Files::isRegularFile).filter(p -> !webroot.relativize(p).startsWith("vendor")).sorted().toList()) {
        String name = f.getFileName().toString();
        String src = Files.readString(f, StandardCharsets.UTF_8);
        String rel = ServerProcess.baseDir().relativize(f).toString();
        List<Text> found = name.endsWith(".js") || name.endsWith(".mjs") ? jsStrings(src, 0)
            : name.endsWith(".css") ? cssStrings(src)
            : name.endsWith(".html") || name.endsWith(".htm") || name.endsWith(".svg") ? htmlTexts(src)
            : List.of(new Text(1, src));
        texts[0] += found.size();
        for (Text t : found) {
          List<String> bad = prohibitedIn(t.text());
          if (!bad.isEmpty()) {
            violations.add(rel + ":" + t.line() + " \"" + abbreviate(t.text()) + "\" " + bad);
          }
        }
      }
    }
    assertTrue(texts[0] > 100, "the dashboard's texts were read (" + texts[0] + ")");
    assertEquals(List.of(), violations, "prohibited words in the dashboard");
  }

  /** A piece of text and the line it starts on. */
  record Text(int line, String text) {
  }

  /** Visible text and attribute values of an HTML page; inline scripts and styles as JavaScript and CSS. */
  static List<Text> htmlTexts(String html) {
    List<Text> out = new ArrayList<>();
    String src = blankOut(html, Pattern.compile("<!--.*?-->", Pattern.DOTALL));
    Matcher script = Pattern.compile("(<script\\b[^>]*>)(.*?)</script>", Pattern.DOTALL | Pattern.CASE_INSENSITIVE).matcher(src);
    while (script.find()) {
      out.addAll(jsStrings(script.group(2), lineAt(src, script.start(2)) - 1));
    }
    src = blankOut(src, Pattern.compile("(?<=<script\\b[^>]{0,500}>).*?(?=</script>)", Pattern.DOTALL | Pattern.CASE_INSENSITIVE));
    Matcher style = Pattern.compile("<style\\b[^>]*>(.*?)</style>", Pattern.DOTALL | Pattern.CASE_INSENSITIVE).matcher(src);
    while (style.find()) {
      for (Text t : cssStrings(style.group(1))) {
        out.add(new Text(lineAt(src, style.start(1)) + t.line() - 1, t.text()));
      }
    }
    src = blankOut(src, Pattern.compile("(?<=<style\\b[^>]{0,500}>).*?(?=</style>)", Pattern.DOTALL | Pattern.CASE_INSENSITIVE));
    Matcher tag = Pattern.compile("<[^>]*>").matcher(src);
    Pattern attr = Pattern.compile("[\\s][\\w:.-]+\\s*=\\s*(\"([^\"]*)\"|'([^']*)')");
    int last = 0;
    while (tag.find()) {
      addText(out, src, last, tag.start());
      Matcher a = attr.matcher(tag.group());
      while (a.find()) {
        String v = a.group(2) != null ? a.group(2) : a.group(3);
        out.add(new Text(lineAt(src, tag.start()), v));
      }
      last = tag.end();
    }
    addText(out, src, last, src.length());
    return out;
  }

  private static void addText(List<Text> out, String src, int from, int to) {
    String t = src.substring(from, to);
    if (!t.isBlank()) {
      out.add(new Text(lineAt(src, from), t.strip()));
    }
  }

  /** Replaces each match with spaces, keeping newlines so line numbers stay right. */
  private static String blankOut(String src, Pattern p) {
    Matcher m = p.matcher(src);
    StringBuilder b = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(b, Matcher.quoteReplacement(m.group().replaceAll("[^\\n]", " ")));
    }
    m.appendTail(b);
    return b.toString();
  }

  /** String literals of CSS ({@code content: "…"}), comments skipped. */
  static List<Text> cssStrings(String css) {
    List<Text> out = new ArrayList<>();
    int i = 0;
    while (i < css.length()) {
      char c = css.charAt(i);
      if (c == '/' && i + 1 < css.length() && css.charAt(i + 1) == '*') {
        int end = css.indexOf("*/", i + 2);
        i = end < 0 ? css.length() : end + 2;
      } else if (c == '"' || c == '\'') {
        int start = i;
        StringBuilder s = new StringBuilder();
        i++;
        while (i < css.length() && css.charAt(i) != c) {
          if (css.charAt(i) == '\\' && i + 1 < css.length()) {
            i++;
          }
          s.append(css.charAt(i));
          i++;
        }
        i++;
        out.add(new Text(lineAt(css, start), s.toString()));
      } else {
        i++;
      }
    }
    return out;
  }

  private static final Set<String> REGEX_AFTER_WORD = Set.of("return", "typeof", "case", "do", "else", "in", "of", "new", "delete",
      "void", "throw", "instanceof", "yield", "await");

  /**
   * The string literals of JavaScript source: quoted strings and the text parts of template literals
   * (with their {@code ${…}} expressions read as code), comments and regular expressions skipped.
   */
  static List<Text> jsStrings(String js, int lineOffset) {
    List<Text> out = new ArrayList<>();
    Deque<Integer> exprDepth = new ArrayDeque<>();
    boolean inTemplate = false;
    StringBuilder template = new StringBuilder();
    int templateStart = 0;
    String prev = "";
    int i = 0;
    int n = js.length();
    while (i < n) {
      char c = js.charAt(i);
      if (inTemplate) {
        if (c == '\\' && i + 1 < n) {
          template.append(js.charAt(i + 1));
          i += 2;
        } else if (c == '`') {
          out.add(new Text(lineOffset + lineAt(js, templateStart), template.toString()));
          inTemplate = false;
          prev = "lit";
          i++;
        } else if (c == '$' && i + 1 < n && js.charAt(i + 1) == '{') {
          out.add(new Text(lineOffset + lineAt(js, templateStart), template.toString()));
          exprDepth.push(0);
          inTemplate = false;
          prev = "(";
          i += 2;
        } else {
          template.append(c);
          i++;
        }
        continue;
      }
      if (c == '/' && i + 1 < n && js.charAt(i + 1) == '/') {
        while (i < n && js.charAt(i) != '\n') {
          i++;
        }
      } else if (c == '/' && i + 1 < n && js.charAt(i + 1) == '*') {
        int end = js.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
      } else if (c == '\'' || c == '"') {
        int start = i;
        StringBuilder s = new StringBuilder();
        i++;
        while (i < n && js.charAt(i) != c && js.charAt(i) != '\n') {
          if (js.charAt(i) == '\\' && i + 1 < n) {
            i++;
          }
          s.append(js.charAt(i));
          i++;
        }
        i++;
        out.add(new Text(lineOffset + lineAt(js, start), s.toString()));
        prev = "lit";
      } else if (c == '`') {
        inTemplate = true;
        template = new StringBuilder();
        templateStart = i;
        i++;
      } else if (c == '{') {
        if (!exprDepth.isEmpty()) {
          exprDepth.push(exprDepth.pop() + 1);
        }
        prev = "{";
        i++;
      } else if (c == '}') {
        i++;
        if (!exprDepth.isEmpty()) {
          int d = exprDepth.pop();
          if (d == 0) {
            inTemplate = true;
            template = new StringBuilder();
            templateStart = i;
            continue;
          }
          exprDepth.push(d - 1);
        }
        prev = "}";
      } else if (c == '/' && (prev.isEmpty() || "(,=:[!&|?{};+-*%<>~^".contains(prev) || REGEX_AFTER_WORD.contains(prev))) {
        i++;
        boolean inClass = false;
        while (i < n && js.charAt(i) != '\n' && (inClass || js.charAt(i) != '/')) {
          if (js.charAt(i) == '\\') {
            i++;
          } else if (js.charAt(i) == '[') {
            inClass = true;
          } else if (js.charAt(i) == ']') {
            inClass = false;
          }
          i++;
        }
        i++;
        while (i < n && Character.isLetter(js.charAt(i))) {
          i++;
        }
        prev = "lit";
      } else if (Character.isJavaIdentifierStart(c)) {
        int start = i;
        while (i < n && Character.isJavaIdentifierPart(js.charAt(i))) {
          i++;
        }
        prev = js.substring(start, i);
      } else if (Character.isDigit(c)) {
        while (i < n && (Character.isLetterOrDigit(js.charAt(i)) || js.charAt(i) == '.')) {
          i++;
        }
        prev = "lit";
      } else {
        if (!Character.isWhitespace(c)) {
          prev = String.valueOf(c);
        }
        i++;
      }
    }
    return out;
  }

  // --- (c) log messages and refusals ------------------------------------------------------------------

  @Test
  @DisplayName("Log messages, refusal and exception messages and printed text in src/main/java use production words")
  void logAndRefusalMessages() throws IOException {
    Path main = ServerProcess.baseDir().resolve("src/main/java");
    List<String> violations = new ArrayList<>();
    int[] counts = {0, 0};
    try (Stream<Path> files = Files.walk(main)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
        String rel = ServerProcess.baseDir().relativize(f).toString();
        for (Message m : messages(Files.readString(f, StandardCharsets.UTF_8), f.getFileName().toString())) {
          counts[m.log() ? 0 : 1]++;
          List<String> bad = prohibitedIn(m.text());
          if (!bad.isEmpty()) {
            violations.add(rel + ":" + m.line() + " \"" + abbreviate(m.text()) + "\" " + bad);
          }
        }
      }
    }
    assertTrue(counts[0] > 20, "log messages were found (" + counts[0] + ")");
    assertTrue(counts[1] > 40, "refusal and exception messages were found (" + counts[1] + ")");
    assertEquals(List.of(), violations, "prohibited words in log, refusal and exception messages");
  }

  /** A message literal in Java source: a log format string, or a string inside a refusal, an exception or printed text. */
  record Message(int line, String text, boolean log) {
  }

  private static final Set<String> LOG_LEVELS = Set.of("trace", "debug", "info", "warn", "error");
  private static final Set<String> LOGGERS = Set.of("log", "LOG", "logger", "LOGGER");
  private static final Set<String> REFUSALS = Set.of("badRequest", "notFound", "conflict", "failedFuture", "println", "printf",
      "fail", "tryFail");

  /** Java tokens: identifiers, string literals (text blocks too) and single punctuation, comments dropped. */
  record Token(String kind, String text, int line) {
  }

  static List<Message> messages(String src, String fileName) {
    List<Token> tokens = javaTokens(src);
    List<Message> out = new ArrayList<>();
    boolean exceptionClass = fileName.endsWith("Exception.java");
    for (int i = 0; i < tokens.size(); i++) {
      Token t = tokens.get(i);
      if (exceptionClass && t.kind().equals("str")) {
        out.add(new Message(t.line(), t.text(), false));
        continue;
      }
      if (!t.kind().equals("id")) {
        continue;
      }
      boolean logCall = LOGGERS.contains(t.text()) && i + 3 < tokens.size() && tokens.get(i + 1).text().equals(".")
          && LOG_LEVELS.contains(tokens.get(i + 2).text()) && tokens.get(i + 3).text().equals("(");
      if (logCall) {
        for (Token s : arguments(tokens, i + 3, true)) {
          out.add(new Message(s.line(), s.text(), true));
        }
        continue;
      }
      boolean refusal = (REFUSALS.contains(t.text()) && i > 0 && tokens.get(i - 1).text().equals(".")
          && i + 1 < tokens.size() && tokens.get(i + 1).text().equals("("))
          || (t.text().equals("new") && i + 2 < tokens.size() && tokens.get(i + 2).text().equals("(")
          && (tokens.get(i + 1).text().equals("Refusal") || tokens.get(i + 1).text().endsWith("Exception")));
      if (refusal) {
        int open = t.text().equals("new") ? i + 2 : i + 1;
        for (Token s : arguments(tokens, open, false)) {
          out.add(new Message(s.line(), s.text(), false));
        }
      }
    }
    return out;
  }

  /** The string literals of the call whose {@code (} is at {@code open}: of its first argument only, or of all. */
  private static List<Token> arguments(List<Token> tokens, int open, boolean firstOnly) {
    List<Token> out = new ArrayList<>();
    int depth = 0;
    for (int j = open; j < tokens.size(); j++) {
      String x = tokens.get(j).text();
      if (tokens.get(j).kind().equals("p")) {
        if (x.equals("(") || x.equals("[") || x.equals("{")) {
          depth++;
        } else if (x.equals(")") || x.equals("]") || x.equals("}")) {
          depth--;
          if (depth == 0) {
            break;
          }
        } else if (x.equals(",") && depth == 1 && firstOnly) {
          break;
        }
      } else if (tokens.get(j).kind().equals("str")) {
        out.add(tokens.get(j));
      }
    }
    return out;
  }

  static List<Token> javaTokens(String src) {
    List<Token> out = new ArrayList<>();
    int i = 0;
    int n = src.length();
    while (i < n) {
      char c = src.charAt(i);
      if (c == '/' && i + 1 < n && src.charAt(i + 1) == '/') {
        while (i < n && src.charAt(i) != '\n') {
          i++;
        }
      } else if (c == '/' && i + 1 < n && src.charAt(i + 1) == '*') {
        int end = src.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
      } else if (src.startsWith("\"\"\"", i)) {
        int end = src.indexOf("\"\"\"", i + 3);
        end = end < 0 ? n : end;
        out.add(new Token("str", src.substring(i + 3, end), lineAt(src, i)));
        i = Math.min(n, end + 3);
      } else if (c == '"') {
        int start = i;
        StringBuilder s = new StringBuilder();
        i++;
        while (i < n && src.charAt(i) != '"') {
          if (src.charAt(i) == '\\' && i + 1 < n) {
            i++;
          }
          s.append(src.charAt(i));
          i++;
        }
        i++;
        out.add(new Token("str", s.toString(), lineAt(src, start)));
      } else if (c == '\'') {
        i++;
        while (i < n && src.charAt(i) != '\'') {
          if (src.charAt(i) == '\\') {
            i++;
          }
          i++;
        }
        i++;
      } else if (Character.isJavaIdentifierStart(c)) {
        int start = i;
        while (i < n && Character.isJavaIdentifierPart(src.charAt(i))) {
          i++;
        }
        out.add(new Token("id", src.substring(start, i), lineAt(src, start)));
      } else if (Character.isWhitespace(c)) {
        i++;
      } else {
        out.add(new Token("p", String.valueOf(c), lineAt(src, i)));
        i++;
      }
    }
    return out;
  }

  // --- (d) line definitions, configuration and the README ------------------------------------------

  @Test
  @DisplayName("The line definitions and configuration in conf/ and the README use production words")
  void confAndReadme() throws IOException {
    Path base = ServerProcess.baseDir();
    List<String> violations = new ArrayList<>();
    List<Path> files = new ArrayList<>();
    try (Stream<Path> conf = Files.walk(base.resolve("conf"))) {
      conf.filter(Files::isRegularFile).sorted().forEach(files::add);
    }
    files.add(base.resolve("README.md"));
    assertTrue(files.stream().anyMatch(f -> f.toString().endsWith(".json") && f.getParent().endsWith("lines")), "line definitions found");
    for (Path f : files) {
      String rel = base.relativize(f).toString();
      List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        List<String> bad = prohibitedIn(lines.get(i));
        if (!bad.isEmpty()) {
          violations.add(rel + ":" + (i + 1) + " \"" + abbreviate(lines.get(i).strip()) + "\" " + bad);
        }
      }
    }
    assertEquals(List.of(), violations, "prohibited words in conf/ and the README");
  }

  // --- helpers -----------------------------------------------------------------------------------------

  private static int lineAt(String src, int index) {
    int line = 1;
    for (int i = 0; i < index && i < src.length(); i++) {
      if (src.charAt(i) == '\n') {
        line++;
      }
    }
    return line;
  }

  private static String abbreviate(String s) {
    String one = s.replaceAll("\\s+", " ").strip();
    return one.length() <= 120 ? one : one.substring(0, 117) + "…";
  }
}
