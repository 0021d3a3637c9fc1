package dev.mergelab.format.gguf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The seed corpus of the GGUF fuzzer, src/test/resources/fuzz/gguf/: valid-* files from GgufWriter (every
 * metadata type, every decodable tensor type, edge shapes) and invalid-* files from GgufHostileCorpus.
 * GgufFuzzTest checks the folder still equals this output. Regenerate with
 * {@code java -cp target/test-classes:target/classes dev.mergelab.format.gguf.GgufSeedCorpus src/test/resources/fuzz/gguf}.
 */
final class GgufSeedCorpus {

    private GgufSeedCorpus() {
    }

    /** File name to bytes, deterministic. */
    static Map<String, byte[]> seeds(Path scratch) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        out.put("valid-empty.gguf", write(scratch, Map.of(), List.of(), List.of()));
        SplittableRandom rnd = new SplittableRandom(11);
        List<GgufWriter.Entry> entries = new java.util.ArrayList<>();
        List<byte[]> data = new java.util.ArrayList<>();
        for (GgmlType t : GgmlType.values()) {
            if (!t.decodable()) {
                continue;
            }
            int n = t.blockSize == 256 ? 256 : 64;
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            byte[] b = new byte[(int) t.rowBytes(n)];
            GgmlCodec.encode(t, x, 0, b, 0, n);
            entries.add(new GgufWriter.Entry(t.ggmlName(), t, new long[] {n}));
            data.add(b);
        }
        Map<String, GgufValue> meta = GgufRoundTripTest.allValueTypes();
        out.put("valid-every-type.gguf", write(scratch, meta, entries, data));
        Map<String, GgufValue> aligned = new LinkedHashMap<>();
        aligned.put("general.alignment", GgufValue.ofU32(64));
        out.put("valid-aligned-64-edge-shapes.gguf", write(scratch, aligned,
                List.of(new GgufWriter.Entry("scalar", GgmlType.F32, new long[0]), new GgufWriter.Entry("zero", GgmlType.Q8_0, new long[] {32, 0}),
                        new GgufWriter.Entry("four-d", GgmlType.BF16, new long[] {2, 1, 2, 1}),
                        new GgufWriter.Entry("iq2", GgmlType.IQ2_XXS, new long[] {256}), new GgufWriter.Entry("i32", GgmlType.I32, new long[] {2})),
                List.of(new byte[4], new byte[0], new byte[8], new byte[GgmlType.IQ2_XXS.typeSize], new byte[8])));
        GgufHostileCorpus.cases().forEach((name, c) -> out.put("invalid-" + name + ".gguf", c.bytes()));
        return out;
    }

    private static byte[] write(Path scratch, Map<String, GgufValue> meta, List<GgufWriter.Entry> entries, List<byte[]> data) throws IOException {
        Path f = scratch.resolve("seed.gguf");
        GgufWriter.write(f, meta, entries, data);
        byte[] b = Files.readAllBytes(f);
        Files.delete(f);
        return b;
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        Path scratch = Files.createTempDirectory("gguf-seeds");
        for (Map.Entry<String, byte[]> e : seeds(scratch).entrySet()) {
            Files.write(dir.resolve(e.getKey()), e.getValue());
        }
        Files.delete(scratch);
    }
}
