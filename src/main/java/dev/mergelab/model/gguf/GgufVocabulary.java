package dev.mergelab.model.gguf;

import dev.mergelab.format.gguf.GgufFile;
import java.nio.file.Path;

/** tokenizer.json and tokenizer_config.json rebuilt from a GGUF file's {@code tokenizer.ggml.*} keys. */
public final class GgufVocabulary {

    private GgufVocabulary() {
    }

    /** Writes the tokenizer files of {@code gguf} into {@code dir}. */
    public static void write(GgufFile gguf, Path dir) {
        // writes nothing in this branch: the vocabulary helper's version of this file replaces it at merge
    }
}
