package io.productionline.line;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Reads line definitions: one from JSON text (an admin's submission) or every {@code *.json} of a
 * directory ({@code conf/lines}). Reading is strict: snake_case field names, an unknown or
 * repeated field is refused, and every definition is checked by {@link LineValidator}. Whatever is
 * wrong comes back as a {@link LineValidationException} whose problems say where.
 */
public final class Lines {

  private static final String WHAT = "line definition";
  private static final Pattern SOURCE_NOTE = Pattern.compile("\\[Source: [^;\\]]*(\\([^)]*\\))?[^;\\]]*; ");

  private Lines() {
  }

  /**
   * Reads and checks one line definition. {@code mapper} keeps its own settings (modules and the
   * like); a copy of it reads with snake_case names and refuses unknown fields.
   *
   * @throws LineValidationException for malformed JSON, an unknown field, a value of the wrong
   *     type, or a definition that breaks a rule of {@link LineValidator}
   */
  public static LineDefinition parse(ObjectMapper mapper, String json) {
    return LineValidator.validate(read(strictReader(mapper), json));
  }

  /**
   * Reads and checks one line definition against the skill catalog, and resolves its skill
   * references: each station that names a skill runs the skill's step.
   *
   * @throws LineValidationException as {@link #parse(ObjectMapper, String)}, and for an unknown
   *     skill or a station that changes a skill's type or trust
   */
  public static LineDefinition parse(ObjectMapper mapper, String json, Map<String, Skill> skills) {
    return Skills.resolve(LineValidator.validate(read(strictReader(mapper), json), skills), skills);
  }

  /**
   * Reads and checks every {@code *.json} file of {@code dir}, in file-name order, keyed by line
   * name in that order.
   *
   * @throws LineValidationException naming each bad file (and every problem in it), a line name
   *     defined by two files, or a directory that does not exist
   */
  public static Map<String, LineDefinition> loadDirectory(ObjectMapper mapper, Path dir) {
    return loadDirectory(mapper, dir, null);
  }

  /**
   * Reads and checks every {@code *.json} file of {@code dir} against the skill catalog (null:
   * references are not looked up), with skill references resolved.
   */
  public static Map<String, LineDefinition> loadDirectory(ObjectMapper mapper, Path dir, Map<String, Skill> skills) {
    if (dir == null || !Files.isDirectory(dir)) {
      throw new LineValidationException("line directory " + dir + " does not exist or is not a directory");
    }
    List<Path> files;
    try (Stream<Path> listing = Files.list(dir)) {
      files = listing
          .filter(p -> p.getFileName().toString().endsWith(".json") && Files.isRegularFile(p))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new LineValidationException(List.of("line directory " + dir + " cannot be listed: " + e.getMessage()), e);
    }

    ObjectReader reader = strictReader(mapper);
    Map<String, LineDefinition> lines = new LinkedHashMap<>();
    Map<String, Path> definedIn = new HashMap<>();
    List<String> problems = new ArrayList<>();
    for (Path file : files) {
      try {
        LineDefinition line = Skills.resolve(LineValidator.validate(read(reader, Files.readString(file)), skills), skills);
        Path other = definedIn.putIfAbsent(line.name(), file);
        if (other != null) {
          problems.add(file + ": line \"" + line.name() + "\" is already defined in " + other);
        } else {
          lines.put(line.name(), line);
        }
      } catch (LineValidationException e) {
        e.problems().forEach(p -> problems.add(file + ": " + p));
      } catch (IOException e) {
        problems.add(file + ": cannot be read (" + e.getMessage() + ")");
      }
    }
    if (!problems.isEmpty()) {
      throw new LineValidationException(problems);
    }
    return Collections.unmodifiableMap(lines);
  }

  /**
   * A reader on a copy of {@code mapper}: snake_case names; unknown and repeated fields, content
   * after the definition, and numbers or strings of the wrong kind ({@code "60"}, {@code 1.5} for
   * a whole number, {@code 5} for a name) are refused rather than quietly converted.
   */
  static ObjectReader strictReader(ObjectMapper mapper) {
    ObjectMapper copy = mapper.copy();
    copy.setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
    for (LogicalType number : List.of(LogicalType.Integer, LogicalType.Float)) {
      copy.coercionConfigFor(number).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
    }
    copy.coercionConfigFor(LogicalType.Integer).setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
    for (CoercionInputShape shape : List.of(CoercionInputShape.Integer, CoercionInputShape.Float, CoercionInputShape.Boolean)) {
      copy.coercionConfigFor(LogicalType.Textual).setCoercion(shape, CoercionAction.Fail);
    }
    return copy.readerFor(LineDefinition.class)
        .with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .without(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
        .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  }

  private static LineDefinition read(ObjectReader reader, String json) {
    if (json == null || json.isBlank()) {
      throw new LineValidationException(WHAT + ": the document is empty");
    }
    LineDefinition line;
    try {
      line = reader.readValue(json);
    } catch (UnrecognizedPropertyException e) {
      String field = path(e, 1).isEmpty() ? e.getPropertyName() : path(e, 1) + "." + e.getPropertyName();
      throw at(field, WHAT + ": unknown field \"" + e.getPropertyName() + "\" at "
          + where(e, 1) + known(e.getKnownPropertyIds()), e);
    } catch (ValueInstantiationException e) {
      String why = e.getCause() instanceof NullPointerException
          ? "null is not allowed inside a list or an object here"
          : String.valueOf(e.getOriginalMessage());
      throw at(path(e, 0), WHAT + ": invalid value at " + where(e, 0) + ": " + why, e);
    } catch (MismatchedInputException e) {
      if (String.valueOf(e.getOriginalMessage()).startsWith("Trailing token")) {
        throw new LineValidationException(List.of(WHAT + ": malformed JSON: content after the end of the definition"), e);
      }
      throw at(path(e, 0), WHAT + ": invalid value at " + where(e, 0) + ": expected " + expected(e.getTargetType()), e);
    } catch (JsonMappingException e) {
      if (e.getCause() instanceof StreamReadException malformed) {
        // The text ended or broke inside a value: the JSON itself is malformed.
        throw malformed(malformed);
      }
      throw at(path(e, 0), WHAT + ": invalid value at " + where(e, 0) + ": " + clean(e.getOriginalMessage()), e);
    } catch (JacksonException e) {
      throw malformed(e);
    }
    if (line == null) {
      throw new LineValidationException(WHAT + ": the document is empty");
    }
    return line;
  }

  private static LineValidationException malformed(JacksonException e) {
    JsonLocation loc = e.getLocation();
    String at = loc == null || loc.getLineNr() < 0 ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
    return new LineValidationException(List.of(WHAT + ": malformed JSON" + at + ": " + clean(e.getOriginalMessage())), e);
  }

  /** Jackson's message without its note about the (redacted) source. */
  private static String clean(String message) {
    return message == null ? "" : SOURCE_NOTE.matcher(message).replaceAll("[");
  }

  private static LineValidationException at(String path, String message, Throwable cause) {
    return LineValidationException.of(List.of(new Finding(path, message)), cause);
  }

  /** The JSON path of a mapping problem as a sentence says it: "the top level" when it has none. */
  private static String where(JsonMappingException e, int drop) {
    String path = path(e, drop);
    return path.isEmpty() ? "the top level" : path;
  }

  /** The JSON path of a mapping problem, like {@code document_types[2].stations[0]}, leaving off {@code drop} trailing steps. */
  private static String path(JsonMappingException e, int drop) {
    List<JsonMappingException.Reference> path = e.getPath();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < path.size() - drop; i++) {
      JsonMappingException.Reference r = path.get(i);
      if (r.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        sb.append('[').append(r.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  private static String known(Collection<Object> ids) {
    if (ids == null || ids.isEmpty()) {
      return "";
    }
    return " (known fields: " + ids.stream().map(String::valueOf).sorted().collect(Collectors.joining(", ")) + ")";
  }

  private static String expected(Class<?> type) {
    if (type == null) {
      return "a different kind of value";
    }
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
      return "a whole number";
    }
    if (type == Double.class || type == double.class || Number.class.isAssignableFrom(type)) {
      return "a number";
    }
    if (type == String.class) {
      return "a string";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (Collection.class.isAssignableFrom(type) || type.isArray()) {
      return "a list";
    }
    return "an object";
  }
}
