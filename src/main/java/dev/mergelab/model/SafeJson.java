package dev.mergelab.model;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.mergelab.MergeLabException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads JSON files that come from model folders (config.json, tokenizer files), which we treat as
 * untrusted: the file size is capped before reading, nesting depth and string/number lengths are
 * limited while parsing, duplicate keys are refused (two readers could otherwise disagree about which
 * value wins), and every failure becomes one line naming the file.
 */
final class SafeJson {

    /** Deep enough for any real config or tokenizer file, shallow enough to stop stack exhaustion. */
    static final int MAX_DEPTH = 64;
    /** Chat templates are the longest strings in real tokenizer_config.json files (tens of KiB). */
    static final int MAX_STRING = 4 << 20;
    static final int MAX_NUMBER = 64;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH)
                    .maxStringLength(MAX_STRING)
                    .maxNumberLength(MAX_NUMBER)
                    .maxNameLength(64 << 10)
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** Shared mapper; readers and writers from it are thread-safe once configured. */
    static final ObjectMapper MAPPER = new ObjectMapper(FACTORY)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private SafeJson() {
    }

    /** A streaming parser with the same limits, for files too large to hold as a tree. */
    static JsonParser parser(InputStream in) throws IOException {
        return FACTORY.createParser(in);
    }

    /** Reads a whole JSON file of at most {@code maxBytes} bytes as a tree. */
    static JsonNode read(Path file, long maxBytes, String what) {
        byte[] bytes = readCapped(file, maxBytes, what);
        return parse(bytes, file.toString(), what);
    }

    /** Parses JSON bytes; {@code source} names where they came from in error messages. */
    static JsonNode parse(byte[] bytes, String source, String what) {
        try {
            JsonNode node = MAPPER.readTree(bytes);
            if (node == null || node.isMissingNode()) {
                throw MergeLabException.input(what + " " + source + " is empty", "expected a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw MergeLabException.input(what + " " + source + " is not valid JSON: " + shortMessage(e),
                    "repair or re-download the file");
        } catch (IOException e) {
            throw MergeLabException.input("cannot read " + what + " " + source + ": " + e.getMessage(), null);
        }
    }

    /** Reads a regular file whole, refusing it when it is larger than {@code maxBytes}. */
    static byte[] readCapped(Path file, long maxBytes, String what) {
        try {
            if (!Files.isRegularFile(file)) {
                throw MergeLabException.input(what + " " + file + " is missing or not a regular file",
                        "check the model folder");
            }
            long size = Files.size(file);
            if (size > maxBytes) {
                throw MergeLabException.input(what + " " + file + " is " + size + " bytes, over the limit of "
                        + maxBytes, "this does not look like a real " + what);
            }
            try (InputStream in = Files.newInputStream(file)) {
                // Read at most one byte past the cap in case the file grew after we sized it.
                byte[] bytes = in.readNBytes((int) maxBytes + 1);
                if (bytes.length > maxBytes) {
                    throw MergeLabException.input(what + " " + file + " grew past the limit of " + maxBytes
                            + " bytes while being read", null);
                }
                return bytes;
            }
        } catch (IOException e) {
            throw MergeLabException.input("cannot read " + what + " " + file + ": " + e.getMessage(), null);
        }
    }

    /** Jackson messages span several lines and quote the source; keep the first line. */
    static String shortMessage(JsonProcessingException e) {
        String m = e.getOriginalMessage();
        if (m == null) {
            m = e.getClass().getSimpleName();
        }
        int nl = m.indexOf('\n');
        m = nl >= 0 ? m.substring(0, nl) : m;
        if (m.length() > 200) {
            m = m.substring(0, 200) + "...";
        }
        var loc = e.getLocation();
        return printable(loc == null ? m : m + " at line " + loc.getLineNr() + ", column " + loc.getColumnNr());
    }

    /**
     * Found by fuzzing: Jackson quotes the offending input in its message ("Unrecognized token '...'"), so a
     * config.json holding a line or paragraph separator made a multi-line error. Escape such characters.
     */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int type = Character.getType(c);
            if (type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR || type == Character.SURROGATE) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
