package io.productionline.web;

import io.productionline.Services;
import io.productionline.events.Addresses;
import io.vertx.core.Future;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * One client's view of a project's events: the stored history after a sequence number, then the
 * live stream, in sequence order, with no gap and no duplicate. A project's sequence numbers have
 * no holes and are committed in order, so a live event that skips ahead means the ones between are
 * committed but not yet delivered here (they were published by another track or node): the stream
 * holds the newer event back and reads the missing ones from the history. Serves SSE and WebSocket
 * clients alike; events without a sequence number (progress) pass straight through.
 */
final class ProjectStream {

  private static final String READ = """
      SELECT seq, type, payload FROM track_events WHERE project_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq""";

  private final Services s;
  private final String project;
  private final MessageConsumer<JsonObject> live;
  private final Consumer<JsonObject> sink;
  private final TreeMap<Long, JsonObject> held = new TreeMap<>();
  private boolean reading;
  private boolean closed;
  private long lastSent;

  private ProjectStream(Services s, String project, long after, Consumer<JsonObject> sink) {
    this.s = s;
    this.project = project;
    this.sink = sink;
    this.lastSent = after;
    this.live = s.vertx.eventBus().consumer(Addresses.project(project), m -> accept(m.body()));
  }

  /** Opens the stream; the future completes once the history up to now has been passed on. */
  static Future<ProjectStream> open(Services s, String project, long after, Consumer<JsonObject> sink) {
    ProjectStream stream = new ProjectStream(s, project, after, sink);
    return stream.live.completion()
        .compose(v -> s.pool.preparedQuery("SELECT last_seq FROM projects WHERE id = $1").execute(Tuple.of(project)))
        .compose(rows -> stream.catchUp(rows.size() == 0 ? 0 : rows.iterator().next().getLong(0)))
        .map(stream)
        .onFailure(e -> stream.close());
  }

  private void accept(JsonObject e) {
    Long seq = e.getLong("seq");
    if (seq == null) {
      sink.accept(e);
      return;
    }
    if (seq <= lastSent) {
      return;
    }
    held.put(seq, e);
    drain();
    if (!held.isEmpty() && !reading) {
      catchUp(held.firstKey() - 1);
    }
  }

  /** Passes on held events while they follow the last one sent. */
  private void drain() {
    while (!held.isEmpty() && held.firstKey() <= lastSent + 1) {
      var first = held.pollFirstEntry();
      if (first.getKey() == lastSent + 1) {
        lastSent = first.getKey();
        if (!closed) {
          sink.accept(first.getValue());
        }
      }
    }
  }

  /** Reads the history from the last event sent up to {@code upTo}, then passes on what was held. */
  private Future<Void> catchUp(long upTo) {
    if (upTo <= lastSent) {
      drain();
      return Future.succeededFuture();
    }
    reading = true;
    return s.pool.preparedQuery(READ).execute(Tuple.of(project, lastSent, upTo)).map(rows -> {
      for (Row r : rows) {
        JsonObject e = new JsonObject().put("type", r.getString("type")).put("seq", r.getLong("seq"))
            .mergeIn((JsonObject) r.getValue("payload"));
        held.putIfAbsent(e.getLong("seq"), e);
      }
      reading = false;
      drain();
      return (Void) null;
    }).onFailure(e -> reading = false);
  }

  void close() {
    closed = true;
    live.unregister();
  }
}
