package dev.mergelab.engine;

import dev.mergelab.MergeLabException;
import dev.mergelab.Version;
import dev.mergelab.format.SafetensorsFile;
import dev.mergelab.format.WeightFile;
import dev.mergelab.format.SafetensorsWriter;
import dev.mergelab.format.ShardedWriter;
import dev.mergelab.method.MethodRegistry;
import dev.mergelab.method.MethodSpec;
import dev.mergelab.model.AuxFiles;
import dev.mergelab.model.ChatTemplateFiles;
import dev.mergelab.model.ModelConfig;
import dev.mergelab.model.ModelSource;
import dev.mergelab.recipe.Recipe;
import dev.mergelab.tensor.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One merge from recipe to finished output folder: plan, write every tensor into a temporary folder,
 * add config, tokenizer, recipe and model card, check, and rename into place. Nothing appears at
 * OUT_DIR unless all of it succeeded.
 */
public final class MergeRun {


    /**
     * How to run a merge. {@code chunkAboveBytes}: jobs with a larger float32 working set run chunked
     * (bounded memory) when their method allows; {@code chunkElements}: elements per input per chunk.
     */
    public record Options(int threads, long memoryBudgetBytes, long shardBytes, long seed, boolean force, boolean fsync,
            long chunkAboveBytes, int chunkElements) {

        public Options(int threads, long memoryBudgetBytes, long shardBytes, long seed, boolean force, boolean fsync) {
            this(threads, memoryBudgetBytes, shardBytes, seed, force, fsync, Executor.DEFAULT_CHUNK_ABOVE, Executor.CHUNK_ELEMENTS);
        }

        /** How the executor runs under these options. */
        public Executor.Options executor() {
            return new Executor.Options(threads, memoryBudgetBytes, chunkAboveBytes, chunkElements);
        }
    }

    /** What a finished merge produced. */
    public record Result(MergePlan plan, Path outDir, long outputBytes, double seconds, List<String> files) {
    }

    private MergeRun() {
    }

    /** Executes a plan into {@code outDir}. */
    public static Result execute(Recipe recipe, MergePlan plan, Path outDir, Options opts, ProgressListener progress) {
        return execute(recipe, plan, outDir, opts, progress, null);
    }

    /**
     * Executes a plan into {@code outDir} and, when {@code alsoInto} is not null, into that sink too
     * (each piece encoded once, written to both), so a caller can look at the merge without reading
     * the folder back.
     */
    public static Result execute(Recipe recipe, MergePlan plan, Path outDir, Options opts, ProgressListener progress,
            TensorSink alsoInto) {
        return execute(recipe, plan, outDir, opts, progress, alsoInto, Extras.NONE);
    }

    /**
     * What a command that merges through this path adds to the folder (a soup: its base for the card, its recipe
     * under the command's name).
     *
     * @param cardBase the base model the card names when the recipe has no base_model (a soup's pre-trained model,
     *                 which is not merged), or null
     * @param files    more text files to write into the folder, by plain file name (covered by the manifest)
     */
    public record Extras(String cardBase, Map<String, String> files) {
        public static final Extras NONE = new Extras(null, Map.of());

        public Extras {
            files = Map.copyOf(files);
            for (String name : files.keySet()) {
                if (!name.matches("[A-Za-z0-9_.-]+") || name.startsWith(".")) {
                    throw new IllegalArgumentException("not a plain file name: " + name);
                }
            }
        }
    }

