package dev.mergelab.export;

import dev.mergelab.format.SafetensorsWriter;
import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.DType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;

/**
 * Tiny Hugging Face model folders for the export tests: random BF16 weights of a small model (by default 2 layers,
 * hidden 64, 4 heads, 2 KV heads, head_dim 16) around a real tokenizer committed under src/test/resources/tokenizer/real (Mistral's
 * SentencePiece-style BPE, Qwen3's byte-level BPE), so that llama.cpp can load the vocabulary. Norm weights are
 * near 1, other weights N(0, 0.05²).
 */
public final class TinyExportModels {

    static final int HEADS = 4, KV_HEADS = 2;

    /**
     * What to build. {@code extraConfig} is raw JSON members appended to config.json (e.g. rope_scaling), where
     * HEAD_DIM, FF and the like are replaced by the model's numbers. {@code layout} names the tensors beside the
     * Llama ones: {@code qk_norm} (per-head q/k RMSNorm weights), {@code qk_norm_whole} (over the whole projection,
     * OLMo 2), {@code qwen_moe} (mlp.gate and mlp.experts.N.*_proj instead of the MLP), {@code shared_expert}
     * (Qwen2-MoE's shared expert and its sigmoid gate), {@code sandwich} (Gemma 2's pre/post feed-forward norms),
     * {@code post_norms} (OLMo 2: no input norm, a post feed-forward norm), {@code fused} (Phi-3's qkv_proj and
     * gate_up_proj), {@code oov_rows} (vocab_size and the embeddings 64 rows beyond the tokenizer, as Gemma 3 and
     * Phi-3 ship them), {@code phi3_tokens} (Phi-3's eleven special added tokens), {@code long_context}
     * (max_position_embeddings 1024 instead of 256).
     */
    public record Spec(String architecture, String modelType, String tokenizer, boolean qkvBias, int experts, String extraConfig,
            String tokenizerConfig, int hidden, int ff, int layers, boolean tied, List<String> layout) {

        Spec(String architecture, String modelType, String tokenizer, boolean qkvBias, int experts, String extraConfig,
                String tokenizerConfig) {
            this(architecture, modelType, tokenizer, qkvBias, experts, extraConfig, tokenizerConfig, 64, 128, 2, false, List.of());
        }

        /** The same model with other dimensions (rows of 256 exercise the K-quants instead of their fallbacks). */
        Spec sized(int hidden, int ff, int layers) {
            return new Spec(architecture, modelType, tokenizer, qkvBias, experts, extraConfig, tokenizerConfig, hidden, ff, layers, tied,
                    layout);
        }

        /** The same model with the output head tied to the embeddings (no lm_head tensor). */
        Spec tiedHead() {
            return new Spec(architecture, modelType, tokenizer, qkvBias, experts, extraConfig, tokenizerConfig, hidden, ff, layers, true,
                    layout);
        }

        /** The same model with the extra tensors of {@code parts} (see the record's comment). */
        Spec with(String... parts) {
            List<String> l = new ArrayList<>(layout);
            l.addAll(List.of(parts));
            return new Spec(architecture, modelType, tokenizer, qkvBias, experts, extraConfig, tokenizerConfig, hidden, ff, layers, tied,
                    List.copyOf(l));
        }

        boolean has(String part) {
            return layout.contains(part);
        }
    }

    static final String MISTRAL_TOKENIZER_CONFIG = """
            {"tokenizer_class": "LlamaTokenizerFast", "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
             "add_bos_token": true, "add_eos_token": false,
             "chat_template": "{{ bos_token }}{% for m in messages %}[INST] {{ m['content'] }} [/INST]{% endfor %}"}
            """;

    static final String QWEN_TOKENIZER_CONFIG = """
            {"tokenizer_class": "Qwen2Tokenizer", "bos_token": null, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
             "unk_token": null, "add_bos_token": false, "add_prefix_space": false,
             "chat_template": "{% for m in messages %}<|im_start|>{{ m['role'] }}\\n{{ m['content'] }}<|im_end|>\\n{% endfor %}"}
            """;

    private TinyExportModels() {
    }

    public static Spec llama() {
        return new Spec("LlamaForCausalLM", "llama", "mistral", false, 0, "", MISTRAL_TOKENIZER_CONFIG);
    }

