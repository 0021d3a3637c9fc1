package dev.mergelab.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** The pre-tokenizers of tokenizer.json, read from their JSON objects. */
final class PreTokenizers {

    /** GPT-2's pre-tokenization regex, which ByteLevel uses when {@code use_regex} is true. */
    static final String GPT2_REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    private static final Pattern GPT2 = Pattern.compile(RustRegex.translate(GPT2_REGEX, RustRegex.ONIG_WORD));
    private static final Pattern WHITESPACE = Pattern.compile(RustRegex.translate("\\w+|[^\\w\\s]+", RustRegex.REGEX_CRATE_WORD));

    private PreTokenizers() {
    }

    /** Null when the field is null (no pre-tokenizer). */
    static PreTokenizer parse(JsonField f) {
        if (f.isNull()) {
            return null;
        }
        String type = f.type();
        return switch (type) {
            case "ByteLevel" -> byteLevel(f.get("add_prefix_space").bool(true), f.get("use_regex").bool(true));
            case "Split" -> {
                SplitPattern pattern = SplitPattern.parse(f.get("pattern"));
                if (f.get("invert").bool(false)) {
                    pattern = pattern.inverted();
                }
                SplitBehavior behavior = SplitBehavior.parse(f.get("behavior"), null);
                if (behavior == null) {
                    throw f.get("behavior").error("is missing");
                }
                SplitPattern pat = pattern;
                yield (p, out) -> behavior.cut(p, pat, out);
            }
            case "Metaspace" -> metaspace(f);
            case "Whitespace" -> {
                SplitPattern pat = SplitPattern.regex(WHITESPACE).inverted();
                yield (p, out) -> SplitBehavior.REMOVED.cut(p, pat, out);
            }
            case "WhitespaceSplit" -> {
                SplitPattern pat = SplitPattern.chars(Text::isWhiteSpace);
                yield (p, out) -> SplitBehavior.REMOVED.cut(p, pat, out);
            }
            case "BertPreTokenizer" -> {
                SplitPattern space = SplitPattern.chars(Text::isWhiteSpace);
                SplitPattern punct = SplitPattern.chars(Text::isPunctuation);
                yield (p, out) -> {
                    List<Piece> words = new ArrayList<>();
                    SplitBehavior.REMOVED.cut(p, space, words);
                    for (Piece w : words) {
                        SplitBehavior.ISOLATED.cut(w, punct, out);
                    }
                };
            }
            case "Punctuation" -> {
                SplitBehavior behavior = SplitBehavior.parse(f.get("behavior"), SplitBehavior.ISOLATED);
                SplitPattern pat = SplitPattern.chars(Text::isPunctuation);
                yield (p, out) -> behavior.cut(p, pat, out);
            }
            case "Digits" -> {
                SplitBehavior behavior = f.get("individual_digits").bool(false)
                        ? SplitBehavior.ISOLATED : SplitBehavior.CONTIGUOUS;
                SplitPattern pat = SplitPattern.chars(Text::isNumeric);
                yield (p, out) -> behavior.cut(p, pat, out);
            }
            case "CharDelimiterSplit" -> {
                int delimiter = singleChar(f.get("delimiter"));
                SplitPattern pat = SplitPattern.chars(c -> c == delimiter);
                yield (p, out) -> SplitBehavior.REMOVED.cut(p, pat, out);
            }
            case "Sequence" -> {
                List<PreTokenizer> steps = new ArrayList<>();
                for (JsonField s : f.get("pretokenizers").array()) {
                    PreTokenizer step = parse(s);
                    if (step == null) {
                        throw s.error("is null inside a Sequence");
                    }
                    steps.add(step);
                }
                yield new PreTokenizer() {
                    @Override
                    public void split(Piece p, List<Piece> out) {
                        out.addAll(apply(List.of(p)));
                    }

                    @Override
                    public List<Piece> apply(List<Piece> pieces) {
                        for (PreTokenizer step : steps) {
                            pieces = step.apply(pieces);
                        }
                        return pieces;
                    }
                };
            }
            default -> throw f.get("type").error("is " + Text.quoted(type)
                    + ", a pre-tokenizer this reader does not implement (ByteLevel, Split, Metaspace, Whitespace,"
                    + " WhitespaceSplit, BertPreTokenizer, Punctuation, Digits, CharDelimiterSplit, Sequence)");
        };
    }

    static PreTokenizer byteLevel(boolean addPrefixSpace, boolean useRegex) {
        SplitPattern gpt2 = SplitPattern.regex(GPT2);
        Normalizer space = Normalizers.prepend(" ");
        return (p, out) -> {
            if (addPrefixSpace && !p.text.startsWith(" ")) {
                p = space.normalize(p);
            }
            if (!useRegex) {
                out.add(ByteLevelMap.encode(p));
                return;
            }
            List<Piece> parts = new ArrayList<>();
            SplitBehavior.ISOLATED.cut(p, gpt2, parts);
            for (Piece part : parts) {
                out.add(ByteLevelMap.encode(part));
            }
        };
    }

    /** Spaces become the replacement character, which is prepended per the scheme and may start each piece. */
    static PreTokenizer metaspace(JsonField f) {
        int replacement = singleChar(f.get("replacement"));
        String rep = Character.toString(replacement);
        String scheme = metaspaceScheme(f);
        boolean split = f.get("split").bool(true);
        SplitPattern space = SplitPattern.literal(" ");
        SplitPattern cut = SplitPattern.literal(rep);
        Normalizer prepend = Normalizers.prepend(rep);
        String prependScheme = scheme;
        return (p, out) -> {
            boolean first = p.origStart() == 0;
            p = Normalizers.replaceIn(p, space, rep);
            if (!p.text.startsWith(rep)
                    && (prependScheme.equals("always") || (prependScheme.equals("first") && first))) {
                p = prepend.normalize(p);
            }
            if (split) {
                SplitBehavior.MERGED_WITH_NEXT.cut(p, cut, out);
            } else {
                out.add(p);
            }
        };
    }

    /**
     * The prepend scheme of a Metaspace object. The old {@code add_prefix_space} field may still be present:
     * true changes nothing, false is only accepted together with the scheme "never" (as the library does).
     */
    static String metaspaceScheme(JsonField f) {
        String scheme = f.get("prepend_scheme").oneOf("always", "always", "first", "never");
        if (!f.get("add_prefix_space").bool(true) && !scheme.equals("never")) {
            throw f.get("add_prefix_space").error("is false but prepend_scheme is " + Text.quoted(scheme)
                    + " (they must agree: false means \"never\")");
        }
        return scheme;
    }

    static int singleChar(JsonField f) {
        String s = f.string();
        if (s.isEmpty() || s.codePointCount(0, s.length()) != 1) {
            throw f.error("is not a single character");
        }
        return s.codePointAt(0);
    }
}
