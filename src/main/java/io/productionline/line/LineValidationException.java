package io.productionline.line;

import java.util.List;

/**
 * A line definition that cannot be used: malformed JSON, an unknown field, or a definition that
 * breaks a rule of {@link LineValidator}. Carries every problem found; the message joins them with
 * {@code "; "} so one line of a log or one HTTP 400 body says all of it.
 */
public final class LineValidationException extends RuntimeException {

  private final List<String> problems;
  private final List<Finding> findings;

  public LineValidationException(List<String> problems) {
    super(String.join("; ", problems));
    this.problems = List.copyOf(problems);
    this.findings = problems.stream().map(p -> new Finding("", p)).toList();
  }

  /** Problems with the JSON path of the element each concerns. */
  public static LineValidationException of(List<Finding> findings, Throwable cause) {
    return new LineValidationException(findings, cause, true);
  }

  private LineValidationException(List<Finding> findings, Throwable cause, boolean withPaths) {
    super(String.join("; ", findings.stream().map(Finding::message).toList()), cause);
    this.findings = List.copyOf(findings);
    this.problems = findings.stream().map(Finding::message).toList();
  }

  public LineValidationException(String problem) {
    this(List.of(problem));
  }

  public LineValidationException(List<String> problems, Throwable cause) {
    super(String.join("; ", problems), cause);
    this.problems = List.copyOf(problems);
    this.findings = problems.stream().map(p -> new Finding("", p)).toList();
  }

  /** Every problem, each naming the document type and the field it is about. */
  public List<String> problems() {
    return problems;
  }

  /** Every problem with the JSON path of the element it concerns (empty when no one element is). */
  public List<Finding> findings() {
    return findings;
  }
}
