package dev.mergelab.export;

import dev.mergelab.model.gguf.GgufArchitecture;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.Workers;
import dev.mergelab.format.gguf.GgmlCodec;
import dev.mergelab.format.gguf.GgmlType;
import dev.mergelab.format.gguf.GgufValue;
import dev.mergelab.format.gguf.GgufWriter;
import dev.mergelab.model.ModelConfig;
import dev.mergelab.model.ModelSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * A Hugging Face model folder as one GGUF file, as llama.cpp's own tools would make it: for {@code f32} the file
 * convert_hf_to_gguf.py writes ({@code --outtype f32}), and for every other type the file llama_model_quantize
 * (llama-quantize, with {@code --imatrix} when a {@link GgufImatrix} is given) makes of that F32 file — same metadata (file type and
 * quantization version moved to the end, as gguf_set_val does), tensors in llama.cpp's loader order, each
 * tensor's type chosen by {@link QuantPlan} and encoded by {@link GgmlCodec}. The header is computed from shapes
 * and types first; then tensors are streamed in row chunks (converted on worker threads, written in order), so
 * memory stays bounded by a few chunks whatever the model's size.
 */
public final class GgufExport {

    /** Floats per chunk of rows handed to a worker (at least one row). */
    private static final int CHUNK_ELEMENTS = 1 << 20;

    /** What was written. */
    public record Result(Path file, String architecture, int tensors, long bytes, Map<GgmlType, Integer> typeCounts) {
    }

    private GgufExport() {
    }

    /**
     * Writes {@code model} (a folder with config.json, weights and tokenizer.json) to {@code out} in {@code type}
     * using {@code threads} threads; {@code warnings} hears what the export does differently from llama.cpp's tools.
     */
    public static Result export(Path model, Path out, ExportType type, int threads, Consumer<String> warnings) throws IOException {
        return export(model, out, type, null, threads, warnings);
    }

    /** As {@link #export(Path, Path, ExportType, int, Consumer)}, quantizing with {@code imatrix} (null: none) as llama-quantize does. */
    public static Result export(Path model, Path out, ExportType type, GgufImatrix imatrix, int threads, Consumer<String> warnings)
            throws IOException {
        GgufArchitecture.forHf(ModelConfig.readFolder(model).architectures());   // refused before the weights are opened
        try (ModelSource source = ModelSource.open(model, model.toString())) {
            return export(GgufInput.ofFolder(model, source), out, type, imatrix, threads, warnings);
        }
    }

    /**
     * Writes {@code in} to {@code out} as {@link #export(Path, Path, ExportType, int, Consumer)} does a folder: each
     * input tensor is read from {@code in.weights()} when its turn comes and let go once converted, so a source
     * that computes tensors (a merge) is never held whole.
     */
    public static Result export(GgufInput in, Path out, ExportType type, int threads, Consumer<String> warnings) throws IOException {
        return export(in, out, type, null, threads, warnings);
    }

