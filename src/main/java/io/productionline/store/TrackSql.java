package io.productionline.store;

/** The SQL of {@link TrackRepository}. */
final class TrackSql {

  static final String FIND = "SELECT * FROM tracks WHERE id = $1";

  /** A project's tracks in the order they were created; a fan-out's children in the order of its items. */
  static final String OF_PROJECT = "SELECT * FROM tracks WHERE project_id = $1 ORDER BY created_at, fan_out_index, id";

  static final String OF_IDS = "SELECT * FROM tracks WHERE id = ANY ($1) ORDER BY created_at, fan_out_index, id";

  /** A project's sequence number and line version: what a view kept in memory checks itself against. */
  static final String HEAD = "SELECT last_seq, line_version FROM projects WHERE id = $1";

  /** The tracks a project's events after {@code $2} up to {@code $3} are about (the events' key is (project_id, seq)). */
  static final String CHANGED_SINCE = """
      SELECT DISTINCT track_id FROM track_events WHERE project_id = $1 AND seq > $2 AND seq <= $3 AND track_id IS NOT NULL""";

  static final String PAGE_OF_PROJECT = "SELECT * FROM tracks WHERE project_id = $1 ORDER BY created_at, fan_out_index, id LIMIT $2 OFFSET $3";

  static final String INSERT = """
      INSERT INTO tracks (id, project_id, document_type, state, replaces, created_at, state_entered_at)
      VALUES ($1, $2, $3, 'queued', $4, $5, $5)""";

  /**
   * A qc_reject replacement ({@code $1}) of track {@code $2}: the same project and document type,
   * queued, and for a fan-out's child the same parent, round, index and item.
   */
  static final String INSERT_REPLACEMENT = """
      INSERT INTO tracks (id, project_id, document_type, state, replaces, parent_track_id, fan_out_round, fan_out_index,
                          fan_out_item, created_at, state_entered_at)
      SELECT $1, project_id, document_type, 'queued', id, parent_track_id, fan_out_round, fan_out_index, fan_out_item, $3, $3
        FROM tracks WHERE id = $2""";

  /**
   * Whether the lease of epoch {@code epoch} held by node {@code node} (two SQL expressions) is
   * valid now, by the database's clock: the one test of ownership every write of a track and every
   * adoption makes.
   */
  static String leaseHeld(String node, String epoch) {
    return "EXISTS (SELECT 1 FROM node_leases l WHERE l.epoch = " + epoch + " AND l.node_id = " + node
        + " AND l.expires_at > clock_timestamp())";
  }

  /**
   * The fence of a track's write: the track ({@code $1}) is owned by node {@code $2} under epoch
   * {@code $3}, and that lease is valid. Locks the track's row until the transaction ends, so no
   * adoption (which updates the row) can come between the check and the commit. No row: the
   * caller's transaction writes nothing.
   */
  static final String FENCE = "SELECT 1 FROM tracks WHERE id = $1 AND owner_node = $2 AND owner_epoch = $3 AND "
      + leaseHeld("$2", "$3") + " FOR NO KEY UPDATE";

  /**
   * A node ({@code $2}) takes a track ({@code $1}) under its lease's epoch ({@code $3}), which must
   * be valid: only when no node owns it, this node already owns it under this epoch, or the
   * owner's lease is no longer valid in PostgreSQL. Never because of who a node sees in the cluster.
   */
  static final String TAKE_OWNERSHIP = """
      UPDATE tracks SET owner_node = $2, owner_epoch = $3
       WHERE id = $1 AND %s
         AND (owner_node IS NULL OR (owner_node = $2 AND owner_epoch = $3) OR NOT %s)
      RETURNING *""".formatted(leaseHeld("$2", "$3"), leaseHeld("tracks.owner_node", "tracks.owner_epoch"));

  /** Graceful leave: the unfinished tracks a node ({@code $1}) owns under epoch {@code $2} are given up. */
  static final String RELEASE_ALL = """
      UPDATE tracks SET owner_node = NULL, owner_epoch = NULL
       WHERE owner_node = $1 AND owner_epoch = $2 AND finalized_at IS NULL""";

  /** Unfinished, started tracks whose owner's lease is not valid (or that no node owns): adoptable. */
  static final String ORPHANS = """
      SELECT id FROM tracks
       WHERE finalized_at IS NULL AND state <> 'queued'
         AND (owner_node IS NULL OR NOT %s)
       ORDER BY created_at""".formatted(leaseHeld("owner_node", "owner_epoch"));

  /** The node that owns a track under a valid lease; no row when none does. */
  static final String LIVE_OWNER = "SELECT owner_node FROM tracks WHERE id = $1 AND " + leaseHeld("owner_node", "owner_epoch");

  /**
   * Queued tracks ({@code $1}) an operator's Run Full Line or Start Production asks to start, marked
   * (by the database's clock, as the reconciliation reads it) before the start commands go out: what
   * makes a lost start found again.
   */
  static final String REQUEST_START = """
      UPDATE tracks SET start_requested_at = now() WHERE id = ANY ($1) AND state = 'queued' AND start_requested_at IS NULL""";

  /**
   * Tracks a lost command would strand, for the reconciliation: blocked tracks (their dependencies
   * may have cleared), queued tracks asked to start more than 5 s ago, queued replacements of a track cancelled by
   * qc_reject and queued children of a fan-out (their start may have been lost), unfinished children of a cancelled parent (their
   * cancel may have been lost), and tracks at a station ({@code $1}, the states at a station) that have not moved since
   * {@code $2} (by the clock of the nodes that move them) and whose current run has no open task. Only a track
   * that stood still is looked at for open work: on a busy line every track moves every few seconds, and looking
   * for each one's open task read every open task of the line at every reconciliation.
   */
  static final String STRANDED = """
      SELECT t.* FROM tracks t
       WHERE t.finalized_at IS NULL
         AND (t.state = 'blocked'
              OR (t.state = 'queued' AND t.start_requested_at < now() - interval '5 seconds')
              OR (t.state = 'queued' AND t.replaces IS NOT NULL
                  AND EXISTS (SELECT 1 FROM tracks r WHERE r.id = t.replaces AND r.state = 'cancelled'))
              OR (t.state = 'queued' AND t.parent_track_id IS NOT NULL)
              OR (t.parent_track_id IS NOT NULL
                  AND EXISTS (SELECT 1 FROM tracks p WHERE p.id = t.parent_track_id AND p.state = 'cancelled'))
              OR (t.state = ANY ($1) AND t.state_entered_at < $2
                  AND NOT EXISTS (SELECT 1 FROM station_tasks k
                                                      WHERE k.track_id = t.id AND k.run_no = t.runs AND %s)))
       ORDER BY t.created_at""".formatted(TaskSql.open("k."));

  static final String SUMMARY = "SELECT state, count(*) AS n FROM tracks WHERE project_id = $1 GROUP BY state";

  static final String WITHDRAW_INTERRUPTS = """
      UPDATE interrupts SET status = 'withdrawn', resolved_at = $2, resolution = $3
       WHERE track_id = $1 AND status = 'open'
      RETURNING id""";

  static final String AUDIT = "INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)";

  private TrackSql() {
  }
}
