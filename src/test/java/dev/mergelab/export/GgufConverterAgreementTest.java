package dev.mergelab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mergelab.format.TensorInfo;
import dev.mergelab.format.gguf.GgufFile;
import dev.mergelab.format.gguf.GgufValue;
import dev.mergelab.format.gguf.GgufWriter;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The F32 export is the file llama.cpp's convert_hf_to_gguf.py writes, byte for byte, apart from the tokenizer keys
 * (the converter needs transformers' AutoTokenizer for them, absent here; llama.cpp's tokenizer judges them in
 * GgufLlamaCppTest): the converter runs unchanged on the same folder (scripts/gguf-ref/convert_ref.py), our file is
 * rewritten without its {@code tokenizer.*} keys, and the two files must be equal — every general.* and hyper-parameter
 * key in order, tensor names, order, shapes, Q/K permutation, rope_freqs, expert stacking and data.
 */
class GgufConverterAgreementTest {

    @TempDir
    Path tmp;

    static Stream<Arguments> models() {
        return Stream.of(Arguments.of("llama", TinyExportModels.llama()), Arguments.of("llama3-rope", TinyExportModels.llama3Rope()),
                Arguments.of("qwen2", TinyExportModels.qwen2()), Arguments.of("gemma", TinyExportModels.gemma()),
                Arguments.of("mixtral", TinyExportModels.mixtral()), Arguments.of("qwen3", TinyExportModels.qwen3()),
                Arguments.of("qwen2moe", TinyExportModels.qwen2Moe()), Arguments.of("qwen3moe", TinyExportModels.qwen3Moe()),
                Arguments.of("gemma2", TinyExportModels.gemma2()), Arguments.of("gemma3", TinyExportModels.gemma3()),
                Arguments.of("gemma3-oov-rows-cut", TinyExportModels.gemma3().with("oov_rows")), Arguments.of("phi3", TinyExportModels.phi3()),
                Arguments.of("phi3-long-factors", TinyExportModels.phi3LongFactors()), Arguments.of("olmo2", TinyExportModels.olmo2()),
                Arguments.of("granite", TinyExportModels.granite()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void f32ExportIsTheConvertersFile(String name, TinyExportModels.Spec spec) throws Exception {
        assumeTrue(LlamaCppPeer.haveConverter(), "needs llama.cpp's tree (" + LlamaCppPeer.TREE
                + ", scripts/fetch-llama-cpp.sh) and Debian's python3 with torch, numpy and yaml");
        Path model = TinyExportModels.write(tmp.resolve("tiny-" + name), spec, 11);
        Path theirs = tmp.resolve("converter.gguf");
        LlamaCppPeer.run(List.of(LlamaCppPeer.PYTHON.toString(), "scripts/gguf-ref/convert_ref.py", LlamaCppPeer.TREE.toString(),
                model.toString(), theirs.toString(), "f32"));
        Path ours = tmp.resolve("ours.gguf");
        GgufExport.export(model, ours, ExportType.F32, 2, n -> { });
        Path stripped = tmp.resolve("ours-without-tokenizer.gguf");
        withoutTokenizerKeys(ours, stripped);
        try (GgufFile a = GgufFile.open(theirs); GgufFile b = GgufFile.open(stripped)) {
            assertEquals(String.join("\n", keys(a)), String.join("\n", keys(b)));
            assertEquals(a.tensors().stream().map(t -> t.name() + java.util.Arrays.toString(a.ggufTensor(t.name()).ne())).toList().toString(),
                    b.tensors().stream().map(t -> t.name() + java.util.Arrays.toString(b.ggufTensor(t.name()).ne())).toList().toString());
        }
        assertArrayEquals(Files.readAllBytes(theirs), Files.readAllBytes(stripped), "files differ");
    }

    private static List<String> keys(GgufFile f) {
        List<String> out = new ArrayList<>();
        f.header().metadata().forEach((k, v) -> out.add(k + "=" + v.type() + ":" + v.show(8)));
        return out;
    }

    /** Our file again without tokenizer.* keys (same tensors, same order), by GgufWriter. */
    static void withoutTokenizerKeys(Path in, Path out) throws Exception {
        try (GgufFile f = GgufFile.open(in)) {
            Map<String, GgufValue> meta = new LinkedHashMap<>();
            f.header().metadata().forEach((k, v) -> {
                if (!k.startsWith("tokenizer.")) {
                    meta.put(k, v);
                }
            });
            List<GgufWriter.Entry> entries = new ArrayList<>();
            List<byte[]> data = new ArrayList<>();
            for (TensorInfo t : f.tensors()) {
                var g = f.ggufTensor(t.name());
                entries.add(new GgufWriter.Entry(t.name(), g.type(), g.ne()));
                data.add(f.bytes(t).toArray(ValueLayout.JAVA_BYTE));
            }
            GgufWriter.write(out, meta, entries, data);
        }
    }
}
