package io.productionline.auth;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Who may do what. {@code viewer} reads; {@code operator} reads and drives the line (start,
 * resolve, escalate, cancel, manual outcomes, intents); {@code admin} does all an operator does
 * plus tokens, line definitions and the audit log; {@code executor} reaches only its own
 * registration and the work it holds. The table of which role may call which endpoint is
 * {@code web.Guard}.
 */
public enum Role {
  ADMIN,
  OPERATOR,
  EXECUTOR,
  VIEWER;

  /** The roles that read the line: every role but executor. */
  public static final Set<Role> READERS = Set.of(ADMIN, OPERATOR, VIEWER);
  /** The roles that drive the line. */
  public static final Set<Role> OPERATORS = Set.of(ADMIN, OPERATOR);

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Role> parse(String s) {
    return s == null ? Optional.empty() : Arrays.stream(values()).filter(r -> r.wire().equals(s)).findFirst();
  }
}
