package dev.mergelab.export;

import dev.mergelab.model.gguf.GgufArchitecture;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import dev.mergelab.model.WeightSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tensors of the converter's output, in its order: {@code rope_freqs} first (generate_extra_tensors), then
 * the weight files sorted by name and each file's tensors sorted by name (gguf-py's SafetensorsLocal), renamed
 * by the architecture's table (the base name mapped, {@code .weight}/{@code .bias} kept), q/k permuted for the
 * Llama family, and per-expert tensors stacked into one tensor per projection when the last expert of a layer
 * arrives (conversion/llama.py).
 */
final class TensorPlan {

    /** One output tensor: GGUF name, row-major shape (outermost first) and its rows. */
    record Planned(String name, long[] shape, RowSource rows) {
        long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    private TensorPlan() {
    }

    /**
     * The plan for {@code tensors}; {@code embeddingRowLimit} is how many rows the architecture's
     * {@code embeddingsToTokenizer} tensor keeps (-1: all).
     */
    static List<Planned> plan(List<GgufInput.Tensor> tensors, WeightSource weights, ObjectNode config, GgufArchitecture spec,
            long embeddingRowLimit) {
        ObjectNode hp = HyperParameters.lifted(config);
        List<Planned> out = new ArrayList<>();
        if (spec.ropeFreqsLlama3()) {
            float[] f = RopeParameters.llama3Factors(hp);
            if (f != null) {
                out.add(new Planned("rope_freqs.weight", new long[] {f.length}, RowSource.ofValues(f)));
            }
        }
        if (spec.longropeFactors()) {
            float[][] f = RopeParameters.longropeFactors(hp);
            if (f != null) {
                out.add(new Planned("rope_factors_long.weight", new long[] {f[0].length}, RowSource.ofValues(f[0])));
                out.add(new Planned("rope_factors_short.weight", new long[] {f[1].length}, RowSource.ofValues(f[1])));
            }
        }
        List<Map.Entry<String, Pattern>> names = new ArrayList<>();
        spec.tensors().forEach((hf, gguf) -> names.add(Map.entry(gguf, template(hf))));
        // the expert rule applies only to configs that have experts (Mixtral shares Llama's converter class)
        boolean moe = spec.experts() != null && hp.hasNonNull(spec.experts().countFrom());
        Pattern expert = moe ? template(spec.experts().source()) : null;
        int nExperts = moe ? intParam(hp, spec.experts().countFrom()) : 0;
        Map<Integer, Map<String, GgufInput.Tensor>> pending = new HashMap<>();
        int nHead = intParam(hp, "num_attention_heads");
        JsonNode kv = hp.get("num_key_value_heads");
        int nKv = kv == null || kv.isNull() ? nHead : kv.asInt();
        for (GgufInput.Tensor t : converterOrder(tensors)) {
            String name = t.name();
            if (spec.skipTensors().contains(name) || name.endsWith(".attention.masked_bias") || name.endsWith(".attention.bias")
                    || name.endsWith(".rotary_emb.inv_freq")) {
                continue;
            }
            RowSource rows = RowSource.of(t, weights);
            long[] outShape = t.shape();
            if (spec.embeddingsToTokenizer() != null && name.endsWith(spec.embeddingsToTokenizer()) && embeddingRowLimit >= 0
                    && outShape.length == 2 && outShape[0] > embeddingRowLimit) {
                rows = RowSource.firstRows(rows, embeddingRowLimit);
                outShape = new long[] {embeddingRowLimit, outShape[1]};
            }
            if (spec.addOneToSuffix() != null && name.endsWith(spec.addOneToSuffix())) {
                // the converter adds in the tensor's torch dtype: float32 for BF16/F32 sources, float16 for F16 ones
                rows = RowSource.plusOne(rows, t.dtype() == dev.mergelab.tensor.DType.F16);
            }
            if (spec.permuteQk()) {
                if (name.endsWith("q_proj.weight") || name.endsWith("q_proj.bias")) {
                    rows = RowSource.permuted(rows, nHead);
                } else if (name.endsWith("k_proj.weight") || name.endsWith("k_proj.bias")) {
                    rows = RowSource.permuted(rows, nHead != nKv ? nKv : nHead);
                }
            }
            if (expert != null) {
                Matcher m = expert.matcher(name);
                if (m.matches()) {
                    int bid = Integer.parseInt(m.group(1));
                    Map<String, GgufInput.Tensor> layer = pending.computeIfAbsent(bid, b -> new LinkedHashMap<>());
                    layer.put(name, t);
                    if (layer.size() >= nExperts * spec.experts().stacked().size()) {
                        spec.experts().stacked().forEach((part, target) -> {
                            List<RowSource> parts = new ArrayList<>();
                            long[] shape = null;
                            for (int x = 0; x < nExperts; x++) {
                                String src = spec.experts().source().replace("{bid}", "" + bid).replace("{xid}", "" + x)
                                        .replace("{part}", part);
                                GgufInput.Tensor e = layer.remove(src);
                                if (e == null) {
                                    throw MergeLabException.input("expert tensor " + src + " is missing");
                                }
                                parts.add(RowSource.of(e, weights));
                                shape = e.shape();
                            }
                            long[] stackedShape = new long[shape.length + 1];
                            stackedShape[0] = nExperts;
                            System.arraycopy(shape, 0, stackedShape, 1, shape.length);
                            out.add(new Planned(target.replace("{bid}", "" + bid), stackedShape, RowSource.stacked(parts)));
                        });
                    }
                    continue;
                }
            }
            out.add(new Planned(ggufName(name, names), outShape, rows));
        }
        pending.values().removeIf(Map::isEmpty);
        if (!pending.isEmpty()) {
            throw MergeLabException.input("unprocessed expert tensors: " + pending.values().iterator().next().keySet(),
                    "every layer needs all " + nExperts + " experts");
        }
        return out;
    }

