package dev.mergelab.format.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.format.TensorInfo;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MergeLab's GGUF reader and writer against gguf-py, llama.cpp's own Python GGUF library, from the
 * llama.cpp tree of node-llama-cpp@3.21.1 (scripts/gguf-ref/gguf_py.py). The file gguf-py wrote is a
 * committed fixture and always checked; reading MergeLab's file with gguf-py needs that tree (LLAMA_CPP_DIR,
 * default /tmp/infb/llama.cpp, as scripts/infer-bench/build-llama-cpp.sh clones it) and Debian's python3.
 */
class GgufPyInteropTest {

    @TempDir
    Path tmp;

    @Test
    void readsTheFileGgufPyWrote() throws Exception {
        Path p = Path.of(GgufPyInteropTest.class.getResource("/gguf/gguf-py-written.gguf").toURI());
        try (GgufFile f = GgufFile.open(p)) {
            Map<String, GgufValue> m = f.header().metadata();
            assertEquals(3, f.header().version());
            assertEquals("llama", m.get("general.architecture").asString());
            assertEquals("gguf-py fixture", m.get("general.name").asString());
            assertEquals(new GgufValue(GgufValueType.UINT8, 200L), m.get("t.u8"));
            assertEquals(new GgufValue(GgufValueType.INT8, -100L), m.get("t.i8"));
            assertEquals(new GgufValue(GgufValueType.UINT16, 60000L), m.get("t.u16"));
            assertEquals(new GgufValue(GgufValueType.INT16, -30000L), m.get("t.i16"));
            assertEquals(GgufValue.ofU32(4000000000L), m.get("t.u32"));
            assertEquals(GgufValue.ofI32(-2000000000), m.get("t.i32"));
            assertEquals(GgufValue.ofF32(0.1f), m.get("t.f32"));
            assertEquals(GgufValue.ofBool(true), m.get("t.bool"));
            assertEquals("18446744073709551614", m.get("t.u64").show(0));
            assertEquals(new GgufValue(GgufValueType.INT64, -(1L << 62)), m.get("t.i64"));
            assertEquals(new GgufValue(GgufValueType.FLOAT64, 0.1), m.get("t.f64"));
            assertEquals(GgufValue.ofArray(GgufArray.ofStrings("<s>", "Ġworld", "é")), m.get("t.arr.str"));
            assertEquals(GgufValue.ofArray(GgufArray.ofIntegers(GgufValueType.INT32, 1, -2, 3)), m.get("t.arr.i32"));
            assertEquals(GgufValue.ofArray(GgufArray.ofFloats(0.5f, -1.25f)), m.get("t.arr.f32"));
            assertEquals(GgufValue.ofArray(new GgufArray(GgufValueType.ARRAY, new GgufArray[] {
                GgufArray.ofIntegers(GgufValueType.INT32, 1, 2), GgufArray.ofIntegers(GgufValueType.INT32, 3)})), m.get("t.arr.nested"));
            // rows = arange(256, float32).reshape(4, 64) / 7.0 - 10.0, in float32 as numpy computes it
            float[] rows = new float[256];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = (float) i / 7.0f - 10.0f;
            }
            assertArrayEquals(new long[] {4, 64}, f.tensor("f32").shape());
            assertArrayEquals(rows, f.readFloats("f32"));
            byte[] f16 = new byte[512];
            GgmlCodec.encode(GgmlType.F16, rows, 0, f16, 0, 256);
            assertArrayEquals(f16, bytes(f, "f16"), "numpy's float16 rounding is ggml's");
            // gguf-py's numpy Q8_0 quantizer gives ggml's reference bytes, and so MergeLab's
            byte[] q8 = new byte[(int) GgmlType.Q8_0.rowBytes(256)];
            GgmlCodec.encode(GgmlType.Q8_0, rows, 0, q8, 0, 256);
            assertArrayEquals(q8, bytes(f, "q8_0"));
            assertEquals(GgmlType.Q8_0, f.ggufTensor("q8_0").type());
        }
    }

    @Test
    void ggufPyReadsWhatMergeLabWrites() throws Exception {
        Path llama = Path.of(System.getenv().getOrDefault("LLAMA_CPP_DIR", "/tmp/infb/llama.cpp"));
        Path python = Path.of("/usr/bin/python3");
        assumeTrue(Files.isDirectory(llama.resolve("gguf-py/gguf")) && Files.isExecutable(python),
                "needs llama.cpp's gguf-py (LLAMA_CPP_DIR) and /usr/bin/python3 with numpy");
        Map<String, GgufValue> meta = GgufRoundTripTest.allValueTypes();
        meta.remove("t.arr.empty"); // gguf-py's reader has no element type to report for an empty array
        meta.put("general.alignment", GgufValue.ofU32(64));
        List<GgufWriter.Entry> entries = new ArrayList<>();
        List<byte[]> data = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(3);
        for (GgmlType t : new GgmlType[] {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K}) {
            float[] x = new float[2 * 256];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            byte[] b = new byte[(int) t.rowBytes(x.length)];
            GgmlCodec.encode(t, x, 0, b, 0, x.length);
            entries.add(GgufWriter.Entry.ofShape("t." + t.ggmlName(), t, new long[] {2, 256}));
            data.add(b);
        }
        Path p = tmp.resolve("mergelab.gguf");
        GgufWriter.write(p, meta, entries, data);

        Process proc = new ProcessBuilder(python.toString(), Path.of("scripts/gguf-ref/gguf_py.py").toAbsolutePath().toString(),
                llama.toString(), "read", p.toString()).redirectErrorStream(true).start();
        byte[] out = proc.getInputStream().readAllBytes();
        assertEquals(true, proc.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, proc.exitValue(), new String(out));
        JsonNode j = new ObjectMapper().readTree(out);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(3, j.get("version").asInt());
            assertEquals(64, j.get("alignment").asInt());
            assertEquals(f.header().dataOffset(), j.get("data_offset").asLong());
            List<String> keys = new ArrayList<>();
            for (JsonNode field : j.get("fields")) {
                String key = field.get("key").asText();
                keys.add(key);
                GgufValue v = meta.get(key);
                assertEquals(typesOf(v), texts(field.get("types")), key);
                JsonNode value = field.get("value");
                if (value != null) {
                    assertEquals(expected(v).toString(), value.toString(), key);
                }
            }
            assertEquals(List.copyOf(meta.keySet()), keys);
            JsonNode tensors = j.get("tensors");
            assertEquals(entries.size(), tensors.size());
            for (int i = 0; i < entries.size(); i++) {
                JsonNode t = tensors.get(i);
                GgufWriter.Entry e = entries.get(i);
                assertEquals(e.name(), t.get("name").asText());
                assertEquals(e.type().name(), t.get("type").asText());
                assertEquals(e.ne()[0], t.get("ne").get(0).asLong());
                assertEquals(e.ne()[1], t.get("ne").get(1).asLong());
                TensorInfo info = f.tensor(e.name());
                assertEquals(f.header().dataOffset() + info.begin(), t.get("offset").asLong());
                assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data.get(i))), t.get("sha256").asText());
            }
        }
    }

    private static byte[] bytes(GgufFile f, String name) {
        return f.bytes(f.tensor(name)).toArray(ValueLayout.JAVA_BYTE);
    }

    private static List<String> typesOf(GgufValue v) {
        List<String> out = new ArrayList<>();
        out.add(v.type().name());
        while (v.type() == GgufValueType.ARRAY) {
            GgufArray a = v.asArray();
            if (a.size() == 0) {
                out.add(a.elementType().name());
                break;
            }
            v = a.get(0);
            out.add(v.type().name());
        }
        return out;
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** What gguf_py.py prints for a value: floats as {"f": hex of the double}, numbers and strings as themselves. */
    private static JsonNode expected(GgufValue v) {
        ObjectMapper om = new ObjectMapper();
        return switch (v.type()) {
            case FLOAT32 -> om.createObjectNode().put("f", hex((Float) v.value()));
            case FLOAT64 -> om.createObjectNode().put("f", hex((Double) v.value()));
            case BOOL -> om.getNodeFactory().booleanNode((Boolean) v.value());
            case STRING -> om.getNodeFactory().textNode(v.asString());
            case UINT64 -> om.getNodeFactory().numberNode(new java.math.BigInteger(Long.toUnsignedString(v.asLong())));
            case ARRAY -> {
                var arr = om.createArrayNode();
                GgufArray a = v.asArray();
                for (int i = 0; i < a.size(); i++) {
                    arr.add(expected(a.get(i)));
                }
                yield arr;
            }
            default -> om.getNodeFactory().numberNode(v.asLong());
        };
    }

    /** Python's float.hex() of a double. */
    private static String hex(double d) {
        if (d == 0) {
            return (1 / d < 0 ? "-" : "") + "0x0.0p+0";
        }
        String s = Double.toHexString(d); // 0x1.999999999999ap-4, Python pads the fraction to 13 digits
        int dot = s.indexOf('.');
        int p = s.indexOf('p');
        String frac = s.substring(dot + 1, p);
        frac = frac + "0".repeat(13 - frac.length());
        String exp = s.substring(p + 1);
        return s.substring(0, dot + 1) + frac + "p" + (exp.startsWith("-") ? exp : "+" + exp);
    }
}
