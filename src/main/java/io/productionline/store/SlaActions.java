package io.productionline.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.List;

/** What the SLA policy did about each breach ({@code sla_breaches.action}, {@code action_result}; V012). */
public final class SlaActions {

  /** A breach the policy has not dealt with yet, with its interrupt as it stands now. */
  public record Pending(String interruptId, String interruptType, String projectId, String trackId, String documentType,
                        String interruptStatus, int stationIndex, String line) {
  }

  private static final String PENDING = """
      SELECT b.interrupt_id, b.interrupt_type, b.project_id, b.track_id, b.document_type, i.status, i.station_index, p.line
        FROM sla_breaches b JOIN interrupts i ON i.id = b.interrupt_id JOIN projects p ON p.id = b.project_id
       WHERE b.action_result IS NULL
       ORDER BY b.breached_at, b.interrupt_id
       LIMIT 200""";

  private static final String RESULT = "UPDATE sla_breaches SET action = $2, action_result = $3 WHERE interrupt_id = $1";

  private static final String ACTED = "UPDATE sla_breaches SET action = $2, action_result = $3, acted_at = $4 WHERE interrupt_id = $1";

  /** The latest actions the policy took (or tried), newest first: of one project when $1 is not null. */
  private static final String RECENT = """
      SELECT interrupt_id, interrupt_type, project_id, track_id, document_type, breached_at, action, action_result, acted_at
        FROM sla_breaches
       WHERE acted_at IS NOT NULL AND ($1::text IS NULL OR project_id = $1)
       ORDER BY acted_at DESC, interrupt_id
       LIMIT $2""";

  /** One action the policy took on a breach, as the inbox lists it. */
  public record Acted(String interruptId, String interruptType, String projectId, String trackId, String documentType,
                      Instant breachedAt, String action, String result, Instant actedAt) {
  }

  public Future<List<Pending>> pending(SqlClient db) {
    return db.preparedQuery(PENDING).execute().map(rows -> TaskRepository.all(rows, r -> new Pending(r.getString("interrupt_id"),
        r.getString("interrupt_type"), r.getString("project_id"), r.getString("track_id"), r.getString("document_type"),
        r.getString("status"), r.getInteger("station_index"), r.getString("line"))));
  }

  public Future<Void> result(SqlClient db, String interruptId, String action, String result) {
    return db.preparedQuery(RESULT).execute(Tuple.of(interruptId, action, result)).mapEmpty();
  }

  /** The result of an escalation or answer the policy took at {@code at}. */
  public Future<Void> acted(SqlClient db, String interruptId, String action, String result, Instant at) {
    return db.preparedQuery(ACTED).execute(Tuple.of(interruptId, action, result, TrackRepository.utc(at))).mapEmpty();
  }

  /** The latest {@code limit} actions the policy took, newest first (of {@code projectId} when not null). */
  public Future<List<Acted>> recent(SqlClient db, String projectId, int limit) {
    return db.preparedQuery(RECENT).execute(Tuple.of(projectId, limit)).map(rows -> TaskRepository.all(rows, r -> new Acted(
        r.getString("interrupt_id"), r.getString("interrupt_type"), r.getString("project_id"), r.getString("track_id"),
        r.getString("document_type"), TrackRow.instant(r, "breached_at"), r.getString("action"), r.getString("action_result"),
        TrackRow.instant(r, "acted_at"))));
  }
}
