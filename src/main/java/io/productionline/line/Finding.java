package io.productionline.line;

/**
 * One problem of a line definition: the JSON path of the element it concerns (for example
 * {@code document_types[2].stations[0].kind}, or the empty string for the definition as a whole)
 * and the sentence that says what is wrong with it.
 */
public record Finding(String path, String message) {

  public Finding {
    path = path == null ? "" : path;
  }
}
