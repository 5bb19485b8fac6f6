package io.productionline.line;

import java.util.List;

/**
 * One station of a document type. {@code kind} and {@code automation} are kept as written so the
 * validator can name a bad value; read them typed through {@link #stationKind()} and
 * {@link #automationLevel()} once the line is valid.
 */
public record StationDef(
    String id,
    String kind,
    String capability,
    String environment,
    Integer timeoutSeconds,
    String automation,
    StepDef step,
    List<GateDef> gates,
    Integer workItems) {

  public static final int DEFAULT_TIMEOUT_SECONDS = 300;

  public StationDef {
    capability = capability == null ? "sim" : capability;
    environment = environment == null ? "either" : environment;
    timeoutSeconds = timeoutSeconds == null ? DEFAULT_TIMEOUT_SECONDS : timeoutSeconds;
    automation = automation == null ? AutomationLevel.FULLY_AUTO.wire() : automation;
    gates = gates == null ? List.of() : List.copyOf(gates);
    workItems = workItems == null ? 1 : workItems;
    id = id == null ? StationKind.parse(kind).map(StationKind::shortName).orElse(kind) : id;
  }

  public StationKind stationKind() {
    return StationKind.parse(kind).orElseThrow(() -> new IllegalStateException("unknown station kind " + kind));
  }

  public AutomationLevel automationLevel() {
    return AutomationLevel.parse(automation).orElseThrow(() -> new IllegalStateException("unknown automation level " + automation));
  }
}
