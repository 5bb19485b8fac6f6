package io.productionline.events;

/** Every event-bus address of the product, built in one place. */
public final class Addresses {

  private static final String TRACK = "pl.track.";
  private static final String PROJECT = "pl.project.";
  private static final String EXECUTOR = "pl.executor.";

  /** Publish: executor status changes and queue depth. */
  public static final String EXECUTORS = "pl.executors";
  /** Publish: wakes long-polling claims on every node. */
  public static final String WORK_AVAILABLE = "pl.work.available";
  /**
   * Request/reply: the work API for executors that joined the cluster. A message carries
   * {@code method}, {@code path}, {@code headers} and {@code body} of a call under
   * {@code /api/v1/executors} or {@code /api/v1/work}; the server node relays it into its own HTTP
   * API, so cluster and HTTP executors obey the very same rules (leases, tokens, validation).
   */
  public static final String WORK_RELAY = "pl.work.relay";

  /** Publish: the operator inbox across projects (interrupts opened and closed, SLA breaches). */
  public static final String INBOX = "pl.inbox";
  /** Publish: the projects there are, with their counts ({@code projects} events: one created, or its line moved). */
  public static final String PROJECTS = "pl.projects";
  /** Publish: a project's line moved; the node that keeps its flow metrics current recomputes them. */
  public static final String FLOW_CHANGED = "pl.analytics.changed";

  /**
   * Publish: a line version was stored ({@code {line, version}}); every node puts it in its
   * catalogue's cache. A hint only: a node that misses it reads PostgreSQL when it needs the line.
   */
  public static final String LINES = "pl.lines";

  /** Operator commands the dashboard may send over the bridge. */
  public static final String COMMAND_START = "pl.command.start";
  public static final String COMMAND_RESOLVE = "pl.command.resolve";
  public static final String COMMAND_ESCALATE = "pl.command.escalate";
  public static final String COMMAND_CANCEL = "pl.command.cancel";

  private Addresses() {
  }

  /** Request/reply: commands to one track's verticle. */
  public static String track(String trackId) {
    return TRACK + trackId;
  }

  /** Publish: every event of one project's line. */
  public static String project(String projectId) {
    return PROJECT + projectId;
  }

  /** Request/reply: placement commands to one server node ({@code place}, {@code adopt}). */
  public static String node(String nodeId) {
    return "pl.node." + nodeId;
  }

  /** Send: cancellation notices to one cluster executor. */
  public static String executor(String executorId) {
    return EXECUTOR + executorId;
  }

  /**
   * Publish: log lines and the end of station tasks, each naming its {@code task_id}; a log stream
   * keeps its own task's. One address for all tasks: an address per task made every completion look
   * its new address up in the cluster's registry (and left it in the event bus's cache).
   */
  public static final String TASK_LOGS = "pl.task.logs";

  /**
   * Publish: every server node's relay of events for addresses that may have no consumer
   * ({@link Broadcast}); the address an event is for is in its {@code to} header.
   */
  public static final String BROADCAST = "pl.broadcast";

  /**
   * Local publish, on each server node: every project event its relay ({@link Broadcast}) hands on,
   * whatever the project. The views across projects (the runs view, the intent queue) hear it.
   */
  public static final String PROJECTS_LOCAL = "pl.projects.local";

  public static boolean isProject(String address) {
    return address.startsWith(PROJECT);
  }

  /** The regex the bridge uses to let project events out. */
  public static String projectPattern() {
    return "pl\\.project\\.[A-Za-z0-9_.-]+";
  }
}
