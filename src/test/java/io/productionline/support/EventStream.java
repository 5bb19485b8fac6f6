package io.productionline.support;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A project's events as a browser would get them: {@code GET /production/events?project=} over
 * real HTTP, read as they arrive. Works against a server in another process, where the event bus
 * cannot be reached. Each event is its JSON data with {@code type} set from the SSE event name.
 */
public final class EventStream implements AutoCloseable {

  private final List<JsonObject> seen = new CopyOnWriteArrayList<>();
  private final LinkedBlockingQueue<JsonObject> arrivals = new LinkedBlockingQueue<>();
  private volatile Stream<String> lines;
  private volatile boolean closed;
  /** The server's answer when it did not open the stream (status and body). */
  private volatile String refused;

  private EventStream() {
  }

  /**
   * Opens the stream of {@code project} on the server at {@code port}, replaying stored events after
   * {@code after}, with {@code token} as the bearer token.
   */
  public static EventStream open(int port, String project, long after, String token) {
    EventStream s = new EventStream();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/production/events?project=" + project
        + "&after=" + after)).header("Accept", "text/event-stream").header("Authorization", "Bearer " + token).GET().build();
    Thread t = new Thread(() -> s.read(http, req), "events-" + project);
    t.setDaemon(true);
    t.start();
    return s;
  }

  private void read(HttpClient http, HttpRequest req) {
    try {
      HttpResponse<Stream<String>> r = http.send(req, HttpResponse.BodyHandlers.ofLines());
      lines = r.body();
      if (r.statusCode() != 200) {
        refused = r.statusCode() + " " + lines.collect(java.util.stream.Collectors.joining("\n"));
        arrivals.offer(new JsonObject());
        return;
      }
      String event = null;
      StringBuilder data = new StringBuilder();
      for (String line : (Iterable<String>) lines::iterator) {
        if (closed) {
          break;
        }
        if (line.isEmpty()) {
          if (data.length() > 0) {
            JsonObject e = new JsonObject(data.toString());
            if (event != null && !e.containsKey("type")) {
              e.put("type", event);
            }
            seen.add(e);
            arrivals.offer(e);
          }
          event = null;
          data.setLength(0);
        } else if (line.startsWith("event:")) {
          event = line.substring(6).trim();
        } else if (line.startsWith("data:")) {
          data.append(line.substring(5).trim());
        }
      }
    } catch (Exception e) {
      // The server went away (kill -9) or the stream was closed: no more events.
    }
  }

  /**
   * Waits, as events arrive, until {@code done} holds for the events seen so far; returns them.
   * The bound ends a test that never gets there.
   */
  public List<JsonObject> awaitUntil(Predicate<List<JsonObject>> done, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (!done.test(seen)) {
        if (refused != null) {
          throw new AssertionError("the event stream was refused: " + refused);
        }
        long left = deadline - System.nanoTime();
        if (left <= 0 || arrivals.poll(left, TimeUnit.NANOSECONDS) == null) {
          throw new AssertionError("timed out after " + timeout + " waiting for " + what + "; " + seen.size() + " events seen "
              + seen.stream().collect(java.util.stream.Collectors.groupingBy(e -> String.valueOf(e.getString("type")),
                  java.util.TreeMap::new, java.util.stream.Collectors.counting()))
              + (seen.isEmpty() ? "" : ", last: " + seen.get(seen.size() - 1).encode()));
        }
        arrivals.clear();
      }
      return List.copyOf(seen);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Waits until {@code done} holds for what {@code read} returns, reading again each time an event
   * arrives (never on a timer), so a state that events announce is seen even if one event is missed.
   */
  public <T> T awaitState(java.util.function.Supplier<T> read, Predicate<T> done, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      T last = read.get();
      while (!done.test(last)) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || arrivals.poll(left, TimeUnit.NANOSECONDS) == null) {
          throw new AssertionError("timed out after " + timeout + " waiting for " + what + "; last seen: " + last);
        }
        arrivals.clear();
        last = read.get();
      }
      return last;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The events seen so far, as a list that keeps growing as more arrive. */
  public List<JsonObject> live() {
    return seen;
  }

  public List<JsonObject> seen() {
    return List.copyOf(seen);
  }

  @Override
  public void close() {
    closed = true;
    Stream<String> l = lines;
    if (l != null) {
      try {
        l.close();
      } catch (RuntimeException ignored) {
        // Already gone.
      }
    }
  }
}
