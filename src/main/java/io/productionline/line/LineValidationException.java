package io.productionline.line;

import java.util.List;

/**
 * A line definition that cannot be used: malformed JSON, an unknown field, or a definition that
 * breaks a rule of {@link LineValidator}. Carries every problem found; the message joins them with
 * {@code "; "} so one line of a log or one HTTP 400 body says all of it.
 */
public final class LineValidationException extends RuntimeException {

  private final List<String> problems;

  public LineValidationException(List<String> problems) {
    super(String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  public LineValidationException(String problem) {
    this(List.of(problem));
  }

  public LineValidationException(List<String> problems, Throwable cause) {
    super(String.join("; ", problems), cause);
    this.problems = List.copyOf(problems);
  }

  /** Every problem, each naming the document type and the field it is about. */
  public List<String> problems() {
    return problems;
  }
}
