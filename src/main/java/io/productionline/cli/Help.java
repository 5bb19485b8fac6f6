package io.productionline.cli;

import java.io.PrintStream;
import java.util.List;

/** The {@code --help} of each command: a usage line and one row per option with its {@code PL_*} variable. */
public final class Help {

  /** One option of a command: how it is written, the variable that sets it too, what it means. */
  public record Row(String option, String env, String meaning) {
  }

  /** The server a client command talks to: the option, the variable, and the default of {@code Config.serverUrl}. */
  public static final Row SERVER = new Row("--server URL", "PL_SERVER", "the server (default http://127.0.0.1:$PL_HTTP_PORT, port 8950)");

  private Help() {
  }

  public static void print(PrintStream out, String usage, List<Row> rows) {
    out.println("usage: " + usage);
    if (rows.isEmpty()) {
      return;
    }
    int w1 = rows.stream().mapToInt(r -> r.option().length()).max().orElse(0);
    int w2 = rows.stream().mapToInt(r -> r.env().length()).max().orElse(0);
    out.println();
    for (Row r : rows) {
      out.printf("  %-" + w1 + "s  %-" + w2 + "s  %s%n", r.option(), r.env(), r.meaning());
    }
  }

  /** A refusal of the command line: the problem and the usage on stderr, exit status 2. */
  public static void refuse(String problem, String usage) {
    System.err.println(problem);
    System.err.println("usage: " + usage + "  (--help lists every option)");
    System.exit(2);
  }
}