    public static Spec llama3Rope() {
        return new Spec("LlamaForCausalLM", "llama", "mistral", false, 0,
                ", \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0,"
                        + " \"original_max_position_embeddings\": 64}", MISTRAL_TOKENIZER_CONFIG);
    }

    public static Spec qwen2() {
        return new Spec("Qwen2ForCausalLM", "qwen2", "qwen3", true, 0, ", \"bos_token_id\": 151643, \"eos_token_id\": 151645",
                QWEN_TOKENIZER_CONFIG);
    }

    public static Spec gemma() {
        return new Spec("GemmaForCausalLM", "gemma", "mistral-no-prefix", false, 0,
                ", \"head_dim\": HEAD_DIM, \"hidden_activation\": \"gelu_pytorch_tanh\"", MISTRAL_TOKENIZER_CONFIG).tiedHead();
    }

    public static Spec mixtral() {
        return new Spec("MixtralForCausalLM", "mixtral", "mistral", false, 4, ", \"num_local_experts\": 4, \"num_experts_per_tok\": 2",
                MISTRAL_TOKENIZER_CONFIG);
    }

    public static Spec qwen3() {
        return new Spec("Qwen3ForCausalLM", "qwen3", "qwen3", false, 0,
                ", \"head_dim\": HEAD_DIM, \"bos_token_id\": 151643, \"eos_token_id\": 151645", QWEN_TOKENIZER_CONFIG).with("qk_norm");
    }

    public static Spec qwen2Moe() {
        return new Spec("Qwen2MoeForCausalLM", "qwen2_moe", "qwen3", true, 4,
                ", \"num_experts\": 4, \"num_experts_per_tok\": 2, \"moe_intermediate_size\": FF, \"shared_expert_intermediate_size\": SHARED_FF,"
                        + " \"decoder_sparse_step\": 1, \"mlp_only_layers\": [], \"norm_topk_prob\": false, \"bos_token_id\": 151643,"
                        + " \"eos_token_id\": 151645", QWEN_TOKENIZER_CONFIG).with("qwen_moe", "shared_expert");
    }

    /** Eight experts: llama-quant.cpp's n_expert == 8 rules (attn_v, attn_k Q8_0; attn_output Q5_K) apply. */
    public static Spec qwen3Moe() {
        return new Spec("Qwen3MoeForCausalLM", "qwen3_moe", "qwen3", false, 8,
                ", \"num_experts\": 8, \"num_experts_per_tok\": 2, \"moe_intermediate_size\": FF, \"head_dim\": HEAD_DIM,"
                        + " \"decoder_sparse_step\": 1, \"mlp_only_layers\": [], \"norm_topk_prob\": true, \"bos_token_id\": 151643,"
                        + " \"eos_token_id\": 151645", QWEN_TOKENIZER_CONFIG).with("qk_norm", "qwen_moe");
    }

    /**
     * Soft-capping small enough to bite on these small logits and scores, and a sliding window of 4 on the even layers
     * (shorter than the test text). query_pre_attn_scalar is head_dim: llama.cpp does not read it (see gemma2.json).
     */
    public static Spec gemma2() {
        return new Spec("Gemma2ForCausalLM", "gemma2", "mistral-no-prefix", false, 0,
                ", \"head_dim\": HEAD_DIM, \"hidden_activation\": \"gelu_pytorch_tanh\", \"attn_logit_softcapping\": 0.5,"
                        + " \"final_logit_softcapping\": 1.5, \"sliding_window\": 4, \"query_pre_attn_scalar\": HEAD_DIM",
                MISTRAL_TOKENIZER_CONFIG).tiedHead().with("sandwich");
    }

    /**
     * Six layers: five with a sliding window of 4 (local RoPE base 1000), then a global one with linear RoPE scaling
     * (Gemma 3 4B's rope_scaling, which applies to global layers only).
     */
    public static Spec gemma3() {
        return new Spec("Gemma3ForCausalLM", "gemma3_text", "mistral-no-prefix", false, 0,
                ", \"head_dim\": HEAD_DIM, \"hidden_activation\": \"gelu_pytorch_tanh\", \"sliding_window\": 4,"
                        + " \"sliding_window_pattern\": 6, \"rope_local_base_freq\": 1000.0, \"query_pre_attn_scalar\": HEAD_DIM,"
                        + " \"final_logit_softcapping\": null, \"attn_logit_softcapping\": null,"
                        + " \"rope_scaling\": {\"rope_type\": \"linear\", \"factor\": 8.0}",
                MISTRAL_TOKENIZER_CONFIG).tiedHead().with("sandwich", "qk_norm").sized(64, 128, 6);
    }

