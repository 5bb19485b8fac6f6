package io.productionline.chaos;

import io.productionline.line.TrackState;
import io.productionline.line.Transitions;
import io.productionline.support.ChildServers;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What must hold in PostgreSQL after a chaos run, whatever was killed, paused or cut off: every
 * track stabilized or escalated; no station task left queued or claimed; each track's history a
 * legal path through its stations ({@link Transitions}); no station run completed twice (and none
 * completed without moving its track); every
 * move written by the node that owned the track at that point of its history, under a lease of its own;
 * no hole in any project's event sequence. Each check gives its count and the first few cases.
 */
final class Invariants {

  private static final int EXAMPLES = 5;

  private final String pg;

  Invariants(String pg) {
    this.pg = pg;
  }

  /** Every check, as {@code name → {count, examples}}; a count above 0 is a violation. */
  JsonObject check() {
    JsonObject out = new JsonObject();
    out.put("tracks_lost", found(sql("""
        SELECT id, project_id, document_type, state, reason FROM tracks
         WHERE state NOT IN ('stabilized', 'escalated') ORDER BY project_id, id""")));
    out.put("tasks_open", found(sql("""
        SELECT id, track_id, status, executor_id, attempt FROM station_tasks
         WHERE status IN ('queued', 'claimed') ORDER BY id""")));
    out.put("illegal_moves", illegalMoves());
    // Each move out of a station is the completion of one station run (the task queued when the track
    // entered it); the chaos lines have one work item per station and no cancels. More moves out of
    // stations than completed runs: a run's completion was applied twice. Fewer: a completion was lost.
    List<Map<String, Object>> runs = sql("""
        WITH m AS (SELECT track_id, count(*) FILTER (WHERE payload->>'from' IN ('binding', 'assembling', 'auditing', 'remediating'))
                            AS moves_out
                     FROM track_events WHERE type = 'station_transition' GROUP BY track_id),
             c AS (SELECT track_id, count(*) FILTER (WHERE status = 'completed') AS runs_completed FROM station_tasks GROUP BY track_id)
        SELECT t.id AS track_id, t.document_type, coalesce(m.moves_out, 0) AS moves_out, coalesce(c.runs_completed, 0) AS runs_completed
          FROM tracks t LEFT JOIN m ON m.track_id = t.id LEFT JOIN c ON c.track_id = t.id
         WHERE coalesce(m.moves_out, 0) <> coalesce(c.runs_completed, 0) ORDER BY t.id""");
    out.put("runs_completed_twice", found(runs.stream()
        .filter(r -> ((Number) r.get("moves_out")).longValue() > ((Number) r.get("runs_completed")).longValue()).toList()));
    out.put("completions_not_applied", found(runs.stream()
        .filter(r -> ((Number) r.get("moves_out")).longValue() < ((Number) r.get("runs_completed")).longValue()).toList()));
    out.put("tracks_completed_twice", found(sql("""
        SELECT track_id, count(*) AS n FROM track_events WHERE type = 'production_complete'
         GROUP BY track_id HAVING count(*) > 1""")));
    out.put("sequence_holes", found(sql("""
        SELECT p.id AS project_id, p.last_seq, count(e.seq) AS events, min(e.seq) AS first, max(e.seq) AS last
          FROM projects p LEFT JOIN track_events e ON e.project_id = p.id
         GROUP BY p.id, p.last_seq
        HAVING count(e.seq) <> coalesce(max(e.seq), 0) OR coalesce(min(e.seq), 1) <> 1 OR p.last_seq <> coalesce(max(e.seq), 0)""")));
    out.put("moves_by_other_than_owner", movesByOwner());
    return out;
  }

