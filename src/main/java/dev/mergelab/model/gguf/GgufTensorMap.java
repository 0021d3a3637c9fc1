package dev.mergelab.model.gguf;

import dev.mergelab.MergeLabException;
import dev.mergelab.format.TensorInfo;
import dev.mergelab.format.Untrusted;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * llama.cpp's tensor names turned back into Transformers' ones, by the architecture's table read backwards: the base
 * name mapped and {@code .weight}/{@code .bias} kept; a stacked expert tensor {@code [n_expert, rows, cols]} becomes
 * one 2-D view per expert (a byte range of the stacked tensor, nothing copied); q/k of the Llama family are marked
 * for their rows to be read back in Hugging Face's order; norms stored as {@code 1 + w} (Gemma) are marked for the
 * 1 to be taken off; {@code rope_freqs.weight} (llama3 RoPE scaling) and {@code rope_factors_long/short.weight}
 * (LongRoPE) are no weights in Transformers and are left out (the config rebuilds rope_scaling from them); a
 * Transformers {@code [1, n]} matrix the file stores as {@code [n]} (Qwen2-MoE's shared-expert gate in quantized
 * files) gets its {@code [1, n]} shape back, the same one row of bytes.
 */
final class GgufTensorMap {

    /** The tensor llama.cpp adds for llama3 RoPE scaling; read by the config, not a weight. */
    static final String ROPE_FREQS = "rope_freqs.weight";
    /** LongRoPE's factors (Phi-3); read by the config, not weights. */
    static final String ROPE_FACTORS_LONG = "rope_factors_long.weight", ROPE_FACTORS_SHORT = "rope_factors_short.weight";

    /**
     * One Transformers tensor as a view of a stored one.
     *
     * @param info      the Transformers name and shape; its byte range is the span of {@code stored} it covers
     * @param stored    the GGUF tensor (row-major, as {@link dev.mergelab.format.gguf.GgufFile} presents it)
     * @param firstRow  the stored row where this view starts (an expert's slice of a stacked tensor)
     * @param pairHeads heads whose rows (or, for a bias, elements) llama.cpp permuted, 0 when not permuted
     * @param minusOne  whether the stored value is {@code 1 + w}
     */
    record Mapped(TensorInfo info, TensorInfo stored, long firstRow, int pairHeads, boolean minusOne) {
    }

    private GgufTensorMap() {
    }

    static List<Mapped> map(List<TensorInfo> tensors, HfIdentity id, int heads, int kvHeads, String where) {
        GgufArchitecture spec = id.spec();
        List<Map.Entry<Pattern, String>> names = new ArrayList<>();
        spec.tensors().forEach((hf, gguf) -> names.add(Map.entry(template(gguf), hf)));
        List<Map.Entry<Pattern, String>> stacked = new ArrayList<>();
        if (spec.experts() != null) {
            spec.experts().stacked().forEach((part, gguf) -> stacked.add(Map.entry(template(gguf), part)));
        }
        Map<String, Mapped> out = new LinkedHashMap<>();
        for (TensorInfo t : tensors) {
            if (t.name().equals(ROPE_FREQS) || t.name().equals(ROPE_FACTORS_LONG) || t.name().equals(ROPE_FACTORS_SHORT)) {
                continue;
            }
            String part = null;
            Matcher m = null;
            for (Map.Entry<Pattern, String> e : stacked) {
                Matcher x = e.getKey().matcher(t.name());
                if (x.matches()) {
                    part = e.getValue();
                    m = x;
                    break;
                }
            }
            if (part != null) {
                for (Mapped e : experts(t, spec.experts().source().replace("{bid}", m.group(1)).replace("{part}", part), where)) {
                    add(out, e, where);
                }
                continue;
            }
            String hf = hfName(t.name(), names);
            if (hf == null) {
                throw MergeLabException.input(where + ": tensor '" + Untrusted.show(t.name()) + "' has no Hugging Face name for GGUF architecture '"
                        + spec.ggufName() + "'", "the file holds tensors llama.cpp's converter does not write for this architecture");
            }
            int pairs = 0;
            if (spec.permuteQk()) {
                String base = hf.substring(0, hf.lastIndexOf('.'));
                pairs = base.endsWith("q_proj") ? heads : base.endsWith("k_proj") ? kvHeads : 0;
            }
            boolean minusOne = spec.addOneToSuffix() != null && hf.endsWith(spec.addOneToSuffix());
            long[] shape = t.shape();
            if (shape.length == 1 && id.oneRowMatrices().stream().anyMatch(hf::endsWith)) {
                shape = new long[] {1, shape[0]};
            }
            if (pairs > 0) {
                long outer = shape.length == 0 ? 1 : shape[0];
                if (outer % (2L * pairs) != 0) {
                    throw MergeLabException.input(where + ": tensor '" + Untrusted.show(t.name()) + "' has " + outer
                            + " rows, not " + pairs + " heads of rotary pairs", "the file's head counts and tensors disagree");
                }
            }
            add(out, new Mapped(new TensorInfo(hf, t.dtype(), shape, t.begin(), t.end()), t, 0, pairs, minusOne), where);
        }
        return List.copyOf(out.values());
    }

