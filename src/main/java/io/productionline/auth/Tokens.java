package io.productionline.auth;

import io.productionline.Refusal;
import io.productionline.executor.ExecutorInfo;
import io.productionline.store.SettingsRepository;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.sqlclient.Pool;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * Bearer tokens: JSON Web Tokens signed with HS256 (vertx-auth-jwt). Claims: {@code sub} (who, as
 * the audit log names them), {@code role} ({@link Role}), {@code executor_id} (executor tokens
 * only), {@code iss} {@value #ISSUER}, {@code iat} and {@code exp}.
 *
 * <p>The signing secret is {@code auth.secret} ({@code PL_AUTH_SECRET}) when configured; otherwise
 * one is made once, at random, and kept in PostgreSQL ({@code settings}), so every node of a
 * cluster signs and verifies with the same one and tokens survive a restart.
 */
public final class Tokens {

  public static final String ISSUER = "production-line";
  public static final String SECRET_KEY = "auth.secret";
  /** The longest a token may live. */
  public static final Duration MAX_TTL = Duration.ofDays(366);
  public static final Pattern SUBJECT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}");
  private static final int MIN_SECRET_CHARS = 32;

  private static final int CHECKED_MAX = 10_000;

  private final JWTAuth jwt;
  private final java.util.Map<String, User> checked = new java.util.concurrent.ConcurrentHashMap<>();

  private Tokens(Vertx vertx, String secret) {
    this.jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret))
        .setJWTOptions(new JWTOptions().setIssuer(ISSUER).setAlgorithm("HS256")));
  }

  /** Tokens signed with {@code secret}, which must be at least 32 characters. */
  public static Tokens withSecret(Vertx vertx, String secret) {
    if (secret == null || secret.length() < MIN_SECRET_CHARS) {
      throw new IllegalArgumentException("auth.secret (PL_AUTH_SECRET) must be at least " + MIN_SECRET_CHARS + " characters");
    }
    return new Tokens(vertx, secret);
  }

  /** Tokens signed with the configured secret, or the one the cluster keeps in PostgreSQL (made now if there is none). */
  public static Future<Tokens> load(Vertx vertx, JsonObject config, Pool pool) {
    String configured = config.getJsonObject("auth", new JsonObject()).getString("secret");
    if (configured != null && !configured.isBlank()) {
      try {
        return Future.succeededFuture(withSecret(vertx, configured));
      } catch (IllegalArgumentException e) {
        return Future.failedFuture(e);
      }
    }
    byte[] random = new byte[48];
    new SecureRandom().nextBytes(random);
    String proposed = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    return new SettingsRepository().once(pool, SECRET_KEY, proposed).map(secret -> withSecret(vertx, secret));
  }

  /**
   * A new token. {@code subject} names the holder in the audit log; an executor token needs the
   * {@code executorId} it may act as, and only an executor token may carry one.
   */
  public String mint(Role role, String subject, String executorId, Duration ttl) {
    if (role == null) {
      throw Refusal.badRequest("role must be one of admin, operator, executor, viewer");
    }
    if (subject == null || !SUBJECT.matcher(subject).matches()) {
      throw Refusal.badRequest("name must match " + SUBJECT.pattern());
    }
    if (role == Role.EXECUTOR && (executorId == null || !ExecutorInfo.ID.matcher(executorId).matches())) {
      throw Refusal.badRequest("an executor token needs an executor_id matching " + ExecutorInfo.ID.pattern());
    }
    if (role != Role.EXECUTOR && executorId != null) {
      throw Refusal.badRequest("only an executor token carries an executor_id");
    }
    if (ttl == null || ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
      throw Refusal.badRequest("a token lives from 1 second to " + MAX_TTL.toDays() + " days");
    }
    JsonObject claims = new JsonObject().put("role", role.wire());
    if (executorId != null) {
      claims.put("executor_id", executorId);
    }
    return jwt.generateToken(claims, new JWTOptions().setAlgorithm("HS256").setIssuer(ISSUER).setSubject(subject)
        .setExpiresInSeconds((int) ttl.toSeconds()));
  }

  /**
   * The user a token names: its signature, issuer and expiry checked. Fails for anything else. A
   * token checked once is remembered until it expires (executors send the same token on every call,
   * and checking a signature costs more than the rest of a claim's handling).
   */
  public Future<User> authenticate(String token) {
    User known = checked.get(token);
    if (known != null) {
      if (!known.expired()) {
        return Future.succeededFuture(known);
      }
      checked.remove(token);
    }
    return jwt.authenticate(new TokenCredentials(token)).onSuccess(user -> {
      if (checked.size() >= CHECKED_MAX) {
        checked.clear();
      }
      checked.put(token, user);
    });
  }

  /** The caller a token names, or a failed future. */
  public Future<Caller> caller(String token) {
    return authenticate(token).compose(user -> Caller.of(user).map(Future::succeededFuture)
        .orElseGet(() -> Future.failedFuture(new IllegalArgumentException("the token names no role"))));
  }
}
