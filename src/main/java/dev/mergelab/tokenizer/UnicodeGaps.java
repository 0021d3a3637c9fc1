package dev.mergelab.tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * Where the Rust library's Unicode tables and Java's disagree, character by character: its normalization
 * crate and its combining-mark and "other" category tables are older than Java's (it leaves, for example,
 * U+32FF, U+07FD and U+0890 alone), while its lowercase mapping is newer (Unicode 17 letters such as U+A7CE).
 * The table ({@code unicode-gaps.txt}) is measured: {@code CodepointParityTest} runs every code point
 * through both, and {@code UnicodeGapsGenerator} writes the differences.
 */
final class UnicodeGaps {

    /**
     * "NFD keep": characters a component leaves unchanged although Java's tables change them; "StripAccents
     * drop": characters it removes although Java's tables say they are not marks (categories changed since).
     */
    private static final Map<String, BitSet> KEEP = new HashMap<>();
    /** Lowercase mappings the library has and Java's tables lack. */
    private static final Map<Integer, String> LOWER = new HashMap<>();

    static {
        try (InputStream in = UnicodeGaps.class.getResourceAsStream("unicode-gaps.txt")) {
            if (in == null) {
                throw new IllegalStateException("unicode-gaps.txt missing from the class path");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.trim().split("\\s+");
                if (f[1].equals("keep") || f[1].equals("drop")) {
                    BitSet set = KEEP.computeIfAbsent(f[0] + " " + f[1], k -> new BitSet());
                    for (int i = 2; i < f.length; i++) {
                        int dash = f[i].indexOf('-');
                        int a = Integer.parseInt(dash < 0 ? f[i] : f[i].substring(0, dash), 16);
                        int b = dash < 0 ? a : Integer.parseInt(f[i].substring(dash + 1), 16);
                        set.set(a, b + 1);
                    }
                } else if (f[1].equals("map")) {
                    for (int i = 2; i < f.length; i++) {
                        String[] kv = f[i].split(":");
                        StringBuilder to = new StringBuilder();
                        for (String cp : kv[1].split("\\+")) {
                            to.appendCodePoint(Integer.parseInt(cp, 16));
                        }
                        LOWER.put(Integer.parseInt(kv[0], 16), to.toString());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private UnicodeGaps() {
    }

    /** Whether {@code component} (NFC, NFD, NFKC, NFKD, StripAccents, BertClean, BertStripAccents) keeps cp as is. */
    static boolean keeps(String component, int cp) {
        BitSet set = KEEP.get(component + " keep");
        return set != null && set.get(cp);
    }

    /** Whether {@code component} (StripAccents, BertStripAccents) removes cp although Java calls it no mark. */
    static boolean drops(String component, int cp) {
        BitSet set = KEEP.get(component + " drop");
        return set != null && set.get(cp);
    }

    static boolean any(String component) {
        BitSet set = KEEP.get(component + " keep");
        return set != null && !set.isEmpty();
    }

    /** The library's lowercase of cp where Java's tables have none, or null. */
    static String lower(int cp) {
        return LOWER.get(cp);
    }
}
