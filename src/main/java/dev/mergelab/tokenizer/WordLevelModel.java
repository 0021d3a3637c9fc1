package dev.mergelab.tokenizer;

import dev.mergelab.MergeLabException;

/** WordLevel: each piece is one vocabulary entry, or the unknown token. */
final class WordLevelModel extends VocabModel {

    private final String unkToken;

    private WordLevelModel(Vocab vocab, String unkToken) {
        super(vocab);
        this.unkToken = unkToken;
    }

    static WordLevelModel parse(JsonField f) {
        return new WordLevelModel(Vocab.parse(f.get("vocab")), f.get("unk_token").string("<unk>"));
    }

    @Override
    public void tokenize(String piece, IntList out) {
        int id = vocab.id(piece);
        if (id < 0) {
            id = vocab.id(unkToken);
            if (id < 0) {
                throw MergeLabException.input("the WordLevel unk_token " + Text.quoted(unkToken)
                        + " is not in the vocab", "check the tokenizer file");
            }
        }
        out.add(id);
    }
}
