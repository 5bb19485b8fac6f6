package io.productionline.line;

import java.util.List;
import java.util.Optional;

/**
 * A production line: the document types it produces and the routing graph between them. Read from
 * {@code conf/lines/*.json} (snake_case) or submitted by an admin; checked by {@link LineValidator}.
 */
public record LineDefinition(String name, String title, String description, List<DocumentType> documentTypes) {

  public LineDefinition {
    documentTypes = documentTypes == null ? List.of() : List.copyOf(documentTypes);
    title = title == null ? name : title;
    description = description == null ? "" : description;
  }

  public Optional<DocumentType> type(String typeName) {
    return documentTypes.stream().filter(t -> t.name().equals(typeName)).findFirst();
  }

  /** Whether {@code typeName} is the child type of some type's fan-out: a template, no track of its own at a project's start. */
  public boolean isChildType(String typeName) {
    return documentTypes.stream().anyMatch(t -> t.fanOut() != null && typeName.equals(t.fanOut().childType()));
  }

  /** The types that depend directly on {@code typeName}. */
  public List<DocumentType> dependentsOf(String typeName) {
    return documentTypes.stream().filter(t -> t.dependsOn().contains(typeName)).toList();
  }
}
