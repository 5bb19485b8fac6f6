package io.productionline.store;

import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.Comparator;
import java.util.List;

/**
 * The claims that executors of one shape (the same capabilities, environment and lease) made into
 * one group of {@link GroupCommit}, as one statement: PostgreSQL finds, locks and hands out the
 * group's tasks in one scan of the queue instead of one a claim. Each claim asks for one task or
 * several (an executor that runs several at once).
 *
 * <p>It takes as many queued tasks as the claims ask for together, in claim order, {@code FOR
 * UPDATE SKIP LOCKED}, as the claims one after the other would. A task an operator reserved for
 * one of the claiming executors ({@code reserved_for}, until {@code reserved_until}) goes to that
 * executor only; one reserved for another executor is not taken; the others go to the remaining
 * places in the order the claims were made, the first claim's first: the best tasks to the first
 * claim. A claim may so be handed a task reserved for it ahead of a better free one (alone it takes
 * the best it may take). Each executor's lease token is made with its own secret, as alone. Its rows
 * carry {@code ord}, the claim's place in the batch (1-based); a claim that got no task has no row.
 */
final class ClaimBatch {

  private ClaimBatch() {
  }

  /** A claim of up to {@code max} tasks by {@code executorId} with its lease's {@code secret}, made at {@code now}. */
  record Ask(String shape, String executorId, String secret, OffsetDateTime now, int leaseSeconds, List<String> capabilities,
             String environment, int max) {

    /** The values of the batch's statement for these claims, all of {@code asks}' shape. */
    static Tuple tuple(List<Ask> asks) {
      Ask first = asks.get(0);
      OffsetDateTime now = asks.stream().map(Ask::now).max(Comparator.naturalOrder()).orElseThrow();
      Tuple t = Tuple.tuple().addArrayOfString(asks.stream().map(Ask::executorId).toArray(String[]::new))
          .addArrayOfString(asks.stream().map(Ask::secret).toArray(String[]::new))
          .addOffsetDateTime(now).addInteger(first.leaseSeconds());
      if (first.capabilities().size() == 1) {
        t.addString(first.capabilities().get(0));
      } else {
        t.addArrayOfString(first.capabilities().toArray(String[]::new));
      }
      return t.addString(first.environment()).addArrayOfInteger(asks.stream().map(Ask::max).toArray(Integer[]::new))
          .addInteger(asks.stream().mapToInt(Ask::max).sum());
    }

    /** The statement for claims of this shape. */
    String sql() {
      return capabilities.size() == 1 ? ONE : ANY;
    }
  }

  /** The batch for executors of one capability ({@code $5}, a text): the queue's index is read in claim order. */
  static final String ONE = sql("= $5");

  /** The batch for executors of several capabilities ({@code $5}, a text array). */
  static final String ANY = sql("= ANY ($5)");

  private static String sql(String capability) {
    return """
        WITH asked AS (
          SELECT a.executor_id, a.secret, a.wants, a.ord
            FROM unnest($1::text[], $2::text[], $7::int[]) WITH ORDINALITY AS a (executor_id, secret, wants, ord)
        ), picked AS MATERIALIZED (
          SELECT q.ctid AS tid, q.reserved_for, q.reserved_until,
                 row_number() OVER (ORDER BY q.priority DESC, q.created_at, q.id) AS rank
            FROM (SELECT ctid, reserved_for, reserved_until, priority, created_at, id FROM station_tasks q
                   WHERE q.status = 'queued' AND q.capability %s AND q.available_at <= $3
                     AND (q.reserved_for IS NULL OR q.reserved_for = ANY ($1) OR q.reserved_until <= $3)
                     AND (q.environment = 'either' OR $6 = 'either' OR q.environment = $6)
                   ORDER BY q.priority DESC, q.created_at, q.id
                   LIMIT $8
                   FOR UPDATE SKIP LOCKED) q
        ), mine AS MATERIALIZED (
          SELECT r.tid, a.ord
            FROM (SELECT p.tid, p.reserved_for, row_number() OVER (PARTITION BY p.reserved_for ORDER BY p.rank) AS k
                    FROM picked p
                   WHERE p.reserved_until > $3) r
            JOIN asked a ON a.executor_id = r.reserved_for AND r.k <= a.wants
        ), free AS (
          SELECT p.tid, row_number() OVER (ORDER BY p.rank) AS n
            FROM picked p
           WHERE p.reserved_for IS NULL OR p.reserved_until <= $3
        ), rest AS (
          SELECT a.ord, row_number() OVER (ORDER BY a.ord, s.k) AS n
            FROM asked a
            CROSS JOIN LATERAL generate_series((SELECT count(*) FROM mine m WHERE m.ord = a.ord) + 1, a.wants) AS s (k)
        ), assigned AS (
          SELECT tid, ord FROM mine
          UNION ALL
          SELECT f.tid, r.ord FROM free f JOIN rest r USING (n)
        )
        UPDATE station_tasks t
           SET status = 'claimed', executor_id = a.executor_id,
               lease_token = t.id || '.' || t.attempt || '.' || encode(sha256(convert_to(a.secret || t.id, 'UTF8')), 'hex'),
               lease_expires_at = LEAST($3::timestamptz + make_interval(secs => $4),
                                        $3::timestamptz + make_interval(secs => t.timeout_seconds)),
               claimed_at = $3, progress = 0, progress_message = NULL,
               reserved_for = NULL, reserved_until = NULL, reserved_by = NULL
          FROM assigned s JOIN asked a USING (ord)
         WHERE t.ctid = s.tid
        RETURNING t.*, s.ord""".formatted(capability);
  }
}
