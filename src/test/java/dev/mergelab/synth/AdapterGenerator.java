package dev.mergelab.synth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.format.SafetensorsWriter;
import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.DType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes synthetic PEFT LoRA adapter folders ({@code adapter_config.json} + {@code adapter_model.safetensors})
 * in PEFT's saved layout, for tests and demos. Factors are Gaussian (B too, unlike PEFT's zero init, so
 * every adapter changes its modules), deterministic from the seed and the module name.
 */
public final class AdapterGenerator {

    /** One adapted module: its name, the un-transposed ΔW shape (B rows × A cols), rank, and whether it is an embedding LoRA. */
    public record Module(String name, int out, int in, int rank, boolean embedding) {
    }

    /**
     * An adapter to write.
     *
     * @param modules      adapted modules
     * @param r            config r (modules may differ through rankPattern)
     * @param alpha        config lora_alpha
     * @param rslora       use_rslora
     * @param fanInFanOut  fan_in_fan_out
     * @param rankPattern  rank_pattern written to the config
     * @param alphaPattern alpha_pattern written to the config
     * @param saved        whole tensors (base tensor name → values and shape) for modules_to_save
     * @param modulesToSave modules_to_save written to the config
     * @param targetModules target_modules written to the config (a List or a String)
     * @param dtype        dtype of the factors
     * @param seed         random seed
     */
    public record Spec(List<Module> modules, int r, double alpha, boolean rslora, boolean fanInFanOut, Map<String, Integer> rankPattern,
                       Map<String, Double> alphaPattern, Map<String, Saved> saved, List<String> modulesToSave, Object targetModules,
                       DType dtype, long seed) {
    }

    /** A whole saved tensor. */
    public record Saved(long[] shape, float[] values) {
    }

    private AdapterGenerator() {
    }

    /** A plain adapter: the given modules at rank r, alpha, no patterns, f32, target_modules = the modules' last names. */
    public static Spec simple(List<Module> modules, int r, double alpha, long seed) {
        List<String> targets = new ArrayList<>();
        for (Module m : modules) {
            String key = m.name().substring(m.name().lastIndexOf('.') + 1);
            if (!targets.contains(key)) {
                targets.add(key);
            }
        }
        return new Spec(modules, r, alpha, false, false, Map.of(), Map.of(), Map.of(), List.of(), targets, DType.F32, seed);
    }

    /** The factors module {@code m} gets in {@code spec}: A [rank, in] then B [out, rank], row-major. */
    public static float[][] factors(Spec spec, Module m) {
        SplittableRandom rnd = new SplittableRandom(spec.seed() * 0x9E3779B97F4A7C15L + m.name().hashCode());
        float[] a = new float[m.rank() * m.in()];
        float[] b = new float[m.out() * m.rank()];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (0.05 * rnd.nextGaussian());
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) (0.05 * rnd.nextGaussian());
        }
        // Round through the file dtype so tests see exactly the values stored.
        return new float[][] {roundTrip(a, spec.dtype()), roundTrip(b, spec.dtype())};
    }

    public static void write(Spec spec, Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, float[]> values = new LinkedHashMap<>();
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (Module m : spec.modules()) {
            float[][] f = factors(spec, m);
            String p = "base_model.model." + m.name();
            String an = p + (m.embedding() ? ".lora_embedding_A" : ".lora_A.weight");
            String bn = p + (m.embedding() ? ".lora_embedding_B" : ".lora_B.weight");
            entries.add(new SafetensorsWriter.Entry(an, spec.dtype(), new long[] {m.rank(), m.in()}));
            entries.add(new SafetensorsWriter.Entry(bn, spec.dtype(), new long[] {m.out(), m.rank()}));
            values.put(an, f[0]);
            values.put(bn, f[1]);
        }
        for (Map.Entry<String, Saved> e : spec.saved().entrySet()) {
            String n = "base_model.model." + e.getKey();
            entries.add(new SafetensorsWriter.Entry(n, spec.dtype(), e.getValue().shape()));
            values.put(n, e.getValue().values());
        }
        try (SafetensorsWriter w = SafetensorsWriter.create(dir.resolve("adapter_model.safetensors"), entries, Map.of("format", "pt"))) {
            for (SafetensorsWriter.Entry e : entries) {
                float[] v = values.get(e.name());
                ByteBuffer buf = ByteBuffer.allocate(v.length * e.dtype().size());
                Codecs.encode(e.dtype(), v, 0, v.length, MemorySegment.ofBuffer(buf), 0);
                w.write(e.name(), 0, buf);
            }
            w.finish(false);
        }
        Files.writeString(dir.resolve("adapter_config.json"), config(spec), StandardCharsets.UTF_8);
    }

    static String config(Spec spec) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode c = json.createObjectNode();
        c.put("peft_type", "LORA");
        c.put("task_type", "CAUSAL_LM");
        c.put("base_model_name_or_path", "synthetic-base");
        c.put("r", spec.r());
        c.put("lora_alpha", spec.alpha());
        c.put("use_rslora", spec.rslora());
        c.put("fan_in_fan_out", spec.fanInFanOut());
        c.put("lora_dropout", 0.0);
        c.put("bias", "none");
        ObjectNode rp = c.putObject("rank_pattern");
        spec.rankPattern().forEach(rp::put);
        ObjectNode ap = c.putObject("alpha_pattern");
        spec.alphaPattern().forEach(ap::put);
        if (spec.targetModules() instanceof String s) {
            c.put("target_modules", s);
        } else if (spec.targetModules() instanceof List<?> l) {
            ArrayNode t = c.putArray("target_modules");
            l.forEach(x -> t.add(String.valueOf(x)));
        }
        ArrayNode ms = c.putArray("modules_to_save");
        spec.modulesToSave().forEach(ms::add);
        return json.writerWithDefaultPrettyPrinter().writeValueAsString(c);
    }

    private static float[] roundTrip(float[] v, DType d) {
        if (d == DType.F32) {
            return v;
        }
        ByteBuffer buf = ByteBuffer.allocate(v.length * d.size());
        MemorySegment seg = MemorySegment.ofBuffer(buf);
        Codecs.encode(d, v, 0, v.length, seg, 0);
        float[] out = new float[v.length];
        Codecs.decode(d, seg, 0, out, 0, v.length);
        return out;
    }
}
