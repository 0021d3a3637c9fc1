package dev.mergelab.format.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Builds GGUF bytes field by field, so tests can write files no honest writer would. */
final class GgufBytes {

    private final ByteArrayOutputStream b = new ByteArrayOutputStream();

    /** Magic, version 3 and the two counts. */
    static GgufBytes header(long nTensors, long nKv) {
        return new GgufBytes().raw("GGUF".getBytes(StandardCharsets.US_ASCII)).u32(3).u64(nTensors).u64(nKv);
    }

    GgufBytes raw(byte[] x) {
        b.writeBytes(x);
        return this;
    }

    GgufBytes u8(int v) {
        b.write(v);
        return this;
    }

    GgufBytes u32(long v) {
        for (int i = 0; i < 4; i++) {
            b.write((int) (v >>> (8 * i)));
        }
        return this;
    }

    GgufBytes u64(long v) {
        for (int i = 0; i < 8; i++) {
            b.write((int) (v >>> (8 * i)));
        }
        return this;
    }

    GgufBytes str(String s) {
        byte[] u = s.getBytes(StandardCharsets.UTF_8);
        return u64(u.length).raw(u);
    }

    /** A metadata pair holding a u32. */
    GgufBytes kvU32(String key, long v) {
        return str(key).u32(GgufValueType.UINT32.id).u32(v);
    }

    /** A tensor info. */
    GgufBytes tensor(String name, GgmlType type, long offset, long... ne) {
        str(name).u32(ne.length);
        for (long d : ne) {
            u64(d);
        }
        return u32(type.id).u64(offset);
    }

    /** Zero bytes up to a multiple of {@code alignment}, then {@code dataBytes} zero bytes. */
    GgufBytes padAndData(int alignment, int dataBytes) {
        while (b.size() % alignment != 0) {
            b.write(0);
        }
        b.writeBytes(new byte[dataBytes]);
        return this;
    }

    int size() {
        return b.size();
    }

    byte[] bytes() {
        return b.toByteArray();
    }
}
