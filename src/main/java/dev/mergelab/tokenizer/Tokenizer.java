package dev.mergelab.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mergelab.MergeLabException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A Hugging Face tokenizer read from {@code tokenizer.json}, encoding and decoding as the Rust
 * {@code tokenizers} library does. Thread-safe once loaded.
 */
public final class Tokenizer {

    private final Normalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final Model model;
    private final PostProcessor postProcessor;
    private final Decoder decoder;
    private final AddedVocabulary added;
    private final LengthRules lengthRules;

    private Tokenizer(JsonField root) {
        root.object();
        normalizer = Normalizers.parse(root.get("normalizer"));
        preTokenizer = PreTokenizers.parse(root.get("pre_tokenizer"));
        model = parseModel(root.get("model"));
        postProcessor = PostProcessors.parse(root.get("post_processor"));
        decoder = Decoders.parse(root.get("decoder"));
        List<AddedToken> tokens = new ArrayList<>();
        if (!root.get("added_tokens").isNull()) {
            for (JsonField t : root.get("added_tokens").array()) {
                tokens.add(AddedToken.parse(t));
            }
        }
        added = new AddedVocabulary(tokens, model, normalizer);
        lengthRules = LengthRules.parse(root.get("truncation"), root.get("padding"));
    }

    private static Model parseModel(JsonField f) {
        f.object();
        // Files written by old versions leave out the model's type; the library then tries each in turn.
        String type = f.has("type") ? f.type() : guessType(f);
        return switch (type) {
            case "BPE" -> BpeModel.parse(f);
            case "Unigram" -> UnigramModel.parse(f);
            case "WordPiece" -> WordPieceModel.parse(f);
            case "WordLevel" -> WordLevelModel.parse(f);
            default -> throw f.get("type").error("is " + Text.quoted(type)
                    + ", not one of BPE, Unigram, WordPiece, WordLevel");
        };
    }

    private static String guessType(JsonField f) {
        if (f.has("merges")) {
            return "BPE";
        }
        if (f.get("vocab").node() != null && f.get("vocab").node().isArray()) {
            return "Unigram";
        }
        if (f.has("continuing_subword_prefix") || f.has("max_input_chars_per_word")) {
            return "WordPiece";
        }
        return "WordLevel";
    }

    /** Reads a tokenizer.json file; any problem is a one-line {@link MergeLabException} naming the file. */
    public static Tokenizer load(Path file) {
        return fromJson(TokenizerJson.readFile(file), file.toString());
    }

    /** Reads tokenizer.json bytes; {@code source} names them in error messages. */
    public static Tokenizer fromJson(byte[] json, String source) {
        JsonNode tree = TokenizerJson.parse(json, source);
        try {
            return new Tokenizer(JsonField.root(tree, source));
        } catch (StackOverflowError e) {
            throw MergeLabException.input(source + ": components are nested too deeply", null);
        }
    }

    /** Token ids of {@code text}; with {@code addSpecialTokens} the post-processor adds BOS/CLS/... */
    public int[] encode(String text, boolean addSpecialTokens) {
        List<Piece> pieces = added.splitRaw(new Piece(wellFormed(text), 0));
        pieces = added.normalizeAndSplit(pieces, normalizer);
        if (preTokenizer != null) {
            pieces = preTokenizer.apply(pieces);
        }
        IntList ids = new IntList(text.length() / 3 + 8);
        for (Piece p : pieces) {
            if (p.isToken()) {
                ids.addAll(p.ids);
            } else {
                model.tokenize(p.text, ids);
            }
        }
        int[] seq = ids.toArray();
        if (lengthRules.truncates()) {
            // The library keeps room for the special tokens the post-processor is about to add.
            int reserved = addSpecialTokens && postProcessor != null ? postProcessor.addedTokens(false) : 0;
            seq = lengthRules.truncate(seq, reserved);
        }
        if (postProcessor != null) {
            seq = PostProcessors.concat(postProcessor.process(List.of(seq), addSpecialTokens).toArray(new int[0][]));
        }
        return lengthRules.pad(seq);
    }

    /** Rust strings cannot hold unpaired surrogates; text crossing into the library gets U+FFFD for them. */
    private static String wellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                boolean paired = Character.isHighSurrogate(c) && i + 1 < s.length()
                        && Character.isLowSurrogate(s.charAt(i + 1));
                if (!paired) {
                    StringBuilder sb = new StringBuilder(s.length());
                    s.codePoints().forEach(cp -> sb.appendCodePoint(
                            cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE ? 0xFFFD : cp));
                    return sb.toString();
                }
                i++;
            }
        }
        return s;
    }

    /** The text of {@code ids}; unknown ids are left out, special tokens too with {@code skipSpecialTokens}. */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            String t = idToToken(id);
            if (t != null && !(skipSpecialTokens && added.isSpecial(t))) {
                tokens.add(t);
            }
        }
        if (decoder == null) {
            return String.join(" ", tokens);
        }
        return String.join("", decoder.decodeChain(tokens));
    }

    /** The id of a token (added tokens first), or -1. */
    public int tokenToId(String token) {
        int id = added.id(token);
        return id >= 0 ? id : model.tokenToId(token);
    }

    /** The token string of an id (added tokens first), or null. */
    public String idToToken(int id) {
        String t = added.content(id);
        return t != null ? t : model.idToToken(id);
    }

    /** Whether the token is one of the special added tokens. */
    public boolean isSpecial(String token) {
        return added.isSpecial(token);
    }
}
