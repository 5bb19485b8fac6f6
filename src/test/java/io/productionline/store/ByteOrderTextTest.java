package io.productionline.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.productionline.support.TestNode;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Text is compared in byte order in every table of the line (V023): a column left with the
 * database's collation costs each index write and lookup on it the locale's rules, and comparing it
 * with any other text column of the line fails ("could not determine which collation to use").
 */
@DisplayName("Every text column of the line compares in byte order")
class ByteOrderTextTest {

  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start();
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  @DisplayName("no text column of the line's tables keeps another collation than \"C\", a column added by a later migration included")
  void everyTextColumnInByteOrder() {
    List<String> other = node.sql("""
        SELECT c.relname || '.' || a.attname || ' (' || co.collname || ')'
          FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_collation co ON co.oid = a.attcollation
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
           AND co.collname <> 'C' ORDER BY 1""").stream().map(r -> r.getString(0)).toList();
    assertEquals(List.of(), other, "text columns in another collation than \"C\"");
    long inByteOrder = node.sql("""
        SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_collation co ON co.oid = a.attcollation
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = 'station_tasks' AND co.collname = 'C'
           AND a.attname IN ('id', 'track_id', 'project_id', 'capability', 'status')""").get(0).getLong(0);
    assertEquals(5, inByteOrder, "the claim's and the move's keys compare in byte order");
  }
}
