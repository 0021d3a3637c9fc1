package dev.mergelab.model;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.mergelab.MergeLabException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalInt;

/**
 * A summary of a model's tokenizer for compatibility checks: which tokenizer files it has, its
 * vocabulary size where that is cheap to learn, and a SHA-256 fingerprint of the vocabulary files
 * ({@link AuxFiles#VOCABULARY_FILES}) so "same tokenizer?" is one string comparison.
 *
 * @param present     whether any tokenizer file exists
 * @param files       tokenizer file names present, in {@link AuxFiles#TOKENIZER_FILES} order
 * @param vocabSize   highest token id + 1 from tokenizer.json (vocab and added tokens), or from
 *                    vocab.json + added_tokens.json; empty when neither is readable within the caps
 * @param fingerprint hex SHA-256 over the vocabulary files' names and bytes, or null when there are none
 */
public record TokenizerInfo(boolean present, List<String> files, OptionalInt vocabSize, String fingerprint) {

    /** tokenizer.json files of large vocabularies reach ~35 MiB; past this we skip counting. */
    static final long MAX_COUNT_BYTES = 256L << 20;
    /** Larger than any real tokenizer file; refusing to hash beyond it bounds the work. */
    static final long MAX_HASH_BYTES = 1L << 30;

    public TokenizerInfo {
        files = List.copyOf(files);
    }

    /** Summarises the tokenizer in a model folder (a single-file model has none). */
    public static TokenizerInfo of(Path model) {
        List<Path> paths = AuxFiles.presentOf(model, AuxFiles.TOKENIZER_FILES);
        List<String> names = paths.stream().map(p -> p.getFileName().toString()).toList();
        List<Path> vocabFiles = AuxFiles.presentOf(model, AuxFiles.VOCABULARY_FILES);
        return new TokenizerInfo(!paths.isEmpty(), names, vocabSize(model, names), fingerprint(vocabFiles));
    }

    /** True when both have vocabulary files and they are byte-identical. */
    public boolean sameVocabularyAs(TokenizerInfo other) {
        return fingerprint != null && fingerprint.equals(other.fingerprint);
    }

    private static OptionalInt vocabSize(Path model, List<String> names) {
        if (names.contains("tokenizer.json")) {
            long max = maxId(SafePaths.resolveInside(model, "tokenizer.json"), true);
            if (max >= 0 && max < Integer.MAX_VALUE) {
                return OptionalInt.of((int) (max + 1));
            }
        }
        if (names.contains("vocab.json")) {
            long max = maxId(SafePaths.resolveInside(model, "vocab.json"), false);
            if (names.contains("added_tokens.json")) {
                max = Math.max(max, maxId(SafePaths.resolveInside(model, "added_tokens.json"), false));
            }
            if (max >= 0 && max < Integer.MAX_VALUE) {
                return OptionalInt.of((int) (max + 1));
            }
        }
        return OptionalInt.empty();
    }

    /**
     * Highest token id in a file, streaming so a large vocabulary never becomes a tree. For
     * tokenizer.json: {@code model.vocab} (an id map, or a Unigram list whose positions are the ids)
     * and {@code added_tokens[].id}; otherwise the file is itself an id map. -1 when unknown.
     */
    private static long maxId(Path file, boolean tokenizerJson) {
        try {
            if (Files.size(file) > MAX_COUNT_BYTES) {
                return -1;
            }
            try (InputStream in = Files.newInputStream(file); JsonParser p = SafeJson.parser(in)) {
                if (p.nextToken() != JsonToken.START_OBJECT) {
                    return -1;
                }
                if (!tokenizerJson) {
                    return maxOfIdMap(p);
                }
                long max = -1;
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken value = p.nextToken();
                    if (field.equals("model") && value == JsonToken.START_OBJECT) {
                        max = Math.max(max, vocabInModel(p));
                    } else if (field.equals("added_tokens") && value == JsonToken.START_ARRAY) {
                        max = Math.max(max, addedTokens(p));
                    } else {
                        p.skipChildren();
                    }
                }
                return max;
            }
        } catch (IOException | RuntimeException e) {
            // Counting is a convenience: a tokenizer we cannot read cheaply just has no known size.
            return -1;
        }
    }

    private static long vocabInModel(JsonParser p) throws IOException {
        long max = -1;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if (field.equals("vocab") && value == JsonToken.START_OBJECT) {
                max = maxOfIdMap(p);
            } else if (field.equals("vocab") && value == JsonToken.START_ARRAY) {
                long n = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    p.skipChildren();
                    n++;
                }
                max = n - 1;
            } else {
                p.skipChildren();
            }
        }
        return max;
    }

    /** Reads {"token": id, ...} up to its end, returning the largest id. */
    private static long maxOfIdMap(JsonParser p) throws IOException {
        long max = -1;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            JsonToken v = p.nextToken();
            if (v == JsonToken.VALUE_NUMBER_INT) {
                max = Math.max(max, p.getLongValue());
            } else {
                p.skipChildren();
            }
        }
        return max;
    }

    private static long addedTokens(JsonParser p) throws IOException {
        long max = -1;
        while (p.nextToken() == JsonToken.START_OBJECT) {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                if (field.equals("id") && v == JsonToken.VALUE_NUMBER_INT) {
                    max = Math.max(max, p.getLongValue());
                } else {
                    p.skipChildren();
                }
            }
        }
        return max;
    }

    private static String fingerprint(List<Path> files) {
        if (files.isEmpty()) {
            return null;
        }
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
        byte[] buf = new byte[1 << 16];
        for (Path f : files) {
            try {
                long size = Files.size(f);
                if (size > MAX_HASH_BYTES) {
                    throw MergeLabException.input("tokenizer file " + f + " is " + size + " bytes",
                            "no real tokenizer file is this large; check the model folder");
                }
                // Name and length frame each file so different splits of the same bytes differ.
                sha.update(f.getFileName().toString().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(ByteBuffer.allocate(Long.BYTES).putLong(size).flip());
                try (InputStream in = Files.newInputStream(f)) {
                    for (int n; (n = in.read(buf)) > 0; ) {
                        sha.update(buf, 0, n);
                    }
                }
            } catch (IOException e) {
                throw MergeLabException.input("cannot read tokenizer file " + f + ": " + e.getMessage(), null);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
