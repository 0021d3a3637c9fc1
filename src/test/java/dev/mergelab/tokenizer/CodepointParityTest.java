package dev.mergelab.tokenizer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * Every Unicode scalar value through each character-level component, against what the Rust library does with
 * it ({@code codepoints.json.gz}, from scripts/tokenizer-ref/scan-codepoints.js): the Unicode normalization
 * forms, Lowercase, StripAccents, BertNormalizer's cleaning and accent stripping and CJK spacing, the
 * Oniguruma classes real pre-tokenizer regexes use, and the Whitespace pre-tokenizer's word class. Hangul
 * syllables are left out of the decomposing forms (the scan leaves them out; their decomposition is a formula).
 */
class CodepointParityTest {

    static JsonNode scan() throws Exception {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(ReferenceFixture.DIR.resolve("codepoints.json.gz")))) {
            return new ObjectMapper().readTree(in);
        }
    }

    static boolean skipped(int cp) {
        return cp >= 0xD800 && cp <= 0xDFFF;
    }

    /** The scan leaves Hangul syllables out of the decomposing components. */
    static boolean skipped(int cp, String component) {
        boolean decomposing = !component.equals("Lowercase") && !component.equals("StripAccents")
                && !component.equals("BertClean");
        return skipped(cp) || (decomposing && cp >= 0xAC00 && cp <= 0xD7A3);
    }

    static final Map<String, String> CONFIGS = Map.of(
            "NFC", "{\"type\": \"NFC\"}", "NFD", "{\"type\": \"NFD\"}", "NFKC", "{\"type\": \"NFKC\"}",
            "NFKD", "{\"type\": \"NFKD\"}", "Lowercase", "{\"type\": \"Lowercase\"}",
            "StripAccents", "{\"type\": \"StripAccents\"}",
            "BertClean", bert(true, false), "BertStripAccents", bert(false, true));

    /** The library's result for each character it changes. */
    static Map<Integer, String> changed(JsonNode scan, String component) {
        Map<Integer, String> changed = new HashMap<>();
        for (JsonNode r : scan.get("normalizers").get(component)) {
            for (int cp = r.get(0).intValue(); cp <= r.get(1).intValue(); cp++) {
                changed.put(cp, r.get(2).textValue());
            }
        }
        return changed;
    }

    @Test
    void normalizersMatchPerCharacter() throws Exception {
        JsonNode scan = scan();
        List<String> diffs = new ArrayList<>();
        for (var e : CONFIGS.entrySet()) {
            Normalizer n = Normalizers.parse(JsonField.root(new ObjectMapper().readTree(e.getValue()), "test"));
            Map<Integer, String> changed = changed(scan, e.getKey());
            int bad = 0;
            for (int cp = 0; cp <= 0x10FFFF; cp++) {
                if (skipped(cp, e.getKey())) {
                    continue;
                }
                String s = Character.toString(cp);
                String want = changed.getOrDefault(cp, s);
                String got = n.normalize(s);
                if (!want.equals(got) && bad++ < 5) {
                    diffs.add(e.getKey() + " U+" + Integer.toHexString(cp) + ": want " + hex(want) + " got " + hex(got));
                }
            }
            if (bad > 5) {
                diffs.add(e.getKey() + ": " + bad + " characters differ in all");
            }
        }
        assertTrue(diffs.isEmpty(), String.join("\n", diffs));
    }

    private static String bert(boolean clean, boolean strip) {
        return "{\"type\": \"BertNormalizer\", \"clean_text\": " + clean + ", \"handle_chinese_chars\": false, "
                + "\"strip_accents\": " + strip + ", \"lowercase\": false}";
    }

    @Test
    void characterClassesMatch() throws Exception {
        JsonNode classes = scan().get("classes");
        List<String> diffs = new ArrayList<>();
        classes.fieldNames().forEachRemaining(name -> {
            IntPredicate ours = switch (name) {
                case "BertChinese" -> Text::isChineseChar;
                case "regex-crate \\w" -> matcher(Pattern.compile("[" + RustRegex.REGEX_CRATE_WORD + "]"));
                default -> matcher(RustRegex.compile(name));
            };
            BitSet want = new BitSet(0x110000);
            for (JsonNode r : classes.get(name)) {
                want.set(r.get(0).intValue(), r.get(1).intValue() + 1);
            }
            int bad = 0;
            for (int cp = 0; cp <= 0x10FFFF; cp++) {
                if (!skipped(cp) && want.get(cp) != ours.test(cp) && bad++ < 5) {
                    diffs.add(name + " U+" + Integer.toHexString(cp) + ": library says " + want.get(cp));
                }
            }
            if (bad > 5) {
                diffs.add(name + ": " + bad + " characters differ in all");
            }
        });
        assertTrue(diffs.isEmpty(), String.join("\n", diffs));
    }

    private static IntPredicate matcher(Pattern p) {
        return cp -> p.matcher(Character.toString(cp)).matches();
    }

    private static String hex(String s) {
        StringBuilder sb = new StringBuilder("[");
        s.codePoints().forEach(c -> sb.append(sb.length() > 1 ? " " : "").append(Integer.toHexString(c)));
        return sb.append("]").toString();
    }
}