    /**
     * Partial rotary (half of each head), LongRoPE over a context of 1024 from 256, so scaled (attention factor 1.15)
     * but with the short factors: the text is shorter than 256 and so is llama.cpp's context (which it pads to 256
     * and compares with the original context to choose the factors). Phi-3's added tokens, vocab_size 64 beyond the
     * tokenizer (as Phi-3 mini's 32064 beyond its 32011 tokens), a sliding window longer than the text (llama.cpp
     * ignores it).
     */
    public static Spec phi3() {
        return phi3WithOriginalContext(256).with("long_context");
    }

    /** {@link #phi3()} with an original context of 16, shorter than the text: both sides use the long factors. */
    public static Spec phi3LongFactors() {
        return phi3WithOriginalContext(16);
    }

    private static Spec phi3WithOriginalContext(int original) {
        return new Spec("Phi3ForCausalLM", "phi3", "mistral", false, 0,
                ", \"partial_rotary_factor\": 0.5, \"original_max_position_embeddings\": " + original + ", \"sliding_window\": 2047,"
                        + " \"rope_scaling\": {\"type\": \"longrope\", \"long_factor\": LONG_FACTORS,"
                        + " \"short_factor\": SHORT_FACTORS}",
                MISTRAL_TOKENIZER_CONFIG).with("fused", "oov_rows", "phi3_tokens");
    }

    public static Spec olmo2() {
        return new Spec("Olmo2ForCausalLM", "olmo2", "qwen3", false, 0, ", \"bos_token_id\": 151643, \"eos_token_id\": 151645",
                QWEN_TOKENIZER_CONFIG).with("post_norms", "qk_norm_whole");
    }

    /** Granite's four multipliers, none of them neutral; head_dim in the config (the converter drops it). */
    public static Spec granite() {
        return new Spec("GraniteForCausalLM", "granite", "qwen3", false, 0,
                ", \"head_dim\": HEAD_DIM, \"attention_multiplier\": 0.0625, \"embedding_multiplier\": 12.0,"
                        + " \"residual_multiplier\": 0.22, \"logits_scaling\": 8.0, \"bos_token_id\": 151643, \"eos_token_id\": 151645",
                QWEN_TOKENIZER_CONFIG).tiedHead();
    }

