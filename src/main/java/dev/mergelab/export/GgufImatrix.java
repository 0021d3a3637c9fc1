package dev.mergelab.export;

import dev.mergelab.MergeLabException;
import dev.mergelab.format.Untrusted;
import dev.mergelab.format.gguf.GgmlType;
import dev.mergelab.format.gguf.GgufValue;
import dev.mergelab.format.gguf.ImportanceMatrix;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * An importance matrix used the way llama-quantize uses {@code --imatrix FILE} (tools/quantize/quantize.cpp and
 * llama_model_quantize in src/llama-quant.cpp): its four {@code quantize.imatrix.*} keys appended to the metadata,
 * and for each tensor it converts, the entry of the same name as per-column weights (one row of ne0 per expert),
 * or none when the file has no such entry. An entry whose size is not ne0 x experts is an error, except for
 * token_embd, which is then quantized without one. ggml ignores the weights for Q8_0, F16 and BF16, but the
 * lookup, the size check and the metadata happen all the same.
 *
 * @param file the FILE argument as the user gave it (llama-quantize records it as typed)
 * @param matrix what the file holds
 */
public record GgufImatrix(String file, ImportanceMatrix matrix) {

    /** Reads {@code file} (given as the user typed it); a one-line INPUT error when it is not a valid imatrix. */
    public static GgufImatrix read(String file) {
        Path p;
        try {
            p = Path.of(file);
        } catch (java.nio.file.InvalidPathException e) {
            throw MergeLabException.input("--imatrix " + Untrusted.show(file) + " is not a valid path", "check the file name");
        }
        return new GgufImatrix(file, ImportanceMatrix.read(p));
    }

    /**
     * Appends quantize.imatrix.file, .dataset (the first, when there is one), .entries_count and .chunks_count (when
     * positive), as quantize.cpp's key overrides do: strings clipped to 127 bytes, counts as u32.
     */
    void addMetadata(Map<String, GgufValue> meta) {
        put(meta, "quantize.imatrix.file", GgufValue.ofString(clip127(file)));
        if (!matrix.datasets().isEmpty()) {
            put(meta, "quantize.imatrix.dataset", GgufValue.ofString(clip127(matrix.datasets().getFirst())));
        }
        put(meta, "quantize.imatrix.entries_count", GgufValue.ofU32(matrix.weights().size()));
        if (matrix.chunkCount() > 0) {
            put(meta, "quantize.imatrix.chunks_count", GgufValue.ofU32(matrix.chunkCount()));
        }
    }

    /** gguf_set_val_*: a key already present moves to the end. */
    private static void put(Map<String, GgufValue> meta, String key, GgufValue v) {
        meta.remove(key);
        meta.put(key, v);
    }

    /** strncpy into a 128-byte buffer: at most 127 bytes (here: the whole characters that fit). */
    static String clip127(String s) {
        if (s.getBytes(StandardCharsets.UTF_8).length <= 127) {
            return s;
        }
        StringBuilder b = new StringBuilder();
        int bytes = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int n = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (bytes + n > 127) {
                break;
            }
            b.appendCodePoint(cp);
            bytes += n;
            i += Character.charCount(cp);
        }
        return b.toString();
    }

    /** llama-quantize's imatrix applies to what it makes; MergeLab's f32 export is the converter's output, which takes none. */
    public static void checkType(boolean hasImatrix, ExportType type) {
        if (hasImatrix && type == ExportType.F32) {
            throw MergeLabException.input("--imatrix applies to the types llama-quantize makes; f32 is the converter's output",
                    "drop --imatrix, or choose a quantized --type");
        }
    }

    /**
     * The importance weights of each tensor of {@code order} (null for none; all null without an imatrix): looked up
     * only for tensors converted from F32, as llama-quantize does; {@code warnings} hears of tensors without an entry.
     */
    static List<float[]> weightsOf(GgufImatrix imatrix, List<TensorPlan.Planned> order, List<GgmlType> types, Consumer<String> warnings) {
        List<float[]> out = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            boolean converted = types.get(i) != GgmlType.F32;
            out.add(imatrix == null || !converted ? null : imatrix.weightsFor(order.get(i).name(), order.get(i).shape(), missing));
        }
        String note = missingNote(missing);
        if (note != null) {
            warnings.accept(note);
        }
        return out;
    }

    /**
     * The weights for tensor {@code name} of row-major {@code shape}, which is being converted, or null (no
     * entry, or a token_embd entry of the wrong size); {@code missing} collects the names without an entry.
     */
    float[] weightsFor(String name, long[] shape, List<String> missing) {
        float[] w = matrix.weights().get(name);
        if (w == null) {
            missing.add(name);
            return null;
        }
        long ne0 = shape[shape.length - 1];
        long ne2 = shape.length >= 3 ? shape[shape.length - 3] : 1;
        if (w.length != ne0 * ne2) {
            if (name.equals("token_embd.weight") || name.equals("per_layer_token_embd.weight")) {
                return null;
            }
            throw MergeLabException.input("imatrix " + Untrusted.path(Path.of(file)) + ": entry '" + Untrusted.show(name) + "' has " + w.length
                    + " values, but the tensor needs " + ne0 * ne2 + " (" + ne0 + " columns x " + ne2 + " experts)",
                    "use an imatrix computed with this model (llama-quantize refuses this one too)");
        }
        return w;
    }

    /** A one-line note on tensors quantized without importance weights (token_embd never has any: it is not a matmul). */
    static String missingNote(List<String> missing) {
        List<String> shown = new ArrayList<>(missing);
        shown.removeIf(n -> n.equals("token_embd.weight") || n.equals("per_layer_token_embd.weight"));
        if (shown.isEmpty()) {
            return null;
        }
        return "the imatrix has no entry for " + shown.size() + " tensor(s), quantized without importance weights as llama-quantize does: "
                + Untrusted.show(String.join(", ", shown));
    }
}
