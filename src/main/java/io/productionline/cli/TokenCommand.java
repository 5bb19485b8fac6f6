package io.productionline.cli;

import io.productionline.Config;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code production-line token ROLE [NAME]}: mints a bearer token through the admin API
 * ({@code POST /api/v1/tokens}) with the admin token of {@code PL_ADMIN_TOKEN}, else of
 * {@code <data dir>/tokens/admin.token}, and prints it on stdout. A refusal goes to stderr with the
 * server's name and its reason, and the exit status is 1.
 */
public final class TokenCommand {

  static final String USAGE = "production-line token admin|operator|executor|viewer [NAME] [--executor-id ID] [--ttl-seconds N] "
      + "[--server URL] [--admin-token T] [--data-dir DIR]";
  static final List<Help.Row> OPTIONS = List.of(
      new Help.Row("ROLE", "", "admin, operator, executor or viewer"),
      new Help.Row("NAME", "", "who holds it, as the audit log names them (default: the role, or the executor id)"),
      new Help.Row("--executor-id ID", "", "an executor token's one executor (required for executor)"),
      new Help.Row("--ttl-seconds N", "", "lifetime (default the server's auth.token_days)"),
      Help.SERVER,
      new Help.Row("--admin-token T", "PL_ADMIN_TOKEN", "the admin token the call is made with (default <data dir>/tokens/admin.token)"),
      new Help.Row("--data-dir DIR", "PL_DATA_DIR", "where the server wrote its tokens (default data)"));
  private static final Set<String> ROLES = Set.of("admin", "operator", "executor", "viewer");

  private TokenCommand() {
  }

  /** Runs the command; returns the exit status. */
  public static int run(String[] args, Map<String, String> env) {
    String role = null;
    String name = null;
    String executor = null;
    Long ttl = null;
    String server = Config.serverUrl(env);
    String admin = env.get("PL_ADMIN_TOKEN");
    String dataDir = env.getOrDefault("PL_DATA_DIR", "data");
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--help") || a.equals("-h")) {
        Help.print(System.out, USAGE, OPTIONS);
        return 0;
      }
      if (a.startsWith("--")) {
        if (i + 1 >= args.length) {
          Help.refuse(a + " needs a value", USAGE);
        }
        String v = args[++i];
        switch (a) {
          case "--executor-id" -> executor = v;
          case "--server" -> server = v.replaceAll("/+$", "");
          case "--admin-token" -> admin = v;
          case "--data-dir" -> dataDir = v;
          case "--ttl-seconds" -> {
            try {
              ttl = Long.parseLong(v);
            } catch (NumberFormatException e) {
              Help.refuse("not a number of seconds: " + v, USAGE);
            }
          }
          default -> Help.refuse("unknown option " + a, USAGE);
        }
      } else if (role == null) {
        role = a;
      } else if (name == null) {
        name = a;
      } else {
        Help.refuse("one role and one name: " + a + " is extra", USAGE);
      }
    }
    if (role == null || !ROLES.contains(role)) {
      Help.refuse(role == null ? "which role?" : "not a role: " + role, USAGE);
    }
    if (role.equals("executor") && executor == null) {
      Help.refuse("an executor token needs --executor-id", USAGE);
    }
    if (admin == null || admin.isBlank()) {
      Path file = Path.of(dataDir, "tokens", "admin.token");
      try {
        admin = Files.readString(file).trim();
      } catch (IOException e) {
        System.err.println("no admin token: set PL_ADMIN_TOKEN, or start the server once (it writes " + file + ")");
        return 1;
      }
    }
    JsonObject body = new JsonObject().put("role", role);
    if (name != null) {
      body.put("name", name);
    }
    if (executor != null) {
      body.put("executor_id", executor);
    }
    if (ttl != null) {
      body.put("ttl_seconds", ttl);
    }
    HttpRequest request = HttpRequest.newBuilder(URI.create(server + "/api/v1/tokens"))
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + admin)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()))
        .build();
    HttpResponse<String> reply;
    try {
      reply = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build()
          .send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      System.err.println("the server at " + server + " cannot be reached (" + (e.getMessage() == null ? "no answer" : e.getMessage())
          + "); is it running? PL_SERVER or PL_HTTP_PORT names another");
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
    if (reply.statusCode() != 201) {
      System.err.println("the server at " + server + " refused the token (" + reply.statusCode() + "): " + reply.body());
      return 1;
    }
    try {
      System.out.println(new JsonObject(reply.body()).getString("token"));
      return 0;
    } catch (DecodeException e) {
      System.err.println("the server at " + server + " answered something that is not a token: " + reply.body());
      return 1;
    }
  }
}
