package io.productionline.store;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Identifiers: a short prefix that names the kind, then 64 random bits. */
public final class Ids {

  private static final SecureRandom RANDOM = new SecureRandom();

  private Ids() {
  }

  public static String next(String prefix) {
    byte[] b = new byte[8];
    RANDOM.nextBytes(b);
    return prefix + "_" + HexFormat.of().formatHex(b);
  }

  /** A secret token with 128 random bits. */
  public static String secret() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
