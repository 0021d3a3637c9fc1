package dev.mergelab.method;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.format.SafetensorsFile;
import dev.mergelab.testutil.Shared;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The peer golden data of {@code ../shared/golden}: cases.json plus the two safetensors files, read once
 * per JVM and cached (the files are small). Also turns a case into a {@link TensorMerge}.
 */
final class Golden {

    private static Golden instance;

    final JsonNode root;
    private final Map<String, float[]> inputs = new HashMap<>();
    private final Map<String, long[]> shapes = new HashMap<>();
    private final Map<String, float[]> outputs = new HashMap<>();

    private Golden() {
        try {
            root = new ObjectMapper().readTree(Shared.golden("cases.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (SafetensorsFile in = SafetensorsFile.open(Shared.golden("inputs.safetensors"));
             SafetensorsFile out = SafetensorsFile.open(Shared.golden("outputs.safetensors"))) {
            in.tensors().forEach(t -> {
                inputs.put(t.name(), in.readFloats(t.name()));
                shapes.put(t.name(), t.shape());
            });
            out.tensors().forEach(t -> outputs.put(t.name(), out.readFloats(t.name())));
        }
    }

    static synchronized Golden get() {
        if (instance == null) {
            instance = new Golden();
        }
        return instance;
    }

    List<JsonNode> cases() {
        List<JsonNode> out = new ArrayList<>();
        root.get("cases").forEach(out::add);
        return out;
    }

    float[] input(String name) {
        float[] x = inputs.get(name);
        if (x == null) {
            throw new IllegalArgumentException("no golden input " + name);
        }
        return x;
    }

    long[] shape(String name) {
        return shapes.get(name).clone();
    }

    float[] output(String name) {
        float[] x = outputs.get(name);
        if (x == null) {
            throw new IllegalArgumentException("no golden output " + name);
        }
        return x;
    }

    /** MergeLab's name for a case's method: PEFT functions X become peft_X. */
    static String methodName(JsonNode c) {
        String m = c.get("method").asText();
        return c.get("library").asText().equals("peft") ? "peft_" + m : m;
    }

    /**
     * The job for a merge-level case: base first, then the models, in the order the peer used. PEFT cases
     * take task tensors directly, so they get an all-zero base: θ_i − 0 = τ_i exactly and θ_b + τ* = τ*.
     * Per-model parameters in golden {@code params} are lists aligned with the models (a scalar applies
     * to all); PEFT's {@code weights} is our {@code weight}. Defaults are left to the method.
     */
    TensorMerge job(JsonNode c, long seed, Consumer<String> warnings) {
        MergeMethod method = MethodRegistry.get(methodName(c));
        MethodSpec spec = method.spec();
        String tensor = "golden." + c.get("id").asText();
        List<String> models = new ArrayList<>();
        String baseName;
        boolean peft = c.get("library").asText().equals("peft");
        if (peft) {
            c.get("inputs").get("task_tensors").forEach(n -> models.add(n.asText()));
            baseName = null;
        } else {
            c.get("inputs").get("models").forEach(n -> models.add(n.asText()));
            JsonNode b = c.get("inputs").get("base");
            baseName = b == null || b.isNull() ? null : b.asText();
        }
        Map<String, Object> global = new LinkedHashMap<>();
        List<Map<String, Object>> perModel = new ArrayList<>();
        models.forEach(m -> perModel.add(new LinkedHashMap<>()));
        c.get("params").properties().forEach(e -> {
            String key = e.getKey().equals("weights") ? "weight" : e.getKey();
            ParamSpec p = spec.param(key);
            if (p == null) {
                throw new IllegalArgumentException(spec.name() + " does not declare golden parameter " + key);
            }
            if (p.scope() == Scope.GLOBAL) {
                global.put(key, scalar(e.getValue()));
            } else {
                for (int i = 0; i < models.size(); i++) {
                    JsonNode v = e.getValue().isArray() ? e.getValue().get(i) : e.getValue();
                    perModel.get(i).put(key, scalar(v));
                }
            }
        });
        List<TensorInput> in = new ArrayList<>();
        if (peft) {
            long[] shape = shape(models.getFirst());
            in.add(new TensorInput("zero_base", new float[input(models.getFirst()).length], shape, true,
                    Params.forModel(spec, Map.of(), "zero_base", tensor)));
        } else if (baseName != null) {
            in.add(new TensorInput(baseName, input(baseName), shape(baseName), true,
                    Params.forModel(spec, Map.of(), baseName, tensor)));
        }
        for (int i = 0; i < models.size(); i++) {
            String m = models.get(i);
            in.add(new TensorInput(m, input(m), shape(m), false, Params.forModel(spec, perModel.get(i), m, tensor)));
        }
        return new TensorMerge(tensor, false, in, Params.global(spec, global, tensor), seed, warnings);
    }

    static Object scalar(JsonNode v) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        if (v.isIntegralNumber()) {
            return v.longValue();
        }
        if (v.isNumber()) {
            return v.doubleValue();
        }
        if (v.isTextual()) {
            return v.asText();
        }
        throw new IllegalArgumentException("not a scalar: " + v);
    }
}
