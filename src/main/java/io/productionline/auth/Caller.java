package io.productionline.auth;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.User;
import java.util.Optional;

/**
 * The authenticated caller of a request or a bridge frame, read from a verified token:
 * {@code subject} (who, for the audit log), {@code role}, and for an executor the
 * {@code executorId} it may act as.
 */
public record Caller(String subject, Role role, String executorId) {

  /** The caller a verified token's claims name; empty when the claims name no known role. */
  public static Optional<Caller> of(JsonObject claims) {
    if (claims == null) {
      return Optional.empty();
    }
    Optional<Role> role = Role.parse(claims.getString("role"));
    if (role.isEmpty()) {
      return Optional.empty();
    }
    String executorId = claims.getString("executor_id");
    if (role.get() == Role.EXECUTOR && (executorId == null || executorId.isBlank())) {
      return Optional.empty();
    }
    String subject = claims.getString("sub");
    return Optional.of(new Caller(subject == null || subject.isBlank() ? role.get().wire() : subject, role.get(),
        role.get() == Role.EXECUTOR ? executorId : null));
  }

  public static Optional<Caller> of(User user) {
    return user == null ? Optional.empty() : of(user.principal());
  }

  public boolean is(Role r) {
    return role == r;
  }

  /** True for an executor acting as {@code id}; false for an executor acting as anyone else. */
  public boolean actsAs(String id) {
    return role == Role.EXECUTOR && executorId.equals(id);
  }
}
