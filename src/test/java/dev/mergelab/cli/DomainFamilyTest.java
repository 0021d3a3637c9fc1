package dev.mergelab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.format.SafetensorsFile;
import dev.mergelab.format.TensorInfo;
import dev.mergelab.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The committed domain family (examples/domains, made by scripts/train-family/train.py with Debian's torch): MergeLab
 * reads each model as PyTorch trained it, and tokenizes the held-out text as the Rust tokenizers library does, so
 * the bits per byte that `mergelab eval` reports on it are the family's own.
 */
class DomainFamilyTest {

    private static final Path FAMILY = Path.of("examples/domains");
    private static final Path FIXTURES = Path.of("src/test/resources/domains");
    private static final List<String> MODELS = List.of("base", "changelog", "licenses", "perl", "python");
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * PyTorch's float64 forward pass on the bfloat16 weights against ours in float32: the largest difference seen was
     * about 1e-6, 2e-7 of the largest logit (about 6); allowed is 1e-5 of the largest logit (at least 1e-5), far
     * below what a wrong RoPE position, norm, tied head or grouped-query pairing does (tenths to whole units).
     */
    private static final double TOLERANCE = 1e-5;

    @Test
    void everyModelsLogitsMatchPyTorch(@TempDir Path dir) throws Exception {
        Path ids = FIXTURES.resolve("ids.json");
        int sequences = new ObjectMapper().readTree(ids.toFile()).size();
        assertEquals(4, sequences, "one held-out sequence per domain");
        try (SafetensorsFile want = SafetensorsFile.open(FIXTURES.resolve("expected-logits.safetensors"))) {
            TensorInfo pos = want.tensor("positions");
            int[] positions = new int[(int) pos.numel()];
            for (int i = 0; i < positions.length; i++) {
                positions[i] = want.data(pos).getAtIndex(I32, i);
            }
            for (String model : MODELS) {
                Path out = dir.resolve(model + ".safetensors");
                StringWriter o = new StringWriter();
                StringWriter e = new StringWriter();
                int code = Main.run(new String[]{"logits", FAMILY.resolve("models").resolve(model).toString(), "--ids",
                        ids.toString(), "--out", out.toString(), "--threads", "2"}, new PrintWriter(o), new PrintWriter(e));
                assertEquals(0, code, e.toString());
                try (SafetensorsFile got = SafetensorsFile.open(out)) {
                    for (int s = 0; s < sequences; s++) {
                        TensorInfo w = want.tensor("logits." + model + "." + s);
                        TensorInfo g = got.tensor("logits." + s);
                        int vocab = (int) w.dim(1);
                        assertEquals(vocab, g.dim(1));
                        assertEquals(positions.length, w.dim(0));
                        double max = 1;
                        for (long i = 0; i < w.numel(); i++) {
                            max = Math.max(max, Math.abs(want.data(w).getAtIndex(F32, i)));
                        }
                        double worst = 0;
                        for (int p = 0; p < positions.length; p++) {
                            for (int v = 0; v < vocab; v++) {
                                double diff = Math.abs(got.data(g).getAtIndex(F32, (long) positions[p] * vocab + v)
                                        - want.data(w).getAtIndex(F32, (long) p * vocab + v));
                                worst = Math.max(worst, diff);
                            }
                        }
                        assertTrue(worst <= TOLERANCE * max, model + " sequence " + s + ": logits off by " + worst
                                + " (largest logit " + max + ")");
                    }
                }
            }
        }
    }

    @Test
    void tokenizerGivesTheRustLibrarysIdsOnTheHeldOutAndDevText() throws Exception {
        JsonNode fixture;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(FIXTURES.resolve("tokenizer-ids.json.gz")))) {
            fixture = new ObjectMapper().readTree(in);
        }
        byte[] json = Files.readAllBytes(FAMILY.resolve("models/base/tokenizer.json"));
        assertEquals(fixture.get("tokenizer_sha256").textValue(), sha256(json), "the fixture was made from another tokenizer.json");
        for (String model : MODELS) {
            assertArrayEquals(json, Files.readAllBytes(FAMILY.resolve("models").resolve(model).resolve("tokenizer.json")),
                    model + " has the family's one tokenizer");
        }
        Tokenizer tok = Tokenizer.fromJson(json, "tokenizer.json");
        assertEquals(8, fixture.get("files").size(), "held-out and dev text of four domains");
        for (JsonNode f : fixture.get("files")) {
            byte[] bytes = Files.readAllBytes(Path.of(f.get("file").textValue()));
            assertEquals(f.get("sha256").textValue(), sha256(bytes), f.get("file") + " changed since the fixture was made");
            String text = new String(bytes, StandardCharsets.UTF_8);
            int[] want = new int[f.get("ids").size()];
            for (int i = 0; i < want.length; i++) {
                want[i] = f.get("ids").get(i).intValue();
            }
            int[] got = tok.encode(text, true);
            assertTrue(want.length > 3000, f.get("file") + " is a few thousand tokens");
            assertArrayEquals(want, got, f.get("file").textValue());
            assertEquals(text, tok.decode(got, false), f.get("file").textValue());
        }
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
