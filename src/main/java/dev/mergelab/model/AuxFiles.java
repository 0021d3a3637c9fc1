package dev.mergelab.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The non-weight files that travel with a model into a merge's output: tokenizer, chat template,
 * generation defaults and (for multimodal models) processor settings. Names only, in a fixed order;
 * {@link #present} finds which of them a folder holds, through {@link SafePaths}.
 */
public final class AuxFiles {

    /** Files that define the tokens themselves: two models with equal copies share a vocabulary. */
    public static final List<String> VOCABULARY_FILES = List.of(
            "tokenizer.json", "tokenizer.model", "vocab.json", "merges.txt", "vocab.txt", "added_tokens.json",
            "spiece.model", "sentencepiece.bpe.model");

    /** Tokenizer settings and chat templates, which fine-tunes change without changing the vocabulary. */
    public static final List<String> TOKENIZER_SETTINGS_FILES = List.of(
            "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja", "chat_template.json");

    public static final List<String> GENERATION_FILES = List.of("generation_config.json");

    public static final List<String> PROCESSOR_FILES = List.of("preprocessor_config.json", "processor_config.json");

    /** Everything above, vocabulary first. */
    public static final List<String> ALL = Stream.of(VOCABULARY_FILES, TOKENIZER_SETTINGS_FILES, GENERATION_FILES,
            PROCESSOR_FILES).flatMap(List::stream).toList();

    /** Tokenizer files, the ones {@link TokenizerInfo} looks at. */
    public static final List<String> TOKENIZER_FILES = Stream.of(VOCABULARY_FILES, TOKENIZER_SETTINGS_FILES)
            .flatMap(List::stream).toList();

    private AuxFiles() {
    }

    /**
     * The files of {@link #ALL} that {@code model} holds, as regular files, in {@link #ALL}'s order.
     * A single-file model has none. A name that resolves outside the folder is an error, not a skip:
     * a model folder that links its tokenizer elsewhere has been tampered with.
     */
    public static List<Path> present(Path model) {
        return presentOf(model, ALL);
    }

    /** The files among {@code names} that {@code model} holds (see {@link #present}). */
    public static List<Path> presentOf(Path model, List<String> names) {
        if (!Files.isDirectory(model)) {
            return List.of();
        }
        List<Path> out = new ArrayList<>();
        for (String name : names) {
            Path p = SafePaths.resolveInside(model, name);
            if (Files.isRegularFile(p)) {
                out.add(p);
            }
        }
        return out;
    }
}
