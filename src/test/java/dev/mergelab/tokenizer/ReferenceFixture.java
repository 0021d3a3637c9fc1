package dev.mergelab.tokenizer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Expected outputs of the Rust tokenizers library (made by scripts/tokenizer-ref/make-fixtures.js) and the
 * comparison of this package's outputs against them.
 */
final class ReferenceFixture {

    static final Path DIR = Path.of("src/test/resources/tokenizer");
    static final Path NODE_MODULES = Path.of("scripts/tokenizer-ref/node_modules");

    private ReferenceFixture() {
    }

    static JsonNode read(String name) {
        try {
            return new ObjectMapper().readTree(DIR.resolve(name).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] bytes(Path p) {
        try {
            if (p.toString().endsWith(".gz")) {
                try (InputStream in = new GZIPInputStream(Files.newInputStream(p))) {
                    return in.readAllBytes();
                }
            }
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).intValue();
        }
        return out;
    }

    /** Compares every case; returns the number compared and fails listing (up to 15) differences. */
    static int compare(String name, Tokenizer tok, JsonNode cases) {
        List<String> diffs = new ArrayList<>();
        int n = 0;
        for (JsonNode c : cases) {
            String text = c.get("text").textValue();
            n++;
            if (c.has("error")) {
                try {
                    tok.encode(text, true);
                    diffs.add(show(text) + ": the library failed (" + c.get("error").textValue() + ") but we encoded");
                } catch (dev.mergelab.MergeLabException expected) {
                    // both refuse
                }
                continue;
            }
            int[] ids = ints(c.get("ids"));
            int[] got = tok.encode(text, true);
            if (!java.util.Arrays.equals(ids, got)) {
                diffs.add(show(text) + ": ids\n   want " + java.util.Arrays.toString(ids) + "\n   got  "
                        + java.util.Arrays.toString(got));
            }
            if (c.has("idsPlain")) {
                int[] plain = ints(c.get("idsPlain"));
                int[] gotPlain = tok.encode(text, false);
                if (!java.util.Arrays.equals(plain, gotPlain)) {
                    diffs.add(show(text) + ": ids without special tokens\n   want " + java.util.Arrays.toString(plain)
                            + "\n   got  " + java.util.Arrays.toString(gotPlain));
                }
            }
            String dec = tok.decode(ids, false);
            if (!dec.equals(c.get("decoded").textValue())) {
                diffs.add(show(text) + ": decode\n   want " + show(c.get("decoded").textValue()) + "\n   got  " + show(dec));
            }
            String skip = c.has("decodedSkip") ? tok.decode(ids, true) : null;
            if (skip != null && !skip.equals(c.get("decodedSkip").textValue())) {
                diffs.add(show(text) + ": decode skipping special tokens\n   want "
                        + show(c.get("decodedSkip").textValue()) + "\n   got  " + show(skip));
            }
        }
        assertTrue(diffs.isEmpty(), name + ": " + diffs.size() + " differences from the Rust library:\n"
                + String.join("\n", diffs.subList(0, Math.min(15, diffs.size()))));
        return n;
    }

    static String show(String s) {
        StringBuilder sb = new StringBuilder("\"");
        String clipped = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        for (char ch : clipped.toCharArray()) {
            if (ch < 0x20 || (ch >= 0x7f && ch < 0xa0) || Character.getType(ch) == Character.FORMAT
                    || Character.isSurrogate(ch) || ch == 0x2028 || ch == 0x2029) {
                sb.append(String.format("\\u%04x", (int) ch));
            } else {
                sb.append(ch);
            }
        }
        return sb.append('"').toString();
    }
}
