package io.productionline.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Node leases ({@code node_leases}, V011): a node's right to own tracks, with an epoch from a
 * sequence and an expiry by the database's clock. See {@link TrackSql#leaseHeld} for the test every
 * write of a track makes against them.
 */
public final class LeaseRepository {

  /**
   * A lease as PostgreSQL has it: its epoch and when it expires, by the database's clock; and, when
   * it was just acquired, the nodes whose valid leases it ended (earlier runs at the same address).
   */
  public record Lease(long epoch, Instant expiresAt, List<String> superseded) {
  }

  /**
   * A new lease for the node ({@code $1}): the next epoch, valid for {@code $2} seconds from now,
   * taken at cluster address {@code $3} (null: the node has none). The valid leases of other nodes
   * taken at the same address end now: two live processes cannot listen on one address, so their
   * holders are gone (killed, crashed), and their tracks can be adopted at once.
   */
  static final String ACQUIRE = """
      WITH acquired AS (
        INSERT INTO node_leases (node_id, address, expires_at) VALUES ($1, $3, now() + $2::int * interval '1 second')
        RETURNING epoch, expires_at),
      superseded AS (
        UPDATE node_leases SET expires_at = now(), released_at = now()
         WHERE $3::text IS NOT NULL AND address = $3 AND node_id <> $1 AND expires_at > now()
        RETURNING node_id)
      SELECT epoch, expires_at, ARRAY (SELECT node_id FROM superseded) AS superseded FROM acquired""";

  /** Pushes the lease's expiry on, while it is still valid; no row when it lapsed (or was released). */
  static final String RENEW = """
      UPDATE node_leases SET expires_at = now() + $3::int * interval '1 second'
       WHERE epoch = $1 AND node_id = $2 AND released_at IS NULL AND expires_at > now()
      RETURNING epoch, expires_at""";

  /** Ends the lease now (graceful leave). */
  static final String RELEASE = """
      UPDATE node_leases SET expires_at = least(expires_at, now()), released_at = now()
       WHERE epoch = $1 AND node_id = $2""";

  /** The nodes holding a valid lease now. */
  static final String HOLDERS = "SELECT DISTINCT node_id FROM node_leases WHERE expires_at > now()";

  /** A new lease for {@code node} at {@code address} (null: none), ending the leases of earlier nodes at that address. */
  public Future<Lease> acquire(SqlClient db, String node, String address, int seconds) {
    return db.preparedQuery(ACQUIRE).execute(Tuple.of(node, seconds, address)).map(rows -> {
      Row r = rows.iterator().next();
      return new Lease(r.getLong("epoch"), r.getOffsetDateTime("expires_at").toInstant(), List.of(r.getArrayOfStrings("superseded")));
    });
  }

  /** The renewed lease, or empty when it is no longer valid in PostgreSQL. */
  public Future<Optional<Lease>> renew(SqlClient db, String node, long epoch, int seconds) {
    return db.preparedQuery(RENEW).execute(Tuple.of(epoch, node, seconds))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(lease(rows.iterator().next())));
  }

  public Future<Void> release(SqlClient db, String node, long epoch) {
    return db.preparedQuery(RELEASE).execute(Tuple.of(epoch, node)).mapEmpty();
  }

  /** The ids of the nodes whose lease is valid now. */
  public Future<List<String>> holders(SqlClient db) {
    return db.preparedQuery(HOLDERS).execute().map(rows -> {
      List<String> out = new ArrayList<>();
      rows.forEach(r -> out.add(r.getString(0)));
      return out;
    });
  }

  private static Lease lease(Row r) {
    return new Lease(r.getLong("epoch"), r.getOffsetDateTime("expires_at").toInstant(), List.of());
  }
}
