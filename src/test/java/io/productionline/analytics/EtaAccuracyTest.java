package io.productionline.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.events.Addresses;
import io.productionline.support.TestNode;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The forecast against what happened, on the {@code flow_eta} line (bind 0.8 s and audit 0.8 s on
 * {@code flow_a} with two executors, assembly 2.4 s on {@code flow_b} with three; no rejections).
 * Station times are long next to what a loaded machine adds to each run (HTTP calls, transactions:
 * tens to a few hundred milliseconds), so the accuracy measured is the model's, not the machine's.
 * A warm-up batch runs first, so every station's time is measured; then 20 parts start together
 * and, once the line is in full flow, each one's ETA is read and later compared with its actual
 * finish. The error is relative to the time that was left when the forecast was made:
 * |ETA − finish| ÷ (finish − forecast.as_of).
 */
@DisplayName("ETA: the forecast of tracks that finish is within 20 % of their actual finish, over at least 20 tracks")
class EtaAccuracyTest {

  private static final int WARM_UP = 6;
  private static final int BATCH = 20;
  private TestNode node;

  @BeforeEach
  void start() {
    node = TestNode.start();
  }

  @AfterEach
  void stop() {
    node.close();
  }

  @Test
  @DisplayName("At steady state on a sim line with known durations, every ETA is within 20 % of the actual finish")
  void etaWithinTwentyPercent() {
    node.executor("a-1", "flow_a");
    node.executor("a-2", "flow_a");
    node.executor("b-1", "flow_b");
    node.executor("b-2", "flow_b");
    node.executor("b-3", "flow_b");
    List<String> warm = new ArrayList<>();
    for (int i = 1; i <= WARM_UP; i++) {
      warm.add(node.createProject("warm-" + i, "flow_eta"));
      node.api.post("/production/start?project=warm-" + i, new JsonObject());
    }
    for (String p : warm) {
      node.awaitProduction(p, v -> TestNode.allTracks(v, "stabilized"), Duration.ofSeconds(60));
    }

    List<String> batch = new ArrayList<>();
    for (int i = 1; i <= BATCH; i++) {
      batch.add(node.createProject("part-" + i, "flow_eta"));
    }
    String[] addresses = batch.stream().map(Addresses::project).toArray(String[]::new);
    Map<String, JsonObject> forecast = new HashMap<>();
    JsonObject model = new JsonObject();
    try (FlowKit.Heard heard = new FlowKit.Heard(node.vertx, addresses)) {
      for (String p : batch) {
        assertEquals(200, node.api.post("/production/start?project=" + p, new JsonObject()).status());
      }
      // Full flow: a dozen stations of the batch have completed (tasks leave every station of the line).
      heard.awaitAll(events -> events.stream().filter(e -> "station_transition".equals(e.getString("type"))
              && !"binding".equals(e.getString("state"))).count() >= 12,
          Duration.ofSeconds(60), "a dozen station completions in the batch");
      for (String p : batch) {
        JsonObject m = node.api.get("/production/metrics?project=" + p).json();
        if (model.isEmpty()) {
          model.mergeIn(m.getJsonObject("forecast").getJsonObject("model"));
        }
        JsonObject track = m.getJsonArray("tracks").getJsonObject(0);
        forecast.put(track.getString("track_id"), new JsonObject().put("project", p)
            .put("as_of", m.getJsonObject("forecast").getString("as_of"))
            .put("eta_at", track.getString("eta_at")).put("state", track.getString("state"))
            .put("project_eta", m.getJsonObject("forecast").getString("eta_at")));
      }
    }
    for (String p : batch) {
      node.awaitProduction(p, v -> TestNode.allTracks(v, "stabilized"), Duration.ofSeconds(120));
    }

    List<Double> errors = new ArrayList<>();
    StringBuilder table = new StringBuilder();
    for (Row r : node.sql("SELECT id, finalized_at FROM tracks WHERE project_id LIKE 'part-%' ORDER BY finalized_at")) {
      JsonObject f = forecast.get(r.getString("id"));
      assertNotNull(f, "a forecast for " + r.getString("id"));
      if ("stabilized".equals(f.getString("state"))) {
        continue;
      }
      assertNotNull(f.getString("eta_at"), "every unfinished part had an ETA: " + f);
      assertEquals(f.getString("eta_at"), f.getString("project_eta"), "a one-track project finishes with its track");
      Instant asOf = Instant.parse(f.getString("as_of"));
      Instant eta = Instant.parse(f.getString("eta_at"));
      Instant actual = r.getOffsetDateTime("finalized_at").toInstant();
      long left = Duration.between(asOf, actual).toMillis();
      double error = Math.abs(Duration.between(actual, eta).toMillis()) / (double) left;
      errors.add(error);
      table.append(String.format(Locale.ROOT, "%n  %-8s left %6d ms, ETA off by %+6d ms (%4.1f %%)", f.getString("project"), left,
          Duration.between(actual, eta).toMillis(), error * 100));
    }
    StringBuilder actual = new StringBuilder();
    for (Row r : node.sql("SELECT station_id, round(avg(extract(epoch FROM completed_at - claimed_at)) * 1000) AS ms "
        + "FROM station_tasks WHERE project_id LIKE 'part-%' GROUP BY station_id ORDER BY station_id")) {
      actual.append(' ').append(r.getString(0)).append(' ').append(r.getValue(1)).append(" ms");
    }
    double max = errors.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    double mean = errors.stream().mapToDouble(Double::doubleValue).average().orElse(0);
    String report = String.format(Locale.ROOT, "%d tracks: mean error %.1f %%, max %.1f %%", errors.size(), mean * 100, max * 100)
        + "\n  model at the forecast: " + model.encode() + "\n  the batch's actual mean station times:" + actual + table;
    System.out.println("ETA accuracy: " + report);
    assertTrue(errors.size() >= 20, "at least 20 tracks were forecast before they finished: " + report);
    assertTrue(max <= 0.20, "every ETA within 20 % of the actual finish: " + report);
  }
}
