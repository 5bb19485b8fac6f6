package io.productionline.store;

import io.productionline.line.TrackState;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.time.OffsetDateTime;

/**
 * One row of {@code tracks}: where a track stands. A child of a fan-out names its parent track, the
 * round of the parent's fan-out (the parent's version when it fanned out), its place in the parent's
 * list ({@code fanOutIndex}, from 0) and its item (any JSON value); the others have nulls there.
 */
public record TrackRow(
    String id,
    String projectId,
    String documentType,
    TrackState state,
    int stationIndex,
    int remediationCount,
    int runs,
    String currentTaskId,
    String reason,
    long version,
    String ownerNode,
    Long ownerEpoch,
    String replaces,
    Instant createdAt,
    Instant stateEnteredAt,
    Instant finalizedAt,
    String parentTrackId,
    Long fanOutRound,
    Integer fanOutIndex,
    Object fanOutItem) {

  static TrackRow of(Row r) {
    return new TrackRow(
        r.getString("id"),
        r.getString("project_id"),
        r.getString("document_type"),
        TrackState.parse(r.getString("state")).orElseThrow(),
        r.getInteger("station_index"),
        r.getInteger("remediation_count"),
        r.getInteger("runs"),
        r.getString("current_task_id"),
        r.getString("reason"),
        r.getLong("version"),
        r.getString("owner_node"),
        r.getLong("owner_epoch"),
        r.getString("replaces"),
        instant(r, "created_at"),
        instant(r, "state_entered_at"),
        instant(r, "finalized_at"),
        r.getString("parent_track_id"),
        r.getLong("fan_out_round"),
        r.getInteger("fan_out_index"),
        item(r.getValue("fan_out_item")));
  }

  /** Whether this track is a child of a fan-out. */
  public boolean child() {
    return parentTrackId != null;
  }

  private static Object item(Object v) {
    return v == io.vertx.sqlclient.Tuple.JSON_NULL ? null : v;
  }

  static Instant instant(Row r, String column) {
    OffsetDateTime t = r.getOffsetDateTime(column);
    return t == null ? null : t.toInstant();
  }
}
