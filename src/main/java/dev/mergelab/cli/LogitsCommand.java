package dev.mergelab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.MergeLabException;
import dev.mergelab.format.SafetensorsWriter;
import dev.mergelab.infer.Session;
import dev.mergelab.infer.TransformerModel;
import dev.mergelab.infer.Workers;
import dev.mergelab.tensor.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code mergelab logits MODEL --ids IDS.json --out OUT.safetensors}: each token-id sequence runs alone
 * (positions 0..n-1, nothing added) and its logits land in OUT as {@code logits.<i>}, F32 [len_i, vocab_size].
 * MODEL may be a recipe: its virtual child is read, giving the logits the written merge would give.
 */
@Command(name = "logits", mixinStandardHelpOptions = true,
        description = "Run the forward pass on token-id sequences and write their logits as safetensors.")
final class LogitsCommand implements Callable<Integer> {

    /** A JSON file of ids is small; this stops a hostile one from filling memory. */
    private static final long MAX_IDS_BYTES = 256L << 20;

    @Parameters(paramLabel = "MODEL", description = "Model folder, .safetensors file's folder, hub id in the local cache, "
            + "BASE+ADAPTER, or a recipe (.yml/.yaml) read merged in memory without writing it.")
    String model;

    @Option(names = "--random-seed", defaultValue = "0", description = "Seed of a recipe's random methods (dare, della, ...), "
            + "as for merge; default ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--ids", required = true, paramLabel = "IDS.json", description = "A JSON list of token-id lists.")
    Path ids;

    @Option(names = "--out", required = true, paramLabel = "OUT.safetensors", description = "Where to write logits.<i> (F32 [len_i, vocab_size]).")
    Path out;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        int[][] sequences = readIds(ids);
        int t = threads.count();
        java.io.PrintWriter err = spec.commandLine().getErr();
        try (InferSource source = InferSource.open(model, t, seed, w -> err.println("warning: " + w));
             Workers workers = new Workers(t)) {
            TransformerModel m = TransformerModel.load(source.weights(), workers);
            int vocab = m.description().vocab();
            List<SafetensorsWriter.Entry> entries = new ArrayList<>();
            for (int i = 0; i < sequences.length; i++) {
                entries.add(new SafetensorsWriter.Entry("logits." + i, DType.F32, new long[]{sequences[i].length, vocab}));
            }
            Path target = out.toAbsolutePath();
            Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
            Files.deleteIfExists(tmp);
            try (SafetensorsWriter w = SafetensorsWriter.create(tmp, entries, Map.of("producer", "mergelab logits"))) {
                for (int i = 0; i < sequences.length; i++) {
                    Session session = m.newSession();
                    float[] logits = session.forward(sequences[i]);
                    ByteBuffer buf = ByteBuffer.allocate(logits.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                    buf.asFloatBuffer().put(logits);
                    w.write("logits." + i, 0, buf);
                }
                w.finish(false);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(tmp);
                throw e;
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            spec.commandLine().getOut().printf("wrote logits of %d sequence%s to %s%n", sequences.length,
                    sequences.length == 1 ? "" : "s", out);
        }
        return 0;
    }

    /** A list of non-empty lists of non-negative whole numbers; anything else is a one-line error. */
    static int[][] readIds(Path file) {
        JsonNode root;
        try {
            if (!Files.isRegularFile(file)) {
                throw MergeLabException.input(file + ": no such ids file", null);
            }
            if (Files.size(file) > MAX_IDS_BYTES) {
                throw MergeLabException.input(file + ": ids file is over " + MAX_IDS_BYTES + " bytes", null);
            }
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw MergeLabException.input(file + ": not valid JSON: " + e.getMessage().lines().findFirst().orElse(""), null);
        }
        String shape = "must be a JSON list of token-id lists, e.g. [[1, 2, 3], [4, 5]]";
        if (root == null || !root.isArray()) {
            throw MergeLabException.input(file + ": " + shape, null);
        }
        int[][] out = new int[root.size()][];
        for (int s = 0; s < out.length; s++) {
            JsonNode seq = root.get(s);
            if (!seq.isArray() || seq.isEmpty()) {
                throw MergeLabException.input(file + ": sequence " + s + " " + (seq.isArray() ? "is empty" : "is not a list") + "; the file " + shape, null);
            }
            out[s] = new int[seq.size()];
            for (int t = 0; t < seq.size(); t++) {
                JsonNode id = seq.get(t);
                if (!id.isIntegralNumber() || !id.canConvertToInt() || id.intValue() < 0) {
                    throw MergeLabException.input(file + ": sequence " + s + " position " + t
                            + " is not a token id (a non-negative whole number): " + clip(id), null);
                }
                out[s][t] = id.intValue();
            }
        }
        return out;
    }

    private static String clip(JsonNode v) {
        String s = v.toString();
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
