package dev.mergelab.cli;

import dev.mergelab.engine.Executor;
import dev.mergelab.engine.MergePlan;
import dev.mergelab.engine.MergeSession;
import dev.mergelab.engine.VirtualChild;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.WeightSource;
import dev.mergelab.recipe.Recipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The MODEL argument of the forward-pass commands ({@code logits}, {@code bench infer}, {@code generate}): a model ref (folder,
 * hub id, {@code BASE+ADAPTER}) opened as a {@link ModelSource}, or a recipe file ({@code .yml}/{@code .yaml})
 * read as its virtual child, merged in memory tensor by tensor, never written as a model. The forward pass keeps
 * every tensor it reads, so a child of more than a quarter of the heap is spilled: each merged tensor goes to an
 * unlinked scratch file in {@code MERGELAB_TMP} (default: the system temp directory) and is read back mapped,
 * and the heap holds one tensor at a time. Closing closes what was opened.
 */
final class InferSource implements AutoCloseable {

    private final WeightSource weights;
    private final Path folder;
    private final MergePlan plan;
    private final AutoCloseable[] opened;

    private InferSource(WeightSource weights, Path folder, MergePlan plan, AutoCloseable... opened) {
        this.weights = weights;
        this.folder = folder;
        this.plan = plan;
        this.opened = opened;
    }

    /** {@code threads} merge a recipe's tensors; {@code seed} drives its random methods. */
    static InferSource open(String model, int threads, long seed, Consumer<String> warnings) {
        return open(model, threads, seed, warnings, Runtime.getRuntime().maxMemory() / 4);
    }

    /** As {@link #open(String, int, long, Consumer)}, spilling a recipe's child larger than {@code heapShare} bytes. */
    static InferSource open(String model, int threads, long seed, Consumer<String> warnings, long heapShare) {
        if (isRecipe(model)) {
            Recipe recipe = Recipe.parse(Path.of(model));
            MergeSession session = MergeSession.open(recipe, Models.opener(warnings), warnings);
            try {
                // the forward pass keeps every tensor it reads: the child need keep none besides
                VirtualChild child = session.virtualChild(seed, new Executor.Options(threads, Sizes.heapBudget(null)), 0, warnings);
                if (child.totalBytes() > heapShare) {
                    child.spillTo(scratchDir());
                }
                ModelSource files = session.plan().tokenizerSource() != null ? session.plan().tokenizerSource()
                        : session.plan().configSource();
                return new InferSource(child.weights(), files.folder(), session.plan(), child, session);
            } catch (RuntimeException | Error e) {
                session.close();
                throw e;
            }
        }
        ModelSource source = Models.opener(warnings).open(model);
        return new InferSource(source, source.folder(), null, source);
    }

    /** Where a spilled child's scratch file goes: {@code MERGELAB_TMP}, else the system temp directory. */
    static Path scratchDir() {
        String dir = System.getenv("MERGELAB_TMP");
        return Path.of(dir != null && !dir.isBlank() ? dir : System.getProperty("java.io.tmpdir"));
    }

    static boolean isRecipe(String model) {
        String lower = model.toLowerCase(java.util.Locale.ROOT);
        return (lower.endsWith(".yml") || lower.endsWith(".yaml")) && Files.isRegularFile(Path.of(model));
    }

    WeightSource weights() {
        return weights;
    }

    /** The folder of the tokenizer and generation files: the model's, or for a recipe its tokenizer source's. */
    Path folder() {
        return folder;
    }

    /** The recipe's merge plan, or null when MODEL is not a recipe. */
    MergePlan plan() {
        return plan;
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (AutoCloseable c : opened) {
            try {
                c.close();
            } catch (Exception e) {
                RuntimeException r = e instanceof RuntimeException re ? re : new IllegalStateException(e);
                if (failure == null) {
                    failure = r;
                } else {
                    failure.addSuppressed(r);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
