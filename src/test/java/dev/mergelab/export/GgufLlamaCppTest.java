package dev.mergelab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mergelab.infer.Session;
import dev.mergelab.infer.TransformerModel;
import dev.mergelab.infer.Workers;
import dev.mergelab.model.ModelSource;
import dev.mergelab.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * llama.cpp itself judges the exports (node-llama-cpp 3.21.1's prebuilt libllama, through
 * scripts/gguf-ref/llama_check.c and quantize_check.c):
 * <ol>
 * <li>an F32 export loads, and its logits on a text equal MergeLab's forward pass of the source folder;</li>
 * <li>llama.cpp's tokenizer over the exported vocabulary gives MergeLab's ids on a corpus of strings;</li>
 * <li>every other type is, byte for byte, what llama_model_quantize makes of the F32 export.</li>
 * </ol>
 * Skipped, with the reason, when gcc, the llama.cpp tree or the prebuilt libraries are missing
 * (scripts/fetch-llama-cpp.sh puts them under /tmp/infb).
 */
class GgufLlamaCppTest {

    private static final String TEXT = "The quick brown fox jumps over the lazy dog. 12345 naïve café!";

    /**
     * Strings for the tokenizer check: spaces, digits, accents, CJK, emoji, code. No special-token text: llama.cpp
     * turns any vocabulary entry spelled like "</s>" into a control token on load, whatever the file says.
     */
    private static final List<String> CORPUS = List.of("Hello world", " leading space", "double  space and\ttab\nnewline",
            "numbers 1 12 123 1234 12345 3.14159", "naïve café, résumé — Ünïcödé", "日本語のテキストと中文", "emoji 🦙🚀😶‍🌫️ end",
            "def f(x):\n    return x ** 2  # comment", "I've been 'told he's there, 'RE you sure?",
            "", " ", "\n\n\n", "a", "ÀÉÎÕÜ àéîõü ß ẞ", "tabs\t\tand   spaces   ", "URL https://example.com/a?b=c&d=e",
            TEXT);

    private static Path llamaCheck;
    private static Path quantizeCheck;

    @TempDir
    static Path shared;

    @TempDir
    Path tmp;

    @BeforeAll
    static void compile() throws Exception {
        if (LlamaCppPeer.haveLibraries()) {
            llamaCheck = LlamaCppPeer.compile("llama_check.c", shared.resolve("llama_check"));
            quantizeCheck = LlamaCppPeer.compile("quantize_check.c", shared.resolve("quantize_check"));
        }
    }

