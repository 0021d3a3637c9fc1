package dev.mergelab.tokenizer;

import java.util.ArrayList;
import java.util.List;

/** The decoders of tokenizer.json, read from their JSON objects. */
final class Decoders {

    private Decoders() {
    }

    /** Null when the field is null (tokens are then joined with spaces). */
    static Decoder parse(JsonField f) {
        if (f.isNull()) {
            return null;
        }
        String type = f.type();
        return switch (type) {
            case "ByteLevel" -> Decoders::byteLevel;
            case "Metaspace" -> metaspace(f);
            case "Replace" -> {
                SplitPattern pattern = SplitPattern.parse(f.get("pattern"));
                String content = f.get("content").string();
                yield tokens -> {
                    List<String> out = new ArrayList<>(tokens.size());
                    for (String t : tokens) {
                        out.add(Normalizers.replaceIn(new Piece(t, 0), pattern, content).text);
                    }
                    return out;
                };
            }
            case "ByteFallback" -> Decoders::byteFallback;
            case "Fuse" -> tokens -> List.of(String.join("", tokens));
            case "Strip" -> strip(PreTokenizers.singleChar(f.get("content")), f.get("start").index(0),
                    f.get("stop").index(0));
            case "WordPiece" -> wordPiece(f.get("prefix").string("##"), f.get("cleanup").bool(true));
            case "BPEDecoder" -> bpe(f.get("suffix").string("</w>"));
            case "Sequence" -> {
                List<Decoder> steps = new ArrayList<>();
                for (JsonField d : f.get("decoders").array()) {
                    Decoder step = parse(d);
                    if (step == null) {
                        throw d.error("is null inside a Sequence");
                    }
                    steps.add(step);
                }
                yield tokens -> {
                    for (Decoder step : steps) {
                        tokens = step.decodeChain(tokens);
                    }
                    return tokens;
                };
            }
            default -> throw f.get("type").error("is " + Text.quoted(type)
                    + ", a decoder this reader does not implement (ByteLevel, Metaspace, Replace, ByteFallback,"
                    + " Fuse, Strip, WordPiece, BPEDecoder, Sequence)");
        };
    }

    /** Byte-level characters back to bytes (tokens with other characters as their own UTF-8), decoded lossily. */
    static List<String> byteLevel(List<String> tokens) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (String t : tokens) {
            byte[] b = ByteLevelMap.decode(t);
            if (b == null) {
                b = ByteLevelMap.utf8(t);
            }
            bytes.write(b, 0, b.length);
        }
        byte[] all = bytes.toByteArray();
        return List.of(Utf8.decodeLossy(all, all.length));
    }

    static Decoder metaspace(JsonField f) {
        int replacement = PreTokenizers.singleChar(f.get("replacement"));
        String scheme = PreTokenizers.metaspaceScheme(f);
        boolean stripFirst = !scheme.equals("never");
        return tokens -> {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                String t = tokens.get(i);
                StringBuilder sb = new StringBuilder(t.length());
                for (int k = 0; k < t.length(); ) {
                    int cp = t.codePointAt(k);
                    if (cp == replacement) {
                        // Every replacement character of the first token goes, not just a leading one.
                        if (!(i == 0 && stripFirst)) {
                            sb.append(' ');
                        }
                    } else {
                        sb.appendCodePoint(cp);
                    }
                    k += Character.charCount(cp);
                }
                out.add(sb.toString());
            }
            return out;
        };
    }

    /** Runs of {@code <0xAB>} tokens become their bytes as text, or one U+FFFD per byte if not valid UTF-8. */
    static List<String> byteFallback(List<String> tokens) {
        List<String> out = new ArrayList<>(tokens.size());
        byte[] pending = new byte[16];
        int n = 0;
        for (String t : tokens) {
            int b = byteOf(t);
            if (b >= 0) {
                if (n == pending.length) {
                    pending = java.util.Arrays.copyOf(pending, n * 2);
                }
                pending[n++] = (byte) b;
                continue;
            }
            n = flush(pending, n, out);
            out.add(t);
        }
        flush(pending, n, out);
        return out;
    }

    private static int flush(byte[] pending, int n, List<String> out) {
        if (n == 0) {
            return 0;
        }
        if (Utf8.isValid(pending, n)) {
            out.add(Utf8.decodeLossy(pending, n));
        } else {
            for (int i = 0; i < n; i++) {
                out.add("\uFFFD");
            }
        }
        return 0;
    }

    /** The byte of a {@code <0xAB>} token (Rust's u8::from_str_radix also takes "+F"), or -1. */
    private static int byteOf(String t) {
        if (t.length() != 6 || !t.startsWith("<0x") || t.charAt(5) != '>') {
            return -1;
        }
        String hex = t.substring(3, 5);
        if (hex.charAt(0) == '+') {
            hex = hex.substring(1);
        }
        int v = 0;
        for (int i = 0; i < hex.length(); i++) {
            int d = Character.digit(hex.charAt(i), 16);
            if (d < 0 || hex.charAt(i) > 0x7F) {
                return -1;
            }
            v = v * 16 + d;
        }
        return v;
    }

    static Decoder strip(int content, int start, int stop) {
        return tokens -> {
            List<String> out = new ArrayList<>(tokens.size());
            for (String t : tokens) {
                int[] cps = t.codePoints().toArray();
                int from = 0;
                for (int i = 0; i < Math.min(start, cps.length) && cps[i] == content; i++) {
                    from = i + 1;
                }
                int to = cps.length;
                for (int i = 0; i < stop && cps.length - i - 1 >= 0; i++) {
                    int index = cps.length - i - 1;
                    if (cps[index] != content) {
                        break;
                    }
                    to = index;
                }
                out.add(from >= to ? "" : new String(cps, from, to - from));
            }
            return out;
        };
    }

    static Decoder wordPiece(String prefix, boolean cleanup) {
        return tokens -> {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                String t = tokens.get(i);
                if (i != 0) {
                    t = t.startsWith(prefix) ? t.substring(prefix.length()) : " " + t;
                }
                out.add(cleanup ? cleanup(t) : t);
            }
            return out;
        };
    }

    /** The library's English detokenization cleanup. */
    static String cleanup(String s) {
        return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",").replace(" ' ", "'")
                .replace(" n't", "n't").replace(" 'm", "'m").replace(" do not", " don't").replace(" 's", "'s")
                .replace(" 've", "'ve").replace(" 're", "'re");
    }

    static Decoder bpe(String suffix) {
        return tokens -> {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                out.add(tokens.get(i).replace(suffix, i == tokens.size() - 1 ? "" : " "));
            }
            return out;
        };
    }
}
