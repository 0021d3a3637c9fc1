package dev.mergelab.format.gguf;

import dev.mergelab.MergeLabException;
import dev.mergelab.format.Untrusted;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The parsed front of a GGUF file: version, metadata, tensor infos, alignment and where the data section
 * starts. Parsing is defensive, as gguf.cpp's is and then some: every count and length is checked against the
 * bytes really left in the file before anything is allocated for it, every size against overflow, and
 * anything malformed is a one-line INPUT error naming the file. The rules gguf.cpp enforces are enforced
 * here too (version 2 or 3, unique non-empty keys, a power-of-two UINT32 {@code general.alignment}, tensor
 * names unique and shorter than 64 bytes, at most 4 dimensions, rows a whole number of blocks, tensors laid
 * out back to back at aligned offsets). MergeLab is stricter where gguf.cpp's reader lets garbage through
 * (a bool byte other than 0 or 1, keys and tensor names that are not UTF-8, tensor data past the end of the
 * file, which llama.cpp's loader refuses only later) and reads one thing gguf.cpp refuses: nested arrays,
 * which gguf-py reads and writes (to a depth of 8 here). GgufPrebuiltGgmlTest holds the two readers to this.
 */
public record GgufHeader(int version, Map<String, GgufValue> metadata, List<GgufTensor> tensors, int alignment, long dataOffset) {

    /** GGUF_DEFAULT_ALIGNMENT. */
    public static final int DEFAULT_ALIGNMENT = 32;
    /** GGML_MAX_NAME: a tensor name must be shorter. */
    static final int MAX_NAME = 64;
    /** GGML_MAX_DIMS. */
    static final int MAX_DIMS = 4;
    private static final int MAX_DEPTH = 8;
    private static final String HINT = "the file is not a valid GGUF model (truncated download or another format?)";

    public GgufHeader {
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        tensors = List.copyOf(tensors);
    }

    /** Parses the header of the file mapped as {@code map}; {@code where} names it in errors. */
    static GgufHeader parse(MemorySegment map, String where) {
        Cursor c = new Cursor(map, where);
        int m0 = c.u8(), m1 = c.u8(), m2 = c.u8(), m3 = c.u8();
        if (m0 != 'G' || m1 != 'G' || m2 != 'U' || m3 != 'F') {
            throw c.bad("no GGUF magic at the start of the file");
        }
        long version = c.u32();
        if (version == 1) {
            throw c.bad("GGUF version 1 is not supported (llama.cpp dropped it too); convert the model again");
        }
        if (version != 2 && version != 3) {
            throw c.bad("unknown GGUF version " + version + " (MergeLab reads versions 2 and 3)");
        }
        long nTensors = c.u64();
        long nKv = c.u64();
        // Each tensor info takes at least 8 (name) + 4 (n_dims) + 4 (type) + 8 (offset) bytes; each pair 8 + 4 + 1.
        if (nTensors < 0 || nTensors > c.remaining() / 24) {
            throw c.bad("claims " + Long.toUnsignedString(nTensors) + " tensors, more than its " + c.size() + " bytes can hold");
        }
        if (nKv < 0 || nKv > c.remaining() / 13) {
            throw c.bad("claims " + Long.toUnsignedString(nKv) + " metadata entries, more than its " + c.size() + " bytes can hold");
        }
        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        for (long i = 0; i < nKv; i++) {
            String key = c.string(true);
            if (key.isEmpty()) {
                throw c.bad("metadata key " + i + " is empty");
            }
            if (metadata.containsKey(key)) {
                throw c.bad("duplicate metadata key '" + Untrusted.show(key) + "'");
            }
            GgufValueType type = c.valueType("metadata '" + key + "'");
            metadata.put(key, c.value(type, key, 0));
        }
        int alignment = DEFAULT_ALIGNMENT;
        GgufValue a = metadata.get("general.alignment");
        if (a != null) {
            if (a.type() != GgufValueType.UINT32) {
                throw c.bad("general.alignment must be a u32, not " + a.type().shortName());
            }
            long al = a.asLong();
            if (al == 0 || (al & (al - 1)) != 0 || al > (1 << 30)) {
                throw c.bad("general.alignment " + al + " is not a power of two");
            }
            alignment = (int) al;
        }
        List<GgufTensor> tensors = new ArrayList<>((int) nTensors);
        Set<String> names = new HashSet<>();
        long expectedOffset = 0;
        for (long i = 0; i < nTensors; i++) {
            String name = c.string(true);
            String shown = "tensor '" + Untrusted.show(name) + "'";
            if (name.getBytes(StandardCharsets.UTF_8).length >= MAX_NAME) {
                throw c.bad(shown + ": name is " + name.getBytes(StandardCharsets.UTF_8).length + " bytes, the limit is " + (MAX_NAME - 1));
            }
            if (!names.add(name)) {
                throw c.bad("duplicate " + shown);
            }
            long nDims = c.u32();
            if (nDims > MAX_DIMS) {
                throw c.bad(shown + " has " + nDims + " dimensions, at most " + MAX_DIMS + " are allowed");
            }
            long[] ne = new long[(int) nDims];
            long numel = 1;
            for (int d = 0; d < nDims; d++) {
                ne[d] = c.u64();
                if (ne[d] < 0) {
                    throw c.bad(shown + " dimension " + d + " is " + Long.toUnsignedString(ne[d]));
                }
                if (ne[d] != 0 && numel > Long.MAX_VALUE / ne[d]) {
                    throw c.bad(shown + " has more elements than fit in 63 bits");
                }
                numel *= ne[d];
            }
            long typeId = c.u32();
            GgmlType type = GgmlType.ofId(typeId);
            if (type == null) {
                throw c.bad(shown + " has unknown ggml type " + typeId);
            }
            long row = nDims == 0 ? 1 : ne[0];
            if (row % type.blockSize != 0) {
                throw c.bad(shown + " has rows of " + row + " elements, not a whole number of " + type + " blocks of " + type.blockSize);
            }
            long blocks = numel / type.blockSize;
            if (blocks > Long.MAX_VALUE / type.typeSize) {
                throw c.bad(shown + " is larger than 2^63 bytes");
            }
            long bytes = blocks * type.typeSize;
            long offset = c.u64();
            if (offset != expectedOffset) {
                throw c.bad(shown + " starts at data offset " + Long.toUnsignedString(offset) + ", expected " + expectedOffset
                        + " (tensors must follow each other, each aligned to " + alignment + " bytes)");
            }
            long padded = pad(bytes, alignment);
            if (padded < 0 || expectedOffset > Long.MAX_VALUE - padded) {
                throw c.bad(shown + ": data section larger than 2^63 bytes");
            }
            expectedOffset += padded;
            tensors.add(new GgufTensor(name, type, ne, offset, bytes));
        }
        long dataOffset = nTensors > 0 ? pad(c.position(), alignment) : c.position();
        for (GgufTensor t : tensors) {
            if (dataOffset > c.size() || t.offset() > c.size() - dataOffset || t.byteSize() > c.size() - dataOffset - t.offset()) {
                throw c.bad("tensor '" + Untrusted.show(t.name()) + "' (" + t.byteSize() + " bytes at " + t.offset()
                        + ") runs past the end of the " + c.size() + "-byte file (truncated?)");
            }
        }
        return new GgufHeader((int) version, metadata, tensors, alignment, dataOffset);
    }

    /** {@code n} rounded up to a multiple of {@code alignment} (a power of two); negative on overflow. */
    static long pad(long n, long alignment) {
        return (n + alignment - 1) & -alignment;
    }

    /** Reads the header front to back, copying the mapping a window at a time (never trusting a length). */
    private static final class Cursor {
        private static final int WINDOW = 1 << 20;
        private final MemorySegment map;
        private final String where;
        private final long size;
        private long pos;
        private byte[] window = new byte[0];
        private long windowStart;
        private final java.nio.charset.CharsetDecoder strictUtf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);

        Cursor(MemorySegment map, String where) {
            this.map = map;
            this.where = where;
            this.size = map.byteSize();
        }

        long size() {
            return size;
        }

        long position() {
            return pos;
        }

        long remaining() {
            return size - pos;
        }

        MergeLabException bad(String what) {
            return MergeLabException.input(where + ": invalid GGUF file: " + what, HINT);
        }

        /** Makes {@code n} bytes from {@code pos} readable in {@code window}; returns their index there. */
        private int need(long n, String what) {
            if (n > size - pos) {
                throw bad(what + " at byte " + pos + " runs past the end of the " + size + "-byte file (truncated?)");
            }
            long end = pos + n;
            if (pos < windowStart || end > windowStart + window.length) {
                long len = Math.min(Math.max(n, WINDOW), size - pos);
                if (len > Integer.MAX_VALUE - 16) {
                    throw bad(what + " at byte " + pos + " is " + n + " bytes long, too long to read");
                }
                window = new byte[(int) len];
                MemorySegment.copy(map, ValueLayout.JAVA_BYTE, pos, window, 0, (int) len);
                windowStart = pos;
            }
            int at = (int) (pos - windowStart);
            pos = end;
            return at;
        }

        int u8() {
            int at = need(1, "a byte"); // before reading the field: need() may replace the window
            return window[at] & 0xFF;
        }

        long u32() {
            int at = need(4, "a 4-byte field");
            return le(at, 4);
        }

        long u64() {
            int at = need(8, "an 8-byte field");
            return le(at, 8);
        }

        /** The {@code n}-byte little-endian integer at {@code window[at]}, zero-extended. */
        private long le(int at, int n) {
            long v = 0;
            for (int i = n - 1; i >= 0; i--) {
                v = v << 8 | (window[at + i] & 0xFF);
            }
            return v;
        }

        /** An integer of type {@code t}, sign- or zero-extended to 64 bits as the type says. */
        long integer(GgufValueType t) {
            return switch (t) {
                case UINT8 -> u8();
                case INT8 -> (byte) u8();
                case UINT16 -> u16();
                case INT16 -> (short) u16();
                case UINT32 -> u32();
                case INT32 -> (int) u32();
                case UINT64, INT64 -> u64();
                default -> throw new IllegalArgumentException(t + " is not an integer type");
            };
        }

        GgufValueType valueType(String what) {
            long id = u32();
            GgufValueType t = GgufValueType.ofId(id);
            if (t == null) {
                throw bad(Untrusted.show(what) + " has unknown value type " + id);
            }
            return t;
        }

        /** A length-prefixed string; {@code strict}: refused unless well-formed UTF-8 (keys and names). */
        String string(boolean strict) {
            long len = u64();
            if (len < 0 || len > remaining()) {
                throw bad("string of " + Long.toUnsignedString(len) + " bytes at byte " + (pos - 8) + " runs past the end of the "
                        + size + "-byte file (truncated?)");
            }
            if (len == 0) {
                return "";
            }
            int at = need(len, "a string");
            if (!strict) {
                return new String(window, at, (int) len, StandardCharsets.UTF_8); // malformed bytes become U+FFFD
            }
            try {
                return strictUtf8.reset().decode(ByteBuffer.wrap(window, at, (int) len)).toString();
            } catch (CharacterCodingException e) {
                throw bad("name at byte " + (pos - len) + " is not valid UTF-8");
            }
        }

        GgufValue value(GgufValueType type, String key, int depth) {
            return switch (type) {
                case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> new GgufValue(type, integer(type));
                case FLOAT32 -> new GgufValue(type, Float.intBitsToFloat((int) u32()));
                case FLOAT64 -> new GgufValue(type, Double.longBitsToDouble(u64()));
                case BOOL -> new GgufValue(type, bool(key));
                case STRING -> new GgufValue(type, string(false));
                case ARRAY -> new GgufValue(type, array(key, depth));
            };
        }

        private int u16() {
            int at = need(2, "a 2-byte field");
            return (window[at] & 0xFF) | (window[at + 1] & 0xFF) << 8;
        }

        private boolean bool(String key) {
            int b = u8();
            if (b > 1) {
                throw bad("metadata '" + Untrusted.show(key) + "' has bool value " + b + " (must be 0 or 1)");
            }
            return b == 1;
        }

        private GgufArray array(String key, int depth) {
            if (depth >= MAX_DEPTH) {
                throw bad("metadata '" + Untrusted.show(key) + "' nests arrays deeper than " + MAX_DEPTH);
            }
            GgufValueType et = valueType("an array element type in metadata '" + key + "'");
            long n = u64();
            if (n < 0 || n > remaining() / et.minBytes) {
                throw bad("metadata '" + Untrusted.show(key) + "' claims " + Long.toUnsignedString(n) + " " + et.shortName()
                        + " items, more than the rest of the " + size + "-byte file can hold");
            }
            int count = (int) n; // bounded by the file size over minBytes >= 1, and refused above when larger
            if (n > Integer.MAX_VALUE - 16) {
                throw bad("metadata '" + Untrusted.show(key) + "' has " + n + " items, too many for MergeLab");
            }
            Object items = switch (et) {
                case FLOAT32 -> {
                    float[] v = new float[count];
                    for (int i = 0; i < count; i++) {
                        v[i] = Float.intBitsToFloat((int) u32());
                    }
                    yield v;
                }
                case FLOAT64 -> {
                    double[] v = new double[count];
                    for (int i = 0; i < count; i++) {
                        v[i] = Double.longBitsToDouble(u64());
                    }
                    yield v;
                }
                case BOOL -> {
                    boolean[] v = new boolean[count];
                    for (int i = 0; i < count; i++) {
                        v[i] = bool(key);
                    }
                    yield v;
                }
                case STRING -> {
                    String[] v = new String[count];
                    for (int i = 0; i < count; i++) {
                        v[i] = string(false);
                    }
                    yield v;
                }
                case ARRAY -> {
                    GgufArray[] v = new GgufArray[count];
                    for (int i = 0; i < count; i++) {
                        v[i] = array(key, depth + 1);
                    }
                    yield v;
                }
                default -> {
                    long[] v = new long[count];
                    for (int i = 0; i < count; i++) {
                        v[i] = integer(et);
                    }
                    yield v;
                }
            };
            return new GgufArray(et, items);
        }
    }
}
