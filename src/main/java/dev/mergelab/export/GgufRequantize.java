package dev.mergelab.export;

import dev.mergelab.MergeLabException;
import dev.mergelab.format.TensorInfo;
import dev.mergelab.format.Untrusted;
import dev.mergelab.format.gguf.GgmlCodec;
import dev.mergelab.format.gguf.GgmlType;
import dev.mergelab.format.gguf.GgufFile;
import dev.mergelab.format.gguf.GgufTensor;
import dev.mergelab.format.gguf.GgufValue;
import dev.mergelab.format.gguf.GgufWriter;
import dev.mergelab.model.gguf.GgufArchitecture;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * A GGUF file quantized again, as llama_model_quantize (llama-quantize without an importance matrix) does it: the
 * input's metadata copied in its order with {@code general.quantization_version} and {@code general.file_type} set
 * last, tensors in llama.cpp's loader order, each tensor's type chosen by {@link QuantPlan} from its stored type
 * and shape, values decoded from the stored F32/F16/BF16 and encoded by {@link GgmlCodec}; a tensor whose type
 * stays is copied byte for byte. Quantized input is refused, as llama-quantize refuses it without
 * --allow-requantize (quantizing dequantized values again compounds the error).
 */
public final class GgufRequantize {

    /** Rows decoded and encoded at a time (bounded memory whatever the tensor's size). */
    private static final int CHUNK_ELEMENTS = 1 << 20;

    private GgufRequantize() {
    }

    /** Writes {@code in} (a GGUF file of F32/F16/BF16 tensors) to {@code out} as {@code type}. */
    public static GgufExport.Result requantize(Path in, Path out, ExportType type) throws IOException {
        try (GgufFile g = GgufFile.open(in)) {
            String where = Untrusted.path(in);
            for (GgufTensor t : g.header().tensors()) {
                if (t.type() != GgmlType.F32 && t.type() != GgmlType.F16 && t.type() != GgmlType.BF16) {
                    throw MergeLabException.input(where + ": tensor '" + Untrusted.show(t.name()) + "' is already " + t.type()
                            + "; llama-quantize refuses quantized input without --allow-requantize", "quantize the F32, F16 or BF16 file instead");
                }
            }
            Map<String, GgufValue> meta = new LinkedHashMap<>(g.header().metadata());
            GgufValue archValue = meta.get("general.architecture");
            if (archValue == null) {
                throw MergeLabException.input(where + ": no general.architecture", "the file is not a model");
            }
            String arch = archValue.asString();
            GgufArchitecture spec = GgufArchitecture.builtIns().stream().filter(a -> a.ggufName().equals(arch)).findFirst()
                    .orElseThrow(() -> MergeLabException.input(where + ": GGUF architecture '" + Untrusted.show(arch)
                            + "' has no quantization rules here", "quantize it with llama-quantize"));
            meta.remove("general.quantization_version");
            meta.remove("general.file_type");
            meta.put("general.quantization_version", GgufValue.ofU32(2));
            meta.put("general.file_type", GgufValue.ofU32(type.ftype));
            List<GgufTensor> order = new ArrayList<>(g.header().tensors());
            order.sort((a, b) -> QuantPlan.LOADER_ORDER.compare(a.name(), b.name()));
            List<QuantPlan.In> quantIn = order.stream()
                    .map(t -> new QuantPlan.In(t.name(), t.rowLength(), GgufExport.ggmlDims(t.shape()), t.type())).toList();
            List<GgmlType> types = QuantPlan.types(quantIn, type, GgufExport.quantModel(meta, spec), false);
            List<GgufWriter.Entry> entries = new ArrayList<>();
            for (int i = 0; i < order.size(); i++) {
                long[] shape = order.get(i).shape();
                // llama_model_quantize writes ggml_n_dims dimensions: a [1, n] tensor leaves as [n]
                shape = Arrays.copyOfRange(shape, shape.length - GgufExport.ggmlDims(shape), shape.length);
                entries.add(GgufWriter.Entry.ofShape(order.get(i).name(), types.get(i), shape));
            }
            Map<GgmlType, Integer> counts = new LinkedHashMap<>();
            types.forEach(t -> counts.merge(t, 1, Integer::sum));
            long bytes = 0;
            try (GgufWriter w = GgufWriter.create(out, meta, entries)) {
                for (int i = 0; i < order.size(); i++) {
                    bytes += write(g, g.tensor(order.get(i).name()), order.get(i).type(), types.get(i), w);
                }
                w.finish();
            }
            return new GgufExport.Result(out, arch, order.size(), bytes, counts);
        }
    }

    private static long write(GgufFile g, TensorInfo t, GgmlType from, GgmlType to, GgufWriter w) throws IOException {
        if (from == to) {
            byte[] b = g.bytes(t).toArray(ValueLayout.JAVA_BYTE);
            w.write(ByteBuffer.wrap(b));
            return b.length;
        }
        int len = Math.toIntExact(t.rowLength());
        long rows = t.rows();
        int perChunk = (int) Math.max(1, Math.min(rows, CHUNK_ELEMENTS / Math.max(1, len)));
        long rowBytes = to.rowBytes(len);
        long written = 0;
        for (long first = 0; first < rows; first += perChunk) {
            int n = (int) Math.min(perChunk, rows - first);
            float[] x = new float[n * len];
            g.decodeRows(t, first, n, x, 0);
            byte[] y = new byte[(int) (rowBytes * n)];
            IntStream.range(0, n).parallel().forEach(r -> GgmlCodec.encode(to, x, r * len, y, (int) (r * rowBytes), len));
            w.write(ByteBuffer.wrap(y));
            written += y.length;
        }
        return written;
    }
}
