package dev.mergelab.cli;

import dev.mergelab.Version;
import dev.mergelab.engine.ModelCard;
import dev.mergelab.engine.OutputFolder;
import dev.mergelab.engine.OutputGuard;
import dev.mergelab.lora.Adapter;
import dev.mergelab.lora.AdapterWriter;
import dev.mergelab.lora.LoraMerge;
import dev.mergelab.lora.LoraMergeRecipe;
import dev.mergelab.model.ModelRef;
import dev.mergelab.model.ModelResolver;
import dev.mergelab.model.ModelSource;
import java.io.PrintWriter;
import java.nio.file.Path;
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

/** {@code mergelab lora merge RECIPE.yml OUT_DIR}: PEFT add_weighted_adapter from a YAML recipe. */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = {"Combine LoRA adapters of one base into one PEFT adapter with the semantics of PEFT's add_weighted_adapter.",
                "",
                "Recipe (YAML):",
                "  base_model: org/base            # the adapters' base; every adapter is validated against it",
                "  combination_type: ties          # linear cat svd ties ties_svd dare_linear dare_ties",
                "                                  # dare_linear_svd dare_ties_svd magnitude_prune magnitude_prune_svd",
                "  adapters:",
                "    - {adapter: path/to/a, weight: 1.0}",
                "    - {adapter: org/b, weight: 0.5}",
                "  density: 0.5                    # required by ties/dare/magnitude_prune types",
                "  majority_sign_method: total     # total | frequency (ties types)",
                "  svd_rank: 16                    # *svd types (default: largest r)",
                "  svd_clamp: 0.99                 # *svd types: clamp B and A to the quantile of their values",
                "  svd_full_matrices: true         # accepted; no effect on a truncated result",
                "  svd_driver: gesvd               # accepted; CUDA-only in PEFT, ignored with a warning",
                "  dtype: bfloat16                 # of the factors (default: the first adapter's)",
                "  random_seed: 0                  # dare types",
                "",
                "Non-svd types merge A and B separately (weights sign(w*s)*sqrt|w*s| on A, sqrt|w*s| on B); cat stacks them along",
                "the rank; svd types merge dW_i = s_i*B_i*A_i with weights w_i and refactorise B = U*S, A = Vh. The output has",
                "r = lora_alpha = new rank, so its scale is 1."})
final class LoraMergeCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "RECIPE", description = "The lora merge recipe (YAML, see above).")
    Path recipePath;

    @Parameters(index = "1", paramLabel = "OUT_DIR", description = "Adapter folder to write.")
    Path outDir;

    @Option(names = "--force", description = "Replace OUT_DIR if it exists.")
    boolean force;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Mixin
    LabOption lab = new LabOption();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LoraMergeRecipe recipe = LoraMergeRecipe.read(recipePath);
        ModelResolver resolver = ModelResolver.offline();
        List<Adapter> adapters = new ArrayList<>();
        long t0 = System.nanoTime();
        try (ModelSource base = ModelSource.open(resolver.resolve(ModelRef.parse(recipe.baseModel())).base(), recipe.baseModel())) {
            for (LoraMergeRecipe.Entry e : recipe.adapters()) {
                adapters.add(Adapter.open(resolver.resolve(ModelRef.parse(e.adapter())).base()));
            }
            List<Path> inputs = new ArrayList<>(OutputGuard.pathsOf(List.of(base)));
            adapters.forEach(a -> inputs.add(a.folder()));
            OutputFolder.check(outDir, force, inputs);
            int t = threads.count();
            LoraMerge.Result r = LoraMerge.run(recipe, base, adapters, t, Warnings.printOnce(err));
            List<String> sources = new ArrayList<>();
            for (LoraMergeRecipe.Entry e : recipe.adapters()) {
                sources.add(e.adapter() + " (adapter, weight " + e.weight() + ")");
            }
            String card = ModelCard.adapter(outDir.toAbsolutePath().normalize().getFileName().toString(), recipe.baseModel(),
                    "Combined from " + adapters.size() + " adapters by PEFT's add_weighted_adapter with combination_type `"
                            + r.type().peftName() + "` (rank " + r.rank() + ").", sources, "yaml", recipe.text(), Version.VERSION);
            Path written = AdapterWriter.write(outDir, force, inputs, r.tensors(), r.config(),
                    Map.of("mergelab_lora_merge.yml", recipe.text(), "README.md", card));
            out.printf("merged %d adapters (%s) into %s: %d modules, r=%d, in %.1f s%n", adapters.size(), r.type().peftName(), written,
                    r.modules(), r.rank(), (System.nanoTime() - t0) / 1e9);
            lab.record(out, err, () -> dev.mergelab.lab.registry.Provenance.loraMerge(recipe, base.root(),
                    adapters.stream().map(Adapter::folder).toList(), written, (System.nanoTime() - t0) / 1e9));
            return 0;
        } finally {
            adapters.forEach(Adapter::close);
        }
    }
}
