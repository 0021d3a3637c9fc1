package dev.mergelab.tokenizer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.MergeLabException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Map;

/**
 * Bounded reading of an untrusted tokenizer.json: the size is capped before reading, nesting depth and
 * string/number lengths while parsing; duplicate keys are refused; unpaired surrogate escapes (which the
 * Rust library's JSON reader refuses) are refused too. Every failure is one line naming the file.
 */
final class TokenizerJson {

    /** The largest real tokenizer.json files (Gemma 3) are about 33 MB. */
    static final long MAX_BYTES = 256L << 20;

    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(64)
                    .maxStringLength(16 << 20)
                    .maxNumberLength(64)
                    .maxNameLength(1 << 20)
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private TokenizerJson() {
    }

    static byte[] readFile(Path file) {
        try {
            if (!Files.isRegularFile(file)) {
                throw MergeLabException.input(file + " is missing or not a regular file", "give a tokenizer.json file");
            }
            long size = Files.size(file);
            if (size > MAX_BYTES) {
                throw MergeLabException.input(file + " is " + size + " bytes, over the " + MAX_BYTES
                        + "-byte limit for a tokenizer.json", null);
            }
            try (InputStream in = Files.newInputStream(file)) {
                byte[] bytes = in.readNBytes((int) MAX_BYTES + 1);
                if (bytes.length > MAX_BYTES) {
                    throw MergeLabException.input(file + " grew past the size limit while being read", null);
                }
                return bytes;
            }
        } catch (IOException e) {
            throw MergeLabException.input("cannot read " + file + ": " + Text.quoted(String.valueOf(e.getMessage())), null);
        }
    }

    static JsonNode parse(byte[] bytes, String source) {
        JsonNode node;
        try {
            node = MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            String m = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
            int nl = m.indexOf('\n');
            m = nl >= 0 ? m.substring(0, nl) : m;
            var loc = e.getLocation();
            throw MergeLabException.input(source + " is not valid JSON: " + Text.quoted(m)
                    + (loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr()),
                    "repair or re-download the file");
        } catch (IOException e) {
            throw MergeLabException.input("cannot read " + source + ": " + Text.quoted(String.valueOf(e.getMessage())), null);
        }
        if (node == null || node.isMissingNode()) {
            throw MergeLabException.input(source + " is empty", "expected a tokenizer.json object");
        }
        checkSurrogates(node, source);
        return node;
    }

    /** Walks the tree (without recursion) refusing strings and names with an unpaired surrogate. */
    private static void checkSurrogates(JsonNode root, String source) {
        ArrayDeque<JsonNode> todo = new ArrayDeque<>();
        todo.push(root);
        while (!todo.isEmpty()) {
            JsonNode n = todo.pop();
            if (n.isTextual()) {
                check(n.textValue(), source);
            } else if (n.isObject()) {
                Iterator<Map.Entry<String, JsonNode>> it = n.fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    check(e.getKey(), source);
                    todo.push(e.getValue());
                }
            } else if (n.isArray()) {
                n.forEach(todo::push);
            }
        }
    }

    private static void check(String s, String source) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw MergeLabException.input(source + " holds a string with an unpaired UTF-16 surrogate escape ("
                        + Text.quoted(s) + ")", "repair or re-download the file");
            }
        }
    }
}
