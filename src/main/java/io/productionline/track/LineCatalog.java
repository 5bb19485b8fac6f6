package io.productionline.track;

import io.productionline.Json;
import io.productionline.Refusal;
import io.productionline.events.Addresses;
import io.productionline.line.LineDefinition;
import io.productionline.line.Lines;
import io.productionline.line.Skill;
import io.productionline.line.Skills;
import io.productionline.store.AuditRepository;
import io.productionline.store.LineRepository;
import io.productionline.store.LineRepository.LineRow;
import io.productionline.store.LineRepository.VersionRow;
import io.productionline.store.ProjectRepository;
import io.productionline.store.ProjectRepository.ProjectRow;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The line catalogue: every version of every line, kept in PostgreSQL ({@link LineRepository}),
 * and the skills loaded from {@code conf/skills}.
 *
 * <p>Versions are immutable, so a node caches them by (line, version) for good. Which version is
 * current is read from PostgreSQL whenever it decides something ({@link #current}): a version
 * stored through any node is used on every node at once, whether or not the announcement on
 * {@link Addresses#LINES} arrived; the announcement only fills the caches before they are asked.
 * {@link #find} answers from the cache, for what may lag by an announcement (the demo's start).
 *
 * <p>{@code conf/lines/*.json} is imported at start ({@link #importConf}): a file whose content no
 * version of its line has becomes that line's next version; anything else imports nothing, so a
 * restart, or nodes starting together, import a file once.
 */
public final class LineCatalog {

  private static final Logger log = LoggerFactory.getLogger(LineCatalog.class);
  private static final int PARSED_MAX = 10_000;
  /** The author a version imported from {@code conf/lines} names. */
  public static final String CONF = "conf/lines";

  /** One version of a line, parsed. */
  public record LineVersion(LineDefinition line, JsonObject json, VersionRow row) {

    public String name() {
      return row.line();
    }

    public int version() {
      return row.version();
    }
  }

  /** The result of a write: the version that is current after it, and whether the write stored it. */
  public record Stored(LineVersion version, boolean stored) {
  }

  private final Pool pool;
  private final Clock clock;
  private final Vertx vertx;
  private final Map<String, Skill> skills;
  private final LineRepository repo = new LineRepository();
  private final AuditRepository audit = new AuditRepository();
  /** Versions read, keyed by {@code name@version}: immutable, so never stale. */
  private final Map<String, LineVersion> versions = new ConcurrentHashMap<>();
  /** The newest version this node has heard of per line: a hint for {@link #find}. */
  private final Map<String, LineVersion> latest = new ConcurrentHashMap<>();
  private final Map<String, Parsed> parsed = new ConcurrentHashMap<>();
  private MessageConsumer<JsonObject> announcements;

  /**
   * A project's definition as parsed, with the line version it is a copy of (a version's text never
   * changes). {@code json} is kept only for a project without a version (older than the catalogue):
   * for it, the copy itself is what tells it changed.
   */
  private record Parsed(Integer version, JsonObject json, LineDefinition line) {
  }

  public LineCatalog(Vertx vertx, Pool pool, Clock clock, Map<String, Skill> skills) {
    this.vertx = vertx;
    this.pool = pool;
    this.clock = clock;
    this.skills = Map.copyOf(skills);
  }

  // ---- start ----------------------------------------------------------------------------------

  /** Hears the announcements of versions stored on any node (registered cluster-wide when it completes). */
  public Future<Void> listen() {
    announcements = vertx.eventBus().<JsonObject>consumer(Addresses.LINES, m -> {
      String name = m.body().getString("line");
      Integer version = m.body().getInteger("version");
      if (name != null && version != null) {
        version(name, version).onFailure(e -> log.debug("Line {} version {} not read: {}", name, version, e.toString()));
      }
    });
    return announcements.completion();
  }

  public Future<Void> stop() {
    return announcements == null ? Future.succeededFuture() : announcements.unregister();
  }

  /**
   * Imports the definitions of {@code conf/lines} whose content is new, in one transaction under a
   * cluster-wide lock, then reads every line's current version into the cache. Answers the
   * versions it stored.
   */
  public Future<List<LineVersion>> importConf(Map<String, LineDefinition> conf) {
    Instant now = clock.instant();
    List<VersionRow> stored = new ArrayList<>();
    return pool.withTransaction(conn -> {
          Future<Void> chain = repo.lockImport(conn);
          for (LineDefinition def : conf.values()) {
            JsonObject json = Json.toJson(def);
            String hash = hash(json);
            chain = chain.compose(v -> repo.hasContent(conn, def.name(), hash)).compose(known -> {
              if (known) {
                return Future.succeededFuture();
              }
              return repo.insertLine(conn, def.name(), hash, now)
                  .compose(first -> first.isPresent() ? Future.succeededFuture(first) : repo.nextVersion(conn, def.name(), hash, now))
                  .compose(n -> {
                    VersionRow row = new VersionRow(def.name(), n.orElseThrow(), json, hash, "imported from " + CONF, "conf", CONF, now);
                    stored.add(row);
                    // Not an operator's or admin's action: the version's row says where it came from and when.
                    return repo.insertVersion(conn, row);
                  });
            });
          }
          return chain;
        })
        .compose(v -> repo.all(pool))
        .compose(lines -> Future.all(lines.stream().map(l -> version(l.name(), l.currentVersion())).toList()))
        .map(v -> {
          stored.forEach(this::announce);
          stored.forEach(r -> log.info("Line {} version {} imported from {}", r.line(), r.version(), CONF));
          return stored.stream().map(r -> versions.get(key(r.line(), r.version()))).toList();
        });
  }

  // ---- reads ----------------------------------------------------------------------------------

  /** The line's row (current version, retired), read from PostgreSQL. */
  public Future<Optional<LineRow>> row(String name) {
    return repo.line(pool, name);
  }

  /** Every line of the catalogue, read from PostgreSQL. */
  public Future<List<LineRow>> rows() {
    return repo.all(pool);
  }

  /** The current version of {@code name}, as PostgreSQL says now; 404 when there is no such line. */
  public Future<LineVersion> current(String name) {
    return repo.line(pool, name).compose(row -> row.isEmpty()
        ? Future.failedFuture(noLine(name))
        : version(name, row.get().currentVersion()));
  }

  /** Version {@code n} of {@code name}: from the cache, else PostgreSQL; 404 when there is none. */
  public Future<LineVersion> version(String name, int n) {
    LineVersion known = versions.get(key(name, n));
    if (known != null) {
      return Future.succeededFuture(known);
    }
    return repo.version(pool, name, n).map(row -> {
      VersionRow r = row.orElseThrow(() -> Refusal.notFound("line " + name + " has no version " + n));
      return remember(new LineVersion(Json.line(r.definition()), r.definition(), r));
    });
  }

  /** Every version of {@code name}, oldest first, without definitions; 404 when there is no such line. */
  public Future<List<VersionRow>> versions(String name) {
    return repo.versions(pool, name).compose(list -> list.isEmpty() ? Future.failedFuture(noLine(name)) : Future.succeededFuture(list));
  }

  /**
   * The newest version of {@code name} this node has heard of, from the cache (it may lag by an
   * announcement): for what only needs to know that a line exists.
   */
  public Optional<LineDefinition> find(String name) {
    return Optional.ofNullable(latest.get(name)).map(LineVersion::line);
  }

  // ---- writes ---------------------------------------------------------------------------------

  /**
   * Stores a new line at version 1 ({@code def} already checked). 409 when a line of that name
   * exists. The write is audited as {@code create_line}.
   */
  public Future<Stored> create(LineDefinition def, String note, String actor) {
    Instant now = clock.instant();
    JsonObject json = Json.toJson(def);
    String hash = hash(json);
    return pool.withTransaction(conn -> repo.insertLine(conn, def.name(), hash, now).compose(n -> {
      if (n.isEmpty()) {
        return Future.failedFuture(Refusal.conflict("a line named " + def.name() + " exists; PUT /api/v1/lines/" + def.name()
            + " stores a new version of it"));
      }
      return insertAudited(conn, "create_line", new VersionRow(def.name(), n.get(), json, hash, note, "api", actor, now));
    })).map(row -> stored(def, json, row));
  }

  /**
   * Stores {@code def} as the next version of its line; when it is the current content already,
   * stores nothing and answers the current version. 404 when there is no such line. Audited as
   * {@code line_version}.
   */
  public Future<Stored> put(LineDefinition def, String note, String actor) {
    Instant now = clock.instant();
    JsonObject json = Json.toJson(def);
    String hash = hash(json);
    return pool.withTransaction(conn -> repo.nextVersion(conn, def.name(), hash, now).compose(n -> {
      if (n.isEmpty()) {
        return Future.succeededFuture((VersionRow) null);
      }
      return insertAudited(conn, "line_version", new VersionRow(def.name(), n.get(), json, hash, note, "api", actor, now));
    })).compose(row -> row == null
        ? current(def.name()).map(v -> new Stored(v, false))
        : Future.succeededFuture(stored(def, json, row)));
  }

  /** Retires a line: no new projects of it; running ones go on. 404 without the line, 409 when retired already. */
  public Future<LineRow> retire(String name, String actor) {
    Instant now = clock.instant();
    return pool.withTransaction(conn -> repo.retire(conn, name, actor, now).compose(done -> done
        ? audit.record(conn, actor, "retire_line", name, new JsonObject(), now)
        : repo.line(conn, name).compose(row -> Future.failedFuture(row.isEmpty()
            ? noLine(name)
            : Refusal.conflict("line " + name + " is retired already")))))
        .compose(v -> repo.line(pool, name)).map(Optional::orElseThrow);
  }

  // ---- projects and skills --------------------------------------------------------------------

  /**
   * The line definition project {@code p} runs on (the copy it keeps), parsed once: parsing a long
   * line is costly, and every track, view and forecast of the project needs it. A project's copy is
   * the text of its line version (a version's text never changes), so a version this node has read
   * is parsed once for every project on it. A definition that changed since (a redesign took up the
   * current version) is parsed again.
   */
  public LineDefinition ofProject(ProjectRow p) {
    Optional<LineDefinition> same = parsedOf(p);
    if (same.isPresent()) {
      return same.get();
    }
    Parsed known = parsed.get(p.id());
    if (p.lineVersion() == null && known != null && known.version() == null && p.lineDefinition().equals(known.json())) {
      return known.line();
    }
    if (parsed.size() >= PARSED_MAX) {
      parsed.clear();
    }
    LineDefinition line = Json.line(p.lineDefinition());
    parsed.put(p.id(), new Parsed(p.lineVersion(), p.lineVersion() == null ? p.lineDefinition() : null, line));
    return line;
  }

  /**
   * The definition project {@code p} runs on if this node parsed it already, as its line version
   * or as the project's copy: a reader that knows a project's line and version need not read its
   * definition (a project's copy is its version's text and changes only with its version, on a
   * redesign).
   */
  public Optional<LineDefinition> parsedOf(ProjectRow p) {
    if (p.lineVersion() == null) {
      return Optional.empty();
    }
    LineVersion version = versions.get(key(p.line(), p.lineVersion()));
    if (version != null) {
      return Optional.of(version.line());
    }
    Parsed known = parsed.get(p.id());
    return known != null && p.lineVersion().equals(known.version()) ? Optional.of(known.line()) : Optional.empty();
  }

  /** A project's row (without its line definition when this node had parsed that version) and the line it runs on. */
  public record ProjectLine(ProjectRow row, LineDefinition line) {
  }

  /**
   * The projects of {@code ids} that exist, with their lines. A line version this node has not read
   * yet is read once (from {@code line_versions}) for all its projects; a project's own copy only
   * when its version cannot be (a project older than the catalogue has none). The copy of a long
   * line, read for every track a node starts and for each project every time the forecast is made,
   * cost more than the rest of those reads.
   */
  public Future<Map<String, ProjectLine>> linesOf(SqlClient db, ProjectRepository projects, List<String> ids) {
    return projects.headsOfIds(db, ids).compose(heads -> {
      Map<String, ProjectLine> out = new HashMap<>();
      Map<String, Future<Optional<LineVersion>>> unread = new HashMap<>();
      for (ProjectRow h : heads) {
        if (parsedOf(h).isEmpty() && h.lineVersion() != null) {
          unread.computeIfAbsent(key(h.line(), h.lineVersion()), k -> versionOrNone(h.line(), h.lineVersion()));
        }
      }
      return Future.join(List.copyOf(unread.values())).transform(read -> {
        List<String> unparsed = new ArrayList<>();
        for (ProjectRow h : heads) {
          Optional<LineDefinition> line = parsedOf(h);
          if (line.isPresent()) {
            out.put(h.id(), new ProjectLine(h, line.get()));
          } else {
            unparsed.add(h.id());
          }
        }
        return projects.ofIds(db, unparsed).map(whole -> {
          whole.forEach(p -> out.put(p.id(), new ProjectLine(p, ofProject(p))));
          return out;
        });
      });
    });
  }

  /** Versions being read from PostgreSQL, by {@code name@version}: readers of one version share the read. */
  private final Map<String, Future<Optional<LineVersion>>> reading = new ConcurrentHashMap<>();

  /**
   * Version {@code n} of {@code name} into the cache, read once however many ask at a time; empty
   * when it cannot be read (the caller then reads the project's own copy).
   */
  private Future<Optional<LineVersion>> versionOrNone(String name, int n) {
    String key = key(name, n);
    LineVersion known = versions.get(key);
    if (known != null) {
      return Future.succeededFuture(Optional.of(known));
    }
    boolean[] started = {false};
    Future<Optional<LineVersion>> read = reading.computeIfAbsent(key, k -> {
      started[0] = true;
      return version(name, n).map(Optional::of).otherwise(e -> {
        log.debug("Line {} version {} not read: {}", name, n, e.toString());
        return Optional.empty();
      });
    });
    if (started[0]) {
      read.onComplete(ar -> reading.remove(key, read));
    }
    return read;
  }

  /** The skills stations may name, keyed by id. */
  public Map<String, Skill> skills() {
    return new TreeMap<>(skills);
  }

  public Optional<Skill> skill(String id) {
    return Optional.ofNullable(skills.get(id));
  }

  /**
   * Reads and checks a submitted definition against the skills, with skill references resolved
   * (what is stored and run).
   *
   * @throws io.productionline.line.LineValidationException with every finding and its path
   */
  public LineDefinition parse(String json) {
    return Lines.parse(Json.MAPPER, json, skills);
  }

  // ---- inside ---------------------------------------------------------------------------------

  private Stored stored(LineDefinition def, JsonObject json, VersionRow row) {
    LineVersion v = remember(new LineVersion(def, json, row));
    announce(row);
    log.info("Line {} version {} stored by {}", row.line(), row.version(), row.createdBy());
    return new Stored(v, true);
  }

  private void announce(VersionRow row) {
    vertx.eventBus().publish(Addresses.LINES, new JsonObject().put("line", row.line()).put("version", row.version()));
  }

  private LineVersion remember(LineVersion v) {
    versions.put(key(v.name(), v.version()), v);
    latest.merge(v.name(), v, (a, b) -> b.version() > a.version() ? b : a);
    return v;
  }

  /** Inserts a version written through the API and its audit entry ({@code action}, by its author). */
  private Future<VersionRow> insertAudited(SqlConnection conn, String action, VersionRow row) {
    JsonObject detail = new JsonObject().put("version", row.version()).put("note", row.note()).put("content_hash", row.hash());
    return repo.insertVersion(conn, row)
        .compose(v -> audit.record(conn, row.createdBy(), action, row.line(), detail, row.createdAt()))
        .map(v -> row);
  }

  private static Refusal noLine(String name) {
    return Refusal.notFound("no line named " + name);
  }

  private static String key(String name, int version) {
    return name + "@" + version;
  }

  /**
   * SHA-256 of the definition's canonical JSON: keys sorted at every level, so a definition read
   * back from PostgreSQL (whose jsonb orders keys its own way) and saved unchanged has the same hash.
   */
  static String hash(JsonObject definition) {
    try {
      String canonical = io.vertx.core.json.Json.encode(canonical(definition.getMap()));
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Object canonical(Object value) {
    if (value instanceof JsonObject o) {
      return canonical(o.getMap());
    }
    if (value instanceof io.vertx.core.json.JsonArray a) {
      return canonical(a.getList());
    }
    if (value instanceof Map<?, ?> m) {
      Map<String, Object> sorted = new TreeMap<>();
      m.forEach((k, v) -> sorted.put(String.valueOf(k), canonical(v)));
      return sorted;
    }
    if (value instanceof List<?> l) {
      return l.stream().map(LineCatalog::canonical).toList();
    }
    return value;
  }
}
