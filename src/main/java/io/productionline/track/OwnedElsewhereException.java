package io.productionline.track;

/** Another live node supervises this track. */
final class OwnedElsewhereException extends RuntimeException {

  OwnedElsewhereException(String trackId) {
    super("track " + trackId + " is supervised by another node", null, false, false);
  }
}
