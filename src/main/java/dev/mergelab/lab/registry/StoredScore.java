package dev.mergelab.lab.registry;

import java.time.Instant;

/** A score as the lab holds it: whose, which, and when it was recorded. */
public record StoredScore(String candidate, Score score, Instant recordedAt) {
}
