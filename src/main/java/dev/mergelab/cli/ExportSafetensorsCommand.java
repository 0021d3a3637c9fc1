package dev.mergelab.cli;

import dev.mergelab.MergeLabException;
import dev.mergelab.Version;
import dev.mergelab.engine.ModelFolderCheck;
import dev.mergelab.engine.OutputFolder;
import dev.mergelab.engine.OutputGuard;
import dev.mergelab.format.SafetensorsWriter;
import dev.mergelab.format.ShardedWriter;
import dev.mergelab.model.AuxFiles;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.TensorRef;
import dev.mergelab.model.gguf.GgufModelFile;
import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.DType;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code mergelab export safetensors GGUF OUT_DIR}: a GGUF file back as a Transformers folder: the tensors under
 * their Hugging Face names (q/k permutation, Gemma's 1 + w and expert stacking undone, quantized blocks decoded as
 * ggml does), in one float dtype, sharded as a merge writes them, with config.json, generation_config.json and the
 * tokenizer files rebuilt from the metadata. OUT_DIR appears only when complete, with the same {@code --force} rules
 * as a merge.
 */
@Command(name = "safetensors", mixinStandardHelpOptions = true,
        description = {"Write a GGUF model (a .gguf file or a folder holding one) as a Hugging Face folder: safetensors shards "
                + "with Transformers' tensor names and layout, config.json, generation_config.json and tokenizer files rebuilt "
                + "from the GGUF metadata.", "Quantized tensors are dequantized exactly as ggml does; float32 holds them exactly."})
final class ExportSafetensorsCommand implements Callable<Integer> {

    /** Rows are decoded and encoded about this many bytes at a time. */
    private static final int CHUNK_BYTES = 8 << 20;
    /** Largest shard: merge's default. */
    private static final long SHARD_BYTES = Sizes.parseBytes("5GB", "--out-shard-size");

    @Parameters(index = "0", paramLabel = "GGUF", description = "A .gguf file, or a folder holding exactly one.")
    String model;

    @Parameters(index = "1", paramLabel = "OUT_DIR", description = "Output model folder (must not exist unless --force).")
    Path outDir;

    @Option(names = "--dtype", paramLabel = "DTYPE", description = "float32, float16 or bfloat16; default: the file's own float "
            + "type (F16, BF16), float32 for F32 and quantized files.")
    String dtype;

    @Option(names = "--force", description = "Replace OUT_DIR if it exists and MergeLab wrote it (only once the new folder is complete).")
    boolean force;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        long start = System.nanoTime();
        try (ModelSource m = Models.opener().open(model)) {
            if (m.files().size() != 1 || !(m.files().get(0) instanceof GgufModelFile)) {
                throw MergeLabException.input(model + " is not a GGUF model", "for a PyTorch or safetensors model use 'mergelab convert'");
            }
            DType target = dtype == null ? m.config().torchDtype().orElse(DType.F32) : parseDtype(dtype);
            List<SafetensorsWriter.Entry> entries = new ArrayList<>();
            long bytes = 0;
            for (TensorRef t : m.tensors().values()) {
                entries.add(new SafetensorsWriter.Entry(t.name(), target, t.shape()));
                bytes += t.numel() * target.size();
            }
            int shards;
            Path written;
            try (OutputFolder folder = OutputFolder.prepare(outDir, force, OutputGuard.pathsOf(List.of(m)))) {
                try {
                    Map<String, String> metadata = new LinkedHashMap<>(); // in a fixed order: same input, same bytes
                    metadata.put("format", "pt");
                    metadata.put("mergelab_version", Version.VERSION);
                    try (ShardedWriter w = ShardedWriter.create(folder.temp(), "model", entries, SHARD_BYTES, metadata)) {
                        for (TensorRef t : m.tensors().values()) {
                            write(t, target, w);
                        }
                        w.finish(false, Map.of("mergelab_version", Version.VERSION));
                        shards = w.shardCount();
                    }
                    Files.writeString(folder.temp().resolve("config.json"), m.config().withDtype(target).toJson());
                    for (Path f : AuxFiles.present(m.folder())) {
                        Files.copy(f, folder.temp().resolve(f.getFileName().toString()));
                    }
                    ModelFolderCheck.writeManifest(folder.temp(), Version.VERSION, 1);
                } catch (IOException e) {
                    throw OutputFolder.writeFailed(outDir, e);
                }
                folder.publish();
                written = folder.target();
            }
            out.printf(Locale.ROOT, "exported %d tensors (%s, %s) of %s to %s: %d safetensors shard%s in %.1f s%n", entries.size(),
                    target.torchName(), Bytes.human(bytes), model, written, shards, shards == 1 ? "" : "s", (System.nanoTime() - start) / 1e9);
            return 0;
        }
    }

    private static DType parseDtype(String s) {
        DType d = DType.fromUserName(s);
        if (d != DType.F32 && d != DType.F16 && d != DType.BF16) {
            throw MergeLabException.input("--dtype '" + s + "': export safetensors writes float32, float16 or bfloat16", "pass --dtype float32");
        }
        return d;
    }

    /**
     * One tensor in {@code target}: the stored bytes when they already are that dtype ({@link TensorRef#isVerbatim}),
     * else its rows decoded to float32 and encoded (round to nearest even), a chunk of rows at a time.
     */
    private static void write(TensorRef t, DType target, ShardedWriter w) throws IOException {
        long total = t.numel() * target.size();
        if (total == 0) {
            return;
        }
        try {
            if (t.isVerbatim() && t.dtype() == target) {
                MemorySegment src = t.data();
                for (long at = 0; at < total; at += CHUNK_BYTES) {
                    w.write(t.name(), at, src.asSlice(at, Math.min(CHUNK_BYTES, total - at)).asByteBuffer());
                }
                return;
            }
            long rowBytes = t.rowLength() * target.size();
            int perChunk = (int) Math.max(1, Math.min(t.rows(), CHUNK_BYTES / Math.max(1, rowBytes)));
            ByteBuffer buf = ByteBuffer.allocateDirect(Math.toIntExact(perChunk * rowBytes));
            MemorySegment seg = MemorySegment.ofBuffer(buf);
            float[] values = new float[Math.toIntExact(perChunk * t.rowLength())];
            TensorRef.RowReader reader = t.rowReader();
            for (long r = 0; r < t.rows(); r += perChunk) {
                int n = (int) Math.min(perChunk, t.rows() - r);
                reader.read(r, n, values, 0);
                Codecs.encode(target, values, 0, (int) (n * t.rowLength()), seg, 0);
                buf.clear().limit((int) (n * rowBytes));
                w.write(t.name(), r * rowBytes, buf);
            }
        } catch (InternalError e) {
            t.file().checkUnchanged(e); // the mapped GGUF truncated under us: one line naming the file
            throw e;
        }
    }
}
