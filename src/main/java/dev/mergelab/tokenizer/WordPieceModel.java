package dev.mergelab.tokenizer;

import dev.mergelab.MergeLabException;

/**
 * WordPiece: greedy longest-prefix matching, later parts looked up with the continuing-subword prefix; a
 * piece with an unmatchable rest, or longer than {@code max_input_chars_per_word}, becomes the unknown token.
 */
final class WordPieceModel extends VocabModel {

    private final String unkToken;
    private final String prefix;
    private final int maxChars;

    private WordPieceModel(Vocab vocab, String unkToken, String prefix, int maxChars) {
        super(vocab);
        this.unkToken = unkToken;
        this.prefix = prefix;
        this.maxChars = maxChars;
    }

    static WordPieceModel parse(JsonField f) {
        return new WordPieceModel(Vocab.parse(f.get("vocab")), f.get("unk_token").string("[UNK]"),
                f.get("continuing_subword_prefix").string("##"), f.get("max_input_chars_per_word").index(100));
    }

    @Override
    public void tokenize(String s, IntList out) {
        if (s.codePointCount(0, s.length()) > maxChars) {
            out.add(unk());
            return;
        }
        int mark = out.size;
        int start = 0;
        while (start < s.length()) {
            int end = s.length();
            int found = -1;
            while (start < end) {
                String sub = s.substring(start, end);
                if (start > 0) {
                    sub = prefix + sub;
                }
                int id = vocab.id(sub);
                if (id >= 0) {
                    found = id;
                    break;
                }
                end -= Character.charCount(s.codePointBefore(end));
            }
            if (found < 0) {
                out.size = mark;
                out.add(unk());
                return;
            }
            out.add(found);
            start = end;
        }
    }

    private int unk() {
        int id = vocab.id(unkToken);
        if (id < 0) {
            throw MergeLabException.input("the WordPiece unk_token " + Text.quoted(unkToken) + " is not in the vocab",
                    "check the tokenizer file");
        }
        return id;
    }
}
