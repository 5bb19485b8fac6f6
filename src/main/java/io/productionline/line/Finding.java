package io.productionline.line;

import java.util.List;

/**
 * One problem of a line definition: the JSON path of the element it concerns (for example
 * {@code document_types[2].stations[0].kind}, or the empty string for the definition as a whole),
 * the sentence that says what is wrong with it, and, for a dependency cycle, the names of the
 * document types in it, in order.
 */
public record Finding(String path, String message, List<String> members) {

  public Finding {
    path = path == null ? "" : path;
    members = members == null ? List.of() : List.copyOf(members);
  }

  public Finding(String path, String message) {
    this(path, message, List.of());
  }
}
