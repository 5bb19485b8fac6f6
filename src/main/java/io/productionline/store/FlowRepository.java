package io.productionline.store;

import static io.productionline.store.TrackRepository.utc;

import io.productionline.store.InterruptRepository.InterruptRow;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** PostgreSQL reads for line analytics (flow metrics, the forecast, why a track waits), and SLA breaches. */
public final class FlowRepository {

  /** A completed station run an executor ran: where, by whom, and its times. */
  public record Completed(String projectId, String line, String trackId, String documentType, String stationId, String stationKind,
                          String capability, String executorId, int runNo, Instant createdAt, Instant claimedAt,
                          Instant completedAt, String outcome) {
  }

  /** A task's times for utilisation: when it was queued, claimed (by whom) and ended. */
  public record Work(String capability, String executorId, TaskStatus status, Instant createdAt, Instant claimedAt, Instant completedAt) {
  }

  /** A stored {@code station_transition} event. */
  public record Transition(String projectId, String trackId, JsonObject payload) {
  }

  /** An open interrupt as the operator inbox shows it. */
  public record InboxRow(InterruptRow interrupt, String trackState, String line, Instant slaBreachedAt) {
  }

  /** A recorded SLA breach of an interrupt. */
  public record Breach(String interruptId, String projectId, String trackId, String documentType, String interruptType,
                       int slaSeconds, Instant openedAt, Instant breachedAt, Instant detectedAt) {

    public JsonObject toJson() {
      return new JsonObject().put("interrupt_id", interruptId).put("project", projectId).put("track_id", trackId)
          .put("document_type", documentType).put("interrupt_type", interruptType).put("sla_seconds", slaSeconds)
          .put("opened_at", openedAt.toString()).put("breached_at", breachedAt.toString())
          .put("detected_at", detectedAt.toString());
    }
  }

  public Future<List<TaskRow>> lineTasks(SqlClient db, String line, Instant since) {
    return db.preparedQuery(FlowSql.LINE_TASKS).execute(Tuple.of(line, utc(since))).map(rows -> TaskRepository.all(rows, TaskRow::of));
  }

  public Future<List<TrackRow>> lineTracks(SqlClient db, String line, Instant since) {
    return db.preparedQuery(FlowSql.LINE_TRACKS).execute(Tuple.of(line, utc(since))).map(rows -> TaskRepository.all(rows, TrackRow::of));
  }

  public Future<List<Transition>> lineTransitions(SqlClient db, String line, Instant since) {
    return db.preparedQuery(FlowSql.LINE_TRANSITIONS).execute(Tuple.of(line, utc(since)))
        .map(rows -> TaskRepository.all(rows, r -> new Transition(r.getString("project_id"), r.getString("track_id"),
            (JsonObject) r.getValue("payload"))));
  }

  public Future<List<TaskRow>> openTasks(SqlClient db) {
    return db.preparedQuery(FlowSql.OPEN_TASKS).execute().map(rows -> TaskRepository.all(rows, TaskRow::of));
  }

  public Future<List<TrackRow>> activeProjectTracks(SqlClient db) {
    return db.preparedQuery(FlowSql.ACTIVE_PROJECT_TRACKS).execute().map(rows -> TaskRepository.all(rows, TrackRow::of));
  }

  public Future<List<Completed>> recentCompleted(SqlClient db, int limit) {
    return db.preparedQuery(FlowSql.RECENT_COMPLETED).execute(Tuple.of(limit)).map(rows -> TaskRepository.all(rows, r -> new Completed(
        r.getString("project_id"), r.getString("line"), r.getString("track_id"), r.getString("document_type"),
        r.getString("station_id"), r.getString("station_kind"), r.getString("capability"), r.getString("executor_id"),
        r.getInteger("run_no"), TrackRow.instant(r, "created_at"), TrackRow.instant(r, "claimed_at"),
        TrackRow.instant(r, "completed_at"), r.getString("outcome"))));
  }

  public Future<List<Work>> workSince(SqlClient db, Instant since) {
    return db.preparedQuery(FlowSql.WORK_SINCE).execute(Tuple.of(utc(since))).map(rows -> TaskRepository.all(rows, r -> new Work(
        r.getString("capability"), r.getString("executor_id"), TaskStatus.of(r.getString("status")), TrackRow.instant(r, "created_at"),
        TrackRow.instant(r, "claimed_at"), TrackRow.instant(r, "completed_at"))));
  }

  /** Queued tasks of the task's capability that an executor takes before it. */
  public Future<Long> aheadInQueue(SqlClient db, TaskRow task) {
    return db.preparedQuery(FlowSql.AHEAD_IN_QUEUE)
        .execute(Tuple.of(task.capability(), task.priority(), utc(task.createdAt()), task.id()))
        .map(rows -> rows.iterator().next().getLong("n"));
  }

  /** Open interrupts, oldest first: across projects, or of {@code projectId} when it is not null. */
  public Future<List<InboxRow>> inbox(SqlClient db, String projectId, int limit) {
    return db.preparedQuery(FlowSql.INBOX).execute(Tuple.of(projectId, limit)).map(rows -> TaskRepository.all(rows, r -> new InboxRow(
        InterruptRepository.of(r), r.getString("track_state"), r.getString("line"), TrackRow.instant(r, "sla_breached_at"))));
  }

  /** Records the breaches that passed by {@code now} for the given SLA per interrupt type; returns only the new ones. */
  public Future<List<Breach>> recordBreaches(SqlClient db, Instant now, Map<String, Integer> slaSeconds) {
    String[] types = slaSeconds.keySet().toArray(String[]::new);
    Integer[] seconds = slaSeconds.values().toArray(Integer[]::new);
    return db.preparedQuery(FlowSql.RECORD_BREACHES)
        .execute(Tuple.tuple().addOffsetDateTime(utc(now)).addArrayOfString(types).addArrayOfInteger(seconds))
        .map(rows -> TaskRepository.all(rows, FlowRepository::breach));
  }

  /** Every recorded breach, counted by interrupt type. */
  public Future<Map<String, Long>> breachTotals(SqlClient db) {
    return db.preparedQuery(FlowSql.BREACH_TOTALS).execute().map(rows -> {
      Map<String, Long> out = new LinkedHashMap<>();
      rows.forEach(r -> out.put(r.getString("interrupt_type"), r.getLong("n")));
      return out;
    });
  }

  private static Breach breach(Row r) {
    return new Breach(r.getString("interrupt_id"), r.getString("project_id"), r.getString("track_id"), r.getString("document_type"),
        r.getString("interrupt_type"), r.getInteger("sla_seconds"), TrackRow.instant(r, "opened_at"),
        TrackRow.instant(r, "breached_at"), TrackRow.instant(r, "detected_at"));
  }
}
