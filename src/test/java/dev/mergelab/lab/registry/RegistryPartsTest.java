package dev.mergelab.lab.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The registry's small pure parts: parameter summaries, content ids, lock holders, score order. */
class RegistryPartsTest {

    @Test
    void aConstantParameterIsOneValueAndAGradientOneEntryPerRunOfEqualValues() {
        Map<String, Map<String, Object>> values = new LinkedHashMap<>();
        Map<String, Object> weight = new LinkedHashMap<>();
        weight.put("embed", 0.2);
        weight.put("l0.q", 0.2);
        weight.put("l0.k", 0.2);
        weight.put("l1.q", 0.5);
        weight.put("l1.k", 0.5);
        weight.put("head", 0.8);
        values.put("weight", weight);
        Map<String, Object> density = new LinkedHashMap<>();
        weight.keySet().forEach(k -> density.put(k, 0.5));
        values.put("density", density);
        Map<String, Object> partial = new LinkedHashMap<>();
        partial.put("l0.q", 1.0);
        values.put("filtered", partial);
        JsonNode o = Provenance.summarise(values, 6);
        assertEquals(0.5, o.get("density").asDouble());
        assertEquals("{\"embed..l0.k\":0.2,\"l1.q..l1.k\":0.5,\"head\":0.8}", o.get("weight").toString());
        // set on one tensor of six: not a constant, so the tensor is named
        assertEquals("{\"l0.q\":1.0}", o.get("filtered").toString());
    }

    @Test
    void contentIdIgnoresTheModelCardAndManifestButNotTheWeights() {
        SortedMap<String, ContentId.FileEntry> a = new TreeMap<>();
        a.put("model.safetensors", new ContentId.FileEntry(10, "a".repeat(64)));
        a.put("config.json", new ContentId.FileEntry(3, "b".repeat(64)));
        SortedMap<String, ContentId.FileEntry> b = new TreeMap<>(a);
        b.put("README.md", new ContentId.FileEntry(99, "c".repeat(64)));
        b.put("mergelab_manifest.json", new ContentId.FileEntry(9, "d".repeat(64)));
        assertEquals(ContentId.of(a), ContentId.of(b));
        b.put("model.safetensors", new ContentId.FileEntry(10, "e".repeat(64)));
        org.junit.jupiter.api.Assertions.assertNotEquals(ContentId.of(a), ContentId.of(b));
        // the canonical list is "sha size name" lines, hashed: fixed here so ids stay stable across versions
        assertEquals(dev.mergelab.engine.FileHashes.sha256(("b".repeat(64) + " 3 config.json\n" + "a".repeat(64) + " 10 model.safetensors\n")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8)), ContentId.of(a));
    }

    @Test
    void lockHoldersAreGrantedWriteLocksOnTheDatabaseInodes() {
        List<String> lines = List.of(
                "1: POSIX  ADVISORY  WRITE 4711 08:02:1234567 0 EOF",
                "2: POSIX  ADVISORY  READ 4712 08:02:1234567 0 EOF",
                "3: -> POSIX  ADVISORY  WRITE 4713 08:02:1234567 0 EOF",
                "4: POSIX  ADVISORY  WRITE 4714 08:02:7654321 0 EOF",
                "5: OFDLCK ADVISORY  WRITE -1 08:02:1234567 0 EOF",
                "6: FLOCK  ADVISORY  WRITE 4715 00:1f:999 0 EOF");
        assertEquals(List.of(4711L, 4715L), LockHolders.holders(lines, Set.of(1234567L, 999L)));
    }

    @Test
    void metricsWhereLowerIsBetterSortAscending() {
        assertEquals(true, new ScoreOrder("ppl:x", "word_perplexity,none").lowerIsBetter());
        assertEquals(true, new ScoreOrder("wiki", "bits_per_byte,none").lowerIsBetter());
        assertEquals(false, new ScoreOrder("arc_easy", "acc,none").lowerIsBetter());
    }
}
