package dev.mergelab.cli;

import dev.mergelab.MergeLabException;
import dev.mergelab.Version;
import dev.mergelab.engine.ModelFolderCheck;
import dev.mergelab.engine.OutputFolder;
import dev.mergelab.engine.OutputGuard;
import dev.mergelab.format.SafetensorsWriter;
import dev.mergelab.format.ShardedWriter;
import dev.mergelab.format.pickle.TorchCheckpoint;
import dev.mergelab.model.AuxFiles;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.SafePaths;
import dev.mergelab.model.TensorRef;
import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.DType;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code mergelab convert MODEL OUT_DIR --to safetensors}: the same tensors, in the same dtypes, as a Transformers
 * folder of safetensors shards, with config.json and the tokenizer files copied. The safe way to get rid of a
 * pickle: PyTorch {@code .bin} checkpoints are read by MergeLab's restricted unpickler, which never runs code.
 * Strided views (a transposed tensor) are written contiguous; bytes are copied as stored, never through float32,
 * so F64 and integer tensors stay exact. OUT_DIR appears only when complete, with the same {@code --force} rules
 * as a merge.
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert a model (PyTorch .bin folder or file, safetensors, hub id) to a safetensors model folder: "
                + "same tensors and dtypes, contiguous, sharded as merge output is; config and tokenizer files copied.",
                "PyTorch pickles are read by a restricted unpickler (only what torch.load(weights_only=True) allows), never executed."})
final class ConvertCommand implements Callable<Integer> {

    /** Bytes copied per write. */
    private static final int CHUNK_BYTES = 8 << 20;

    @Parameters(index = "0", paramLabel = "MODEL", description = "Model folder, weight file (.bin, .pt, .safetensors) or hub id.")
    String model;

    @Parameters(index = "1", paramLabel = "OUT_DIR", description = "Output model folder (must not exist unless --force).")
    Path outDir;

    @Option(names = "--to", required = true, paramLabel = "FORMAT", description = "Output format: safetensors.")
    String to;

    @Option(names = "--force", description = "Replace OUT_DIR if it exists and MergeLab wrote it (only once the new folder is complete).")
    boolean force;

    @Option(names = "--out-shard-size", defaultValue = "5GB", description = "Largest output shard (default: ${DEFAULT-VALUE}).")
    String shardSize;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (!"safetensors".equals(to)) {
            throw MergeLabException.input("--to '" + to + "': convert writes safetensors only", "use --to safetensors");
        }
        long shardBytes = Sizes.parseBytes(shardSize, "--out-shard-size");
        PrintWriter out = spec.commandLine().getOut();
        long start = System.nanoTime();
        try (ModelSource m = Models.opener().open(model)) {
            List<SafetensorsWriter.Entry> entries = new ArrayList<>();
            long bytes = 0;
            for (TensorRef t : m.tensors().values()) {
                entries.add(new SafetensorsWriter.Entry(t.name(), t.dtype(), t.shape()));
                bytes += t.numel() * t.dtype().size();
            }
            int shards;
            Path written;
            try (OutputFolder folder = OutputFolder.prepare(outDir, force, OutputGuard.pathsOf(List.of(m)))) {
                try {
                    Map<String, String> metadata = new LinkedHashMap<>(); // in a fixed order: same input, same bytes
                    metadata.put("format", "pt");
                    metadata.put("mergelab_version", Version.VERSION);
                    try (ShardedWriter w = ShardedWriter.create(folder.temp(), "model", entries, shardBytes, metadata)) {
                        for (TensorRef t : m.tensors().values()) {
                            copy(t, w);
                        }
                        w.finish(false, Map.of("mergelab_version", Version.VERSION));
                        shards = w.shardCount();
                    }
                    copyModelFiles(m.folder(), folder.temp());
                    ModelFolderCheck.writeManifest(folder.temp(), Version.VERSION, 1);
                } catch (IOException e) {
                    throw OutputFolder.writeFailed(outDir, e);
                }
                folder.publish();
                written = folder.target();
            }
            out.printf("converted %d tensors (%s) of %s to %s: %d safetensors shard%s in %.1f s%n", entries.size(), Bytes.human(bytes), model,
                    written, shards, shards == 1 ? "" : "s", (System.nanoTime() - start) / 1e9);
            return 0;
        }
    }

    /** config.json and the tokenizer, generation and processor files, as they are. */
    private static void copyModelFiles(Path from, Path to) throws IOException {
        List<Path> files = new ArrayList<>();
        Path config = SafePaths.resolveInside(from, "config.json");
        if (Files.isRegularFile(config)) {
            files.add(config);
        }
        files.addAll(AuxFiles.present(from));
        for (Path f : files) {
            Files.copy(f, to.resolve(f.getFileName().toString()), StandardCopyOption.COPY_ATTRIBUTES);
        }
    }

    /**
     * Writes one tensor's elements row-major in its own dtype: stored bytes when they already are that
     * ({@link TensorRef#isVerbatim}), gathered from a PyTorch view's strides otherwise, and only for a computed
     * tensor (a LoRA-patched base) decoded and encoded again.
     */
    private static void copy(TensorRef t, ShardedWriter w) throws IOException {
        long total = t.numel() * t.dtype().size();
        if (total == 0) {
            return;
        }
        try {
            if (t.isVerbatim()) {
                MemorySegment src = t.data();
                for (long at = 0; at < total; at += CHUNK_BYTES) {
                    w.write(t.name(), at, src.asSlice(at, Math.min(CHUNK_BYTES, total - at)).asByteBuffer());
                }
                return;
            }
            long rowBytes = t.rowLength() * t.dtype().size();
            int perChunk = (int) Math.max(1, Math.min(t.rows(), CHUNK_BYTES / Math.max(1, rowBytes)));
            ByteBuffer buf = ByteBuffer.allocateDirect(Math.toIntExact(perChunk * rowBytes));
            MemorySegment seg = MemorySegment.ofBuffer(buf);
            float[] values = t.file() instanceof TorchCheckpoint && !t.isPatched() ? null : new float[Math.toIntExact(perChunk * t.rowLength())];
            if (values != null && !exactThroughFloat(t.dtype())) {
                throw MergeLabException.input(t.name() + ": a computed " + t.dtype() + " tensor cannot be written exactly", "convert the model without an adapter");
            }
            TensorRef.RowReader reader = t.rowReader();
            for (long r = 0; r < t.rows(); r += perChunk) {
                int n = (int) Math.min(perChunk, t.rows() - r);
                if (values == null) {
                    ((TorchCheckpoint) t.file()).copyRows(t.info(), r, n, seg, 0);
                } else {
                    reader.read(r, n, values, 0);
                    Codecs.encode(t.dtype(), values, 0, (int) (n * t.rowLength()), seg, 0);
                }
                buf.clear().limit((int) (n * rowBytes));
                w.write(t.name(), r * rowBytes, buf);
            }
        } catch (InternalError e) {
            t.file().checkUnchanged(e); // a mapped input truncated under us: one line naming the file
            throw e;
        }
    }

    /** Float dtypes that float32 holds exactly, so decoding and encoding again changes no bit. */
    private static boolean exactThroughFloat(DType d) {
        return d == DType.F32 || d == DType.F16 || d == DType.BF16 || d == DType.F8_E4M3 || d == DType.F8_E5M2;
    }
}
