package io.productionline.store;

/** The claim statement the product runs for an executor of one capability, for the bench's query plans (TaskSql is package-private). */
public final class BenchSql {

  /** The statement. */
  public static final String CLAIM_SINGLE = TaskSql.CLAIM_ONE;

  /** Whether its capability parameter ($5) is an array (text[]) rather than one text. */
  public static final boolean CAPABILITY_IS_ARRAY = false;

  private BenchSql() {
  }
}