    /** {@link #execute(Recipe, MergePlan, Path, Options, ProgressListener, TensorSink)} with {@code extras} added. */
    public static Result execute(Recipe recipe, MergePlan plan, Path outDir, Options opts, ProgressListener progress,
            TensorSink alsoInto, Extras extras) {
        long t0 = System.nanoTime();
        List<SafetensorsWriter.Entry> entries = new ArrayList<>(plan.jobs().size());
        for (TensorJob j : plan.jobs()) {
            entries.add(new SafetensorsWriter.Entry(j.outputName(), j.outDtype(), j.outShape()));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("mergelab_version", Version.VERSION);
        metadata.put("mergelab_method", plan.method());
        metadata.put("mergelab_recipe_sha256", recipe.textSha256());
        // Hash inputs for the model card while the merge runs; both read the same page-cache pages.
        CompletableFuture<Map<String, String>> hashes = CompletableFuture.supplyAsync(() -> hashInputs(plan));
        try (OutputFolder folder = OutputFolder.prepare(outDir, opts.force(), OutputGuard.pathsOf(plan.models()))) {
            List<String> files;
            Map<String, String> shardHashes;
            try (ShardedWriter writer = ShardedWriter.create(folder.temp(), "model", entries, opts.shardBytes(), metadata)) {
                if (opts.fsync()) {
                    writer.writeBackEarly();   // the disk writes overlap the merge instead of all waiting at the end
                }
                TensorSink folderSink = new FolderSink(writer);
                TensorSink sink = alsoInto == null ? folderSink : (name, at, bytes) -> {
                    alsoInto.write(name, at, bytes.duplicate());
                    folderSink.write(name, at, bytes);
                };
                Executor.run(plan, new MethodCompute(opts.seed()), sink, opts.executor(),
                        progress);
                writer.finish(opts.fsync(), Map.of("mergelab_version", Version.VERSION));
                files = new ArrayList<>(writer.fileNames());
                shardHashes = writer.shardSha256();
            } catch (IOException e) {
                throw writeFailure(outDir, e);
            }
            try {
                if (!plan.flat()) {
                    writeConfig(plan, folder.temp());
                    files.addAll(copyTokenizer(plan, folder.temp()));
                }
                Files.writeString(folder.temp().resolve("mergelab_recipe.yml"), recipe.text());
                for (Map.Entry<String, String> f : new java.util.TreeMap<>(extras.files()).entrySet()) {
                    if (Files.exists(folder.temp().resolve(f.getKey()))) {
                        throw new IllegalArgumentException("the merge already wrote " + f.getKey());
                    }
                    Files.writeString(folder.temp().resolve(f.getKey()), f.getValue());
                }
                MethodSpec spec = MethodRegistry.get(plan.method()).spec();
                List<String> parents = new ArrayList<>();
                for (ModelSource m : plan.models()) {
                    parents.add(m.displayName());
                }
                String card = ModelCard.merge(recipe.name().map(n -> n.value()).orElse(outDir.getFileName().toString()), parents,
                        recipe.baseModel().map(b -> b.raw()).orElse(extras.cardBase()), plan.method(), spec.paper(), spec.paperUrl(), recipe.text(),
                        inputHashes(plan, hashes), Version.VERSION);
                Files.writeString(folder.temp().resolve("README.md"), card);
                verifyOutput(folder.temp(), plan);
                // The inputs were read lazily through their mappings: one rewritten or truncated meanwhile would
                // leave an output mixing old and new bytes (or one whose card hashes other bytes).
                checkInputsUnchanged(plan, null);
                // Last: the SHA-256 of every output file, which `mergelab verify` re-checks.
                ModelFolderCheck.writeManifest(folder.temp(), Version.VERSION, opts.threads(), shardHashes);
            } catch (IOException e) {
                throw writeFailure(outDir, e);
            }
            folder.publish();
            return new Result(plan, folder.target(), plan.outputBytes(), (System.nanoTime() - t0) / 1e9, files);
        } catch (UncheckedIOException e) {
            throw writeFailure(outDir, e.getCause());
        }
    }

    private static MergeLabException writeFailure(Path outDir, IOException e) {
        return OutputFolder.writeFailed(outDir, e);
    }

    /** The input hashes, with a fault of the hashing thread (SIGBUS on a truncated input) reported by file. */
    private static Map<String, String> inputHashes(MergePlan plan, CompletableFuture<Map<String, String>> hashes) {
        try {
            return hashes.join();
        } catch (CompletionException e) {
            checkInputsUnchanged(plan, e.getCause());
            throw e;
        }
    }

    /** Throws a one-line INPUT error naming the first input file that changed on disk since it was opened. */
    private static void checkInputsUnchanged(MergePlan plan, Throwable fault) {
        for (ModelSource m : plan.models()) {
            for (WeightFile f : m.files()) {
                f.checkUnchanged(fault);
            }
        }
    }

    private static Map<String, String> hashInputs(MergePlan plan) {
        Map<String, String> out = new LinkedHashMap<>();
        for (ModelSource m : plan.models()) {
            for (WeightFile f : m.files()) {
                out.put(m.displayName() + "/" + f.path().getFileName(), FileHashes.sha256Cached(f.path()));
            }
        }
        return out;
    }

    private static void writeConfig(MergePlan plan, Path dir) throws IOException {
        ModelConfig cfg = outputConfig(plan);
        if (cfg != null) {
            Files.writeString(dir.resolve("config.json"), cfg.toJson());
        }
    }

    /** The config.json the output folder gets (the config source's, adjusted to the output), or null without one. */
    static ModelConfig outputConfig(MergePlan plan) {
        Path src = plan.configSource().folder().resolve("config.json");
        if (!Files.isRegularFile(src)) {
            return null;
        }
        ModelConfig cfg = ModelConfig.readFolder(plan.configSource().folder());
        DType dtype = plan.jobs().stream().map(TensorJob::outDtype).filter(DType::isFloating).findFirst().orElse(null);
        if (dtype != null) {
            cfg = cfg.withDtype(dtype);
        }
        if (plan.numLayers() > 0) {
            cfg = cfg.withLayerCount(plan.numLayers());
        }
        if (plan.vocabSize() > 0) {
            cfg = cfg.withVocabSize((int) plan.vocabSize());
        }
        return cfg;
    }

    /**
     * Copies the tokenizer source's tokenizer, generation and processor files. With a chat template from the
     * recipe, tokenizer_config.json is rewritten with it instead of copied, and the source's template files
     * that would override it on loading (chat_template.jinja, chat_template.json) are left out.
     */
    private static List<String> copyTokenizer(MergePlan plan, Path dir) throws IOException {
        List<String> copied = new ArrayList<>();
        ModelSource tok = plan.tokenizerSource();
        if (tok == null) {
            return copied;
        }
        ChatTemplates.Choice chat = plan.chatTemplate();
        for (Path f : AuxFiles.present(tok.folder())) {
            String name = f.getFileName().toString();
            if (name.equals("config.json") || chat != null && (chat.notCopied().contains(name)
                    || name.equals(ChatTemplateFiles.TOKENIZER_CONFIG))) {
                continue;
            }
            Files.copy(f, dir.resolve(name), StandardCopyOption.COPY_ATTRIBUTES);
            copied.add(name);
        }
        if (chat != null) {
            Files.writeString(dir.resolve(ChatTemplateFiles.TOKENIZER_CONFIG), ChatTemplateFiles.configWithTemplate(tok.folder(), chat.text()));
            copied.add(ChatTemplateFiles.TOKENIZER_CONFIG);
        }
        return copied;
    }

    /** Re-reads every written shard header: each planned tensor present once, with the planned dtype and shape. */
    private static void verifyOutput(Path dir, MergePlan plan) {
        Map<String, TensorJob> expected = new LinkedHashMap<>();
        for (TensorJob j : plan.jobs()) {
            expected.put(j.outputName(), j);
        }
        try (var files = Files.list(dir)) {
            for (Path p : files.filter(x -> x.getFileName().toString().endsWith(".safetensors")).toList()) {
                try (SafetensorsFile f = SafetensorsFile.open(p)) {
                    for (var t : f.tensors()) {
                        TensorJob j = expected.remove(t.name());
                        if (j == null || j.outDtype() != t.dtype() || !java.util.Arrays.equals(j.outShape(), t.shape())) {
                            throw new IllegalStateException("output check failed for " + t.name() + " in " + p);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!expected.isEmpty()) {
            throw new IllegalStateException("output is missing " + expected.size() + " tensors, e.g. " + expected.keySet().iterator().next());
        }
        // Index consistent with the shards (each tensor once, in the shard the index names; total_size right).
        List<String> problems = ModelFolderCheck.weightProblems(dir, false);
        if (!problems.isEmpty()) {
            throw new IllegalStateException("output check failed: " + problems.getFirst());
        }
    }
}
