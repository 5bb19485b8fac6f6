package io.productionline.agent;

import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server nodes an executor may talk to ({@code --server http://a:8950,http://b:8950}): every
 * node of a cluster answers the whole work API, so when the one in use cannot be reached (refused,
 * reset, no answer in time) or answers 503 (it cannot serve now: it is rejoining the cluster after a
 * stall) the executor turns to the next and carries on there; any other answer, even a refusal, is
 * not a reason to turn.
 */
final class Servers {

  private static final Logger log = LoggerFactory.getLogger(Servers.class);

  private final List<URI> all;
  private final AtomicInteger current = new AtomicInteger();

  Servers(String urls) {
    this.all = Arrays.stream(urls.split(",")).map(String::trim).filter(u -> !u.isEmpty())
        .map(u -> URI.create(u.replaceAll("/+$", ""))).toList();
    if (all.isEmpty()) {
      throw new IllegalArgumentException("no server URL given");
    }
    for (URI u : all) {
      if (u.getHost() == null || !("http".equals(u.getScheme()) || "https".equals(u.getScheme()))) {
        throw new IllegalArgumentException("not an http(s) server URL: " + u);
      }
    }
  }

  /** The server in use. */
  URI current() {
    return all.get(current.get());
  }

  int size() {
    return all.size();
  }

  /**
   * A call to {@code used} got no answer (or a 503): the next calls go to the next server, unless another
   * call has already turned away from {@code used}.
   */
  void unreachable(URI used, String executorId, Throwable cause) {
    if (all.size() < 2) {
      return;
    }
    int at = all.indexOf(used);
    int next = (at + 1) % all.size();
    if (at >= 0 && current.compareAndSet(at, next)) {
      log.warn("Executor {}: server {} does not serve it now ({}); turning to {}", executorId, used, cause.getMessage(), all.get(next));
    }
  }

  static int port(URI u) {
    return u.getPort() >= 0 ? u.getPort() : "https".equals(u.getScheme()) ? 443 : 80;
  }
}