    private static void add(Map<String, Mapped> out, Mapped m, String where) {
        if (out.put(m.info().name(), m) != null) {
            throw MergeLabException.input(where + ": two GGUF tensors map to '" + m.info().name() + "'", "the file holds a tensor twice");
        }
    }

    /** One view per expert of a stacked {@code [n, rows, cols]} tensor; {@code source} still has {xid}. */
    private static List<Mapped> experts(TensorInfo t, String source, String where) {
        long[] shape = t.shape();
        if (shape.length != 3 || shape[0] == 0) {
            throw MergeLabException.input(where + ": expert tensor '" + Untrusted.show(t.name()) + "' has shape "
                    + Arrays.toString(shape) + ", not [experts, rows, columns]", "the file is malformed");
        }
        long n = shape[0];
        long rowsPer = shape[1];
        long rowBytes = t.rows() == 0 ? 0 : t.byteSize() / t.rows();
        long[] each = {shape[1], shape[2]};
        List<Mapped> out = new ArrayList<>();
        for (long x = 0; x < n; x++) {
            long begin = t.begin() + x * rowsPer * rowBytes;
            TensorInfo view = new TensorInfo(source.replace("{xid}", Long.toString(x)), t.dtype(), each, begin, begin + rowsPer * rowBytes);
            out.add(new Mapped(view, t, x * rowsPer, 0, false));
        }
        return out;
    }

    /** The Transformers name of a GGUF name, or null. */
    private static String hfName(String gguf, List<Map.Entry<Pattern, String>> names) {
        for (String suffix : List.of(".weight", ".bias")) {
            if (gguf.endsWith(suffix)) {
                String base = gguf.substring(0, gguf.length() - suffix.length());
                for (Map.Entry<Pattern, String> e : names) {
                    Matcher m = e.getKey().matcher(base);
                    if (m.matches()) {
                        String hf = e.getValue();
                        if (m.groupCount() > 0) {
                            hf = hf.replace("{bid}", m.group(1));
                        }
                        return hf + suffix;
                    }
                }
            }
        }
        return null;
    }

    /** A name template with {bid} as a layer number. */
    private static Pattern template(String t) {
        int at = t.indexOf("{bid}");
        if (at < 0) {
            return Pattern.compile(Pattern.quote(t));
        }
        return Pattern.compile(Pattern.quote(t.substring(0, at)) + "(\\d+)" + Pattern.quote(t.substring(at + "{bid}".length())));
    }

    /**
     * The stored row (or bias element) holding Transformers' row {@code s}: LlamaModel.permute read the outer axis,
     * viewed as (heads, 2, half), as (heads, half, 2); so Transformers' row {@code (h, b, j)} is stored at
     * {@code (h, j, b)}.
     */
    static long storedRow(long s, long outer, int heads) {
        long half = outer / heads / 2;
        long h = s / (2 * half), rem = s % (2 * half);
        long b = rem / half, j = rem % half;
        return h * 2 * half + 2 * j + b;
    }
}
