package io.productionline.events;

/** The names of the events of SPEC §7, as they appear on every channel. */
public final class EventType {

  public static final String STATION_TRANSITION = "station_transition";
  public static final String LINE_STOPPED = "line_stopped";
  public static final String INTERRUPT_RESOLVED = "interrupt_resolved";
  public static final String PRODUCTION_COMPLETE = "production_complete";
  public static final String LINE_PROGRESS = "line_progress";
  public static final String EXECUTOR_STATUS = "executor_status";
  public static final String QUEUE_DEPTH = "queue_depth";
  public static final String TASK_PROGRESS = "task_progress";
  public static final String TASK_REQUEUED = "task_requeued";
  /** An {@code auto_notify} station completed: the line went on, and the operator is told. */
  public static final String OPERATOR_NOTICE = "operator_notice";
  /** One work item of a multi-operator station completed; the station waits for the rest. */
  public static final String WORK_ITEM_COMPLETE = "work_item_complete";
  /**
   * A track of a type with a fan-out stabilized and created its children (in the same statement):
   * the child type, how many, their ids in the order of the items.
   */
  public static final String FAN_OUT = "fan_out";
  /** An executor claimed a station task: the station starts working (the dashboard channel only, never stored). */
  public static final String TASK_CLAIMED = "task_claimed";
  /** The projects there are and their counts changed (a project was created, or its line moved). */
  public static final String PROJECTS = "projects";
  /** The whole operator inbox, as {@code GET /api/v1/inbox} answers it (on {@code pl.inbox}). */
  public static final String INBOX = "inbox";
  /** A node took over the supervision of a track (at its start, or adopting it from a node that left). */
  public static final String TRACK_SUPERVISED = "track_supervised";

  /** A project's flow metrics, bottleneck and forecast changed (live only, at most one a second). */
  public static final String FLOW_METRICS = "flow_metrics";
  /** An operator interrupt has been open longer than the SLA of its type (once per interrupt). */
  public static final String SLA_BREACHED = "sla_breached";
  /** The SLA policy escalated or answered an interrupt whose SLA passed (or found it answered first). */
  public static final String SLA_ACTION = "sla_action";
  /** The operator inbox: an interrupt opened somewhere in the cluster. */
  public static final String INBOX_OPENED = "inbox_opened";
  /** The operator inbox: an interrupt was resolved, escalated or withdrawn. */
  public static final String INBOX_CLOSED = "inbox_closed";

  private EventType() {
  }
}
