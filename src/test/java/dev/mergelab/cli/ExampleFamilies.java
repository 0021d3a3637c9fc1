package dev.mergelab.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.format.SafetensorsWriter;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.TensorRef;
import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.DType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The generated model families the mergekit example recipes run on, and the rewrites that make a
 * parent differ the way real checkpoints do (extra vocabulary rows, tied head, missing tensor). Written
 * for the tests with the generic safetensors writer, independent of the merge engine.
 */
final class ExampleFamilies {

    static final int LAYERS = 8;
    static final int VOCAB = 256;
    static final int EXTRA_ROWS = 8;

    /**
     * @param name   test display name
     * @param root   folder holding base/, ft1/, ft2/, ft3/
     * @param dtype  the parents' dtype
     * @param tied   every model has tied embeddings (no lm_head)
     * @param mixed  ft1 has {@link #EXTRA_ROWS} more vocabulary rows and ft2 has a tied head (no lm_head)
     */
    record Family(String name, Path root, DType dtype, boolean tied, boolean mixed) {
        @Override
        public String toString() {
            return name;
        }

        Path model(String placeholder) {
            return root.resolve(placeholder.toLowerCase(java.util.Locale.ROOT));
        }

        /** Vocabulary rows of a parent. */
        int vocab(String placeholder) {
            return mixed && placeholder.equals("FT1") ? VOCAB + EXTRA_ROWS : VOCAB;
        }

        /** Whether a parent lacks lm_head. */
        boolean tiedModel(String placeholder) {
            return tied || (mixed && placeholder.equals("FT2"));
        }
    }

    private ExampleFamilies() {
    }

    static List<Family> create(Path root) throws IOException {
        List<Family> out = new ArrayList<>();
        // float32, several shards per model: the sharded reader and exact float comparisons.
        Path f32 = root.resolve("f32-sharded");
        FamilyGenerator.generate(FamilySpec.tiny(DType.F32).withLayers(LAYERS).withShardBytes(150_000), f32, 2);
        out.add(new Family("f32-sharded", f32, DType.F32, false, false));
        // bfloat16 single files: half-precision decoding, many equal magnitudes (ties at top-k cuts).
        Path bf16 = root.resolve("bf16");
        FamilyGenerator.generate(FamilySpec.tiny(DType.BF16).withLayers(LAYERS).withSeed(77), bf16, 2);
        out.add(new Family("bf16", bf16, DType.BF16, false, false));
        // tie_word_embeddings: no lm_head anywhere.
        Path tied = root.resolve("tied");
        FamilyGenerator.generate(FamilySpec.tiny(DType.F32).withLayers(LAYERS).withTiedEmbeddings(true).withSeed(5)
                .withShardBytes(300_000), tied, 2);
        out.add(new Family("tied", tied, DType.F32, true, false));
        // One fine-tune with added tokens, one with a tied head, under an untied base.
        Path mixed = root.resolve("mixed");
        FamilyGenerator.generate(FamilySpec.tiny(DType.F32).withLayers(LAYERS).withSeed(9), mixed, 2);
        addVocabularyRows(mixed.resolve("ft1"), EXTRA_ROWS);
        dropTensors(mixed.resolve("ft2"), n -> n.equals("lm_head.weight"), true);
        out.add(new Family("mixed-vocab-and-tied", mixed, DType.F32, false, true));
        for (Family f : out) {
            for (String m : List.of("base", "ft1", "ft2", "ft3")) {
                markTokenizer(f.root().resolve(m), m);
            }
        }
        return out;
    }

