package dev.mergelab.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.format.gguf.GgufArray;
import dev.mergelab.format.gguf.GgufValue;
import dev.mergelab.format.gguf.GgufValueType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * gguf-py's SpecialVocab, as the converter uses it: merges (BPE only), special token ids (tokenizer_config.json's
 * {@code <type>_token} looked up among tokenizer.json's added tokens, then config.json's {@code <type>_token_id}),
 * {@code add_<type>_token} (from a simple TemplateProcessing post-processor, then tokenizer_config.json), the chat
 * template (tokenizer_config.json, else chat_template.jinja / .json) and the normalizer's lowercase flag, written
 * in that order with the same keys.
 */
final class SpecialVocab {

    private static final Map<String, String> ID_KEYS = Map.of("bos", "bos_token_id", "eos", "eos_token_id",
            "unk", "unknown_token_id", "sep", "seperator_token_id", "pad", "padding_token_id", "cls", "cls_token_id",
            "mask", "mask_token_id", "eot", "eot_token_id", "eom", "eom_token_id");

    private final List<String> types = new ArrayList<>(List.of("bos", "eos", "unk", "sep", "pad", "cls", "mask"));
    private final Map<String, Integer> ids = new LinkedHashMap<>();
    private final Map<String, Boolean> add = new LinkedHashMap<>();
    private final Integer nVocab;
    private List<String> merges = List.of();
    private String chatTemplate;
    private Boolean lowercase;
    private Boolean stripAccents;

    private SpecialVocab(Integer nVocab) {
        this.nVocab = nVocab;
    }

    /**
     * Reads the folder's files: {@code tokenizer} is tokenizer.json (required here), {@code tokenizerConfig} and
     * {@code config} may be null; {@code chatTemplateFile} is chat_template.jinja's text or null.
     */
    static SpecialVocab read(JsonNode tokenizer, ObjectNode tokenizerConfig, JsonNode config, String chatTemplateFile,
            boolean loadMerges, Integer nVocab) {
        SpecialVocab v = new SpecialVocab(nVocab);
        if (loadMerges) {
            v.merges = merges(tokenizer.path("model").path("merges"));
        }
        v.normalizer(tokenizer.get("normalizer"));
        JsonNode added = tokenizer.path("added_tokens");
        ObjectNode tc = tokenizerConfig == null ? null : tokenizerConfig.deepCopy();
        v.postProcessor(tokenizer.get("post_processor"), tc);
        if (tc != null && !tc.isEmpty()) {
            JsonNode t = tc.get("chat_template");
            if (t != null && t.isTextual()) {
                v.chatTemplate = t.asText();
            } else if (t == null || t.isNull()) {
                v.chatTemplate = chatTemplateFile;
            }
            for (String typ : v.types) {
                JsonNode a = tc.get("add_" + typ + "_token");
                if (a != null && a.isBoolean()) {
                    v.add.put(typ, a.asBoolean());
                }
                JsonNode entry = tc.get(typ + "_token");
                String content = entry == null ? null : entry.isTextual() ? entry.asText()
                        : entry.isObject() && entry.path("content").isTextual() ? entry.get("content").asText() : null;
                if (content == null) {
                    continue;
                }
                for (JsonNode at : added) {
                    if (content.equals(at.path("content").asText(null))) {
                        v.setId(typ, at.get("id"));
                        break;
                    }
                }
            }
        }
        if (config != null) {
            for (String typ : v.types) {
                JsonNode id = config.get(typ + "_token_id");
                if (id == null && config.has("text_config")) {
                    id = config.get("text_config").get(typ + "_token_id");
                }
                v.setId(typ, id);
            }
        }
        return v;
    }

    private void setId(String typ, JsonNode id) {
        if (id == null || !id.isIntegralNumber()) {
            return;
        }
        int tid = id.asInt();
        if (tid < 0) {
            throw dev.mergelab.MergeLabException.input("invalid id " + tid + " for the special token " + typ);
        }
        if ((nVocab == null || tid < nVocab) && !ids.containsKey(typ)) {
            ids.put(typ, tid);
        }
    }

