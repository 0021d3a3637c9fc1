package dev.mergelab.format.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.MergeLabException;
import dev.mergelab.fuzz.FuzzProperty;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ImportanceMatrix#read} on hostile files: each of ImatrixHostileCorpus's cases is a one-line INPUT error naming the
 * file and saying what is wrong; every truncation and thousands of byte mutations of valid files either parse to finite
 * weights or give such an error, within the fuzz property's memory and time bounds. And what valid files mean: the
 * normalization quantize applies (in_sum2 / lround(count) per expert, 1 for an expert without tokens; legacy values / ncall).
 */
class MalformedImatrixTest {

    @TempDir
    Path tmp;

    @Test
    void everyHostileFileIsAOneLineInputErrorNamingTheFile() throws Exception {
        Map<String, ImatrixHostileCorpus.Case> cases = ImatrixHostileCorpus.cases(tmp);
        assertTrue(cases.size() >= 25, "cases: " + cases.size());
        for (var e : cases.entrySet()) {
            Path f = Files.write(tmp.resolve(e.getKey() + ".imatrix"), e.getValue().bytes());
            MergeLabException x = assertThrows(MergeLabException.class, () -> ImportanceMatrix.read(f), e.getKey());
            FuzzProperty.checkInputError(x, e.getKey());
            assertTrue(x.getMessage().contains(f.toString()), e.getKey() + ": " + x.getMessage());
            assertTrue(x.getMessage().contains(e.getValue().fragment()), e.getKey() + ": " + x.getMessage());
        }
    }

    @Test
    void validFilesMeanWhatLlamaQuantizeReadsFromThem() throws Exception {
        Map<String, byte[]> valid = ImatrixHostileCorpus.valid(tmp);
        ImportanceMatrix g = read(valid.get("gguf.gguf"));
        assertFalse(g.legacy());
        assertEquals(List.of("calibration.txt"), g.datasets());
        assertEquals(4, g.chunkCount());
        assertEquals(List.of("blk.0.attn_q.weight", "blk.0.ffn_down_exps.weight", "output.weight"), List.copyOf(g.weights().keySet()));
        float[] q = g.weights().get("blk.0.attn_q.weight");
        float[] sums = ImatrixHostileCorpus.SMALL.get(0).sums();
        for (int i = 0; i < 32; i++) {
            assertEquals(sums[i] / 64f, q[i]);
        }
        float[] moe = g.weights().get("blk.0.ffn_down_exps.weight");
        float[] moeSums = ImatrixHostileCorpus.SMALL.get(1).sums();
        for (int i = 0; i < 32; i++) {
            assertEquals(moeSums[i] / 96f, moe[i], "expert 0");
            assertEquals(1f, moe[32 + i], "expert 1 saw no token: weight 1");
        }

        ImportanceMatrix odd = read(valid.get("gguf-datasets-not-strings-chunks-negative.gguf"));
        assertEquals(List.of(), odd.datasets(), "a datasets key that is not strings is ignored");
        assertEquals(-1, odd.chunkCount(), "a u32 chunk count read into an int32, as common_imatrix does");

        ImportanceMatrix l = read(valid.get("legacy-with-dataset.dat"));
        assertTrue(l.legacy());
        assertEquals(List.of("calibration.txt"), l.datasets());
        assertEquals(4, l.chunkCount());
        float[] lq = l.weights().get("blk.0.attn_q.weight");
        for (int i = 0; i < 32; i++) {
            assertEquals(sums[i] / 64f * 4 / 4f, lq[i], 1e-6f * lq[i]);
        }
        assertEquals(0, read(valid.get("legacy-bare.dat")).chunkCount());
        ImportanceMatrix partial = read(valid.get("legacy-partial-trailer.dat"));
        assertEquals(0, partial.chunkCount(), "three zero bytes of a chunk count");
        assertEquals(List.of(), partial.datasets());
    }

    @Test
    void truncationsAndMutationsParseOrFailInOneLine() throws Exception {
        Map<String, byte[]> valid = ImatrixHostileCorpus.valid(tmp);
        SplittableRandom r = new SplittableRandom(13);
        int accepted = 0, refused = 0;
        for (var e : valid.entrySet()) {
            byte[] b = e.getValue();
            for (int n = 0; n <= b.length; n += Math.max(1, b.length / 300)) {
                if (check(e.getKey() + " cut at " + n, java.util.Arrays.copyOf(b, n))) {
                    accepted++;
                } else {
                    refused++;
                }
            }
            for (int k = 0; k < 400; k++) {
                byte[] m = b.clone();
                for (int flips = 1 + r.nextInt(4); flips > 0; flips--) {
                    m[r.nextInt(m.length)] = (byte) (r.nextBoolean() ? r.nextInt(256) : m[r.nextInt(m.length)] ^ (1 << r.nextInt(8)));
                }
                if (check(e.getKey() + " mutation " + k, m)) {
                    accepted++;
                } else {
                    refused++;
                }
            }
        }
        assertTrue(accepted > 100 && refused > 100, accepted + " accepted, " + refused + " refused");
    }

    private boolean check(String what, byte[] bytes) throws Exception {
        Path f = Files.write(tmp.resolve("m.imatrix"), bytes);
        boolean[] finite = {true};
        boolean ok = FuzzProperty.acceptedOrInputError(what, bytes.length, () -> {
            ImportanceMatrix m = ImportanceMatrix.read(f);
            m.weights().values().forEach(w -> {
                for (float v : w) {
                    finite[0] &= Float.isFinite(v);
                }
            });
        });
        assertTrue(finite[0], what);
        return ok;
    }

    private ImportanceMatrix read(byte[] bytes) throws Exception {
        Path f = Files.write(tmp.resolve("valid-" + System.nanoTime()), bytes);
        ImportanceMatrix m = ImportanceMatrix.read(f);
        assertArrayEquals(bytes, Files.readAllBytes(f));
        return m;
    }
}
