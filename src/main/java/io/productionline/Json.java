package io.productionline;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.productionline.line.LineDefinition;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.DatabindCodec;
import java.util.Map;

/** Jackson mapping: snake_case on the wire, ISO-8601 times, the same mapper Vert.x uses. */
public final class Json {

  /** Snake_case mapper for line definitions and other records. */
  public static final ObjectMapper MAPPER = new ObjectMapper()
      .registerModule(new JavaTimeModule())
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  static {
    DatabindCodec.mapper().registerModule(new JavaTimeModule()).disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
  }

  private Json() {
  }

  @SuppressWarnings("unchecked")
  public static JsonObject toJson(LineDefinition def) {
    return new JsonObject(MAPPER.convertValue(def, Map.class));
  }

  public static LineDefinition line(JsonObject json) {
    return MAPPER.convertValue(json.getMap(), LineDefinition.class);
  }
}
