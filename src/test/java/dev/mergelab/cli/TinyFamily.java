package dev.mergelab.cli;

import dev.mergelab.format.SafetensorsWriter;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.TensorRef;
import dev.mergelab.tensor.Codecs;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * A family for search tests on the tiny evaluation model (src/test/resources/eval/tiny, with its tokenizer): base/
 * is the model itself, ft1/ and ft2/ the same model with different small deterministic perturbations of every weight,
 * so merges of them score differently.
 */
final class TinyFamily {
    static final Path TINY = Path.of("src/test/resources/eval/tiny");

    private TinyFamily() {
    }

    static Path make(Path root) throws IOException {
        copy(TINY, root.resolve("base"));
        perturbed(root.resolve("ft1"), 1, 0.03);
        perturbed(root.resolve("ft2"), 2, 0.03);
        return root;
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
    }

    private static void perturbed(Path to, long seed, double scale) throws IOException {
        copy(TINY, to);
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        List<float[]> data = new ArrayList<>();
        try (ModelSource src = ModelSource.open(TINY, "tiny")) {
            for (Map.Entry<String, TensorRef> e : src.tensors().entrySet()) {
                TensorRef t = e.getValue();
                float[] v = new float[(int) t.numel()];
                Codecs.decode(t.dtype(), t.data(), 0, v, 0, v.length);
                SplittableRandom r = new SplittableRandom(seed * 31 + e.getKey().hashCode());
                for (int i = 0; i < v.length; i++) {
                    v[i] += (float) (scale * r.nextGaussian());
                }
                entries.add(new SafetensorsWriter.Entry(e.getKey(), t.dtype(), t.shape()));
                data.add(v);
            }
        }
        Files.delete(to.resolve("model.safetensors"));
        try (SafetensorsWriter w = SafetensorsWriter.create(to.resolve("model.safetensors"), entries, Map.of("format", "pt"))) {
            for (int i = 0; i < entries.size(); i++) {
                SafetensorsWriter.Entry e = entries.get(i);
                float[] v = data.get(i);
                ByteBuffer buf = ByteBuffer.allocate(v.length * e.dtype().size());
                Codecs.encode(e.dtype(), v, 0, v.length, MemorySegment.ofBuffer(buf), 0);
                w.write(e.name(), 0, buf);
            }
            w.finish(false);
        }
    }
}
