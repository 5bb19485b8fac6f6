package io.productionline;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A job a node runs every so often, never two runs of it at once: a tick that finds the last run
 * still going is skipped. A run that fails is logged and the next tick runs again.
 */
public final class Periodic {

  private static final Logger log = LoggerFactory.getLogger(Periodic.class);

  private final Vertx vertx;
  private final String what;
  private final Supplier<Future<?>> run;
  private long timer = -1;
  private boolean running;

  /** {@code what} names the job in the log ("Rescue sweep"); {@code run} is one run of it. */
  public Periodic(Vertx vertx, String what, Supplier<Future<?>> run) {
    this.vertx = vertx;
    this.what = what;
    this.run = run;
  }

  public void start(long intervalMs) {
    timer = vertx.setPeriodic(intervalMs, id -> {
      if (running) {
        return;
      }
      running = true;
      run.get().onComplete(ar -> {
        running = false;
        if (ar.failed()) {
          log.warn("{} did not complete: {}", what, ar.cause().toString());
        }
      });
    });
  }

  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }
}
