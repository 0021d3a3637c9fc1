package dev.mergelab.synth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.format.SafetensorsWriter;
import dev.mergelab.format.ShardedWriter;
import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Writes a deterministic synthetic Llama family: {@code base/} and {@code ft1/..ftN/} Hugging Face
 * folders with config, tokenizer and (sharded) safetensors weights. Every value depends only on the
 * spec's seed and the tensor name, never on thread scheduling.
 *
 * <p>Fine-tune k's task vector is {@code scale_k * (shared' + own_k)} plus a sparse heavy tail, where
 * shared' is a component common to all children (sign-flipped on a quarter of entries for every third
 * child, which creates the sign conflicts TIES-style methods resolve). Norm weights stay near 1.
 */
public final class FamilyGenerator {

    private static final double[] CHILD_SCALE = {1.0, 0.6, 1.4};
    private static final int CHUNK = 1 << 16;

    private FamilyGenerator() {
    }

    /** The tensor list of one model, in the order Transformers saves Llama weights. */
    public static List<SafetensorsWriter.Entry> tensors(FamilySpec s) {
        List<SafetensorsWriter.Entry> out = new ArrayList<>();
        long h = s.hidden();
        long kv = (long) s.kvHeads() * s.headDim();
        out.add(new SafetensorsWriter.Entry("model.embed_tokens.weight", s.dtype(), new long[] {s.vocab(), h}));
        for (int l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            out.add(new SafetensorsWriter.Entry(p + "input_layernorm.weight", s.dtype(), new long[] {h}));
            out.add(new SafetensorsWriter.Entry(p + "mlp.down_proj.weight", s.dtype(), new long[] {h, s.intermediate()}));
            out.add(new SafetensorsWriter.Entry(p + "mlp.gate_proj.weight", s.dtype(), new long[] {s.intermediate(), h}));
            out.add(new SafetensorsWriter.Entry(p + "mlp.up_proj.weight", s.dtype(), new long[] {s.intermediate(), h}));
            out.add(new SafetensorsWriter.Entry(p + "post_attention_layernorm.weight", s.dtype(), new long[] {h}));
            out.add(new SafetensorsWriter.Entry(p + "self_attn.k_proj.weight", s.dtype(), new long[] {kv, h}));
            out.add(new SafetensorsWriter.Entry(p + "self_attn.o_proj.weight", s.dtype(), new long[] {h, h}));
            out.add(new SafetensorsWriter.Entry(p + "self_attn.q_proj.weight", s.dtype(), new long[] {h, h}));
            out.add(new SafetensorsWriter.Entry(p + "self_attn.v_proj.weight", s.dtype(), new long[] {kv, h}));
        }
        out.add(new SafetensorsWriter.Entry("model.norm.weight", s.dtype(), new long[] {h}));
        if (!s.tiedEmbeddings()) {
            out.add(new SafetensorsWriter.Entry("lm_head.weight", s.dtype(), new long[] {s.vocab(), h}));
        }
        return out;
    }

    /** Folder names written under the family root: base, ft1, ... */
    public static List<String> modelNames(FamilySpec s) {
        List<String> names = new ArrayList<>();
        names.add("base");
        for (int i = 1; i <= s.fineTunes(); i++) {
            names.add("ft" + i);
        }
        return names;
    }

    /** Writes the family into {@code root} (created; must not hold the model folders yet). */
    public static void generate(FamilySpec s, Path root, int threads) throws IOException {
        List<String> names = modelNames(s);
        List<SafetensorsWriter.Entry> entries = tensors(s);
        List<ShardedWriter> writers = new ArrayList<>();
        ExecutorService pool = dev.mergelab.Workers.pool(threads, "synth-writer");
        try {
            for (String n : names) {
                Path dir = root.resolve(n);
                Files.createDirectories(dir);
                writeAuxFiles(s, dir, n);
                writers.add(ShardedWriter.create(dir, "model", entries, s.shardBytes(), Map.of("format", "pt")));
            }
            List<Future<?>> jobs = new ArrayList<>();
            for (SafetensorsWriter.Entry e : entries) {
                jobs.add(pool.submit(() -> {
                    writeTensor(s, e, writers);
                    return null;
                }));
            }
            for (Future<?> f : jobs) {
                f.get();
            }
            for (ShardedWriter w : writers) {
                w.finish(false, Map.of());
            }
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            Throwable c = e.getCause() != null ? e.getCause() : e;
            if (c instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException("generating synthetic family failed", c);
        } finally {
            pool.shutdownNow();
            for (ShardedWriter w : writers) {
                w.close();
            }
        }
    }

    private static void writeTensor(FamilySpec s, SafetensorsWriter.Entry e, List<ShardedWriter> writers) throws IOException {
        long n = dev.mergelab.tensor.Shape.numel(e.shape());
        boolean norm = e.shape().length == 1;
        long tensorSeed = mix(s.seed(), e.name());
        SplittableRandom base = new SplittableRandom(tensorSeed);
        SplittableRandom shared = new SplittableRandom(tensorSeed ^ 0x5DEECE66DL);
        SplittableRandom[] own = new SplittableRandom[s.fineTunes()];
        for (int k = 0; k < own.length; k++) {
            own[k] = new SplittableRandom(tensorSeed + 0x9E3779B97F4A7C15L * (k + 1));
        }
        int size = e.dtype().size();
        float[] b = new float[CHUNK];
        float[] sh = new float[CHUNK];
        float[] child = new float[CHUNK];
        ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK * size);
        MemorySegment seg = MemorySegment.ofBuffer(buf);
        for (long at = 0; at < n; at += CHUNK) {
            int c = (int) Math.min(CHUNK, n - at);
            for (int i = 0; i < c; i++) {
                b[i] = norm ? (float) (1.0 + 0.05 * base.nextGaussian()) : (float) (FamilySpec.BASE_STD * base.nextGaussian());
                sh[i] = (float) (FamilySpec.DELTA_STD * shared.nextGaussian());
            }
            put(writers.get(0), e, at, b, c, buf, seg);
            for (int k = 0; k < own.length; k++) {
                double scale = CHILD_SCALE[k % CHILD_SCALE.length];
                boolean flips = k % 3 == 2;
                SplittableRandom r = own[k];
                for (int i = 0; i < c; i++) {
                    double shv = flips && r.nextInt(4) == 0 ? -sh[i] : sh[i];
                    double d = scale * (shv + FamilySpec.DELTA_STD * r.nextGaussian());
                    if (r.nextInt(100) == 0) {
                        d *= 8; // heavy tail: a few large updates, as fine-tunes show
                    }
                    child[i] = (float) (b[i] + d);
                }
                put(writers.get(k + 1), e, at, child, c, buf, seg);
            }
        }
    }