    static Stream<Arguments> models() {
        return Stream.of(Arguments.of("llama", TinyExportModels.llama()), Arguments.of("llama3-rope", TinyExportModels.llama3Rope()),
                Arguments.of("qwen2", TinyExportModels.qwen2()), Arguments.of("gemma", TinyExportModels.gemma()),
                Arguments.of("mixtral", TinyExportModels.mixtral()), Arguments.of("qwen3", TinyExportModels.qwen3()),
                Arguments.of("qwen2moe", TinyExportModels.qwen2Moe()), Arguments.of("qwen3moe", TinyExportModels.qwen3Moe()),
                Arguments.of("gemma2", TinyExportModels.gemma2()), Arguments.of("gemma3", TinyExportModels.gemma3()),
                Arguments.of("phi3", TinyExportModels.phi3()),
                Arguments.of("phi3-long-factors", TinyExportModels.phi3LongFactors()), Arguments.of("olmo2", TinyExportModels.olmo2()),
                Arguments.of("granite", TinyExportModels.granite()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void f32ExportLogitsEqualTheForwardPassAndTokensEqualOurs(String name, TinyExportModels.Spec spec) throws Exception {
        assumeTrue(LlamaCppPeer.haveLibraries(), LlamaCppPeer.missingLibraries());
        Path model = TinyExportModels.write(tmp.resolve(name), spec, 21);
        Path gguf = tmp.resolve(name + ".gguf");
        GgufExport.export(model, gguf, ExportType.F32, 2, n -> { });
        Tokenizer tok = Tokenizer.load(model.resolve("tokenizer.json"));

        // (b) tokenization
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        for (String s : CORPUS) {
            byte[] u = s.getBytes(StandardCharsets.UTF_8);
            in.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(u.length).array());
            in.writeBytes(u);
        }
        Path corpus = tmp.resolve("corpus.bin");
        Files.write(corpus, in.toByteArray());
        Path ids = tmp.resolve("ids.txt");
        LlamaCppPeer.run(List.of(llamaCheck.toString(), "tokenize", gguf.toString(), LlamaCppPeer.BINS.toString(), corpus.toString(),
                ids.toString()));
        List<String> theirs = Files.readAllLines(ids);
        assertEquals(CORPUS.size(), theirs.size());
        for (int i = 0; i < CORPUS.size(); i++) {
            String ours = String.join(" ", Arrays.stream(tok.encode(CORPUS.get(i), true)).mapToObj(String::valueOf).toList());
            assertEquals(ours, theirs.get(i), name + ": ids of " + CORPUS.get(i).replace("\n", "\\n"));
        }

        // (a) logits of a text
        int[] text = tok.encode(TEXT, true);
        List<String> cmd = new ArrayList<>(List.of(llamaCheck.toString(), "logits", gguf.toString(), LlamaCppPeer.BINS.toString(),
                tmp.resolve("logits.bin").toString()));
        Arrays.stream(text).forEach(t -> cmd.add(String.valueOf(t)));
        LlamaCppPeer.run(cmd);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(tmp.resolve("logits.bin"))).order(ByteOrder.LITTLE_ENDIAN);
        float[] llama = new float[b.remaining() / 4];
        b.asFloatBuffer().get(llama);
        float[] ours;
        try (ModelSource src = ModelSource.open(model, name); Workers w = new Workers(2)) {
            Session s = TransformerModel.load(src, w).newSession();
            ours = s.forward(text);
        }
        assertEquals(ours.length, llama.length, "logit count (tokens x vocab)");
        double worst = 0;
        float max = 0;
        for (float x : ours) {
            max = Math.max(max, Math.abs(x));
        }
        for (int i = 0; i < ours.length; i++) {
            worst = Math.max(worst, Math.abs(ours[i] - llama[i]));
        }
        // ggml's CPU GELU reads a float16 table at the float16-rounded input (ggml-cpu/vec.h, GGML_GELU_FP16): Gemma's
        // activations carry float16 rounding there, so its bound is wider than the float32 models' 1e-5
        double bound = (spec.architecture().startsWith("Gemma") ? 2e-3 : 1e-5) * Math.max(1, max);
        System.out.printf("%s: %d tokens, largest logit difference %.3g (max |logit| %.3g)%n", name, text.length, worst, max);
        assertTrue(worst <= bound, name + ": llama.cpp's logits differ by " + worst + " (max |logit| " + max + ")");
    }

    static Stream<Arguments> quantized() {
        List<Arguments> out = new ArrayList<>();
        TinyExportModels.Spec wide = TinyExportModels.llama().sized(256, 512, 8);
        for (ExportType t : ExportType.values()) {
            if (t != ExportType.F32) {
                out.add(Arguments.of("llama-256x8 " + t, wide, t));
            }
        }
        for (ExportType t : List.of(ExportType.Q4_K_M, ExportType.Q4_0, ExportType.Q8_0, ExportType.F16)) {
            out.add(Arguments.of("llama-64x2 " + t, TinyExportModels.llama(), t));
        }
        // Qwen's 151,669-token vocabulary makes these the slow ones: one K-quant with a tied head, one plain type
        out.add(Arguments.of("qwen2-256x4-tied Q4_K_M", TinyExportModels.qwen2().sized(256, 512, 4).tiedHead(), ExportType.Q4_K_M));
        out.add(Arguments.of("qwen2-64x2 BF16", TinyExportModels.qwen2(), ExportType.BF16));
        for (ExportType t : List.of(ExportType.Q4_K_M, ExportType.Q8_0)) {
            out.add(Arguments.of("gemma-256x4 " + t, TinyExportModels.gemma().sized(256, 512, 4), t));
        }
        for (ExportType t : List.of(ExportType.Q4_K_S, ExportType.Q6_K)) {
            out.add(Arguments.of("mixtral-256x2 " + t, TinyExportModels.mixtral().sized(256, 256, 2), t));
        }
        // the new architectures: Q8_0 and a K-quant mixture each; with Qwen's vocabulary Q8_0 runs at hidden 64 (rows of
        // 64 are whole Q8_0 blocks) so that the 151,669-row embedding stays small
        out.add(Arguments.of("qwen3-64x2-tied Q8_0", TinyExportModels.qwen3().tiedHead(), ExportType.Q8_0));
        out.add(Arguments.of("qwen3-256x4-tied Q4_K_M", TinyExportModels.qwen3().sized(256, 512, 4).tiedHead(), ExportType.Q4_K_M));
        out.add(Arguments.of("qwen2moe-64x2-tied Q8_0", TinyExportModels.qwen2Moe().tiedHead(), ExportType.Q8_0));
        out.add(Arguments.of("qwen2moe-256x2-tied Q4_K_M", TinyExportModels.qwen2Moe().sized(256, 256, 2).tiedHead(), ExportType.Q4_K_M));
        out.add(Arguments.of("qwen3moe-64x2-tied Q8_0", TinyExportModels.qwen3Moe().tiedHead(), ExportType.Q8_0));
        out.add(Arguments.of("qwen3moe-256x2-tied Q4_K_S", TinyExportModels.qwen3Moe().sized(256, 256, 2).tiedHead(), ExportType.Q4_K_S));
        for (ExportType t : List.of(ExportType.Q8_0, ExportType.Q5_K_M)) {
            out.add(Arguments.of("gemma2-256x4 " + t, TinyExportModels.gemma2().sized(256, 512, 4), t));
        }
        for (ExportType t : List.of(ExportType.Q8_0, ExportType.Q4_K_M)) {
            out.add(Arguments.of("gemma3-256x2 " + t, TinyExportModels.gemma3().sized(256, 512, 2), t));
            out.add(Arguments.of("phi3-256x4 " + t, TinyExportModels.phi3().sized(256, 512, 4), t));
        }
        out.add(Arguments.of("olmo2-64x2-tied Q8_0", TinyExportModels.olmo2().tiedHead(), ExportType.Q8_0));
        out.add(Arguments.of("olmo2-256x2-tied Q4_K_M", TinyExportModels.olmo2().sized(256, 512, 2).tiedHead(), ExportType.Q4_K_M));
        out.add(Arguments.of("granite-64x2 Q8_0", TinyExportModels.granite(), ExportType.Q8_0));
        out.add(Arguments.of("granite-256x2 Q4_K_M", TinyExportModels.granite().sized(256, 512, 2), ExportType.Q4_K_M));
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("quantized")
    void quantizedExportIsLlamaModelQuantizeOfTheF32Export(String name, TinyExportModels.Spec spec, ExportType type) throws Exception {
        assumeTrue(LlamaCppPeer.haveLibraries(), LlamaCppPeer.missingLibraries());
        Path model = TinyExportModels.write(tmp.resolve("m"), spec, 31);
        Path f32 = tmp.resolve("f32.gguf");
        GgufExport.export(model, f32, ExportType.F32, 2, n -> { });
        Path theirs = tmp.resolve("llama-quantize.gguf");
        LlamaCppPeer.run(List.of(quantizeCheck.toString(), f32.toString(), theirs.toString(), String.valueOf(type.ftype)));
        Path ours = tmp.resolve("ours.gguf");
        GgufExport.export(model, ours, type, 2, n -> { });
        byte[] a = Files.readAllBytes(theirs), c = Files.readAllBytes(ours);
        if (!Arrays.equals(a, c)) {
            int i = Arrays.mismatch(a, c);
            assertArrayEquals(a, c, name + ": first difference at byte " + i + " of " + a.length + "/" + c.length);
        }
    }
}
