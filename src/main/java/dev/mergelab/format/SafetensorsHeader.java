package dev.mergelab.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import dev.mergelab.MergeLabException;
import dev.mergelab.tensor.DType;
import dev.mergelab.tensor.Shape;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses and validates a safetensors header as strictly as the reference implementation: a UTF-8 JSON
 * object of tensor entries plus an optional {@code __metadata__} string map; known dtypes; non-negative
 * shapes whose byte size matches the offsets (overflow-checked); offsets that tile the data section
 * exactly, with no overlap and no gap; unique names. A checkpoint is attacker-controlled, so every check
 * is a one-line error and nothing allocates in proportion to a number the file claims.
 *
 * <p>Resource bound: the header is at most {@link #MAX_HEADER_BYTES} and parsing keeps only the tensor
 * list, so the worst case (a maximal header of {@link #MAX_TENSORS} tiny tensors) costs a few hundred MB
 * of heap and a few seconds; TESTING.md ("Hostile safetensors inputs") records the measured numbers.
 */
public final class SafetensorsHeader {

    /** Same cap as the reference implementation. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    /** Far above any real model (a 405B checkpoint has a few thousand tensors per file). */
    public static final int MAX_TENSORS = 1_000_000;
    /** PyTorch itself refuses more than 64 dimensions. */
    public static final int MAX_RANK = 64;
    public static final int MAX_METADATA_ENTRIES = 10_000;

    static final String HINT = "re-download or re-export the file; MergeLab only reads well-formed safetensors";

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(8)
                    .maxStringLength(1 << 20)
                    .maxNumberLength(32)
                    .maxNameLength(1 << 16)
                    .build())
            .build();

    private final List<TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsHeader(List<TensorInfo> tensors, Map<String, String> metadata) {
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Tensors in file (offset) order. */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Parses {@code json} (the header bytes) and checks it against a data section of {@code dataLength}
     * bytes. {@code where} names the file in error messages.
     */
    public static SafetensorsHeader parse(byte[] json, long dataLength, String where) {
        if (json.length == 0 || json[0] != '{') {
            throw bad(where, "header does not start with '{'");
        }
        // The reference decodes the whole header as strict UTF-8 before parsing. Jackson alone accepts
        // overlong forms (C0 80 decodes to NUL) and code points above U+10FFFF, so a name could differ
        // from what other tools see.
        int badByte = Untrusted.invalidUtf8At(json);
        if (badByte >= 0) {
            throw bad(where, "header is not valid UTF-8 (at byte " + badByte + " of the header)");
        }
        List<TensorInfo> tensors = new ArrayList<>();
        Map<String, String> metadata = Collections.emptyMap();
        try (JsonParser p = JSON.createParser(json)) {
            expect(p.nextToken() == JsonToken.START_OBJECT, where, "header is not a JSON object");
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                expect(t == JsonToken.FIELD_NAME, where, "malformed header object");
                String name = p.currentName();
                p.nextToken();
                if (name.equals("__metadata__")) {
                    metadata = parseMetadata(p, where);
                    continue;
                }
                if (tensors.size() >= MAX_TENSORS) {
                    throw bad(where, "more than " + MAX_TENSORS + " tensors");
                }
                tensors.add(parseTensor(p, name, where));
            }
            // Only whitespace may follow the object (writers pad the header with spaces).
            if (p.nextToken() != null) {
                throw bad(where, "unexpected data after the header object");
            }
        } catch (MergeLabException e) {
            throw e;
        } catch (IOException e) {
            // Syntax errors and Jackson's StreamReadConstraints (nesting, name/string/number length) land here.
            throw bad(where, "header is not valid JSON: " + Untrusted.firstLine(e.getMessage()));
        } catch (RuntimeException e) {
            // Never seen (the hostile-input tests assert it), but a header we cannot parse is still bad input:
            // refuse it with one line and keep the cause for debugging.
            throw new MergeLabException(MergeLabException.Kind.INPUT, prefix(where) + "header could not be parsed ("
                    + e.getClass().getSimpleName() + ")", HINT, e);
        }
        validateLayout(tensors, dataLength, where);
        return new SafetensorsHeader(List.copyOf(tensors), metadata);
    }

    private static Map<String, String> parseMetadata(JsonParser p, String where) throws IOException {
        expect(p.currentToken() == JsonToken.START_OBJECT, where, "__metadata__ must be an object of strings");
        Map<String, String> m = new LinkedHashMap<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String key = p.currentName();
            expect(p.nextToken() == JsonToken.VALUE_STRING, where,
                    "__metadata__ value of '" + Untrusted.show(key) + "' is not a string");
            if (m.size() >= MAX_METADATA_ENTRIES) {
                throw bad(where, "__metadata__ has more than " + MAX_METADATA_ENTRIES + " entries");
            }
            String value = p.getText();
            // Jackson accepts a lone "\ud800" escape in string values; the reference (serde_json) does not,
            // and our own writer could not encode it when the metadata is copied to a merged file.
            if (Untrusted.hasLoneSurrogate(key) || Untrusted.hasLoneSurrogate(value)) {
                throw bad(where, "__metadata__ entry '" + Untrusted.show(key) + "' holds an unpaired UTF-16 surrogate");
            }
            m.put(key, value);
        }
        return Collections.unmodifiableMap(m);
    }

    private static TensorInfo parseTensor(JsonParser p, String name, String where) throws IOException {
        String shown = Untrusted.show(name);
        if (Untrusted.hasLoneSurrogate(name)) { // Jackson refuses these in names today; keep it that way
            throw bad(where, "tensor name '" + shown + "' holds an unpaired UTF-16 surrogate");
        }
        expect(p.currentToken() == JsonToken.START_OBJECT, where, "entry of tensor '" + shown + "' is not an object");
        DType dtype = null;
        long[] shape = null;
        long[] offsets = null;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String key = p.currentName();
            JsonToken v = p.nextToken();
            switch (key) {
                case "dtype" -> {
                    expect(v == JsonToken.VALUE_STRING, where, "dtype of tensor '" + shown + "' is not a string");
                    dtype = DType.fromSafetensors(p.getText());
                    if (dtype == null) {
                        throw bad(where, "tensor '" + shown + "' has unsupported dtype '" + Untrusted.show(p.getText()) + "'");
                    }
                }
                case "shape" -> shape = parseLongs(p, shown, "shape", MAX_RANK, where);
                case "data_offsets" -> {
                    offsets = parseLongs(p, shown, "data_offsets", 2, where);
                    expect(offsets.length == 2, where, "data_offsets of tensor '" + shown + "' must have two numbers");
                }
                default -> p.skipChildren(); // unknown fields are ignored, as the reference does
            }
        }
        expect(dtype != null && shape != null && offsets != null, where,
                "tensor '" + shown + "' lacks dtype, shape or data_offsets");
        if (offsets[0] > offsets[1]) {
            throw bad(where, "tensor '" + shown + "' has data_offsets with begin > end");
        }
        long bytes;
        try {
            bytes = byteSize(shape, dtype);
        } catch (ArithmeticException e) {
            throw bad(where, "shape of tensor '" + shown + "' overflows");
        }
        if (bytes != offsets[1] - offsets[0]) {
            throw bad(where, "tensor '" + shown + "' " + dtype.safetensorsName() + Arrays.toString(shape)
                    + " needs " + bytes + " bytes but data_offsets span " + (offsets[1] - offsets[0]));
        }
        return new TensorInfo(name, dtype, shape, offsets[0], offsets[1]);
    }

    /**
     * Byte size of a tensor, throwing {@link ArithmeticException} on overflow. Stricter than the reference
     * on purpose: the product of the non-zero dimensions times the element size must fit in a long too, so
     * a zero-size tensor like [0, 2^62, 2^62] is refused and code computing strides or row sizes from a
     * validated shape can never overflow. The writer uses the same rule, so we never write what we refuse.
     */
    static long byteSize(long[] shape, DType dtype) {
        long nonZero = dtype.size();
        for (long d : shape) {
            if (d < 0) {
                throw new ArithmeticException("negative dimension");
            }
            nonZero = Math.multiplyExact(nonZero, Math.max(d, 1)); // only here to throw on overflow
        }
        return Math.multiplyExact(Shape.numel(shape), (long) dtype.size());
    }

    private static long[] parseLongs(JsonParser p, String shownName, String field, int max, String where) throws IOException {
        expect(p.currentToken() == JsonToken.START_ARRAY, where, field + " of tensor '" + shownName + "' is not an array");
        long[] out = new long[Math.min(max, 8)];
        int n = 0;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            expect(t == JsonToken.VALUE_NUMBER_INT, where, field + " of tensor '" + shownName + "' holds a non-integer");
            if (n >= max) {
                throw bad(where, field + " of tensor '" + shownName + "' has more than " + max + " entries");
            }
            if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                throw bad(where, field + " of tensor '" + shownName + "' holds a number too large");
            }
            long v = p.getLongValue();
            if (v < 0) {
                throw bad(where, field + " of tensor '" + shownName + "' holds a negative number");
            }
            if (n == out.length) {
                out = Arrays.copyOf(out, Math.min(max, out.length * 2));
            }
            out[n++] = v;
        }
        return Arrays.copyOf(out, n);
    }

    /** Offsets must tile [0, dataLength) exactly: sorted, each tensor starting where the previous ended. */
    private static void validateLayout(List<TensorInfo> tensors, long dataLength, String where) {
        List<TensorInfo> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long cursor = 0;
        for (TensorInfo t : sorted) {
            if (t.begin() != cursor) {
                throw bad(where, "tensor '" + Untrusted.show(t.name()) + "' "
                        + (t.begin() < cursor ? "overlaps the previous tensor" : "leaves a gap before it")
                        + " (data_offsets begin " + t.begin() + ", expected " + cursor + ")");
            }
            cursor = t.end();
        }
        if (cursor != dataLength) {
            throw bad(where, cursor > dataLength
                    ? "tensor data ends at byte " + cursor + " beyond the file's " + dataLength + " data bytes (file truncated?)"
                    : "data section has " + (dataLength - cursor) + " bytes not covered by any tensor");
        }
        tensors.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
    }

    private static void expect(boolean ok, String where, String what) {
        if (!ok) {
            throw bad(where, what);
        }
    }

    /** {@code where} is the file's path as given by the caller; it is escaped here so the message stays one line. */
    static MergeLabException bad(String where, String what) {
        return MergeLabException.input(prefix(where) + what, HINT);
    }

    private static String prefix(String where) {
        return Untrusted.pathText(where == null ? "<header>" : where) + ": invalid safetensors file: ";
    }
}
