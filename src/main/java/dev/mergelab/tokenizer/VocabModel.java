package dev.mergelab.tokenizer;

/** A model whose tokens are a token-to-id map (BPE, WordPiece, WordLevel): the lookups all of them answer alike. */
abstract class VocabModel implements Model {

    final Vocab vocab;

    VocabModel(Vocab vocab) {
        this.vocab = vocab;
    }

    @Override
    public final int tokenToId(String token) {
        return vocab.id(token);
    }

    @Override
    public final String idToToken(int id) {
        return vocab.token(id);
    }

    @Override
    public final int vocabSize() {
        return vocab.size();
    }
}
