package io.productionline.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The line definitions the bench runs, written into the server's lines directory before it starts. */
final class Lines {

  private Lines() {
  }

  /**
   * {@code types} independent document types, each a bind station, {@code stations - 2} assembly
   * stations and an audit, every one a 0 ms sim step of {@code capability}.
   */
  static JsonObject line(String name, String capability, int types, int stations) {
    JsonArray docs = new JsonArray();
    for (int t = 1; t <= types; t++) {
      JsonArray st = new JsonArray();
      for (int i = 0; i < stations; i++) {
        String kind = i == 0 ? "bind" : i == stations - 1 && stations > 2 ? "audit" : "assemble";
        String id = i == 0 ? "bind" : kind.equals("audit") ? "aud" : "asm" + i;
        st.add(new JsonObject().put("id", id).put("kind", kind).put("capability", capability).put("timeout_seconds", 600)
            .put("step", new JsonObject().put("type", "sim").put("trust", "vetted").put("params", new JsonObject().put("duration_ms", 0))));
      }
      docs.add(new JsonObject().put("name", String.format("d%02d", t)).put("depends_on", new JsonArray()).put("stations", st)
          .put("max_remediations", 1));
    }
    return new JsonObject().put("name", name).put("title", "Bench line " + name).put("document_types", docs);
  }

  static void write(Path dir, JsonObject line) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(line.getString("name") + ".json"), line.encodePrettily());
  }
}