    private static void put(ShardedWriter w, SafetensorsWriter.Entry e, long at, float[] v, int c, ByteBuffer buf,
            MemorySegment seg) throws IOException {
        Codecs.encode(e.dtype(), v, 0, c, seg, 0);
        buf.clear().limit(c * e.dtype().size());
        w.write(e.name(), at * e.dtype().size(), buf);
    }

    private static long mix(long seed, String name) {
        long h = seed * 0x9E3779B97F4A7C15L;
        for (byte x : name.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ x) * 0x100000001B3L;
            h ^= h >>> 29;
        }
        return h;
    }

    private static void writeAuxFiles(FamilySpec s, Path dir, String modelName) {
        ObjectMapper json = new ObjectMapper();
        try {
            ObjectNode cfg = json.createObjectNode();
            cfg.putArray("architectures").add("LlamaForCausalLM");
            cfg.put("model_type", "llama");
            cfg.put("hidden_size", s.hidden());
            cfg.put("intermediate_size", s.intermediate());
            cfg.put("num_hidden_layers", s.layers());
            cfg.put("num_attention_heads", s.heads());
            cfg.put("num_key_value_heads", s.kvHeads());
            cfg.put("vocab_size", s.vocab());
            cfg.put("max_position_embeddings", 2048);
            cfg.put("rms_norm_eps", 1e-5);
            cfg.put("rope_theta", 10000.0);
            cfg.put("hidden_act", "silu");
            cfg.put("tie_word_embeddings", s.tiedEmbeddings());
            cfg.put("bos_token_id", 1);
            cfg.put("eos_token_id", 2);
            cfg.put("torch_dtype", s.dtype().torchName());
            cfg.put("_name_or_path", "mergelab-synthetic/" + modelName);
            Files.writeString(dir.resolve("config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(cfg));

            ObjectNode gen = json.createObjectNode();
            gen.put("bos_token_id", 1);
            gen.put("eos_token_id", 2);
            Files.writeString(dir.resolve("generation_config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(gen));

            ObjectNode tok = json.createObjectNode();
            tok.put("version", "1.0");
            ArrayNode added = tok.putArray("added_tokens");
            String[] specials = {"<unk>", "<s>", "</s>"};
            for (int i = 0; i < specials.length; i++) {
                added.addObject().put("id", i).put("content", specials[i]).put("special", true);
            }
            // Words are split on whitespace, so a text "tok5 tok9" is the ids [5, 9] (without a pre-tokenizer the
            // whole text would be one unknown word, and evaluations on synthetic models trivial).
            tok.putObject("pre_tokenizer").put("type", "WhitespaceSplit");
            ObjectNode model = tok.putObject("model");
            model.put("type", "WordLevel");
            model.put("unk_token", "<unk>");
            ObjectNode vocab = model.putObject("vocab");
            for (int i = 0; i < s.vocab(); i++) {
                vocab.put(i < specials.length ? specials[i] : "tok" + i, i);
            }
            Files.writeString(dir.resolve("tokenizer.json"), json.writeValueAsString(tok));

            ObjectNode tcfg = json.createObjectNode();
            tcfg.put("tokenizer_class", "PreTrainedTokenizerFast");
            tcfg.put("bos_token", "<s>");
            tcfg.put("eos_token", "</s>");
            tcfg.put("unk_token", "<unk>");
            tcfg.put("model_max_length", 2048);
            Files.writeString(dir.resolve("tokenizer_config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(tcfg));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
