package dev.mergelab.model.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.MergeLabException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What llama.cpp's converter writes for one Hugging Face architecture, as data (resources
 * {@code dev/mergelab/model/gguf/*.json}): the GGUF architecture name, the vocabulary strategies tried in order,
 * the hyper-parameter keys in the converter's order, the HF→GGUF tensor base names, whether q/k rows are
 * permuted (Llama family), whether llama3 RoPE scaling adds {@code rope_freqs.weight}, and how MoE experts are
 * stacked into one 3-D tensor per projection.
 *
 * @param type70bBlocks the block count at which llama.cpp calls the model LLM_TYPE_70B (which llama-quant.cpp
 *     gives more bits in attn_v), with {@code type70bOnlyWithGqa} when it also needs fewer KV heads than heads
 * @param params ordered entries: {@code "@text_model"} (the converter's generic TextModel keys), {@code "@file_type"},
 *     {@code "@rope_dimension_count_partial"} (Phi-3) or one key read from the config ({@code from}) or the RoPE
 *     parameters ({@code from_rope}), with {@code else_divide}, {@code default}, {@code skip_if_zero}, {@code unless};
 *     a key written twice keeps its first place, as gguf-py's writer does
 * @param extraSpecialIds special token ids the model class sets after the vocabulary unless the files name them
 * @param addSpacePrefix {@code tokenizer.ggml.add_space_prefix} the model class writes last, or null
 * @param skipTensors HF tensors the model class leaves out
 * @param addOneToSuffix tensors ending so get 1 added (Gemma's RMSNorm weights are stored as 1 + w), or null
 * @param sentencePieceReader whether the model class reads its vocabulary with SentencePiece (Gemma, Phi-3), whose
 *     reader pads it with {@code [PAD<id>]} tokens up to the config's vocab_size and types added tokens by their
 *     {@code special} flag; MergeLab's tokenizer.json reading then does the same
 * @param embeddingsToTokenizer the tensor (by name suffix) cut to the tokenizer's size when the folder has no
 *     tokenizer.model (Gemma3Model.modify_tensors drops out-of-vocabulary rows), or null
 * @param longropeFactors whether LongRoPE's long/short factors become {@code rope_factors_long/short} tensors and
 *     {@code rope.scaling.attn_factor} (Phi3MiniModel.generate_extra_tensors)
 * @param hiddenConfigKeys config keys the model class removes before writing its hyper-parameters (Granite's head_dim)
 */
public record GgufArchitecture(String ggufName, List<String> hfArchitectures, List<String> vocab, boolean permuteQk,
        boolean ropeFreqsLlama3, int type70bBlocks, boolean type70bOnlyWithGqa, List<JsonNode> params,
        Map<String, String> tensors, Experts experts, Map<String, Integer> extraSpecialIds, Boolean addSpacePrefix,
        List<String> skipTensors, String addOneToSuffix, boolean sentencePieceReader, String embeddingsToTokenizer, boolean longropeFactors,
        List<String> hiddenConfigKeys) {

    private static final String DIR = "/dev/mergelab/model/gguf/";

    /** Experts stored one tensor per expert in HF, stacked along a new outer axis in GGUF. */
    public record Experts(String countFrom, String source, Map<String, String> stacked) {
    }

    /** The spec for a config's first architecture, or a one-line error naming the ones that export. */
    public static GgufArchitecture forHf(List<String> hfArchitectures) {
        List<GgufArchitecture> all = builtIns();
        for (String a : hfArchitectures) {
            for (GgufArchitecture g : all) {
                if (g.hfArchitectures.contains(a)) {
                    return g;
                }
            }
        }
        List<String> known = new ArrayList<>();
        all.forEach(g -> known.addAll(g.hfArchitectures));
        throw MergeLabException.input("GGUF export does not know the architecture " + hfArchitectures,
                "exportable: " + String.join(", ", known));
    }

    public static List<GgufArchitecture> builtIns() {
        List<GgufArchitecture> out = new ArrayList<>();
        for (String line : new String(resource("index.txt"), StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                out.add(parse(resource(line.strip())));
            }
        }
        return out;
    }

    private static byte[] resource(String name) {
        try (InputStream in = GgufArchitecture.class.getResourceAsStream(DIR + name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + DIR + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + DIR + name, e);
        }
    }

    private static GgufArchitecture parse(byte[] json) {
        try {
            JsonNode r = new ObjectMapper().readTree(json);
            List<String> hf = new ArrayList<>();
            r.get("hf_architectures").forEach(n -> hf.add(n.asText()));
            List<String> vocab = new ArrayList<>();
            r.get("vocab").forEach(n -> vocab.add(n.asText()));
            List<JsonNode> params = new ArrayList<>();
            r.get("params").forEach(params::add);
            Map<String, String> tensors = new LinkedHashMap<>();
            r.get("tensors").properties().forEach(e -> tensors.put(e.getKey(), e.getValue().asText()));
            Experts experts = null;
            JsonNode x = r.get("experts");
            if (x != null) {
                Map<String, String> stacked = new LinkedHashMap<>();
                x.get("stacked").properties().forEach(e -> stacked.put(e.getKey(), e.getValue().asText()));
                experts = new Experts(x.get("count_from").asText(), x.get("source").asText(), stacked);
            }
            Map<String, Integer> ids = new LinkedHashMap<>();
            r.path("vocab_special_ids").properties().forEach(e -> ids.put(e.getKey(), e.getValue().asInt()));
            List<String> skip = new ArrayList<>();
            r.path("skip_tensors").forEach(n -> skip.add(n.asText()));
            List<String> hidden = new ArrayList<>();
            r.path("hidden_config_keys").forEach(n -> hidden.add(n.asText()));
            JsonNode space = r.get("vocab_add_space_prefix");
            JsonNode plusOne = r.get("add_one_to_suffix");
            return new GgufArchitecture(r.get("gguf_architecture").asText(), List.copyOf(hf), List.copyOf(vocab),
                    r.get("permute_qk").asBoolean(), r.get("rope_freqs_llama3").asBoolean(),
                    r.path("llama_type_70b").path("block_count").asInt(-1), r.path("llama_type_70b").path("only_with_gqa").asBoolean(),
                    List.copyOf(params), tensors, experts, ids, space == null ? null : space.asBoolean(), List.copyOf(skip),
                    plusOne == null ? null : plusOne.asText(), r.path("vocab_sentencepiece_reader").asBoolean(false),
                    r.hasNonNull("embeddings_to_tokenizer") ? r.get("embeddings_to_tokenizer").asText() : null,
                    r.path("longrope_factors").asBoolean(false), hidden);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("broken built-in GGUF architecture file: " + e.getMessage(), e);
        }
    }
}
