package dev.mergelab.format.gguf;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Malformed GGUF files, each with the words its one-line error must contain. MalformedGgufTest opens every
 * one; GgufSeedCorpus writes them as the fuzzer's invalid-* seeds.
 */
final class GgufHostileCorpus {

    private GgufHostileCorpus() {
    }

    record Case(byte[] bytes, String fragment) {
    }

    static Map<String, Case> cases() {
        Map<String, Case> c = new LinkedHashMap<>();
        c.put("empty", new Case(new byte[0], "runs past the end of the 0-byte file"));
        c.put("bad-magic", new Case(new GgufBytes().raw("GGML".getBytes()).u32(3).u64(0).u64(0).bytes(), "no GGUF magic"));
        c.put("version-1", new Case(new GgufBytes().raw("GGUF".getBytes()).u32(1).u32(0).u32(0).bytes(), "version 1 is not supported"));
        c.put("version-99", new Case(new GgufBytes().raw("GGUF".getBytes()).u32(99).u64(0).u64(0).bytes(), "unknown GGUF version 99"));
        c.put("truncated-counts", new Case(new GgufBytes().raw("GGUF".getBytes()).u32(3).u64(0).bytes(), "runs past the end"));
        c.put("tensor-count-huge", new Case(GgufBytes.header(1L << 62, 0).bytes(), "claims 4611686018427387904 tensors"));
        c.put("tensor-count-negative", new Case(GgufBytes.header(-1L, 0).bytes(), "claims 18446744073709551615 tensors"));
        c.put("kv-count-huge", new Case(GgufBytes.header(0, 1L << 40).bytes(), "metadata entries"));
        c.put("key-length-past-eof", new Case(GgufBytes.header(0, 1).u64(Long.MAX_VALUE).raw(new byte[20]).bytes(), "runs past the end"));
        c.put("key-empty", new Case(GgufBytes.header(0, 1).str("").u32(4).u32(1).bytes(), "is empty"));
        c.put("key-duplicate", new Case(GgufBytes.header(0, 2).kvU32("a", 1).kvU32("a", 2).bytes(), "duplicate metadata key 'a'"));
        c.put("key-not-utf8", new Case(GgufBytes.header(0, 1).u64(2).u8(0xC0).u8(0x80).u32(4).u32(1).bytes(), "not valid UTF-8"));
        c.put("value-type-unknown", new Case(GgufBytes.header(0, 1).str("k").u32(13).u32(0).bytes(), "unknown value type 13"));
        c.put("value-truncated", new Case(GgufBytes.header(0, 1).str("k").u32(GgufValueType.UINT64.id).u32(7).bytes(), "runs past the end"));
        c.put("bool-two", new Case(GgufBytes.header(0, 1).str("k").u32(GgufValueType.BOOL.id).u8(2).bytes(), "bool value 2"));
        c.put("string-length-huge", new Case(GgufBytes.header(0, 1).str("k").u32(GgufValueType.STRING.id).u64(1L << 40).raw(new byte[16]).bytes(),
                "runs past the end"));
        c.put("array-count-huge", new Case(GgufBytes.header(0, 1).str("k").u32(GgufValueType.ARRAY.id).u32(GgufValueType.UINT8.id)
                .u64(1L << 40).raw(new byte[64]).bytes(), "claims 1099511627776 u8 items"));
        c.put("array-of-strings-huge", new Case(GgufBytes.header(0, 1).str("k").u32(GgufValueType.ARRAY.id).u32(GgufValueType.STRING.id)
                .u64(100).raw(new byte[64]).bytes(), "claims 100 str items"));
        c.put("array-element-type-unknown", new Case(GgufBytes.header(0, 1).str("k").u32(GgufValueType.ARRAY.id).u32(99).u64(0).bytes(),
                "unknown value type 99"));
        GgufBytes deep = GgufBytes.header(0, 1).str("k").u32(GgufValueType.ARRAY.id);
        for (int i = 0; i < 9; i++) {
            deep.u32(GgufValueType.ARRAY.id).u64(1);
        }
        c.put("arrays-nested-too-deep", new Case(deep.u32(GgufValueType.UINT8.id).u64(0).bytes(), "deeper than 8"));
        c.put("alignment-not-u32", new Case(GgufBytes.header(0, 1).str("general.alignment").u32(GgufValueType.INT32.id).u32(32).bytes(),
                "general.alignment must be a u32"));
        c.put("alignment-not-power-of-two", new Case(GgufBytes.header(0, 1).kvU32("general.alignment", 48).bytes(), "not a power of two"));
        c.put("alignment-zero", new Case(GgufBytes.header(0, 1).kvU32("general.alignment", 0).bytes(), "not a power of two"));
        c.put("tensor-name-not-utf8", new Case(GgufBytes.header(1, 0).u64(1).u8(0xFF).u32(1).u64(4).u32(0).u64(0).padAndData(32, 16).bytes(),
                "not valid UTF-8"));
        c.put("tensor-name-64-bytes", new Case(GgufBytes.header(1, 0).tensor("n".repeat(64), GgmlType.F32, 0, 4).padAndData(32, 16).bytes(),
                "the limit is 63"));
        c.put("tensor-duplicate", new Case(GgufBytes.header(2, 0).tensor("w", GgmlType.F32, 0, 4).tensor("w", GgmlType.F32, 32, 4)
                .padAndData(32, 48).bytes(), "duplicate tensor 'w'"));
        c.put("tensor-five-dims", new Case(GgufBytes.header(1, 0).tensor("w", GgmlType.F32, 0, 1, 1, 1, 1, 1).padAndData(32, 4).bytes(),
                "has 5 dimensions"));
        c.put("tensor-dims-claimed-huge", new Case(GgufBytes.header(1, 0).str("w").u32(0xFFFFFFFFL).raw(new byte[24]).bytes(), "has 4294967295 dimensions"));
        c.put("tensor-dim-negative", new Case(GgufBytes.header(1, 0).tensor("w", GgmlType.F32, 0, -1).padAndData(32, 4).bytes(),
                "dimension 0 is 18446744073709551615"));
        c.put("tensor-numel-overflow", new Case(GgufBytes.header(1, 0).tensor("w", GgmlType.F32, 0, 1L << 32, 1L << 32).padAndData(32, 4).bytes(),
                "more elements than fit in 63 bits"));
        c.put("tensor-bytes-overflow", new Case(GgufBytes.header(1, 0).tensor("w", GgmlType.F64, 0, 1L << 31, 1L << 31).padAndData(32, 4).bytes(),
                "larger than 2^63 bytes"));
        c.put("tensor-type-removed-q4_2", new Case(GgufBytes.header(1, 0).str("w").u32(1).u64(32).u32(4).u64(0).padAndData(32, 32).bytes(),
                "unknown ggml type 4"));
        c.put("tensor-type-huge", new Case(GgufBytes.header(1, 0).str("w").u32(1).u64(32).u32(0xFFFFFFFFL).u64(0).padAndData(32, 32).bytes(),
                "unknown ggml type 4294967295"));
        c.put("tensor-row-not-whole-blocks", new Case(GgufBytes.header(1, 0).tensor("w", GgmlType.Q4_0, 0, 33).padAndData(32, 36).bytes(),
                "not a whole number of Q4_0 blocks"));
        c.put("tensor-offset-not-first", new Case(GgufBytes.header(1, 0).tensor("w", GgmlType.F32, 32, 4).padAndData(32, 64).bytes(),
                "starts at data offset 32, expected 0"));
        c.put("tensor-offset-overlap", new Case(GgufBytes.header(2, 0).tensor("a", GgmlType.F32, 0, 16).tensor("b", GgmlType.F32, 32, 4)
                .padAndData(32, 96).bytes(), "starts at data offset 32, expected 64"));
        c.put("tensor-offset-unaligned", new Case(GgufBytes.header(2, 0).tensor("a", GgmlType.F32, 0, 1).tensor("b", GgmlType.F32, 4, 1)
                .padAndData(32, 64).bytes(), "starts at data offset 4, expected 32"));
        c.put("tensor-data-past-eof", new Case(GgufBytes.header(1, 0).tensor("w", GgmlType.Q8_0, 0, 32, 1000).padAndData(32, 34).bytes(),
                "runs past the end"));
        c.put("tensor-info-truncated", new Case(GgufBytes.header(1, 0).str("w").u32(3).u64(4).u64(4).raw(new byte[6]).bytes(), "runs past the end"));
        return c;
    }
}
