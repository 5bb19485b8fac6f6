package io.productionline.store;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;

/** One row of {@code station_tasks}: one station run of a track, and who holds it. */
public record TaskRow(
    String id,
    String trackId,
    String projectId,
    String documentType,
    int runNo,
    int stationIndex,
    String stationId,
    String stationKind,
    String capability,
    String environment,
    int priority,
    JsonObject step,
    JsonObject input,
    TaskStatus status,
    int attempt,
    int maxAttempts,
    int timeoutSeconds,
    String leaseToken,
    String executorId,
    Instant leaseExpiresAt,
    Instant availableAt,
    Instant createdAt,
    Instant claimedAt,
    Instant completedAt,
    Double progress,
    String progressMessage,
    String outcome,
    JsonObject result,
    boolean cancelRequested) {

  static TaskRow of(Row r) {
    return new TaskRow(
        r.getString("id"), r.getString("track_id"), r.getString("project_id"), r.getString("document_type"),
        r.getInteger("run_no"), r.getInteger("station_index"), r.getString("station_id"), r.getString("station_kind"),
        r.getString("capability"), r.getString("environment"), r.getInteger("priority"),
        (JsonObject) r.getValue("step"), (JsonObject) r.getValue("input"), TaskStatus.of(r.getString("status")),
        r.getInteger("attempt"), r.getInteger("max_attempts"), r.getInteger("timeout_seconds"),
        r.getString("lease_token"), r.getString("executor_id"),
        TrackRow.instant(r, "lease_expires_at"), TrackRow.instant(r, "available_at"), TrackRow.instant(r, "created_at"),
        TrackRow.instant(r, "claimed_at"), TrackRow.instant(r, "completed_at"),
        r.getDouble("progress"), r.getString("progress_message"), r.getString("outcome"),
        (JsonObject) r.getValue("result"), r.getBoolean("cancel_requested"));
  }

  /** Where a task's step keeps what its station's gates require ({@link io.productionline.line.Gates#requirements}). */
  public static final String REQUIREMENTS = "requirements";

  /**
   * The JSON an executor receives when it claims this task; {@code requirements} lists what the
   * station's gates require of its completion (empty where there are none).
   */
  public JsonObject toClaimJson() {
    JsonObject stepOut = step;
    JsonArray requirements = new JsonArray();
    if (step != null && step.getValue(REQUIREMENTS) instanceof JsonArray r) {
      stepOut = step.copy();
      stepOut.remove(REQUIREMENTS);
      requirements = r;
    }
    return new JsonObject()
        .put("task_id", id).put("lease_token", leaseToken).put("attempt", attempt)
        .put("lease_expires_at", leaseExpiresAt == null ? null : leaseExpiresAt.toString())
        .put("project_id", projectId).put("track_id", trackId).put("document_type", documentType)
        .put("station", stationId).put("station_kind", stationKind).put("station_index", stationIndex)
        .put("run_no", runNo).put("capability", capability).put("environment", environment)
        .put("priority", priority).put("timeout_seconds", timeoutSeconds)
        .put("step", stepOut).put("input", input).put(REQUIREMENTS, step == null ? null : requirements);
  }

  /** The JSON shown to operators. */
  public JsonObject toJson() {
    return toClaimJson().put("lease_token", null).put("status", status.wire()).put("executor_id", executorId)
        .put("max_attempts", maxAttempts)
        .put("created_at", str(createdAt)).put("claimed_at", str(claimedAt)).put("completed_at", str(completedAt))
        .put("available_at", str(availableAt))
        .put("progress", progress).put("progress_message", progressMessage).put("outcome", outcome)
        .put("result", result).put("cancel_requested", cancelRequested);
  }

  private static String str(Instant t) {
    return t == null ? null : t.toString();
  }
}