    /** Makes each model's tokenizer_config.json distinguishable, so the test can tell where a copy came from. */
    static void markTokenizer(Path model, String origin) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Path p = model.resolve("tokenizer_config.json");
        ObjectNode cfg = (ObjectNode) json.readTree(p.toFile());
        cfg.put("mergelab_test_origin", origin);
        Files.writeString(p, json.writerWithDefaultPrettyPrinter().writeValueAsString(cfg));
    }

    /** Copies a model folder (weights rewritten into one file by {@link #rewrite}). */
    static void copyModel(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
    }

    /** Adds {@code extra} random rows to the embeddings and lm_head, and the tokens to config and tokenizer. */
    static void addVocabularyRows(Path model, int extra) throws IOException {
        rewrite(model, n -> false, (name, shape) -> isVocab(name) ? new long[] {shape[0] + extra, shape[1]} : shape);
        ObjectMapper json = new ObjectMapper();
        ObjectNode cfg = (ObjectNode) json.readTree(model.resolve("config.json").toFile());
        cfg.put("vocab_size", cfg.get("vocab_size").asInt() + extra);
        Files.writeString(model.resolve("config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(cfg));
        ObjectNode tok = (ObjectNode) json.readTree(model.resolve("tokenizer.json").toFile());
        ArrayNode added = (ArrayNode) tok.get("added_tokens");
        int vocab = tok.get("model").get("vocab").size();
        for (int i = 0; i < extra; i++) {
            added.addObject().put("id", vocab + i).put("content", "<|added_" + i + "|>").put("special", true);
        }
        Files.writeString(model.resolve("tokenizer.json"), json.writeValueAsString(tok));
    }

    /** Removes the tensors {@code drop} accepts; {@code tie} also sets tie_word_embeddings in config.json. */
    static void dropTensors(Path model, Predicate<String> drop, boolean tie) throws IOException {
        rewrite(model, drop, (name, shape) -> shape);
        if (tie) {
            ObjectMapper json = new ObjectMapper();
            ObjectNode cfg = (ObjectNode) json.readTree(model.resolve("config.json").toFile());
            cfg.put("tie_word_embeddings", true);
            Files.writeString(model.resolve("config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(cfg));
        }
    }

    static boolean isVocab(String name) {
        return name.equals("model.embed_tokens.weight") || name.equals("lm_head.weight");
    }

    interface Reshape {
        long[] shape(String name, long[] old);
    }

    /**
     * Rewrites a model's weights as one model.safetensors: tensors {@code drop} accepts are left out, and a
     * tensor given more rows by {@code reshape} keeps its old rows and gets new N(0, 0.02) rows.
     */
    static void rewrite(Path model, Predicate<String> drop, Reshape reshape) throws IOException {
        rewrite(model, drop, reshape, Map.of());
    }

    /** {@link #rewrite} that also adds new N(0, 0.02) tensors of the given shapes. */
    static void rewrite(Path model, Predicate<String> drop, Reshape reshape, Map<String, long[]> add) throws IOException {
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        List<float[]> data = new ArrayList<>();
        DType dtype = null;
        try (ModelSource src = ModelSource.open(model, "src")) {
            for (Map.Entry<String, TensorRef> e : src.tensors().entrySet()) {
                if (drop.test(e.getKey())) {
                    continue;
                }
                TensorRef t = e.getValue();
                long[] shape = reshape.shape(e.getKey(), t.shape());
                float[] old = new float[(int) t.numel()];
                Codecs.decode(t.dtype(), t.data(), 0, old, 0, old.length);
                long n = 1;
                for (long d : shape) {
                    n *= d;
                }
                float[] v = java.util.Arrays.copyOf(old, (int) n);
                SplittableRandom r = new SplittableRandom(e.getKey().hashCode());
                for (int i = old.length; i < v.length; i++) {
                    v[i] = (float) (0.02 * r.nextGaussian());
                }
                entries.add(new SafetensorsWriter.Entry(e.getKey(), t.dtype(), shape));
                data.add(v);
                dtype = t.dtype();
            }
        }
        for (Map.Entry<String, long[]> e : add.entrySet()) {
            float[] v = new float[(int) Reference.numel(e.getValue())];
            SplittableRandom r = new SplittableRandom(e.getKey().hashCode());
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (0.02 * r.nextGaussian());
            }
            entries.add(new SafetensorsWriter.Entry(e.getKey(), dtype, e.getValue()));
            data.add(v);
        }
        try (Stream<Path> s = Files.list(model)) {
            for (Path p : s.toList()) {
                String f = p.getFileName().toString();
                if (f.endsWith(".safetensors") || f.equals("model.safetensors.index.json")) {
                    Files.delete(p);
                }
            }
        }
        try (SafetensorsWriter w = SafetensorsWriter.create(model.resolve("model.safetensors"), entries, Map.of("format", "pt"))) {
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
