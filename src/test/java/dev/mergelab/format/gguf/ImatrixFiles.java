package dev.mergelab.format.gguf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Importance-matrix files for tests, laid out as llama-imatrix writes them (tools/imatrix/imatrix.cpp, save_imatrix and
 * save_imatrix_legacy): GGUF with {@code NAME.in_sum2} ({@code ne0 x n_mat} F32) and {@code NAME.counts} ({@code 1 x n_mat}
 * F32) per entry in name order, {@code general.type = imatrix} and the three {@code imatrix.*} keys; or the legacy
 * binary. Values are what a calibration run gives: sums of squared activations (positive, log-normal across columns)
 * and token counts. The real tool's files are tested in export.GgufImatrixTest; these cover what it rarely writes
 * (zero counts, partial entries) and malformed variants.
 */
public final class ImatrixFiles {

    /** One entry: sums (ne0 x nMat, row per expert) and a count per expert. */
    public record Entry(String name, int ne0, float[] sums, float[] counts) {
    }

    private ImatrixFiles() {
    }

    /** Realistic entries for the given weight names and (ne0, experts), from {@code seed}. */
    public static List<Entry> realistic(Map<String, int[]> shapes, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Entry> out = new ArrayList<>();
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            int ne0 = e.getValue()[0], nMat = e.getValue()[1];
            float[] counts = new float[nMat];
            float[] sums = new float[ne0 * nMat];
            for (int j = 0; j < nMat; j++) {
                counts[j] = 512 * (1 + r.nextInt(8));
                for (int i = 0; i < ne0; i++) {
                    sums[j * ne0 + i] = (float) (counts[j] * Math.exp(r.nextGaussian() * 1.3) * 0.02);
                }
            }
            out.add(new Entry(e.getKey(), ne0, sums, counts));
        }
        return out;
    }

    /**
     * Writes {@code entries} as llama-imatrix's GGUF; {@code meta} null gives its three keys with these values. An entry
     * with null sums or counts lacks that tensor.
     */
    public static Path gguf(Path out, List<Entry> entries, Map<String, GgufValue> meta) throws IOException {
        return gguf(out, entries, meta, GgmlType.F32);
    }

    /** As {@link #gguf(Path, List, Map)} with the sums stored as {@code sumsType} (F32 or F16; llama.cpp wants F32). */
    public static Path gguf(Path out, List<Entry> entries, Map<String, GgufValue> meta, GgmlType sumsType) throws IOException {
        if (meta == null) {
            meta = new LinkedHashMap<>();
            meta.put("general.type", GgufValue.ofString("imatrix"));
            meta.put("imatrix.datasets", GgufValue.ofArray(GgufArray.ofStrings("calibration.txt")));
            meta.put("imatrix.chunk_count", GgufValue.ofU32(8));
            meta.put("imatrix.chunk_size", GgufValue.ofU32(512));
        }
        List<GgufWriter.Entry> tensors = new ArrayList<>();
        List<float[]> data = new ArrayList<>();
        for (Entry e : entries) {
            int nMat = e.counts == null ? 0 : e.counts.length;
            if (e.sums != null) {
                tensors.add(new GgufWriter.Entry(e.name + ".in_sum2", sumsType, new long[] {e.ne0, e.sums.length / Math.max(1, e.ne0)}));
                data.add(e.sums);
            }
            if (e.counts != null) {
                tensors.add(new GgufWriter.Entry(e.name + ".counts", GgmlType.F32, new long[] {1, nMat}));
                data.add(e.counts);
            }
        }
        try (GgufWriter w = GgufWriter.create(out, meta, tensors)) {
            for (int k = 0; k < data.size(); k++) {
                float[] d = data.get(k);
                byte[] b = new byte[(int) tensors.get(k).type().rowBytes(d.length)];
                GgmlCodec.encode(tensors.get(k).type(), d, 0, b, 0, d.length);
                w.write(b);
            }
            w.finish();
        }
        return out;
    }

    /**
     * The legacy binary: per entry name, ncall and the averaged values times ncall (as save_imatrix_legacy stores them:
     * sums / count * ncall, with ncall = the chunk count), then the chunk count and the dataset name.
     */
    public static byte[] legacy(List<Entry> entries, int ncall, int chunks, String dataset) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(i32(entries.size()));
        for (Entry e : entries) {
            byte[] name = e.name.getBytes(StandardCharsets.UTF_8);
            o.writeBytes(i32(name.length));
            o.writeBytes(name);
            o.writeBytes(i32(ncall));
            o.writeBytes(i32(e.sums.length));
            ByteBuffer b = ByteBuffer.allocate(4 * e.sums.length).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < e.sums.length; i++) {
                float count = e.counts[i / e.ne0];
                b.putFloat(count > 0 ? e.sums[i] / count * ncall : 0);
            }
            o.writeBytes(b.array());
        }
        if (dataset != null) {
            o.writeBytes(i32(chunks));
            byte[] d = dataset.getBytes(StandardCharsets.UTF_8);
            o.writeBytes(i32(d.length));
            o.writeBytes(d);
        }
        return o.toByteArray();
    }

    public static Path legacy(Path out, List<Entry> entries, int ncall, int chunks, String dataset) throws IOException {
        return Files.write(out, legacy(entries, ncall, chunks, dataset));
    }

    static byte[] i32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    /** {@link #gguf(Path, List, Map, GgmlType)} as bytes (written to a scratch file in {@code dir}). */
    public static byte[] ggufBytes(Path dir, List<Entry> entries, Map<String, GgufValue> meta, GgmlType sumsType) throws IOException {
        Path f = dir.resolve("imatrix-" + System.nanoTime() + ".gguf");
        gguf(f, entries, meta, sumsType);
        byte[] b = Files.readAllBytes(f);
        Files.delete(f);
        return b;
    }

    /** The weight names and (ne0, experts) an imatrix of {@code gguf} (an F32 export) has: every 2-D and 3-D weight but token_embd. */
    public static Map<String, int[]> shapesOf(Path gguf) {
        Map<String, int[]> out = new LinkedHashMap<>();
        try (GgufFile g = GgufFile.open(gguf)) {
            for (GgufTensor t : g.header().tensors()) {
                long[] ne = t.ne();
                if (ne.length >= 2 && !t.name().equals("token_embd.weight") && t.name().endsWith(".weight")) {
                    out.put(t.name(), new int[] {(int) ne[0], ne.length >= 3 ? (int) ne[2] : 1});
                }
            }
        }
        return out;
    }
}
