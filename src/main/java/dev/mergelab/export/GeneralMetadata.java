package dev.mergelab.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.MergeLabException;
import dev.mergelab.format.gguf.GgufArray;
import dev.mergelab.format.gguf.GgufValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The {@code general.*} keys gguf-py's Metadata writes before the hyper-parameters: type, the sampling defaults of
 * generation_config.json, name, size label, license, the base models ({@code general.base_model.*}: a merge's
 * parents as MergeLab's model card names them in its {@code base_model:} front matter), tags and languages. The
 * name is the card's {@code name}/{@code model_name}, else the folder's name in title form; the converter's
 * further splitting of a name into basename, finetune, version and size is not reproduced.
 */
final class GeneralMetadata {

    private static final Pattern VERSIONISH = Pattern.compile("^(v\\d+(?:\\.\\d+)*|\\d.*)$");

    private GeneralMetadata() {
    }

    /**
     * {@code dir} holds generation_config.json; {@code cardText} is the model card (null: none) and {@code fallbackName}
     * the name used when the card has none (the converter uses the model folder's name).
     */
    static void write(Path dir, String cardText, String fallbackName, long totalParams, long sharedParams, long expertParams,
            long expertCount, Map<String, GgufValue> out) {
        Map<String, Object> card = frontMatter(cardText, fallbackName + "/README.md");
        out.put("general.type", GgufValue.ofString("model"));
        sampling(dir.resolve("generation_config.json"), out);
        Object name = card.getOrDefault("name", card.get("model_name"));
        out.put("general.name", GgufValue.ofString(name instanceof String s ? s : idToTitle(fallbackName)));
        Object size = card.getOrDefault("size_label", card.get("model_size_label"));
        out.put("general.size_label", GgufValue.ofString(size instanceof String s ? s
                : sizeLabel(totalParams, sharedParams, expertParams, expertCount)));
        Object license = card.get("license");
        if (license instanceof String s) {
            out.put("general.license", GgufValue.ofString(s));
        } else if (license instanceof List<?> l) {
            out.put("general.license", GgufValue.ofString(String.join(",", l.stream().map(String::valueOf).toList())));
        }
        Object base = card.containsKey("base_model") ? card.get("base_model") : card.getOrDefault("base_models", card.get("base_model_sources"));
        if (base != null) {
            List<Object> ids = base instanceof List<?> l ? new ArrayList<>(l) : List.of(base);
            out.put("general.base_model.count", GgufValue.ofU32(ids.size()));
            for (int i = 0; i < ids.size(); i++) {
                if (ids.get(i) instanceof String id && !id.contains("://")) {
                    String[] parts = id.split("/", 2);
                    String model = parts.length == 2 ? parts[1] : parts[0];
                    String prefix = "general.base_model." + i + ".";
                    out.put(prefix + "name", GgufValue.ofString(idToTitle(model)));
                    if (parts.length == 2) {
                        out.put(prefix + "organization", GgufValue.ofString(idToTitle(parts[0])));
                        out.put(prefix + "repo_url", GgufValue.ofString("https://huggingface.co/" + parts[0] + "/" + parts[1]));
                    }
                }
            }
        }
        strings("general.tags", card.get("tags"), out);
        strings("general.languages", card.get("language"), out);
    }

    private static void strings(String key, Object v, Map<String, GgufValue> out) {
        List<String> l = new ArrayList<>();
        if (v instanceof String s) {
            l.add(s);
        } else if (v instanceof List<?> list) {
            list.forEach(x -> l.add(String.valueOf(x)));
        } else {
            return;
        }
        out.put(key, GgufValue.ofArray(GgufArray.ofStrings(l.toArray(String[]::new))));
    }

    private static void sampling(Path gen, Map<String, GgufValue> out) {
        if (!Files.isRegularFile(gen)) {
            return;
        }
        JsonNode g;
        try {
            g = new ObjectMapper().readTree(gen.toFile());
        } catch (IOException e) {
            return; // the converter ignores a generation_config.json it cannot parse
        }
        if (g == null || !g.isObject()) {
            return;
        }
        if (g.path("sequence").isTextual()) {
            out.put("general.sampling.sequence", GgufValue.ofString(g.get("sequence").asText()));
        }
        i32("general.sampling.top_k", g.get("top_k"), out);
        f32("general.sampling.top_p", g.get("top_p"), out);
        f32("general.sampling.min_p", g.get("min_p"), out);
        f32("general.sampling.xtc_probability", g.get("xtc_probability"), out);
        f32("general.sampling.xtc_threshold", g.get("xtc_threshold"), out);
        f32("general.sampling.temp", g.get("temperature"), out);
        i32("general.sampling.penalty_last_n", g.get("penalty_last_n"), out);
        f32("general.sampling.penalty_repeat", g.has("penalty_repeat") ? g.get("penalty_repeat") : g.get("repetition_penalty"), out);
        i32("general.sampling.mirostat", g.get("mirostat"), out);
        f32("general.sampling.mirostat_tau", g.get("mirostat_tau"), out);
        f32("general.sampling.mirostat_eta", g.get("mirostat_eta"), out);
    }

    private static void i32(String key, JsonNode v, Map<String, GgufValue> out) {
        if (v != null && v.isNumber()) {
            out.put(key, GgufValue.ofI32(v.asInt()));
        }
    }

    private static void f32(String key, JsonNode v, Map<String, GgufValue> out) {
        if (v != null && v.isNumber()) {
            out.put(key, GgufValue.ofF32((float) v.asDouble()));
        }
    }

    /** The YAML front matter of a model card (between a first line "---" and the next), or an empty map; {@code what} names it in errors. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> frontMatter(String cardText, String what) {
        if (cardText == null) {
            return Map.of();
        }
        try {
            List<String> lines = cardText.lines().toList();
            if (lines.isEmpty() || !lines.get(0).equals("---")) {
                return Map.of();
            }
            StringBuilder yaml = new StringBuilder();
            for (String line : lines.subList(1, lines.size())) {
                if (line.equals("---")) {
                    break;
                }
                yaml.append(line).append('\n');
            }
            String text = yaml.toString().replace("- no\n", "- \"no\"\n").replace("\t", "  ");
            Object data = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
            return data instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
        } catch (RuntimeException e) {
            throw MergeLabException.input(what + ": unreadable model card front matter: " + e.getMessage());
        }
    }

    /** Metadata.id_to_title: words split on spaces and dashes, lower-case words title-cased unless version-like. */
    static String idToTitle(String s) {
        List<String> words = new ArrayList<>();
        for (String w : s.strip().replace('-', ' ').split("\\s+")) {
            if (w.isEmpty()) {
                continue;
            }
            words.add(w.equals(w.toLowerCase(Locale.ROOT)) && !w.equals(w.toUpperCase(Locale.ROOT)) && !VERSIONISH.matcher(w).matches()
                    ? title(w) : w);
        }
        return String.join(" ", words);
    }

    /** Python's str.title(): a letter after a non-letter is upper-cased, others lower-cased. */
    private static String title(String w) {
        StringBuilder sb = new StringBuilder();
        boolean prevLetter = false;
        for (int i = 0; i < w.length(); i++) {
            char c = w.charAt(i);
            sb.append(prevLetter ? Character.toLowerCase(c) : Character.toUpperCase(c));
            prevLetter = Character.isLetter(c);
        }
        return sb.toString();
    }

    /** gguf.size_label: 2 significant digits with K/M/B/T; MoE as "{experts}x{shared+one expert}". */
    static String sizeLabel(long total, long shared, long expert, long expertCount) {
        return expertCount > 0 ? expertCount + "x" + rounded(Math.abs(shared) + Math.abs(expert)) : rounded(Math.abs(total));
    }

    private static String rounded(long n) {
        double scaled;
        String suffix;
        if (n > 1e12) {
            scaled = n * 1e-12;
            suffix = "T";
        } else if (n > 1e9) {
            scaled = n * 1e-9;
            suffix = "B";
        } else if (n > 1e6) {
            scaled = n * 1e-6;
            suffix = "M";
        } else {
            scaled = n * 1e-3;
            suffix = "K";
        }
        String digits = String.valueOf(Math.round(scaled)).replaceFirst("^0+", "");
        int fix = Math.max(2 - digits.length(), 0);
        return new java.math.BigDecimal(scaled).setScale(fix, java.math.RoundingMode.HALF_EVEN).toPlainString() + suffix;
    }
}
