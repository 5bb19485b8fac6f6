package io.productionline.store;

/** A compare-and-set update found the row changed: the write lost a race and changed nothing. */
public final class StaleWriteException extends RuntimeException {

  public StaleWriteException(String message) {
    super(message, null, false, false);
  }
}
