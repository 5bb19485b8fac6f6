package io.productionline.track;

import io.productionline.events.EventType;
import io.productionline.line.DocumentType;
import io.productionline.line.StationDef;
import io.productionline.line.TrackMachine.Decision;
import io.productionline.store.TrackRepository.NewEvent;
import io.productionline.store.TrackRow;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/** The events one decided move of a track produces, in the shapes of SPEC §7. */
final class TrackEvents {

  private TrackEvents() {
  }

  /**
   * The events of a move; {@code audit} (the server's audit of the station: verdict, decided_by,
   * gates) goes on the transition. A move that changes the project's counts ({@code countsChange}:
   * the track's state, or tracks it creates) also has a {@code line_progress}, which gets the
   * project's summary and line state as the move's statement appends it ({@code TrackWrite},
   * {@code MoveBatch}). A move from station to station in one state leaves the counts as they were:
   * it has none (most moves of a line; their summary was half of a move's stored events).
   */
  static List<NewEvent> of(TrackRow from, DocumentType type, Decision d, String taskId, String interruptId, JsonObject audit,
                           boolean countsChange) {
    List<NewEvent> out = new ArrayList<>();
    String station = type.stations().isEmpty() ? null : type.station(d.stationIndex()).id();
    JsonObject transition = base(from)
        .put("from", d.from().wire()).put("state", d.to().wire())
        .put("station", station)
        .put("station_kind", type.station(d.stationIndex()).stationKind().wire())
        .put("station_index", d.stationIndex())
        .put("elapsed_ms", Duration.between(from.stateEnteredAt(), d.at()).toMillis())
        .put("remediation_count", d.remediationCount())
        .put("max_remediations", type.maxRemediations())
        .put("reason", d.reason())
        .put("task_id", taskId)
        .put("at", d.at().toString());
    if (audit != null) {
      transition.put("audit", audit);
    }
    out.add(new NewEvent(EventType.STATION_TRANSITION, transition));
    if (d.interrupt() != null) {
      out.add(new NewEvent(EventType.LINE_STOPPED, base(from)
          .put("reason", d.interrupt().reason()).put("interrupt_id", interruptId)
          .put("interrupt_type", d.interrupt().type().wire())
          .put("station", station)
          .put("payload", new JsonObject(new LinkedHashMap<>(d.interrupt().payload())))
          .put("at", d.at().toString())));
    }
    if (d.to().terminal()) {
      out.add(new NewEvent(EventType.PRODUCTION_COMPLETE, base(from).put("outcome", d.to().wire())
          .put("reason", d.reason()).put("at", d.at().toString())));
    }
    if (countsChange) {
      out.add(new NewEvent(EventType.LINE_PROGRESS, new JsonObject().put("project", from.projectId()).put("at", d.at().toString())));
    }
    return out;
  }

  static NewEvent interruptResolved(TrackRow track, String interruptId, String how, JsonObject resolution, String actor, Decision d) {
    return new NewEvent(EventType.INTERRUPT_RESOLVED, base(track).put("interrupt_id", interruptId)
        .put("how", how).put("resolution", resolution).put("resolved_by", actor).put("at", d.at().toString()));
  }

  /** An {@code auto_notify} station completed: what it did and where the track went. */
  static NewEvent operatorNotice(TrackRow track, StationDef station, String outcome, Decision d) {
    String message = station.id() + " of " + track.documentType() + " reported " + outcome + "; the track is now " + d.to().wire();
    return new NewEvent(EventType.OPERATOR_NOTICE, base(track).put("station", station.id())
        .put("station_kind", station.stationKind().wire()).put("automation", station.automation())
        .put("outcome", outcome).put("state", d.to().wire()).put("reason", d.reason())
        .put("message", message).put("at", d.at().toString()));
  }

  /** One item of a multi-operator station completed; {@code done} of {@code of} items have. */
  static NewEvent workItemComplete(TrackRow track, StationDef station, int item, int done, int of, String outcome, String executor,
                                   java.time.Instant at) {
    return new NewEvent(EventType.WORK_ITEM_COMPLETE, base(track).put("station", station.id())
        .put("item", item).put("items_complete", done).put("work_items", of).put("outcome", outcome)
        .put("executor_id", executor).put("state", track.state().wire()).put("at", at.toString()));
  }

  /** A fan-out's children were created with the move {@code d} of their parent {@code track}. */
  static NewEvent fanOut(TrackRow track, io.productionline.line.FanOut f, List<String> children, Decision d) {
    return new NewEvent(EventType.FAN_OUT, base(track).put("station", f.station()).put("items", f.items())
        .put("child_type", f.childType()).put("children", children.size())
        .put("child_track_ids", new io.vertx.core.json.JsonArray(children)).put("at", d.at().toString()));
  }

  /** What every event of a track names: its project, itself, its type, and a fan-out's child its parent and place. */
  private static JsonObject base(TrackRow t) {
    JsonObject o = new JsonObject().put("project", t.projectId()).put("track_id", t.id()).put("document_type", t.documentType());
    return t.child() ? o.put("parent_track_id", t.parentTrackId()).put("fan_out_index", t.fanOutIndex()) : o;
  }
}