    /** As {@link #export(GgufInput, Path, ExportType, int, Consumer)}, quantizing with {@code imatrix} (null: none). */
    public static Result export(GgufInput in, Path out, ExportType type, GgufImatrix imatrix, int threads, Consumer<String> warnings)
            throws IOException {
        GgufImatrix.checkType(imatrix != null, type);
        ObjectNode raw = in.config().raw();
        GgufArchitecture spec = GgufArchitecture.forHf(in.config().architectures());
        long embeddingRows = spec.embeddingsToTokenizer() == null ? -1 : VocabExport.embeddingRowLimit(in.files(), raw);
        List<TensorPlan.Planned> plan = TensorPlan.plan(in.tensors(), in.weights(), raw, spec, embeddingRows);
        Map<String, GgufValue> meta = converterMetadata(in, raw, spec, plan, warnings);
        List<TensorPlan.Planned> order = new ArrayList<>(plan);
        List<GgmlType> types;
        if (type == ExportType.F32) {
            types = order.stream().map(p -> GgmlType.F32).toList();
        } else {
            meta.remove("general.quantization_version");
            meta.remove("general.file_type");
            meta.put("general.quantization_version", GgufValue.ofU32(2));
            meta.put("general.file_type", GgufValue.ofU32(type.ftype));
            order.sort((a, b) -> QuantPlan.LOADER_ORDER.compare(a.name(), b.name()));
            List<QuantPlan.In> quantIn = order.stream().map(p -> new QuantPlan.In(p.name(), p.shape()[p.shape().length - 1],
                    ggmlDims(p.shape()), GgmlType.F32)).toList();
            types = QuantPlan.types(quantIn, type, quantModel(meta, spec), imatrix != null);
            if (imatrix != null) {
                imatrix.addMetadata(meta);
            }
        }
        List<float[]> importance = GgufImatrix.weightsOf(imatrix, order, types, warnings);
        List<GgufWriter.Entry> entries = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            long[] shape = order.get(i).shape();
            if (type != ExportType.F32) {
                // llama_model_quantize writes ggml_n_dims dimensions: a [1, n] tensor leaves as [n]
                shape = java.util.Arrays.copyOfRange(shape, shape.length - ggmlDims(shape), shape.length);
            }
            entries.add(GgufWriter.Entry.ofShape(order.get(i).name(), types.get(i), shape));
        }
        Map<GgmlType, Integer> counts = new LinkedHashMap<>();
        types.forEach(t -> counts.merge(t, 1, Integer::sum));
        long bytes = 0;
        ExecutorService pool = Workers.pool(Math.max(1, threads), "gguf-export");
        try (GgufWriter w = GgufWriter.create(out, meta, entries)) {
            for (int i = 0; i < order.size(); i++) {
                bytes += stream(order.get(i), types.get(i), importance.get(i), w, pool, Math.max(1, threads));
            }
            w.finish();
        } finally {
            pool.shutdownNow();
        }
        return new Result(out, spec.ggufName(), order.size(), bytes, counts);
    }

    /** The key/value pairs convert_hf_to_gguf.py writes, in its order. */
    static Map<String, GgufValue> converterMetadata(GgufInput in, ObjectNode raw, GgufArchitecture spec, List<TensorPlan.Planned> plan,
            Consumer<String> warnings) {
        Map<String, GgufValue> meta = new LinkedHashMap<>();
        meta.put("general.architecture", GgufValue.ofString(spec.ggufName()));
        if (spec.longropeFactors()) {
            // written while the extra tensors are generated, before any general.* key
            Double attn = RopeParameters.longropeAttnFactor(HyperParameters.lifted(raw));
            if (attn != null) {
                meta.put(spec.ggufName() + ".rope.scaling.attn_factor", GgufValue.ofF32(attn.floatValue()));
            }
        }
        long total = 0, shared = 0, expert = 0, expertSum = 0, expertTensors = 0;
        for (TensorPlan.Planned p : plan) {
            long n = p.elements();
            if (p.name().contains("_exps.") && p.shape().length >= 3) {
                long count = p.shape()[p.shape().length - 3];
                expert += n / count;
                expertSum += count;
                expertTensors++;
            } else {
                shared += n;
            }
            total += n;
        }
        GeneralMetadata.write(in.files(), in.card(), in.name(), total, shared, expert, expertTensors == 0 ? 0 : expertSum / expertTensors, meta);
        HyperParameters.write(raw, spec, ExportType.F32.ftype, meta);
        meta.put("general.quantization_version", GgufValue.ofU32(2));
        VocabExport.write(in.files(), in.tokenizerConfig(), raw, spec, meta, warnings);
        return meta;
    }

    /**
     * ggml_n_dims: the dimensions up to the last one above 1 in ggml's order (innermost first), at least 1, so a
     * {@code [1, n]} tensor (Qwen2-MoE's shared expert gate) counts as a vector and is not quantized.
     */
    static int ggmlDims(long[] shape) {
        for (int i = 0; i < shape.length - 1; i++) {
            if (shape[i] > 1) {
                return shape.length - i;
            }
        }
        return 1;
    }

    static QuantPlan.Model quantModel(Map<String, GgufValue> meta, GgufArchitecture spec) {
        String a = spec.ggufName() + ".";
        int layers = (int) meta.get(a + "block_count").asLong();
        GgufValue experts = meta.get(a + "expert_count");
        GgufValue heads = meta.get(a + "attention.head_count");
        GgufValue kv = meta.get(a + "attention.head_count_kv");
        boolean gqa = heads != null && kv != null && heads.asLong() != kv.asLong();
        boolean type70b = layers == spec.type70bBlocks() && (!spec.type70bOnlyWithGqa() || gqa);
        return new QuantPlan.Model(layers, experts == null ? 0 : (int) experts.asLong(), type70b);
    }

    /** Converts and writes one tensor chunk by chunk; chunks run on the pool, are written in order. */
    private static long stream(TensorPlan.Planned t, GgmlType type, float[] qw, GgufWriter w, ExecutorService pool, int threads)
            throws IOException {
        long[] shape = t.shape();
        long rowsPerExpert = shape.length >= 2 ? shape[shape.length - 2] : 1;
        RowSource src = t.rows();
        int len = src.rowLength();
        long rows = src.rows();
        int perChunk = (int) Math.max(1, Math.min(rows, CHUNK_ELEMENTS / Math.max(1, len)));
        List<Future<byte[]>> inFlight = new ArrayList<>();
        long written = 0;
        long next = 0;
        try {
            while (next < rows || !inFlight.isEmpty()) {
                while (next < rows && inFlight.size() < 2 * threads) {
                    long first = next;
                    int n = (int) Math.min(perChunk, rows - first);
                    inFlight.add(pool.submit(() -> encode(src, type, first, n, len, qw, rowsPerExpert)));
                    next += n;
                }
                byte[] b = inFlight.removeFirst().get();
                w.write(ByteBuffer.wrap(b));
                written += b.length;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            inFlight.forEach(f -> f.cancel(true));
            src.release();
        }
        return written;
    }

    /** Rows [first, first + n); with importance weights {@code qw}, row r uses expert r / rowsPerExpert's slice. */
    private static byte[] encode(RowSource src, GgmlType type, long first, int n, int len, float[] qw, long rowsPerExpert) {
        float[] x = new float[n * len];
        src.read(first, n, x, 0);
        byte[] y = new byte[(int) (type.rowBytes(len) * n)];
        long rowBytes = type.rowBytes(len);
        for (int r = 0; r < n; r++) {
            if (qw == null) {
                GgmlCodec.encode(type, x, r * len, y, (int) (r * rowBytes), len);
            } else {
                int qo = (int) ((first + r) / rowsPerExpert * len);
                GgmlCodec.encodeRow(type, x, r * len, y, (int) (r * rowBytes), len, qw, qo);
            }
        }
        return y;
    }
}