    /** Writes the folder and returns it. */
    public static Path write(Path dir, Spec s, long seed) throws IOException {
        Files.createDirectories(dir);
        byte[] tokenizer;
        boolean noPrefix = s.tokenizer().endsWith("-no-prefix");
        String file = noPrefix ? s.tokenizer().substring(0, s.tokenizer().length() - "-no-prefix".length()) : s.tokenizer();
        try (InputStream in = new GZIPInputStream(Files.newInputStream(Path.of("src/test/resources/tokenizer/real/" + file + ".json.gz")))) {
            tokenizer = in.readAllBytes();
        }
        if (noPrefix) {
            // as Gemma's tokenizer.json: spaces become "▁" but no "▁" is put in front of the text
            var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
            var root = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(tokenizer);
            var norms = (com.fasterxml.jackson.databind.node.ArrayNode) root.get("normalizer").get("normalizers");
            for (int i = norms.size() - 1; i >= 0; i--) {
                if (norms.get(i).get("type").asText().equals("Prepend")) {
                    norms.remove(i);
                }
            }
            var decoders = (com.fasterxml.jackson.databind.node.ArrayNode) root.get("decoder").get("decoders");
            for (int i = decoders.size() - 1; i >= 0; i--) {
                if (decoders.get(i).get("type").asText().equals("Strip")) {
                    decoders.remove(i);
                }
            }
            tokenizer = mapper.writeValueAsBytes(root);
        }
        if (s.has("phi3_tokens")) {
            // Phi-3's added tokens, all special (llama.cpp looks up <|endoftext|> when the model's name says phi3)
            var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
            var root = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(tokenizer);
            var added = (com.fasterxml.jackson.databind.node.ArrayNode) root.get("added_tokens");
            int id = vocabSize(tokenizer);
            for (String t : List.of("<|endoftext|>", "<|assistant|>", "<|placeholder1|>", "<|placeholder2|>", "<|placeholder3|>",
                    "<|placeholder4|>", "<|system|>", "<|end|>", "<|placeholder5|>", "<|placeholder6|>", "<|user|>")) {
                added.addObject().put("id", id++).put("content", t).put("single_word", false).put("lstrip", false)
                        .put("rstrip", !t.equals("<|endoftext|>")).put("normalized", false).put("special", true);
            }
            tokenizer = mapper.writeValueAsBytes(root);
        }
        Files.write(dir.resolve("tokenizer.json"), tokenizer);
        Files.writeString(dir.resolve("tokenizer_config.json"), s.tokenizerConfig());
        int vocab = vocabSize(tokenizer) + (s.has("oov_rows") ? 64 : 0);
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["%s"], "model_type": "%s", "hidden_size": %d, "intermediate_size": %d,
                 "num_hidden_layers": %d, "num_attention_heads": %d, "num_key_value_heads": %d, "vocab_size": %d,
                 "max_position_embeddings": %d, "rms_norm_eps": 1e-06, "hidden_act": "silu", "rope_theta": 10000.0,
                 "tie_word_embeddings": %s, "torch_dtype": "bfloat16"%s}
                """.formatted(s.architecture(), s.modelType(), s.hidden(), s.ff(), s.layers(), HEADS, KV_HEADS, vocab, s.has("long_context") ? 1024 : 256, s.tied(),
                        s.extraConfig().replace("HEAD_DIM", String.valueOf(s.hidden() / HEADS)).replace("SHARED_FF", String.valueOf(2 * s.ff()))
                                .replace("LONG_FACTORS", factors(s.hidden() / HEADS / 4, 1.75)).replace("SHORT_FACTORS", factors(s.hidden() / HEADS / 4, 1.25))
                                .replace("FF", String.valueOf(s.ff()))));
        final int HIDDEN = s.hidden(), FF = s.ff(), LAYERS = s.layers(), HEAD_DIM = s.hidden() / HEADS;
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new long[] {vocab, HIDDEN});
        if (!s.tied()) {
            shapes.put("lm_head.weight", new long[] {vocab, HIDDEN});
        }
        shapes.put("model.norm.weight", new long[] {HIDDEN});
        for (int l = 0; l < LAYERS; l++) {
            String p = "model.layers." + l + ".";
            if (!s.has("post_norms")) {
                shapes.put(p + "input_layernorm.weight", new long[] {HIDDEN});
            }
            shapes.put(p + "post_attention_layernorm.weight", new long[] {HIDDEN});
            if (s.has("sandwich")) {
                shapes.put(p + "pre_feedforward_layernorm.weight", new long[] {HIDDEN});
            }
            if (s.has("sandwich") || s.has("post_norms")) {
                shapes.put(p + "post_feedforward_layernorm.weight", new long[] {HIDDEN});
            }
            if (s.has("fused")) {
                shapes.put(p + "self_attn.qkv_proj.weight", new long[] {(HEADS + 2 * KV_HEADS) * HEAD_DIM, HIDDEN});
            } else {
                shapes.put(p + "self_attn.q_proj.weight", new long[] {HEADS * HEAD_DIM, HIDDEN});
                shapes.put(p + "self_attn.k_proj.weight", new long[] {KV_HEADS * HEAD_DIM, HIDDEN});
                shapes.put(p + "self_attn.v_proj.weight", new long[] {KV_HEADS * HEAD_DIM, HIDDEN});
            }
            shapes.put(p + "self_attn.o_proj.weight", new long[] {HIDDEN, HEADS * HEAD_DIM});
            if (s.qkvBias()) {
                shapes.put(p + "self_attn.q_proj.bias", new long[] {HEADS * HEAD_DIM});
                shapes.put(p + "self_attn.k_proj.bias", new long[] {KV_HEADS * HEAD_DIM});
                shapes.put(p + "self_attn.v_proj.bias", new long[] {KV_HEADS * HEAD_DIM});
            }
            if (s.has("qk_norm")) {
                shapes.put(p + "self_attn.q_norm.weight", new long[] {HEAD_DIM});
                shapes.put(p + "self_attn.k_norm.weight", new long[] {HEAD_DIM});
            }
            if (s.has("qk_norm_whole")) {
                shapes.put(p + "self_attn.q_norm.weight", new long[] {HEADS * HEAD_DIM});
                shapes.put(p + "self_attn.k_norm.weight", new long[] {KV_HEADS * HEAD_DIM});
            }
            if (s.experts() > 0 && s.has("qwen_moe")) {
                shapes.put(p + "mlp.gate.weight", new long[] {s.experts(), HIDDEN});
                for (int x = 0; x < s.experts(); x++) {
                    String e = p + "mlp.experts." + x + ".";
                    shapes.put(e + "gate_proj.weight", new long[] {FF, HIDDEN});
                    shapes.put(e + "up_proj.weight", new long[] {FF, HIDDEN});
                    shapes.put(e + "down_proj.weight", new long[] {HIDDEN, FF});
                }
                if (s.has("shared_expert")) {
                    shapes.put(p + "mlp.shared_expert.gate_proj.weight", new long[] {2 * FF, HIDDEN});
                    shapes.put(p + "mlp.shared_expert.up_proj.weight", new long[] {2 * FF, HIDDEN});
                    shapes.put(p + "mlp.shared_expert.down_proj.weight", new long[] {HIDDEN, 2 * FF});
                    shapes.put(p + "mlp.shared_expert_gate.weight", new long[] {1, HIDDEN});
                }
            } else if (s.experts() > 0) {
                shapes.put(p + "block_sparse_moe.gate.weight", new long[] {s.experts(), HIDDEN});
                for (int x = 0; x < s.experts(); x++) {
                    String e = p + "block_sparse_moe.experts." + x + ".";
                    shapes.put(e + "w1.weight", new long[] {FF, HIDDEN});
                    shapes.put(e + "w2.weight", new long[] {HIDDEN, FF});
                    shapes.put(e + "w3.weight", new long[] {FF, HIDDEN});
                }
            } else if (s.has("fused")) {
                shapes.put(p + "mlp.gate_up_proj.weight", new long[] {2 * FF, HIDDEN});
                shapes.put(p + "mlp.down_proj.weight", new long[] {HIDDEN, FF});
            } else {
                shapes.put(p + "mlp.gate_proj.weight", new long[] {FF, HIDDEN});
                shapes.put(p + "mlp.up_proj.weight", new long[] {FF, HIDDEN});
                shapes.put(p + "mlp.down_proj.weight", new long[] {HIDDEN, FF});
            }
        }
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        shapes.forEach((n, sh) -> entries.add(new SafetensorsWriter.Entry(n, DType.BF16, sh)));
        SplittableRandom rnd = new SplittableRandom(seed);
        try (SafetensorsWriter w = SafetensorsWriter.create(dir.resolve("model.safetensors"), entries, Map.of("format", "pt"))) {
            for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                long n = 1;
                for (long d : e.getValue()) {
                    n *= d;
                }
                boolean norm = e.getKey().endsWith("norm.weight");
                ByteBuffer b = ByteBuffer.allocate((int) (2 * n)).order(ByteOrder.LITTLE_ENDIAN);
                for (long i = 0; i < n; i++) {
                    float v = (float) (rnd.nextGaussian() * 0.05) + (norm ? 1f : 0f);
                    b.putShort(Codecs.floatToBf16(v));
                }
                b.flip();
                w.write(e.getKey(), 0, b);
            }
            w.finish(false);
        }
        return dir;
    }

    /** LongRoPE factors: {@code n} values rising from 1 by {@code ratio} each. */
    private static String factors(int n, double ratio) {
        List<String> f = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            f.add(String.valueOf(Math.pow(ratio, i)));
        }
        return f.toString();
    }

    /** One more than the largest id of the model's vocabulary and added tokens. */
    static int vocabSize(byte[] tokenizerJson) throws IOException {
        var root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(tokenizerJson);
        int max = -1;
        for (var v : root.get("model").get("vocab")) {
            max = Math.max(max, v.asInt());
        }
        for (var a : root.get("added_tokens")) {
            max = Math.max(max, a.get("id").asInt());
        }
        return max + 1;
    }
}
