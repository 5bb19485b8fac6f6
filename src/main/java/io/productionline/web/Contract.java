package io.productionline.web;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.openapi.contract.OpenAPIContract;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Set;

/**
 * The contract: the OpenAPI 3.1 description of the whole HTTP API, kept as the resource
 * {@code openapi.json} (one file, the truth for paths, parameters, bodies, responses and each
 * operation's {@code x-roles}). At start vertx-openapi reads it and checks it against the OpenAPI
 * 3.1 schema (a node with a broken contract does not start); {@link Schemas} takes the request
 * bodies it validates from it; {@code GET /openapi.json} serves it (open, see {@link Guard}) and
 * {@code webroot/api.html} renders it as a page.
 */
final class Contract {

  static final String RESOURCE = "openapi.json";
  static final String PATH = "/openapi.json";

  private final OpenAPIContract contract;
  private final JsonObject document;
  private final Buffer served;

  private Contract(OpenAPIContract contract, JsonObject document, Buffer served) {
    this.contract = contract;
    this.document = document;
    this.served = served;
  }

  /**
   * The contract once loaded in this JVM: checking it against the OpenAPI 3.1 schema takes a second
   * or more, and it is the same file for every node a process runs (several in a cluster test).
   * What is kept holds no reference to a Vert.x instance's context: validators only.
   */
  private static volatile Contract loaded;

  /** Reads the contract from the classpath and has vertx-openapi check and resolve it (once per JVM). */
  static Future<Contract> load(Vertx vertx) {
    Contract known = loaded;
    if (known != null) {
      return Future.succeededFuture(known);
    }
    Buffer raw;
    try {
      raw = Buffer.buffer(read());
    } catch (UncheckedIOException e) {
      return Future.failedFuture(e);
    }
    JsonObject document = new JsonObject(raw);
    return OpenAPIContract.from(vertx, forValidation(document)).map(c -> {
      loaded = new Contract(c, document, raw);
      return loaded;
    });
  }

  /** Media types vertx-openapi 5.0.10 accepts in a contract; it refuses to load one that answers anything else. */
  private static final Set<String> UNDERSTOOD = Set.of("application/json", "text/plain");

  /**
   * The document as vertx-openapi is given it: the same, but for the response contents it does not
   * support (the dashboard's {@code text/html}, the event streams' {@code text/event-stream}),
   * which are left out. Only request bodies are validated from it; what is served is the whole document.
   */
  private static JsonObject forValidation(JsonObject document) {
    JsonObject copy = document.copy();
    JsonObject paths = copy.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        JsonObject responses = item.getJsonObject(method).getJsonObject("responses", new JsonObject());
        for (String status : responses.fieldNames()) {
          JsonObject content = responses.getJsonObject(status).getJsonObject("content");
          if (content != null) {
            content.fieldNames().removeIf(type -> !UNDERSTOOD.contains(type));
            if (content.isEmpty()) {
              responses.getJsonObject(status).remove("content");
            }
          }
        }
      }
    }
    return copy;
  }

  /** The document as written in the resource (no references resolved). */
  static JsonObject document() {
    return new JsonObject(Buffer.buffer(read()));
  }

  private static byte[] read() {
    try (InputStream in = Contract.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new UncheckedIOException(new IOException("the contract " + RESOURCE + " is not on the classpath"));
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The request body schema of an operation, as written in the document. */
  JsonObject requestBodySchema(String operationId) {
    var op = contract.operation(operationId);
    if (op == null || op.getRequestBody() == null) {
      throw new IllegalStateException("the contract has no request body for operation " + operationId);
    }
    JsonObject operation = document.getJsonObject("paths").getJsonObject(op.getOpenAPIPath())
        .getJsonObject(op.getHttpMethod().name().toLowerCase());
    return operation.getJsonObject("requestBody").getJsonObject("content").getJsonObject("application/json").getJsonObject("schema");
  }

  void mount(Router router) {
    router.get(PATH).handler(ctx -> ctx.response().putHeader("Content-Type", "application/json").end(served));
  }
}
