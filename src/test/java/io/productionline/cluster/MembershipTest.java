package io.productionline.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.productionline.events.Addresses;
import io.productionline.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("After a merge, a node checks that the cluster still routes its addresses to it")
class MembershipTest {

  private TestNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  @DisplayName("the node's standing addresses and its tracks' addresses are found in the cluster's registry; an address nobody answers on is reported missing after republishing")
  void subscriptionCheck() {
    node = TestNode.startClustered(TestNode.config(), "pl-test-" + UUID.randomUUID());
    Membership membership = node.node.membership();

    assertEquals(List.of(), membership.checkSubscriptions(true).await(), "every standing address names this node");
    JsonObject check = membership.toJson().getJsonObject("subscriptions");
    assertEquals(0, check.getInteger("missing"), check.encode());
    assertEquals(Boolean.FALSE, check.getBoolean("republished"), check.encode());

    String nobody = Addresses.track("trk_nobody_supervises");
    membership.alsoStanding(() -> Future.succeededFuture(List.of(nobody)));
    List<String> missing = membership.checkSubscriptions(true).await();
    assertEquals(List.of(nobody), missing, "an address no consumer of this node answers on stays missing");
    check = membership.toJson().getJsonObject("subscriptions");
    assertEquals(1, check.getInteger("missing"), check.encode());
    assertEquals(Boolean.TRUE, check.getBoolean("republished"), "the node republished its subscriptions: " + check.encode());
    assertTrue(membership.inMajority(), "one node expected, one seen");
  }
}
