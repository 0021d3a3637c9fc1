package dev.mergelab.model.gguf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import dev.mergelab.format.TensorInfo;
import dev.mergelab.format.Untrusted;
import dev.mergelab.format.WeightFile;
import dev.mergelab.format.gguf.GgmlType;
import dev.mergelab.format.gguf.GgufFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * A GGUF file as the Transformers model it was converted from: a {@link WeightFile} whose tensors carry Hugging Face
 * names and shapes ({@link GgufTensorMap}) and decode, row by row, to the values Transformers would hold, plus a
 * companion folder (a temporary directory, deleted on {@link #close}) holding config.json, generation_config.json and
 * the tokenizer files rebuilt from the metadata, so that everything reading a model folder reads this one unchanged.
 *
 * <p>Values: quantized tensors decode exactly as ggml's dequantizers do ({@link GgufFile}); llama.cpp's q/k row
 * permutation is undone by reading rows through an index map (exact); Gemma's norms, stored as {@code 1 + w}, have
 * the 1 taken off in float32. That subtraction is exact (Sterbenz: the stored values lie near 1), so a norm weight
 * comes back bit for bit whenever the converter's {@code w + 1} was itself exact, as it is for every BF16 or F16
 * source exported as F32; otherwise what comes back is off by what the converter's rounding lost. A stacked expert
 * tensor is one view per expert, and a tensor needing neither remap nor subtraction is stored bytes as they are
 * ({@link #isVerbatim} for F32/F16/BF16), so merges copy and the forward pass reads it in place.
 */
public final class GgufModelFile implements WeightFile {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final GgufFile gguf;
    private final Path folder;
    private final List<TensorInfo> infos;
    private final Map<String, GgufTensorMap.Mapped> byName;
    /** Reordered copies of permuted q/k blocks ({@link #blockMatrix}), freed on close. */
    private final Arena arena = Arena.ofShared();
    private final Map<String, BlockMatrix> reordered = new ConcurrentHashMap<>();

    private GgufModelFile(GgufFile gguf, Path folder, List<GgufTensorMap.Mapped> mapped) {
        this.gguf = gguf;
        this.folder = folder;
        List<TensorInfo> list = new ArrayList<>(mapped.size());
        this.byName = new HashMap<>(mapped.size() * 2);
        for (GgufTensorMap.Mapped m : mapped) {
            list.add(m.info());
            byName.put(m.info().name(), m);
        }
        this.infos = Collections.unmodifiableList(list);
    }

    /**
     * Opens {@code file} as a model: a one-line INPUT error for a malformed file, an architecture with no way back
     * to Transformers, or missing metadata the config needs.
     */
    public static GgufModelFile open(Path file) {
        GgufFile g = GgufFile.open(file);
        Path dir = null;
        try {
            String where = Untrusted.path(file);
            GgufKeys keys = new GgufKeys(g.header().metadata(), where);
            String arch = keys.requiredString("general.architecture");
            boolean experts = keys.count(arch + ".expert_count").orElse(0) > 0;
            HfIdentity id = HfIdentity.of(arch, experts, where);
            int heads = Math.toIntExact(keys.requiredCount(arch + ".attention.head_count"));
            int kvHeads = Math.toIntExact(keys.count(arch + ".attention.head_count_kv").orElse(heads));
            if (heads == 0 || kvHeads == 0) {
                throw MergeLabException.input(where + ": GGUF metadata gives 0 attention heads", "the file is malformed");
            }
            List<GgufTensorMap.Mapped> mapped = GgufTensorMap.map(g.tensors(), id, heads, kvHeads, where);
            TensorInfo embed = g.tensor("token_embd.weight");
            if (embed == null || embed.rank() != 2) {
                throw MergeLabException.input(where + ": no 2-D tensor token_embd.weight", "the file is incomplete; convert the model again");
            }
            TensorInfo ropeFreqs = g.tensor(GgufTensorMap.ROPE_FREQS);
            float[][] longrope = g.tensor(GgufTensorMap.ROPE_FACTORS_LONG) == null || g.tensor(GgufTensorMap.ROPE_FACTORS_SHORT) == null ? null
                    : new float[][] {g.readFloats(GgufTensorMap.ROPE_FACTORS_LONG), g.readFloats(GgufTensorMap.ROPE_FACTORS_SHORT)};
            ObjectNode config = GgufConfigJson.config(keys, arch, id, embed.dim(0), g.tensor("output.weight") == null, torchDtype(g),
                    ropeFreqs == null ? null : g.readFloats(GgufTensorMap.ROPE_FREQS), longrope, where);
            dir = Files.createTempDirectory("mergelab-gguf-");
            Files.write(dir.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(config));
            Files.write(dir.resolve("generation_config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(GgufConfigJson.generationConfig(keys)));
            if (g.header().metadata().containsKey("tokenizer.ggml.model")) { // a weights-only file is a model without a tokenizer
                GgufVocabulary.write(g, dir);
            }
            return new GgufModelFile(g, dir, mapped);
        } catch (IOException e) {
            deleteTree(dir);
            g.close();
            throw MergeLabException.input("cannot write the config of " + Untrusted.path(file) + " to a temporary folder: " + e.getMessage(),
                    "check the temporary directory's free space");
        } catch (RuntimeException | Error e) {
            deleteTree(dir);
            g.close();
            throw e;
        }
    }

    /** The dtype most matrix elements are stored in; float32 for quantized ones, which decode to float32. */
    private static String torchDtype(GgufFile g) {
        Map<GgmlType, Long> counts = new EnumMap<>(GgmlType.class);
        for (TensorInfo t : g.tensors()) {
            if (t.rank() >= 2) {
                counts.merge(g.ggufTensor(t.name()).type(), t.numel(), Long::sum);
            }
        }
        GgmlType main = counts.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(GgmlType.F32);
        return switch (main) {
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> "float32";
        };
    }

    /** The folder holding config.json, generation_config.json and the tokenizer files; deleted on close. */
    public Path folder() {
        return folder;
    }

    /** The GGUF file underneath, with llama.cpp's names and layout. */
    public GgufFile gguf() {
        return gguf;
    }

    @Override
    public Path path() {
        return gguf.path();
    }

    @Override
    public List<TensorInfo> tensors() {
        return infos;
    }

    @Override
    public TensorInfo tensor(String name) {
        GgufTensorMap.Mapped m = byName.get(name);
        return m == null ? null : m.info();
    }

    @Override
    public Map<String, String> metadata() {
        return gguf.metadata();
    }

    @Override
    public long fileSize() {
        return gguf.fileSize();
    }

    @Override
    public MemorySegment bytes(TensorInfo t) {
        GgufTensorMap.Mapped m = mapped(t);
        return gguf.bytes(m.stored()).asSlice(t.begin() - m.stored().begin(), t.byteSize());
    }

    @Override
    public boolean isVerbatim(TensorInfo t) {
        GgufTensorMap.Mapped m = mapped(t);
        return m.pairHeads() == 0 && !m.minusOne() && gguf.isVerbatim(m.stored());
    }

    /**
     * The ggml type of the blocks holding {@code t} when its rows lie in the file in order, as they are
     * ({@link #bytes} is then a matrix of those blocks, row after row, an expert's slice included), or null when its
     * rows are read through a remap or have the 1 taken off. A matrix kernel that reads ggml blocks in place may
     * read such a tensor; the others decode ({@link #decodeRows}).
     */
    public GgmlType inPlaceType(TensorInfo t) {
        GgufTensorMap.Mapped m = mapped(t);
        return m.pairHeads() == 0 && !m.minusOne() ? gguf.ggufTensor(m.stored().name()).type() : null;
    }

    /**
     * The tensor as a matrix of its stored ggml blocks in Transformers' row order, for a kernel that reads blocks in
     * place: {@link #bytes} when the rows lie in the file in order ({@link #inPlaceType}); for llama.cpp's permuted q/k
     * projections, a copy of the stored rows' blocks reordered (whole rows move, so nothing is re-encoded and the values
     * are exactly {@link #decodeRows}'), made once on first use and kept until {@link #close} (q and k are a tenth of a
     * Llama's weights at most); null for a tensor that is not a 2-D matrix of whole rows, or has the 1 taken off.
     */
    public BlockMatrix blockMatrix(TensorInfo t) {
        GgufTensorMap.Mapped m = mapped(t);
        if (m.minusOne() || t.rank() != 2) {
            return null;
        }
        GgmlType type = gguf.ggufTensor(m.stored().name()).type();
        if (m.pairHeads() == 0) {
            return new BlockMatrix(type, bytes(t));
        }
        return reordered.computeIfAbsent(t.name(), name -> {
            MemorySegment stored = gguf.bytes(m.stored());
            long rows = t.rows();
            long rowBytes = stored.byteSize() / rows;
            MemorySegment copy = arena.allocate(stored.byteSize(), 64);
            for (long r = 0; r < rows; r++) {
                MemorySegment.copy(stored, GgufTensorMap.storedRow(r, rows, m.pairHeads()) * rowBytes, copy, r * rowBytes, rowBytes);
            }
            return new BlockMatrix(type, copy);
        });
    }

    /** A weight matrix as ggml blocks, row after row, in Transformers' row order. */
    public record BlockMatrix(GgmlType type, MemorySegment data) {
    }

    @Override
    public void decodeRows(TensorInfo t, long firstRow, int rows, float[] dst, int dstOffset) {
        int count = WeightFile.checkRows(t, firstRow, rows, dst, dstOffset);
        GgufTensorMap.Mapped m = mapped(t);
        int len = Math.toIntExact(t.rowLength());
        if (m.pairHeads() == 0) {
            gguf.decodeRows(m.stored(), m.firstRow() + firstRow, rows, dst, dstOffset);
        } else if (t.rank() == 1) {
            // a permuted bias: its elements moved, within its one row
            float[] stored = new float[len];
            gguf.decodeRows(m.stored(), 0, 1, stored, 0);
            for (int i = 0; i < len; i++) {
                dst[dstOffset + i] = stored[(int) GgufTensorMap.storedRow(i, len, m.pairHeads())];
            }
        } else {
            long outer = t.rows();
            for (int i = 0; i < rows; i++) {
                gguf.decodeRows(m.stored(), GgufTensorMap.storedRow(firstRow + i, outer, m.pairHeads()), 1, dst, dstOffset + i * len);
            }
        }
        if (m.minusOne()) {
            for (int i = dstOffset; i < dstOffset + count; i++) {
                dst[i] -= 1f;
            }
        }
    }

    private GgufTensorMap.Mapped mapped(TensorInfo t) {
        GgufTensorMap.Mapped m = byName.get(t.name());
        if (m == null || !m.info().equals(t)) {
            throw new IllegalArgumentException("tensor " + t.name() + " is not from " + gguf.path());
        }
        return m;
    }

    @Override
    public void checkUnchanged(Throwable fault) {
        gguf.checkUnchanged(fault);
    }

    @Override
    public void close() {
        try {
            gguf.close();
        } finally {
            try {
                arena.close();
            } finally {
                deleteTree(folder);
            }
        }
    }

    private static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
