package io.productionline.line;

/**
 * A document type's fan-out: when a track of the type stabilizes, the list in field {@code items}
 * of the {@code output} its station {@code station} reported (the latest run of it that completed) becomes one
 * child track of type {@code childType} per item, at most {@code maxItems}. The child type is a
 * template: a project has no track of it but the children. A type that depends on the fan-out type
 * (the join) waits until the fan-out track and every one of its children is stabilized or escalated.
 */
public record FanOut(String station, String items, String childType, Integer maxItems) {

  /** The bound when none is given. */
  public static final int DEFAULT_MAX_ITEMS = 100;
  /** No fan-out has more children than this. */
  public static final int MAX_ITEMS = 1_000;

  public FanOut {
    maxItems = maxItems == null ? DEFAULT_MAX_ITEMS : maxItems;
  }

  /** The items of a result: the list to fan out, or (null items) the sentence that says why it cannot be. */
  public record Listed(java.util.List<Object> items, String refusal) {
  }

  /**
   * The items {@code result} (a station's reported result, as plain maps and lists) lists in field
   * {@link #items} of its {@code output} (the fields a station hands on): a list of at most
   * {@link #maxItems}. Anything else is refused with a sentence naming the field and the station.
   */
  public Listed itemsOf(java.util.Map<String, Object> result) {
    Object output = result == null ? null : result.get("output");
    Object v = output instanceof java.util.Map<?, ?> m ? m.get(items) : null;
    String where = "fan_out: field \"" + items + "\" of station " + station + "'s output";
    if (v == null) {
      return new Listed(null, where + " is missing; it must list the items to fan out");
    }
    if (!(v instanceof java.util.List<?> list)) {
      return new Listed(null, where + " is not a list");
    }
    if (list.size() > maxItems) {
      return new Listed(null, where + " lists " + list.size() + " items; the fan-out takes at most " + maxItems + " (max_items)");
    }
    // An item may be null (JSON null): a copy that keeps it.
    return new Listed(java.util.Collections.unmodifiableList(new java.util.ArrayList<Object>(list)), null);
  }
}
