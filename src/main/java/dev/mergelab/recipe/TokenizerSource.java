package dev.mergelab.recipe;

import java.util.Objects;

/**
 * Where the output tokenizer comes from: the base model, or one named model. Upstream's {@code union}
 * (a merged vocabulary) is refused by the parser until the embedding permutation exists.
 */
public sealed interface TokenizerSource permits TokenizerSource.Base, TokenizerSource.Model {

    int line();

    record Base(int line) implements TokenizerSource {}

    record Model(ModelRef model) implements TokenizerSource {
        public Model {
            Objects.requireNonNull(model);
        }

        @Override
        public int line() {
            return model.line();
        }
    }
}
