package dev.mergelab.cli;

import dev.mergelab.MergeLabException;
import dev.mergelab.engine.MergePlan;
import dev.mergelab.engine.MergeRun;
import dev.mergelab.engine.MergeSession;
import dev.mergelab.lora.LoraApply;
import dev.mergelab.model.ModelRef;
import dev.mergelab.model.ModelResolver;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.TensorRef;
import dev.mergelab.recipe.Recipe;
import dev.mergelab.tensor.DType;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mergelab lora apply BASE ADAPTER OUT_DIR}: the full model with the adapter merged in. */
@Command(name = "apply", mixinStandardHelpOptions = true,
        description = {"Merge a PEFT LoRA adapter into its base: W + scale·B·A for every adapted module "
                + "(scale = lora_alpha/r, or lora_alpha/sqrt(r) with use_rslora; rank_pattern/alpha_pattern per module; "
                + "fan_in_fan_out and embedding adapters transposed as PEFT does), modules_to_save replacing their tensors.",
                "Runs as a one-model passthrough merge of BASE+ADAPTER, streamed tensor by tensor; OUT_DIR appears only when complete."})
final class LoraApplyCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "BASE", description = "Base model folder, .safetensors file or hub id.")
    String base;

    @Parameters(index = "1", paramLabel = "ADAPTER", description = "PEFT adapter folder (adapter_config.json + adapter_model.safetensors) or hub id.")
    String adapter;

    @Parameters(index = "2", paramLabel = "OUT_DIR", description = "Output model folder (must not exist unless --force).")
    Path outDir;

    @Option(names = "--dtype", description = "Output dtype: bfloat16, float16 or float32 (default: the base's).")
    String dtype;

    @Option(names = "--force", description = "Replace OUT_DIR if it exists (only once the new model is complete).")
    boolean force;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Option(names = "--memory", description = "Heap budget for tensors in flight (default: half the Java heap, which MERGELAB_HEAP sets).")
    String memory;

    @Option(names = "--out-shard-size", defaultValue = "5GB", description = "Largest output shard (default: ${DEFAULT-VALUE}).")
    String shardSize;

    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;

    @Mixin
    LabOption lab = new LabOption();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        DType dt = dtype == null ? baseDtype() : DType.fromUserName(dtype);
        if (dt == null || !dt.isFloating()) {
            throw MergeLabException.input("--dtype '" + dtype + "' is not a floating dtype", "use bfloat16, float16 or float32");
        }
        Recipe recipe = Recipe.parse(LoraApply.recipe(base, adapter, dt), "lora apply");
        ConsoleProgress progress = new ConsoleProgress(spec.commandLine().getErr(), quiet);
        try (MergeSession session = MergeSession.open(recipe, Models.opener(progress::warning), progress::warning)) {
            MergePlan plan = session.plan();
            long adapted = plan.jobs().stream().filter(j -> j.inputs().getFirst().ref().isPatched()).count();
            int t = threads.count();
            MergeRun.Result r = MergeRun.execute(recipe, plan, outDir, new MergeRun.Options(t, Sizes.heapBudget(memory),
                    Sizes.parseBytes(shardSize, "--out-shard-size"), 0, force, false), progress);
            out.printf("applied %s to %s: %d of %d tensors adapted, %s written to %s in %.1f s%n", adapter, base, adapted,
                    plan.jobs().size(), Bytes.human(r.outputBytes()), r.outDir(), r.seconds());
            lab.record(out, spec.commandLine().getErr(),
                    () -> dev.mergelab.lab.registry.Provenance.loraApply(recipe, plan, r.outDir(), r.seconds()));
            return 0;
        }
    }

    /** The base's floating dtype, so saved modules stored in another dtype do not mix dtypes in the output. */
    private DType baseDtype() {
        Path p = ModelResolver.offline().resolve(ModelRef.parse(base)).base();
        try (ModelSource m = ModelSource.open(p, base)) {
            for (TensorRef t : m.tensors().values()) {
                if (t.dtype().isFloating()) {
                    return t.dtype();
                }
            }
        }
        return DType.F32;
    }
}
