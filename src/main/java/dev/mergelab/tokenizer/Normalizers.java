package dev.mergelab.tokenizer;

import java.text.Normalizer.Form;
import java.util.ArrayList;
import java.util.List;

/** The normalizers of tokenizer.json, read from their JSON objects. */
final class Normalizers {

    private Normalizers() {
    }

    /** Null when the field is null (no normalizer). */
    static Normalizer parse(JsonField f) {
        if (f.isNull()) {
            return null;
        }
        String type = f.type();
        return switch (type) {
            case "NFC" -> new UnicodeForm(Form.NFC);
            case "NFD" -> new UnicodeForm(Form.NFD);
            case "NFKC" -> new UnicodeForm(Form.NFKC);
            case "NFKD" -> new UnicodeForm(Form.NFKD);
            case "Lowercase" -> Normalizers::lowercase;
            case "StripAccents" -> p -> filter(p, c -> (!Text.isMark(c) || UnicodeGaps.keeps("StripAccents", c))
                    && !UnicodeGaps.drops("StripAccents", c));
            case "Prepend" -> prepend(f.get("prepend").string());
            case "Replace" -> replace(SplitPattern.parse(f.get("pattern")), f.get("content").string());
            case "Strip" -> strip(f.get("strip_left").bool(false), f.get("strip_right").bool(false));
            case "ByteLevel" -> ByteLevelMap::encode;
            case "BertNormalizer" -> bert(f);
            case "Sequence" -> {
                List<Normalizer> steps = new ArrayList<>();
                for (JsonField n : f.get("normalizers").array()) {
                    Normalizer step = parse(n);
                    if (step == null) {
                        throw n.error("is null inside a Sequence");
                    }
                    steps.add(step);
                }
                yield p -> {
                    for (Normalizer step : steps) {
                        p = step.normalize(p);
                    }
                    return p;
                };
            }
            default -> throw f.get("type").error("is " + Text.quoted(type)
                    + ", a normalizer this reader does not implement (NFC, NFD, NFKC, NFKD, Lowercase, StripAccents,"
                    + " Prepend, Replace, Strip, ByteLevel, BertNormalizer, Sequence)");
        };
    }

    /**
     * Unicode normalization forms, keeping for each output character the origin of its source cluster.
     * Characters the library's older normalization tables do not know ({@link UnicodeGaps}) stay as they are,
     * and the text between them is normalized on its own.
     */
    record UnicodeForm(Form form) implements Normalizer {
        @Override
        public Piece normalize(Piece p) {
            String s = p.text;
            if (java.text.Normalizer.isNormalized(s, form)) {
                return p;
            }
            String name = form.name();
            if (UnicodeGaps.any(name)) {
                int gap = -1;
                for (int i = 0; i < s.length() && gap < 0; ) {
                    int cp = s.codePointAt(i);
                    gap = UnicodeGaps.keeps(name, cp) ? i : -1;
                    i += Character.charCount(cp);
                }
                if (gap >= 0) {
                    Piece.Builder b = new Piece.Builder(p);
                    appendAll(b, normalize(p.slice(0, gap)));
                    int end = gap + Character.charCount(s.codePointAt(gap));
                    for (int k = gap; k < end; k++) {
                        b.append(s.charAt(k), p.origAt(k));
                    }
                    appendAll(b, normalize(p.slice(end, s.length())));
                    return b.build();
                }
            }
            String whole = java.text.Normalizer.normalize(s, form);
            Piece.Builder b = new Piece.Builder(p);
            // Normalize cluster by cluster (a character and the marks after it) to learn where each output
            // character came from; when clusters interact (Hangul jamo), fall back to the piece start.
            int i = 0;
            while (i < s.length()) {
                int j = i + Character.charCount(s.codePointAt(i));
                while (j < s.length() && Text.isMark(s.codePointAt(j))) {
                    j += Character.charCount(s.codePointAt(j));
                }
                b.append(java.text.Normalizer.normalize(s.substring(i, j), form), p.origAt(i));
                i = j;
            }
            Piece clustered = b.build();
            if (clustered.text.equals(whole)) {
                return clustered;
            }
            Piece.Builder coarse = new Piece.Builder(p);
            coarse.append(whole, p.origStart());
            return coarse.build();
        }
    }

    private static void appendAll(Piece.Builder b, Piece q) {
        for (int i = 0; i < q.text.length(); i++) {
            b.append(q.text.charAt(i), q.origAt(i));
        }
    }

