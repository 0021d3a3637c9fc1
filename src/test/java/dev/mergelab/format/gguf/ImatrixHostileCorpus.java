package dev.mergelab.format.gguf;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Malformed importance-matrix files (GGUF and legacy .dat), each with the words its one-line error must contain, and
 * valid edge files {@link ImportanceMatrix#read} must accept. MalformedImatrixTest reads every one; ImatrixSeedCorpus
 * writes them as the fuzzer's seeds.
 */
final class ImatrixHostileCorpus {

    private ImatrixHostileCorpus() {
    }

    record Case(byte[] bytes, String fragment) {
    }

    static final List<ImatrixFiles.Entry> SMALL = List.of(
            new ImatrixFiles.Entry("blk.0.attn_q.weight", 32, ramp(32, 0.5f), new float[] {64}),
            new ImatrixFiles.Entry("blk.0.ffn_down_exps.weight", 32, ramp(64, 2f), new float[] {96, 0}),
            new ImatrixFiles.Entry("output.weight", 64, ramp(64, 1f), new float[] {128}));

    static float[] ramp(int n, float scale) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = scale * (1 + (i * 37 % 11));
        }
        return f;
    }

    static Map<String, GgufValue> meta() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.type", GgufValue.ofString("imatrix"));
        m.put("imatrix.datasets", GgufValue.ofArray(GgufArray.ofStrings("calibration.txt")));
        m.put("imatrix.chunk_count", GgufValue.ofU32(4));
        m.put("imatrix.chunk_size", GgufValue.ofU32(512));
        return m;
    }

    /** Files that must be accepted, by name. */
    static Map<String, byte[]> valid(Path scratch) throws IOException {
        Map<String, byte[]> v = new LinkedHashMap<>();
        v.put("gguf.gguf", ImatrixFiles.ggufBytes(scratch, SMALL, meta(), GgmlType.F32));
        Map<String, GgufValue> odd = meta();
        odd.put("imatrix.datasets", GgufValue.ofArray(GgufArray.ofIntegers(GgufValueType.INT32, 1, 2)));
        odd.put("imatrix.chunk_count", GgufValue.ofU32(0xFFFFFFFFL));
        v.put("gguf-datasets-not-strings-chunks-negative.gguf", ImatrixFiles.ggufBytes(scratch, SMALL, odd, GgmlType.F32));
        v.put("legacy-with-dataset.dat", ImatrixFiles.legacy(SMALL, 4, 4, "calibration.txt"));
        v.put("legacy-bare.dat", ImatrixFiles.legacy(SMALL, 0, 0, null));
        byte[] partial = ImatrixFiles.legacy(SMALL, 3, 0, null);
        v.put("legacy-partial-trailer.dat", Arrays.copyOf(partial, partial.length + 3));
        return v;
    }

    static Map<String, Case> cases(Path scratch) throws IOException {
        Map<String, Case> c = new LinkedHashMap<>();
        c.put("empty", new Case(new byte[0], "no data"));
        c.put("three-bytes", new Case(new byte[] {1, 0, 0}, "no data"));
        c.put("gguf-bad-header", new Case(new GgufBytes().raw("GGUF".getBytes()).u32(99).u64(0).u64(0).bytes(), "unknown GGUF version"));
        byte[] good = ImatrixFiles.ggufBytes(scratch, SMALL, meta(), GgmlType.F32);
        c.put("gguf-truncated", new Case(Arrays.copyOf(good, good.length - 40), "runs past the end"));
        c.put("gguf-no-tensors", new Case(ImatrixFiles.ggufBytes(scratch, List.of(), meta(), GgmlType.F32), "no data"));
        Map<String, GgufValue> m = meta();
        m.remove("imatrix.chunk_size");
        c.put("gguf-no-chunk-size", new Case(ImatrixFiles.ggufBytes(scratch, SMALL, m, GgmlType.F32), "missing imatrix metadata"));
        m = meta();
        m.remove("imatrix.datasets");
        c.put("gguf-no-datasets", new Case(ImatrixFiles.ggufBytes(scratch, SMALL, m, GgmlType.F32), "missing imatrix metadata"));
        m = meta();
        m.put("imatrix.chunk_count", GgufValue.ofString("4"));
        c.put("gguf-chunk-count-string", new Case(ImatrixFiles.ggufBytes(scratch, SMALL, m, GgmlType.F32), "imatrix.chunk_count is a str"));
        c.put("gguf-sums-without-counts", new Case(ImatrixFiles.ggufBytes(scratch,
                List.of(SMALL.get(0), new ImatrixFiles.Entry("blk.0.attn_k.weight", 32, ramp(32, 1), null)), meta(), GgmlType.F32),
                "'blk.0.attn_k.weight' has in_sum2 but no counts"));
        c.put("gguf-counts-without-sums", new Case(ImatrixFiles.ggufBytes(scratch,
                List.of(new ImatrixFiles.Entry("blk.0.attn_k.weight", 32, null, new float[] {3}), SMALL.get(0)), meta(), GgmlType.F32),
                "'blk.0.attn_k.weight' has counts but no in_sum2"));
        c.put("gguf-f16-sums", new Case(ImatrixFiles.ggufBytes(scratch, SMALL, meta(), GgmlType.F16), "must be F32"));
        c.put("gguf-empty-counts", new Case(ImatrixFiles.ggufBytes(scratch,
                List.of(new ImatrixFiles.Entry("w", 32, ramp(32, 1), new float[0])), meta(), GgmlType.F32), "no counts"));
        c.put("gguf-sums-not-rows", new Case(ImatrixFiles.ggufBytes(scratch,
                List.of(new ImatrixFiles.Entry("w", 10, ramp(10, 1), new float[] {1, 1, 1})), meta(), GgmlType.F32), "not a whole number of rows"));
        float[] nan = ramp(32, 1);
        nan[5] = Float.NaN;
        c.put("gguf-nan-sum", new Case(ImatrixFiles.ggufBytes(scratch, List.of(new ImatrixFiles.Entry("blk.1.x.weight", 32, nan, new float[] {2})),
                meta(), GgmlType.F32), "'blk.1.x.weight' contains the non-finite value NaN"));
        c.put("gguf-infinite-count", new Case(ImatrixFiles.ggufBytes(scratch,
                List.of(new ImatrixFiles.Entry("w", 32, ramp(32, 1), new float[] {Float.POSITIVE_INFINITY})), meta(), GgmlType.F32), "count"));
        c.put("gguf-count-beyond-64-bits", new Case(ImatrixFiles.ggufBytes(scratch,
                List.of(new ImatrixFiles.Entry("w", 32, ramp(32, 1), new float[] {1e30f})), meta(), GgmlType.F32), "not a number of tokens"));
        c.put("gguf-huge-sums-overflow", new Case(ImatrixFiles.ggufBytes(scratch,
                List.of(new ImatrixFiles.Entry("w", 32, ramp(32, 3e38f), new float[] {0.6f})), meta(), GgmlType.F32), "non-finite"));

        byte[] legacy = ImatrixFiles.legacy(SMALL, 4, 4, "x");
        c.put("legacy-zero-entries", new Case(new byte[] {0, 0, 0, 0, 9, 9}, "no data"));
        c.put("legacy-negative-entries", new Case(new byte[] {-1, -1, -1, -1}, "no data"));
        c.put("legacy-entry-count-huge", new Case(withI32(legacy, 0, Integer.MAX_VALUE), "claims 2147483647 imatrix entries"));
        c.put("legacy-name-length-negative", new Case(withI32(legacy, 4, -5), "name length -5"));
        c.put("legacy-name-length-past-end", new Case(withI32(legacy, 4, 1 << 30), "name length 1073741824"));
        c.put("legacy-truncated-in-counts", new Case(withI32(Arrays.copyOf(legacy, 4 + 4 + 19 + 6), 0, 1), "truncated before its call and value counts"));
        c.put("legacy-nval-zero", new Case(withI32(legacy, 4 + 4 + 19 + 4, 0), "0 values do not fit"));
        c.put("legacy-nval-huge", new Case(withI32(legacy, 4 + 4 + 19 + 4, Integer.MAX_VALUE), "2147483647 values do not fit"));
        c.put("legacy-values-truncated", new Case(Arrays.copyOf(legacy, 4 + 4 + 19 + 8 + 50), "values do not fit"));
        c.put("legacy-second-entry-missing", new Case(Arrays.copyOf(legacy, 4 + 4 + 19 + 8 + 128), "imatrix entry 2 of 3: truncated"));
        byte[] inf = legacy.clone();
        java.nio.ByteBuffer.wrap(inf).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(4 + 4 + 19 + 8 + 12, Float.NEGATIVE_INFINITY);
        c.put("legacy-infinite-value", new Case(inf, "contains the non-finite value -Infinity"));
        return c;
    }

    static byte[] withI32(byte[] b, int at, int v) {
        byte[] c = b.clone();
        java.nio.ByteBuffer.wrap(c).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(at, v);
        return c;
    }
}
