package dev.mergelab.lora;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.Version;
import dev.mergelab.engine.ModelFolderCheck;
import dev.mergelab.engine.OutputFolder;
import dev.mergelab.format.SafetensorsWriter;
import dev.mergelab.model.TensorRef;
import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Writes a PEFT adapter folder ({@code adapter_config.json} + {@code adapter_model.safetensors} + extra
 * files) with the same guarantee as a merge: everything goes into a temporary folder that is renamed
 * into place only when complete ({@link OutputFolder}).
 */
public final class AdapterWriter {

    private static final int CHUNK = 1 << 20;

    /** One tensor to write: computed values, or a stored tensor copied (converted if the dtype differs). */
    public record OutTensor(String name, DType dtype, long[] shape, float[] values, TensorRef source) {
        public static OutTensor computed(String name, DType dtype, long[] shape, float[] values) {
            return new OutTensor(name, dtype, shape, values, null);
        }

        public static OutTensor copied(String name, DType dtype, TensorRef source) {
            return new OutTensor(name, dtype, source.shape(), null, source);
        }
    }

    private AdapterWriter() {
    }

    /**
     * Writes the adapter, its config, {@code extraFiles} (name to text) and a manifest into {@code outDir}.
     * {@code inputs}: the models and adapters read, which OUT_DIR must stay clear of ({@link OutputFolder#prepare}).
     */
    public static Path write(Path outDir, boolean force, Collection<Path> inputs, List<OutTensor> tensors, ObjectNode config,
            Map<String, String> extraFiles) {
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (OutTensor t : tensors) {
            entries.add(new SafetensorsWriter.Entry(t.name(), t.dtype(), t.shape()));
        }
        try (OutputFolder folder = OutputFolder.prepare(outDir, force, inputs)) {
            try {
                try (SafetensorsWriter w = SafetensorsWriter.create(folder.temp().resolve(Adapter.WEIGHTS_FILE), entries,
                        Map.of("format", "pt"))) {
                    for (OutTensor t : tensors) {
                        writeOne(w, t);
                    }
                    w.finish(false);
                }
                Files.writeString(folder.temp().resolve(AdapterConfig.FILE_NAME), AdapterJson.MAPPER.writeValueAsString(config) + "\n");
                for (Map.Entry<String, String> e : extraFiles.entrySet()) {
                    Files.writeString(folder.temp().resolve(e.getKey()), e.getValue());
                }
                // Last, as for merges: it lets `mergelab verify` check the files and a later --force replace the folder.
                ModelFolderCheck.writeManifest(folder.temp(), Version.VERSION, 1);
            } catch (IOException e) {
                throw OutputFolder.writeFailed(outDir, e); // while the partial output still fills the disk
            } catch (UncheckedIOException e) {
                throw OutputFolder.writeFailed(outDir, e.getCause());
            }
            folder.publish();
            return folder.target();
        }
    }

    private static void writeOne(SafetensorsWriter w, OutTensor t) throws IOException {
        if (t.source() != null && t.source().dtype() == t.dtype() && t.source().isVerbatim()) {
            MemorySegment src = t.source().data();
            for (long at = 0; at < src.byteSize(); at += 8L * CHUNK) {
                long c = Math.min(8L * CHUNK, src.byteSize() - at);
                w.write(t.name(), at, src.asSlice(at, c).asByteBuffer());
            }
            return;
        }
        float[] v = t.values() != null ? t.values() : Factors.decode(t.source());
        int size = t.dtype().size();
        int chunk = Math.max(1, Math.min(CHUNK, v.length));
        ByteBuffer buf = ByteBuffer.allocate(chunk * size);
        MemorySegment seg = MemorySegment.ofBuffer(buf);
        for (int at = 0; at < v.length; at += chunk) {
            int c = Math.min(chunk, v.length - at);
            Codecs.encode(t.dtype(), v, at, c, seg, 0);
            buf.clear().limit(c * size);
            w.write(t.name(), (long) at * size, buf);
        }
    }
}
