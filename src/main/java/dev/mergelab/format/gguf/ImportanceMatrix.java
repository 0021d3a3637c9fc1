package dev.mergelab.format.gguf;

import dev.mergelab.MergeLabException;
import dev.mergelab.format.TensorInfo;
import dev.mergelab.format.Untrusted;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An importance matrix as llama-quantize loads it ({@code --imatrix FILE}; common_imatrix_load in
 * common/imatrix-loader.cpp, then load_imatrix in tools/quantize/quantize.cpp): for each weight name, the per-column
 * weights handed to ggml's quantizers, one row of {@code ne0} values per expert.
 *
 * <ul>
 * <li>GGUF (what llama-imatrix writes now): tensors {@code NAME.in_sum2} (F32, {@code ne0 x n_expert} sums of squared
 * activations) and {@code NAME.counts} (F32, one count per expert, rounded as lround does); the weights are
 * {@code in_sum2 / count} per expert, or 1 for an expert that saw no token. Keys {@code imatrix.datasets} (strings),
 * {@code imatrix.chunk_count} and {@code imatrix.chunk_size} (u32) must all be present, as quantize requires.</li>
 * <li>The legacy {@code .dat} format: i32 entry count, then per entry an i32-length name, i32 ncall, i32 nval and
 * nval floats (already averaged, times ncall: divided by ncall when positive); optionally an i32 chunk count and an
 * i32-length dataset name.</li>
 * </ul>
 *
 * The file is untrusted: every count and length is checked against the bytes present before anything is allocated,
 * and anything llama.cpp would refuse or crash on (no entries, a sum without its count, non-F32 data, zero counts
 * tensors, metadata of the wrong type, non-finite weights) is a one-line INPUT error naming the file and the entry.
 * Stricter than llama.cpp in one place: {@code in_sum2} must hold a whole number of rows per count (llama.cpp leaves
 * the rest of such an entry at 0; llama-imatrix never writes it).
 *
 * @param weights the per-column weights by weight name (sorted), each {@code ne0 x n_expert} floats
 * @param datasets the dataset names the file records (quantize writes the first)
 * @param chunkCount the number of chunks it was computed on (as quantize reads it: a u32 seen as an i32)
 * @param legacy whether it was the legacy format
 */
public record ImportanceMatrix(Map<String, float[]> weights, List<String> datasets, int chunkCount, boolean legacy) {

    private static final String HINT = "pass a file written by llama-imatrix (GGUF, or its legacy .dat format)";

    public ImportanceMatrix {
        weights = Collections.unmodifiableMap(new TreeMap<>(weights));
        datasets = List.copyOf(datasets);
    }

    /** Reads and normalizes {@code file}; a one-line INPUT error for anything malformed. */
    public static ImportanceMatrix read(Path file) {
        String where = Untrusted.path(file);
        Untrusted.regularFile(file, where, HINT);
        byte[] head = new byte[4];
        long size;
        try (var in = Files.newInputStream(file)) {
            size = Files.size(file);
            int got = in.readNBytes(head, 0, 4);
            if (got == 4 && head[0] == 'G' && head[1] == 'G' && head[2] == 'U' && head[3] == 'F') {
                return checked(fromGguf(file, where), where);
            }
        } catch (NoSuchFileException e) {
            throw MergeLabException.input(where + ": no such file", "check the path");
        } catch (IOException e) {
            throw MergeLabException.input(where + ": cannot read: " + Untrusted.firstLine(e.getMessage()), "check the file's permissions");
        }
        if (size > Integer.MAX_VALUE - 16) {
            throw MergeLabException.input(where + ": " + size + " bytes is too large for a legacy imatrix file", HINT);
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw MergeLabException.input(where + ": cannot read: " + Untrusted.firstLine(e.getMessage()), "check the file's permissions");
        }
        return checked(LegacyImatrix.parse(bytes, where), where);
    }

    /** llama_model_quantize refuses an importance matrix holding NaN or infinity (after the division by the counts). */
    private static ImportanceMatrix checked(ImportanceMatrix m, String where) {
        for (Map.Entry<String, float[]> e : m.weights.entrySet()) {
            for (float f : e.getValue()) {
                if (!Float.isFinite(f)) {
                    throw MergeLabException.input(where + ": imatrix entry '" + Untrusted.show(e.getKey()) + "' contains the non-finite value "
                            + f + " (llama.cpp refuses it too)", HINT);
                }
            }
        }
        return m;
    }

