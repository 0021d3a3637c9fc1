package dev.mergelab.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import dev.mergelab.MergeLabException;
import dev.mergelab.tensor.DType;
import java.io.IOException;
import java.util.ArrayList;
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
 */
public final class SafetensorsHeader {

    /** Same cap as the reference implementation. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    /** Far above any real model (a 405B checkpoint has a few thousand tensors per file). */
    public static final int MAX_TENSORS = 1_000_000;
    /** PyTorch itself refuses more than 64 dimensions. */
    public static final int MAX_RANK = 64;
    public static final int MAX_METADATA_ENTRIES = 10_000;

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
        } catch (IOException | RuntimeException e) {
            throw bad(where, "header is not valid JSON: " + firstLine(e.getMessage()));
        }
        validateLayout(tensors, dataLength, where);
        return new SafetensorsHeader(List.copyOf(tensors), metadata);
    }

    private static Map<String, String> parseMetadata(JsonParser p, String where) throws IOException {
        expect(p.currentToken() == JsonToken.START_OBJECT, where, "__metadata__ must be an object of strings");
        Map<String, String> m = new LinkedHashMap<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String key = p.currentName();
            expect(p.nextToken() == JsonToken.VALUE_STRING, where, "__metadata__ value of '" + key + "' is not a string");
            if (m.size() >= MAX_METADATA_ENTRIES) {
                throw bad(where, "__metadata__ has more than " + MAX_METADATA_ENTRIES + " entries");
            }
            m.put(key, p.getText());
        }
        return Collections.unmodifiableMap(m);
    }

    private static TensorInfo parseTensor(JsonParser p, String name, String where) throws IOException {
        expect(p.currentToken() == JsonToken.START_OBJECT, where, "entry of tensor '" + name + "' is not an object");
        DType dtype = null;
        long[] shape = null;
        long[] offsets = null;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String key = p.currentName();
            JsonToken v = p.nextToken();
            switch (key) {
                case "dtype" -> {
                    expect(v == JsonToken.VALUE_STRING, where, "dtype of tensor '" + name + "' is not a string");
                    dtype = DType.fromSafetensors(p.getText());
                    if (dtype == null) {
                        throw bad(where, "tensor '" + name + "' has unsupported dtype '" + clip(p.getText()) + "'");
                    }
                }
                case "shape" -> shape = parseLongs(p, name, "shape", MAX_RANK, where);
                case "data_offsets" -> {
                    offsets = parseLongs(p, name, "data_offsets", 2, where);
                    expect(offsets.length == 2, where, "data_offsets of tensor '" + name + "' must have two numbers");
                }
                default -> p.skipChildren(); // unknown fields are ignored, as the reference does
            }
        }
        expect(dtype != null && shape != null && offsets != null, where,
                "tensor '" + name + "' lacks dtype, shape or data_offsets");
        if (offsets[0] > offsets[1]) {
            throw bad(where, "tensor '" + name + "' has data_offsets with begin > end");
        }
        long numel;
        long bytes;
        try {
            numel = TensorInfo.numel(shape);
            bytes = Math.multiplyExact(numel, (long) dtype.size());
        } catch (ArithmeticException e) {
            throw bad(where, "shape of tensor '" + name + "' overflows");
        }
        if (bytes != offsets[1] - offsets[0]) {
            throw bad(where, "tensor '" + name + "' " + dtype.safetensorsName() + java.util.Arrays.toString(shape)
                    + " needs " + bytes + " bytes but data_offsets span " + (offsets[1] - offsets[0]));
        }
        return new TensorInfo(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] parseLongs(JsonParser p, String name, String field, int max, String where) throws IOException {
        expect(p.currentToken() == JsonToken.START_ARRAY, where, field + " of tensor '" + name + "' is not an array");
        long[] out = new long[Math.min(max, 8)];
        int n = 0;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            expect(t == JsonToken.VALUE_NUMBER_INT, where, field + " of tensor '" + name + "' holds a non-integer");
            if (n >= max) {
                throw bad(where, field + " of tensor '" + name + "' has more than " + max + " entries");
            }
            if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                throw bad(where, field + " of tensor '" + name + "' holds a number too large");
            }
            long v = p.getLongValue();
            if (v < 0) {
                throw bad(where, field + " of tensor '" + name + "' holds a negative number");
            }
            if (n == out.length) {
                out = java.util.Arrays.copyOf(out, Math.min(max, out.length * 2));
            }
            out[n++] = v;
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** Offsets must tile [0, dataLength) exactly: sorted, each tensor starting where the previous ended. */
    private static void validateLayout(List<TensorInfo> tensors, long dataLength, String where) {
        List<TensorInfo> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long cursor = 0;
        for (TensorInfo t : sorted) {
            if (t.begin() != cursor) {
                throw bad(where, "tensor '" + t.name() + "' " + (t.begin() < cursor ? "overlaps the previous tensor" : "leaves a gap before it")
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

    static MergeLabException bad(String where, String what) {
        return MergeLabException.input(where + ": invalid safetensors file: " + what,
                "re-download or re-export the file; MergeLab only reads well-formed safetensors");
    }

    private static String clip(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "parse error";
        }
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.length() > 160 ? line.substring(0, 160) + "..." : line;
    }
}
