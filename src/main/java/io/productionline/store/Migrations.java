package io.productionline.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Numbered schema migrations from {@code db/migration/V<nnn>__<name>.sql} on the classpath, each
 * applied once in its own transaction. An advisory lock keeps two nodes starting at once from
 * applying the same migration.
 */
public final class Migrations {

  private static final Logger log = LoggerFactory.getLogger(Migrations.class);
  private static final long LOCK_KEY = 0x50_4c_6d_69_67L;

  /** In order. Add a file here and under resources/db/migration together. */
  static final List<String> FILES = List.of("V001__core.sql", "V002__work_items.sql", "V003__claim_order.sql",
      "V004__task_lookups.sql", "V005__line_analytics.sql", "V006__settings.sql", "V007__fewer_task_indexes.sql",
      "V008__event_key.sql", "V009__leaner_task_indexes.sql", "V010__one_statement_completion.sql", "V011__node_leases.sql",
      "V012__line_catalogue.sql", "V013__workbench.sql", "V014__releases_and_sla_actions.sql", "V015__fan_out.sql", "V016__stored_reports.sql",
      "V017__restarts.sql", "V018__value_domains.sql", "V019__ended_tasks.sql",
      "V020__finished_tracks.sql", "V021__held_index_by_executor_only.sql",
      "V022__open_index_not_for_the_claim.sql", "V023__byte_order_text.sql", "V024__no_task_index_by_project.sql",
      "V025__tasks_queued_by_their_tracks_move.sql");

  private Migrations() {
  }

  public static Future<Void> apply(Pool pool) {
    // PostgreSQL's notices (an index renamed, a table already there) are not warnings: keep them out of the log.
    return pool.withTransaction(conn -> conn.query("SET LOCAL client_min_messages = warning").execute()
        .compose(v -> conn.query("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")").execute())
        .compose(v -> conn.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
              version text PRIMARY KEY,
              applied_at timestamptz NOT NULL DEFAULT now())""").execute())
        .compose(v -> conn.query("SELECT version FROM schema_migrations").execute())
        .compose(rows -> {
          Set<String> done = rows.stream().map(r -> r.getString(0)).collect(Collectors.toSet());
          Future<Void> chain = Future.succeededFuture();
          for (String file : FILES) {
            if (done.contains(file)) {
              continue;
            }
            chain = chain.compose(x -> conn.query(read(file)).execute())
                .compose(x -> conn.preparedQuery("INSERT INTO schema_migrations (version) VALUES ($1)").execute(Tuple.of(file)))
                .map(x -> {
                  log.info("Applied migration {}", file);
                  return null;
                });
          }
          return chain;
        }));
  }

  static String read(String file) {
    try (InputStream in = Migrations.class.getResourceAsStream("/db/migration/" + file)) {
      if (in == null) {
        throw new IllegalStateException("migration " + file + " is not on the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

}
