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

  /** A lease as PostgreSQL has it: its epoch and when it expires, by the database's clock. */
  public record Lease(long epoch, Instant expiresAt) {
  }

  /** A new lease for the node: the next epoch, valid for {@code $2} seconds from now. */
  static final String ACQUIRE = """
      INSERT INTO node_leases (node_id, expires_at) VALUES ($1, now() + $2::int * interval '1 second')
      RETURNING epoch, expires_at""";

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

  public Future<Lease> acquire(SqlClient db, String node, int seconds) {
    return db.preparedQuery(ACQUIRE).execute(Tuple.of(node, seconds)).map(rows -> lease(rows.iterator().next()));
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
    return new Lease(r.getLong("epoch"), r.getOffsetDateTime("expires_at").toInstant());
  }
}