    private static int intParam(ObjectNode hp, String key) {
        JsonNode v = hp.get(key);
        if (v == null || !v.canConvertToInt()) {
            throw MergeLabException.input("config.json has no integer " + key);
        }
        return v.asInt();
    }

    /** Files by name, then tensor names sorted within a file, as the converter reads a folder. */
    static List<GgufInput.Tensor> converterOrder(List<GgufInput.Tensor> tensors) {
        Map<String, List<GgufInput.Tensor>> byFile = new TreeMap<>();
        for (GgufInput.Tensor t : tensors) {
            byFile.computeIfAbsent(t.file(), f -> new ArrayList<>()).add(t);
        }
        List<GgufInput.Tensor> out = new ArrayList<>();
        for (List<GgufInput.Tensor> file : byFile.values()) {
            file.sort(Comparator.comparing(GgufInput.Tensor::name));
            out.addAll(file);
        }
        return out;
    }

    private static Pattern template(String t) {
        StringBuilder re = new StringBuilder();
        Matcher m = Pattern.compile("\\{(bid|xid|part)\\}").matcher(t);
        int last = 0;
        while (m.find()) {
            re.append(Pattern.quote(t.substring(last, m.start())));
            re.append(m.group(1).equals("part") ? "(\\w+)" : "(\\d+)");
            last = m.end();
        }
        re.append(Pattern.quote(t.substring(last)));
        return Pattern.compile(re.toString());
    }

    /** tensor_mapping's get_name with try_suffixes (".weight", ".bias"): the base name mapped, the suffix kept. */
    private static String ggufName(String hf, List<Map.Entry<String, Pattern>> names) {
        for (String suffix : List.of(".weight", ".bias")) {
            if (hf.endsWith(suffix)) {
                String base = hf.substring(0, hf.length() - suffix.length());
                for (Map.Entry<String, Pattern> e : names) {
                    Matcher m = e.getValue().matcher(base);
                    if (m.matches()) {
                        String g = e.getKey();
                        if (m.groupCount() > 0) {
                            g = g.replace("{bid}", m.group(1));
                        }
                        return g + suffix;
                    }
                }
            }
        }
        throw MergeLabException.input("cannot map tensor " + hf + " to a GGUF name", "llama.cpp's converter refuses it too");
    }
}
