package dev.mergelab.recipe;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Objects;
import java.util.Optional;
import java.util.SequencedMap;

/**
 * A merge recipe: a faithful, immutable model of mergekit's YAML schema in which every element remembers
 * its source line. Exactly one of {@link #inputs()} (top-level {@code models:} or {@code slices:}) and
 * {@link #modules()} is present. Parse with {@link #parse(Path)}; plan with {@link #layout()} and
 * {@link ParameterResolver}.
 *
 * @param source        the name errors use for the file, e.g. {@code recipe.yml}
 * @param text          the recipe text as read (for hashing and for copying next to the output)
 * @param tokenizerSource the older {@code tokenizer_source:} key; at most one of it and {@code tokenizer}
 */
public record Recipe(
        String source,
        String text,
        Located<String> mergeMethod,
        Optional<ModelRef> baseModel,
        Optional<ModelsOrSlices> inputs,
        SequencedMap<String, OutputModule> modules,
        Parameters parameters,
        Optional<DTypeSetting> dtype,
        Optional<DTypeSetting> outDtype,
        Optional<TokenizerSource> tokenizerSource,
        Optional<TokenizerConfig> tokenizer,
        Optional<Located<String>> chatTemplate,
        Optional<Located<String>> name) {

    public Recipe {
        Objects.requireNonNull(source);
        Objects.requireNonNull(text);
        Objects.requireNonNull(mergeMethod);
        Objects.requireNonNull(baseModel);
        Objects.requireNonNull(inputs);
        modules = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(modules));
        Objects.requireNonNull(parameters);
        Objects.requireNonNull(dtype);
        Objects.requireNonNull(outDtype);
        Objects.requireNonNull(tokenizerSource);
        Objects.requireNonNull(tokenizer);
        Objects.requireNonNull(chatTemplate);
        Objects.requireNonNull(name);
        if (inputs.isPresent() == !modules.isEmpty()) {
            throw new IllegalArgumentException("a recipe has exactly one of models/slices or modules");
        }
        if (tokenizerSource.isPresent() && tokenizer.isPresent()) {
            throw new IllegalArgumentException("tokenizer_source and tokenizer are exclusive");
        }
    }

    /** Reads and parses a recipe file; errors name the path as given. */
    public static Recipe parse(Path path) {
        String source = path.toString();
        try {
            long size = Files.size(path);
            if (size > YamlLoader.MAX_BYTES) {
                throw RecipeErrors.at(source, 0, "the recipe is " + size + " bytes; the limit is " + YamlLoader.MAX_BYTES,
                        "a recipe is a small YAML file; check the path");
            }
            byte[] bytes = Files.readAllBytes(path);
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
            return parse(text, source);
        } catch (NoSuchFileException e) {
            throw RecipeErrors.at(source, 0, "recipe file not found");
        } catch (CharacterCodingException e) {
            throw RecipeErrors.at(source, 0, "the recipe is not valid UTF-8 text");
        } catch (IOException e) {
            throw RecipeErrors.at(source, 0, "cannot read the recipe: " + e.getMessage());
        }
    }

    /** Parses recipe text; {@code source} names it in errors (e.g. {@code recipe.yml}). */
    public static Recipe parse(String text, String source) {
        Objects.requireNonNull(text);
        if (text.length() > YamlLoader.MAX_BYTES) {
            throw RecipeErrors.at(source, 0, "the recipe is " + text.length() + " characters; the limit is "
                    + YamlLoader.MAX_BYTES);
        }
        return new RecipeParser(source).parse(text);
    }

    /** {@code recipe.yml:LINE}, for messages other packages build about this recipe. */
    public String where(int line) {
        return line > 0 ? source + ":" + line : source;
    }

    /** The tokenizer source from whichever key was used, if any. */
    public Optional<TokenizerSource> effectiveTokenizerSource() {
        return tokenizerSource.or(() -> tokenizer.map(TokenizerConfig::source));
    }

    /** The normalised layout the planner walks: modules of slices, implicit slice for {@code models:}. */
    public MergeLayout layout() {
        return MergeLayout.of(this);
    }

    /**
     * SHA-256 (lower-case hex) of the recipe text with line endings normalised to LF and a leading BOM
     * dropped, so the same recipe hashes alike on every platform. Comments and formatting count: this
     * identifies the file the user wrote.
     */
    public String textSha256() {
        String normalised = text.replace("\r\n", "\n").replace('\r', '\n');
        if (normalised.startsWith("\uFEFF")) {
            normalised = normalised.substring(1);
        }
        return sha256(normalised);
    }

    /** SHA-256 of {@link #toYaml()}: equal for recipes that mean the same, whatever their formatting. */
    public String canonicalSha256() {
        return sha256(toYaml());
    }

    /** The recipe in canonical YAML (mergekit style: numeric lists in flow style), without comments. */
    public String toYaml() {
        return RecipeWriter.toYaml(this);
    }

    private static String sha256(String s) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