  /**
   * Each track's station transitions in sequence order: each starts where the one before ended
   * (the first from {@code queued}) and is a move {@link Transitions} allows.
   */
  private JsonObject illegalMoves() {
    List<Map<String, Object>> rows = sql("""
        SELECT track_id, seq, payload->>'from' AS "from", payload->>'state' AS "to"
          FROM track_events WHERE type = 'station_transition' ORDER BY track_id, seq""");
    List<Map<String, Object>> bad = new ArrayList<>();
    String track = null;
    String state = null;
    for (Map<String, Object> r : rows) {
      String id = (String) r.get("track_id");
      if (!id.equals(track)) {
        track = id;
        state = "queued";
      }
      String from = (String) r.get("from");
      String to = (String) r.get("to");
      boolean legal;
      try {
        legal = from.equals(state) && Transitions.legal(TrackState.parse(from).orElseThrow(), TrackState.parse(to).orElseThrow());
      } catch (RuntimeException e) {
        legal = false;
      }
      if (!legal) {
        Map<String, Object> b = new LinkedHashMap<>(r);
        b.put("state_before", state);
        bad.add(b);
      }
      state = to;
    }
    return found(bad);
  }

  /**
   * Every station transition names the node that wrote it and its lease epoch; the track's
   * supervision history ({@code track_supervised} events, each naming the node and epoch that took
   * the track from then on) says who owned the track at that point of its history. A move whose
   * writer is not the owner of that moment, or whose epoch is not a lease of that node, is a
   * violation. Counted only when the history carries writers.
   */
  private JsonObject movesByOwner() {
    boolean writers = !sql("""
        SELECT 1 FROM track_events WHERE type = 'station_transition' AND payload ? 'node' LIMIT 1""").isEmpty();
    if (!writers) {
      return new JsonObject().put("count", 0).put("checked", false)
          .put("note", "station transitions carry no writing node in this build");
    }
    if (sql("SELECT 1 FROM information_schema.tables WHERE table_name = 'node_leases'").isEmpty()) {
      return new JsonObject().put("count", 0).put("checked", false).put("note", "no node leases in this build");
    }
    JsonObject result = found(sql("""
        SELECT e.track_id, e.seq, e.payload->>'node' AS writer, e.payload->>'epoch' AS writer_epoch,
               s.payload->>'node' AS owner, s.payload->>'epoch' AS owner_epoch, l.node_id AS epoch_holder
          FROM track_events e
          LEFT JOIN LATERAL (
            SELECT payload FROM track_events s
             WHERE s.project_id = e.project_id AND s.track_id = e.track_id AND s.type = 'track_supervised' AND s.seq < e.seq
             ORDER BY s.seq DESC LIMIT 1) s ON true
          LEFT JOIN node_leases l ON l.epoch::text = e.payload->>'epoch'
         WHERE e.type = 'station_transition'
           AND (s.payload IS NULL OR s.payload->>'node' IS DISTINCT FROM e.payload->>'node'
                OR s.payload->>'epoch' IS DISTINCT FROM e.payload->>'epoch' OR l.node_id IS DISTINCT FROM e.payload->>'node')
         ORDER BY e.track_id, e.seq"""));
    return result.put("checked", true);
  }

  /** How many stale completions the executors were refused with 409, from their own output. */
  static int staleCompletionsRefused(List<Path> executorOutputs) {
    int n = 0;
    for (Path p : executorOutputs) {
      try {
        if (Files.exists(p)) {
          for (String line : Files.readAllLines(p)) {
            if (line.contains("could not hand in task") && line.contains("answered 409")) {
              n++;
            }
          }
        }
      } catch (IOException e) {
        // An executor's output that cannot be read counts nothing.
      }
    }
    return n;
  }

  private List<Map<String, Object>> sql(String q) {
    return ChildServers.sql(pg, q);
  }

  private static JsonObject found(List<Map<String, Object>> rows) {
    JsonArray examples = new JsonArray();
    rows.stream().limit(EXAMPLES).forEach(r -> {
      JsonObject o = new JsonObject();
      r.forEach((k, v) -> o.put(k, v == null ? null : v instanceof Number || v instanceof Boolean ? v : v.toString()));
      examples.add(o);
    });
    return new JsonObject().put("count", rows.size()).put("examples", examples);
  }
}