    private static ImportanceMatrix fromGguf(Path file, String where) {
        try (GgufFile g = GgufFile.open(file)) {
            if (g.tensors().isEmpty()) {
                throw MergeLabException.input(where + ": no data in the imatrix file (no tensors)", HINT);
            }
            Map<String, GgufValue> meta = g.header().metadata();
            GgufValue datasetsKey = meta.get("imatrix.datasets");
            GgufValue chunkCount = meta.get("imatrix.chunk_count");
            GgufValue chunkSize = meta.get("imatrix.chunk_size");
            List<String> datasets = new ArrayList<>();
            if (datasetsKey != null && datasetsKey.type() == GgufValueType.ARRAY
                    && datasetsKey.asArray().elementType() == GgufValueType.STRING) {
                GgufArray a = datasetsKey.asArray();
                for (int i = 0; i < a.size(); i++) {
                    datasets.add(a.get(i).asString());
                }
            }
            for (String k : List.of("imatrix.chunk_count", "imatrix.chunk_size")) {
                GgufValue v = meta.get(k);
                if (v != null && v.type() != GgufValueType.UINT32) {
                    throw MergeLabException.input(where + ": " + k + " is a " + v.type().shortName() + ", not a u32", HINT);
                }
            }
            if (datasetsKey == null || chunkCount == null || chunkSize == null) {
                throw MergeLabException.input(where + ": missing imatrix metadata (imatrix.datasets, imatrix.chunk_count and"
                        + " imatrix.chunk_size are required, as llama-quantize requires them)", HINT);
            }
            Map<String, TensorInfo[]> pairs = new TreeMap<>();
            for (TensorInfo t : g.tensors()) {
                String name = t.name();
                if (name.isEmpty()) {
                    continue;
                }
                if (name.endsWith(".in_sum2")) {
                    pairs.computeIfAbsent(name.substring(0, name.length() - 8), n -> new TensorInfo[2])[0] = t;
                } else if (name.endsWith(".counts")) {
                    pairs.computeIfAbsent(name.substring(0, name.length() - 7), n -> new TensorInfo[2])[1] = t;
                }
            }
            Map<String, float[]> weights = new TreeMap<>();
            for (Map.Entry<String, TensorInfo[]> e : pairs.entrySet()) {
                weights.put(e.getKey(), entry(g, e.getKey(), e.getValue()[0], e.getValue()[1], where));
            }
            return new ImportanceMatrix(weights, datasets, (int) chunkCount.asLong(), false);
        }
    }

    /** One entry: in_sum2 divided by the rounded count of each expert's row (1 where the count is not positive). */
    private static float[] entry(GgufFile g, String name, TensorInfo sums, TensorInfo counts, String where) {
        String shown = where + ": imatrix entry '" + Untrusted.show(name) + "'";
        if (sums == null || counts == null) {
            throw MergeLabException.input(shown + " has " + (sums == null ? "counts but no in_sum2" : "in_sum2 but no counts")
                    + " tensor", HINT);
        }
        if (g.ggufTensor(sums.name()).type() != GgmlType.F32 || g.ggufTensor(counts.name()).type() != GgmlType.F32) {
            throw MergeLabException.input(shown + ": sums and counts must be F32, not " + g.ggufTensor(sums.name()).type() + " and "
                    + g.ggufTensor(counts.name()).type(), HINT);
        }
        long nval = sums.numel(), ncounts = counts.numel();
        if (ncounts == 0) {
            throw MergeLabException.input(shown + " has no counts (an empty counts tensor)", HINT);
        }
        if (nval % ncounts != 0) {
            throw MergeLabException.input(shown + ": " + nval + " sums are not a whole number of rows for " + ncounts + " counts", HINT);
        }
        if (nval > Integer.MAX_VALUE - 16) {
            throw MergeLabException.input(shown + " has " + nval + " values, more than MergeLab reads", HINT);
        }
        float[] s = floats(g, sums);
        float[] c = floats(g, counts);
        int ne0 = (int) (nval / ncounts);
        float[] w = new float[(int) nval];
        for (int j = 0; j < ncounts; j++) {
            float count = (float) lround(c[j], shown);
            for (int i = 0; i < ne0; i++) {
                w[j * ne0 + i] = count > 0.0f ? s[j * ne0 + i] / count : 1;
            }
        }
        return w;
    }

    /** C's lround of a float count; one beyond the 64-bit range (undefined in C) is refused. */
    private static long lround(float v, String shown) {
        if (!(Math.abs(v) < 0x1p63f)) {
            throw MergeLabException.input(shown + " has the count " + v + ", not a number of tokens", HINT);
        }
        double a = Math.floor(Math.abs((double) v) + 0.5);
        return (long) Math.copySign(a, v);
    }

    private static float[] floats(GgufFile g, TensorInfo t) {
        MemorySegment seg = g.bytes(t);
        try {
            return seg.toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
        } catch (InternalError fault) {
            g.checkUnchanged(fault);
            throw fault;
        }
    }
}
