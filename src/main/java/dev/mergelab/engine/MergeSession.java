package dev.mergelab.engine;

import dev.mergelab.recipe.Recipe;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * One recipe, planned, with its parents open: merge it into any {@link TensorSink} (a folder, memory),
 * as often as wanted, or read it as a model through a {@link VirtualChild}. Closing the session closes
 * the parents once (unless they were {@linkplain #borrowing borrowed}); nothing planned may be used after that.
 */
public final class MergeSession implements AutoCloseable {

    private final Recipe recipe;
    private final OpenModels opened;
    private final MergePlan plan;

    private MergeSession(Recipe recipe, OpenModels opened, MergePlan plan) {
        this.recipe = recipe;
        this.opened = opened;
        this.plan = plan;
    }

    /**
     * Opens the recipe's parents through {@code opener} and plans it; every check that needs no tensor
     * byte happens here. On failure the models opened so far are closed.
     */
    public static MergeSession open(Recipe recipe, ModelOpener opener, Consumer<String> warnings) {
        OpenModels opened = new OpenModels();
        try {
            MergePlan plan = Planner.plan(recipe, ref -> opened.add(opener.open(ref)), warnings);
            return new MergeSession(recipe, opened, plan);
        } catch (RuntimeException | Error e) {
            try {
                opened.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Plans {@code recipe} over models that {@code opener} hands out and the caller keeps (a soup or a search opens
     * its parents once for hundreds of recipes): closing this session closes none of them.
     */
    public static MergeSession borrowing(Recipe recipe, ModelOpener opener, Consumer<String> warnings) {
        return new MergeSession(recipe, new OpenModels(), Planner.plan(recipe, opener, warnings));
    }

    public Recipe recipe() {
        return recipe;
    }

    public MergePlan plan() {
        return plan;
    }

    /** Merges every tensor into {@code sink} (random methods draw from {@code seed}). */
    public void execute(TensorSink sink, long seed, Executor.Options opts, ProgressListener progress) {
        Executor.run(plan, new MethodCompute(seed), sink, opts, progress);
    }

    /** Merges every tensor into memory: the bytes the folder would hold, without writing one. */
    public MemorySink mergeInMemory(long seed, Executor.Options opts, ProgressListener progress) {
        MemorySink sink = new MemorySink(plan);
        execute(sink, seed, opts, progress);
        return sink;
    }

    /** Writes the finished output folder ({@link MergeRun#execute}). */
    public MergeRun.Result writeFolder(Path outDir, MergeRun.Options opts, ProgressListener progress) {
        return MergeRun.execute(recipe, plan, outDir, opts, progress);
    }

    /** Writes the finished output folder and keeps a copy of every tensor in {@code alsoInto}. */
    public MergeRun.Result writeFolder(Path outDir, MergeRun.Options opts, ProgressListener progress, TensorSink alsoInto) {
        return MergeRun.execute(recipe, plan, outDir, opts, progress, alsoInto);
    }

    /**
     * The merge as a model whose tensors are merged when first read and kept within
     * {@code cacheBytes}; close it before the session.
     */
    public VirtualChild virtualChild(long seed, Executor.Options opts, long cacheBytes, Consumer<String> warnings) {
        return new VirtualChild(plan, new MethodCompute(seed), opts, cacheBytes, warnings);
    }

    /** Closes the parents (once). */
    @Override
    public void close() {
        opened.close();
    }
}
