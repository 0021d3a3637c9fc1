package dev.mergelab.reliability;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.MergeLabException;
import dev.mergelab.fuzz.FuzzProperty;
import dev.mergelab.model.ModelConfig;
import dev.mergelab.model.TokenizerInfo;
import dev.mergelab.recipe.Recipe;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every size cap a file could otherwise talk MergeLab past, tested just over the limit: refused with a
 * one-line INPUT error and without allocating for what the file claims (sparse files make the large cases
 * free). The safetensors caps (header 100 MB, 10^6 tensors, rank 64, shape products, JSON nesting 8) and
 * the shard index caps (64 MiB, 10^6 entries, 99,999 shards) are tested in dev.mergelab.format
 * (MalformedSafetensorsTest, ShardIndexHostileTest); this class covers config.json, tokenizer files and recipes.
 */
class ResourceCapsTest {

    @TempDir
    Path tmp;

    static void refused(String what, Runnable r, String fragment) {
        boolean accepted = FuzzProperty.acceptedOrInputError(what, 1 << 20, r::run);
        assertFalse(accepted, what + " was accepted");
        MergeLabException e = assertThrows(MergeLabException.class, r::run);
        assertTrue(e.oneLine().contains(fragment), () -> what + ": '" + fragment + "' not in: " + e.oneLine());
    }

    static Path sparse(Path f, long size) throws Exception {
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.write('{');
            raf.setLength(size);
        }
        return f;
    }

    @Test
    void configSizeCap() throws Exception {
        Path f = sparse(tmp.resolve("config.json"), ModelConfig.MAX_BYTES + 1);
        refused("16 MiB + 1 config", () -> ModelConfig.read(f), "over the limit of " + ModelConfig.MAX_BYTES);
    }

    @Test
    void configNestingCap() throws Exception {
        Path ok = Files.writeString(tmp.resolve("ok.json"), "{\"a\":" + "[".repeat(62) + "]".repeat(62) + "}");
        ModelConfig.read(ok); // depth 63 is fine
        Path deep = Files.writeString(tmp.resolve("deep.json"), "{\"a\":" + "[".repeat(64) + "]".repeat(64) + "}");
        refused("config nested 65 deep", () -> ModelConfig.read(deep), "nesting depth");
        Path huge = Files.writeString(tmp.resolve("huge.json"), "{\"a\":" + "[".repeat(500_000) + "}");
        refused("config with 500,000 open brackets", () -> ModelConfig.read(huge), "nesting depth");
    }

    @Test
    void tokenizerCaps() throws Exception {
        Path model = Files.createDirectories(tmp.resolve("m"));
        // Over the counting cap: the vocabulary size is simply unknown (counting is a convenience).
        sparse(model.resolve("tokenizer.json"), (256L << 20) + 1);
        assertFalse(TokenizerInfo.of(model).vocabSize().isPresent());
        // Over the hashing cap: refused, since no real tokenizer file is that large.
        sparse(model.resolve("tokenizer.model"), (1L << 30) + 1);
        refused("1 GiB + 1 tokenizer.model", () -> TokenizerInfo.of(model), "no real tokenizer file is this large");
    }

    @Test
    void recipeCaps() throws Exception {
        Path big = sparse(tmp.resolve("big.yml"), (1 << 20) + 1);
        refused("1 MiB + 1 recipe file", () -> Recipe.parse(big), "the limit is");
        String text = "merge_method: linear\nmodels:\n" + "  - model: a\n".repeat(90_000);
        refused("1 MiB + recipe text", () -> Recipe.parse(text, "big.yml"), "the limit is");
        refused("recipe nested 40 deep", () -> Recipe.parse("a: " + "[".repeat(40) + "]".repeat(40) + "\n", "deep.yml"),
                "cannot read YAML");
        StringBuilder laughs = new StringBuilder("a: &a [x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 10; i++) {
            laughs.append((char) ('a' + i)).append(": &").append((char) ('a' + i)).append(" [");
            laughs.append(("*" + (char) ('a' + i - 1) + ", ").repeat(8)).append("]\n");
        }
        refused("billion laughs", () -> Recipe.parse(laughs.toString(), "laughs.yml"), "cannot read YAML");
    }
}
