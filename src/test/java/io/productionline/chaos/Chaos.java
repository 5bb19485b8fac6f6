package io.productionline.chaos;

import io.productionline.support.ServerProcess;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * {@code scripts/chaos}: one chaos run ({@link ChaosRun}), its JSON summary on stdout and in
 * {@code target/chaos/result.json}; exit 1 on any violation.
 * <pre>
 *   scripts/chaos            the full run: 24-type line, baseline then chaos, every fault (≤ 10 minutes)
 *   scripts/chaos --quick    one fault of each kind on a small line, no baseline (1–2 minutes)
 *   scripts/chaos --check postgresql://…/db    the invariants of an earlier run's database
 * </pre>
 * PostgreSQL: the server of {@code PL_PG_URL} (a fresh database on it), else an embedded one. Redis:
 * its own embedded server, so the run can restart it.
 */
public final class Chaos {

  private Chaos() {
  }

  public static void main(String[] args) throws Exception {
    boolean quick = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--quick" -> quick = true;
        case "--check" -> {
          // The invariants of a run's database again, e.g. one a failed run kept for diagnosis.
          System.out.println(new Invariants(args[i + 1]).check().encodePrettily());
          return;
        }
        case "--help", "-h" -> {
          System.out.println("usage: scripts/chaos [--quick]");
          return;
        }
        default -> {
          System.err.println("unknown option " + a + "; usage: scripts/chaos [--quick]");
          System.exit(2);
        }
      }
    }
    Path dir = ServerProcess.baseDir().resolve("target/chaos/" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    JsonObject summary = new ChaosRun(quick ? ChaosRun.Plan.quick() : ChaosRun.Plan.full(), dir).run();
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("result.json"), summary.encodePrettily());
    Files.writeString(ServerProcess.baseDir().resolve("target/chaos/result.json"), summary.encodePrettily());
    System.out.println(summary.encodePrettily());
    System.exit(summary.getBoolean("ok", false) ? 0 : 1);
  }
}
