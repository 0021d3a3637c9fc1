package dev.mergelab.format;

import dev.mergelab.tensor.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Seeds for a coverage-guided fuzzer in {@code src/test/resources/fuzz/safetensors/}: small valid files
 * ({@code valid-*}, written by {@link SafetensorsWriter}) that exercise every dtype, scalars, zero-size
 * tensors, metadata and Unicode names, plus a few invalid ones ({@code invalid-*}, from
 * {@link MalformedCorpus}) near interesting checks. {@code FuzzSeedCorpusTest} keeps the stored files equal
 * to this generator; {@link #main} rewrites them.
 */
final class FuzzSeedCorpus {

    private FuzzSeedCorpus() {
    }

    /** Invalid seeds taken from the malformed corpus: one per family of checks. */
    static final List<String> INVALID = List.of("overlap.safetensors", "gap.safetensors", "utf8-overlong-nul.safetensors",
            "shape-product-overflow.safetensors", "duplicate-tensor-name.safetensors", "metadata-nested-object.safetensors",
            "header-len-past-eof.safetensors", "offsets-begin-gt-end.safetensors");

    /** File name to bytes, valid seeds first. */
    static Map<String, byte[]> seeds(Path scratch) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        out.put("valid-empty.safetensors", valid(scratch, List.of(), Map.of()));
        out.put("valid-scalar.safetensors", valid(scratch, List.of(e("loss", DType.F32)), Map.of()));
        out.put("valid-zero-size.safetensors", valid(scratch, List.of(e("empty", DType.BF16, 0, 3), e("x", DType.F16, 2, 2)), Map.of()));
        List<SafetensorsWriter.Entry> all = new ArrayList<>();
        for (DType d : DType.values()) {
            all.add(e("model.layers.0." + d.safetensorsName().toLowerCase(java.util.Locale.ROOT), d, 2, 3));
        }
        out.put("valid-all-dtypes.safetensors", valid(scratch, all, Map.of("format", "pt")));
        out.put("valid-unicode-metadata.safetensors", valid(scratch,
                List.of(e("\u6a21\u578b.\u00e9\u00e8", DType.F32, 4), e("emoji\ud83d\ude00", DType.I8, 3), e("", DType.BOOL, 1)),
                Map.of("format", "pt", "\u540d\u524d", "v\u00e9rit\u00e9", "json", "{\"nested\": [1, 2]}")));
        out.put("valid-rank-8.safetensors", valid(scratch, List.of(e("r8", DType.U8, 1, 2, 1, 2, 1, 2, 1, 2)), Map.of()));
        for (MalformedCorpus.Case k : MalformedCorpus.cases()) {
            if (INVALID.contains(k.file())) {
                out.put("invalid-" + k.file(), k.bytes().get());
            }
        }
        return out;
    }

    private static SafetensorsWriter.Entry e(String name, DType dtype, long... shape) {
        return new SafetensorsWriter.Entry(name, dtype, shape);
    }

    /** Writes a small valid file with deterministic contents and returns its bytes. */
    private static byte[] valid(Path scratch, List<SafetensorsWriter.Entry> entries, Map<String, String> metadata) throws IOException {
        Path f = Files.createTempFile(scratch, "seed", ".safetensors");
        Files.delete(f);
        Random r = new Random(entries.size() * 31L + metadata.size());
        // TreeMap: the header lists metadata in map order, and the stored seeds must be reproducible.
        try (SafetensorsWriter w = SafetensorsWriter.create(f, entries, new java.util.TreeMap<>(metadata))) {
            for (SafetensorsWriter.Entry e : entries) {
                byte[] b = new byte[(int) e.byteSize()];
                r.nextBytes(b);
                if (e.dtype() == DType.BOOL) {
                    java.util.Arrays.fill(b, (byte) 1);
                }
                w.write(e.name(), 0, ByteBuffer.wrap(b));
            }
            w.finish(false);
        }
        byte[] bytes = Files.readAllBytes(f);
        Files.delete(f);
        return bytes;
    }

    /** Rewrites the seed files in {@code args[0]} (the README there is maintained by hand). */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        Path scratch = Files.createTempDirectory("seeds");
        for (Map.Entry<String, byte[]> s : seeds(scratch).entrySet()) {
            Files.write(dir.resolve(s.getKey()), s.getValue());
        }
        Files.delete(scratch);
    }
}