    /** Per-character full lowercase mapping (no final-sigma context, as Rust's {@code char::to_lowercase}). */
    static Piece lowercase(Piece p) {
        String s = p.text;
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            if (lower(cp) != cp) {
                break;
            }
            i += Character.charCount(cp);
        }
        if (i == s.length()) {
            return p;
        }
        Piece.Builder b = new Piece.Builder(p);
        for (int k = 0; k < s.length(); ) {
            int cp = s.codePointAt(k);
            int o = p.origAt(k);
            String extra = UnicodeGaps.lower(cp);
            if (cp == 0x130) {
                b.append('i', o);
                b.append('\u0307', o);
            } else if (extra != null) {
                b.append(extra, o);
            } else {
                b.appendCodePoint(lower(cp), o);
            }
            k += Character.charCount(cp);
        }
        return b.build();
    }

    private static int lower(int cp) {
        return cp == 0x130 || UnicodeGaps.lower(cp) != null ? -1 : Character.toLowerCase(cp);
    }

    interface CodePointTest {
        boolean keep(int cp);
    }

    static Piece filter(Piece p, CodePointTest keep) {
        String s = p.text;
        Piece.Builder b = null;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int n = Character.charCount(cp);
            boolean k = keep.keep(cp);
            if (!k && b == null) {
                b = new Piece.Builder(p);
                for (int j = 0; j < i; j++) {
                    b.append(s.charAt(j), p.origAt(j));
                }
            }
            if (k && b != null) {
                b.appendCodePoint(cp, p.origAt(i));
            }
            i += n;
        }
        return b == null ? p : b.build();
    }

    static Normalizer prepend(String prefix) {
        return p -> {
            if (p.text.isEmpty()) {
                return p;
            }
            Piece.Builder b = new Piece.Builder(p);
            b.append(prefix, p.origAt(0));
            for (int i = 0; i < p.text.length(); i++) {
                b.append(p.text.charAt(i), p.origAt(i));
            }
            return b.build();
        };
    }

    static Normalizer replace(SplitPattern pattern, String content) {
        return p -> replaceIn(p, pattern, content);
    }

    static Piece replaceIn(Piece p, SplitPattern pattern, String content) {
        IntList cuts = new IntList();
        pattern.find(p.text, cuts);
        boolean any = false;
        for (int i = 2; i < cuts.size; i += 3) {
            any |= cuts.a[i] == 1;
        }
        if (!any) {
            return p;
        }
        Piece.Builder b = new Piece.Builder(p);
        for (int i = 0; i < cuts.size; i += 3) {
            int start = cuts.a[i];
            int end = cuts.a[i + 1];
            if (cuts.a[i + 2] == 1) {
                b.append(content, start < p.text.length() ? p.origAt(start) : p.origStart());
            } else {
                for (int k = start; k < end; k++) {
                    b.append(p.text.charAt(k), p.origAt(k));
                }
            }
        }
        return b.build();
    }

    static Normalizer strip(boolean left, boolean right) {
        return p -> {
            String s = p.text;
            int start = 0;
            int end = s.length();
            if (left) {
                while (start < end && Text.isWhiteSpace(s.codePointAt(start))) {
                    start += Character.charCount(s.codePointAt(start));
                }
            }
            if (right) {
                while (end > start && Text.isWhiteSpace(s.codePointBefore(end))) {
                    end -= Character.charCount(s.codePointBefore(end));
                }
            }
            if (start == 0 && end == s.length()) {
                return p;
            }
            Piece.Builder b = new Piece.Builder(p);
            for (int i = start; i < end; i++) {
                b.append(s.charAt(i), p.origAt(i));
            }
            return b.build();
        };
    }

    /** BERT's cleanup: control characters out, whitespace to ' ', CJK spaced, accents stripped, lowercase. */
    static Normalizer bert(JsonField f) {
        boolean clean = f.get("clean_text").bool(true);
        boolean chinese = f.get("handle_chinese_chars").bool(true);
        boolean lowercase = f.get("lowercase").bool(true);
        boolean stripAccents = f.get("strip_accents").bool(lowercase);
        Normalizer nfd = new UnicodeForm(Form.NFD);
        return p -> {
            if (clean) {
                p = filter(p, c -> !(c == 0 || c == 0xFFFD || (c != '\t' && c != '\n' && c != '\r' && Text.isOther(c)
                        && !UnicodeGaps.keeps("BertClean", c))));
                p = mapWhitespace(p);
            }
            if (chinese) {
                p = spaceChinese(p);
            }
            if (stripAccents) {
                p = filter(nfd.normalize(p), c -> (!Text.isNonSpacingMark(c) || UnicodeGaps.keeps("BertStripAccents", c))
                        && !UnicodeGaps.drops("BertStripAccents", c));
            }
            if (lowercase) {
                p = lowercase(p);
            }
            return p;
        };
    }

    private static Piece mapWhitespace(Piece p) {
        String s = p.text;
        boolean change = false;
        for (int i = 0; i < s.length() && !change; i++) {
            char c = s.charAt(i);
            change = c != ' ' && Text.isWhiteSpace(c);
        }
        if (!change) {
            return p;
        }
        char[] out = s.toCharArray();
        for (int i = 0; i < out.length; i++) {
            if (Text.isWhiteSpace(out[i])) {
                out[i] = ' ';
            }
        }
        return p.withText(new String(out));
    }

    private static Piece spaceChinese(Piece p) {
        String s = p.text;
        boolean any = false;
        for (int i = 0; i < s.length() && !any; ) {
            int cp = s.codePointAt(i);
            any = Text.isChineseChar(cp);
            i += Character.charCount(cp);
        }
        if (!any) {
            return p;
        }
        Piece.Builder b = new Piece.Builder(p);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int o = p.origAt(i);
            if (Text.isChineseChar(cp)) {
                b.append(' ', o);
                b.appendCodePoint(cp, o);
                b.append(' ', o);
            } else {
                b.appendCodePoint(cp, o);
            }
            i += Character.charCount(cp);
        }
        return b.build();
    }
}
