package io.productionline.events;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;

/**
 * Publishing to addresses that often have no consumer anywhere: a project's events (heard only
 * while a dashboard, a stream or a bridge socket watches the project) and task log lines (only
 * while someone streams them).
 *
 * <p>The clustered event bus keeps the members it looked up for an address only while the address
 * has consumers; a publish to an address nobody hears asks the cluster's registry again every time
 * (a Hazelcast lookup on a worker thread, for every event of every project nobody watches). So such
 * events go to {@link Addresses#BROADCAST} instead, which every server node always hears (its
 * members are looked up once), with their own address in the {@value #TO} header; each node's relay
 * publishes them on that address to its own consumers only. Consumers listen on the addresses as
 * before and cannot tell the difference.
 */
public final class Broadcast {

  /** The header that carries the address a broadcast event is for. */
  public static final String TO = "to";
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  private Broadcast() {
  }

  /** Publishes {@code body} on {@code address} to every consumer of it on every server node. */
  public static void publish(EventBus bus, String address, Object body) {
    bus.publish(Addresses.BROADCAST, body, new DeliveryOptions().addHeader(TO, address));
  }

  /** The address a message sent with {@link #publish} is for; null for any other message. */
  public static String addressOf(String sentTo, MultiMap headers) {
    return Addresses.BROADCAST.equals(sentTo) ? headers.get(TO) : null;
  }

  /**
   * This node's relay: hands every broadcast event to this node's consumers of its address, and to
   * {@code tap} (the dashboard channel's {@code LiveViews}). Its future completes once the relay is
   * registered cluster-wide.
   */
  public static Future<MessageConsumer<Object>> relay(EventBus bus, java.util.function.BiConsumer<String, Object> tap) {
    MessageConsumer<Object> relay = bus.consumer(Addresses.BROADCAST, m -> {
      String to = m.headers().get(TO);
      if (to != null) {
        bus.publish(to, m.body(), LOCAL);
        if (Addresses.isProject(to)) {
          bus.publish(Addresses.PROJECTS_LOCAL, m.body(), LOCAL);
        }
        tap.accept(to, m.body());
      }
    });
    return relay.completion().map(relay);
  }
}
