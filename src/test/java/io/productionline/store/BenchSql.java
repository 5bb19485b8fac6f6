package io.productionline.store;

/** The product's claim statement, for the bench's query plans (it lives package-private in {@link TaskSql}). */
public final class BenchSql {

  public static final String CLAIM = TaskSql.CLAIM;

  private BenchSql() {
  }
}