    /** Merges as strings "a b"; the pair form has its spaces written as U+0120 + ... as gguf-py does (chr(32+256)). */
    private static List<String> merges(JsonNode m) {
        List<String> out = new ArrayList<>();
        if (!m.isArray() || m.isEmpty()) {
            return out;
        }
        for (JsonNode e : m) {
            if (e.isTextual()) {
                out.add(e.asText());
            } else {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < e.size(); i++) {
                    if (i > 0) {
                        sb.append(' ');
                    }
                    sb.append(e.get(i).asText().replace(' ', (char) (' ' + 256)));
                }
                out.add(sb.toString());
            }
        }
        return out;
    }

    private void normalizer(JsonNode n) {
        if (n == null || n.isNull()) {
            return;
        }
        switch (n.path("type").asText()) {
            case "Lowercase" -> lowercase = true;
            case "StripAccents" -> stripAccents = true;
            case "BertNormalizer" -> {
                if (n.has("lowercase")) {
                    lowercase = n.get("lowercase").asBoolean();
                }
                if (n.has("strip_accents") && !n.get("strip_accents").isNull()) {
                    stripAccents = n.get("strip_accents").asBoolean();
                }
            }
            case "Sequence" -> n.path("normalizers").forEach(this::normalizer);
            default -> {
            }
        }
    }

    /** The crude TemplateProcessing reading of _try_load_from_tokenizer_json (single sequence: BOS first, EOS last). */
    private void postProcessor(JsonNode pp, ObjectNode tc) {
        if (pp == null || pp.isNull()) {
            return;
        }
        String bos = tc == null ? null : textOrNull(tc.get("bos_token"));
        String eos = tc == null ? null : textOrNull(tc.get("eos_token"));
        String cls = tc == null ? null : textOrNull(tc.get("cls_token"));
        List<JsonNode> processors = new ArrayList<>();
        if (pp.has("processors")) {
            pp.get("processors").forEach(processors::add);
        } else {
            processors.add(pp);
        }
        for (JsonNode p : processors) {
            String type = p.path("type").asText();
            if (type.equals("RobertaProcessing")) {
                add.put("bos", true);
                add.put("eos", true);
                add.put("sep", true);
                continue;
            }
            if (!type.equals("TemplateProcessing")) {
                continue;
            }
            JsonNode single = p.path("single");
            if (single.size() > 1) {
                String first = textOrNull(single.get(0).path("SpecialToken").get("id"));
                if (first != null && !first.isEmpty()) {
                    if (tc == null || tc.isEmpty()) {
                        bos = first;
                    } else if (!first.equals(bos) && !first.equals(cls)) {
                        if (bos == null || bos.isEmpty()) {
                            tc.put("bos_token", first);
                            bos = first;
                        }
                        if (cls == null || cls.isEmpty()) {
                            tc.put("cls_token", first);
                            cls = first;
                        }
                    }
                    add.put("bos", first.equals(bos) || first.equals(cls));
                }
                String last = textOrNull(single.get(single.size() - 1).path("SpecialToken").get("id"));
                if (last != null && !last.isEmpty()) {
                    if (tc == null || tc.isEmpty()) {
                        eos = last;
                    } else if (!last.equals(eos)) {
                        if (!types.contains("eot")) {
                            types.add("eot");
                            putText(tc, "eot_token", eos);
                        } else if (!types.contains("eom")) {
                            types.add("eom");
                            putText(tc, "eom_token", eos);
                        }
                        tc.put("eos_token", last);
                        eos = last;
                    }
                    add.put("eos", last.equals(eos));
                }
            }
        }
    }

    private static void putText(ObjectNode o, String key, String v) {
        if (v == null) {
            o.putNull(key);
        } else {
            o.put(key, v);
        }
    }

    private static String textOrNull(JsonNode n) {
        return n != null && n.isTextual() ? n.asText() : null;
    }

    /** add_to_gguf: merges, ids, add flags, chat template, normalizer flags. */
    void writeTo(Map<String, GgufValue> out) {
        if (!merges.isEmpty()) {
            out.put("tokenizer.ggml.merges", GgufValue.ofArray(GgufArray.ofStrings(merges.toArray(String[]::new))));
        }
        ids.forEach((typ, id) -> out.put("tokenizer.ggml." + ID_KEYS.get(typ), GgufValue.ofU32(id)));
        add.forEach((typ, v) -> {
            if (List.of("bos", "eos", "sep").contains(typ)) {
                out.put("tokenizer.ggml.add_" + typ + "_token", GgufValue.ofBool(v));
            }
        });
        if (chatTemplate != null) {
            out.put("tokenizer.chat_template", GgufValue.ofString(chatTemplate));
        }
        if (lowercase != null) {
            out.put("tokenizer.ggml.normalizer.lowercase", GgufValue.ofBool(lowercase));
        }
        if (stripAccents != null) {
            out.put("tokenizer.ggml.normalizer.strip_accents", GgufValue.ofBool(stripAccents));
        }
    }

    static GgufValue int32s(int[] v) {
        long[] l = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            l[i] = v[i];
        }
        return GgufValue.ofArray(GgufArray.ofIntegers(GgufValueType.INT32, l));
    }
}
