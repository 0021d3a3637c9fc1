package dev.mergelab.cli;

import dev.mergelab.engine.MergePlan;
import dev.mergelab.engine.MemorySink;
import dev.mergelab.engine.MergeRun;
import dev.mergelab.engine.MergeSession;
import dev.mergelab.model.ModelSource;
import dev.mergelab.recipe.Recipe;
import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import dev.mergelab.MergeLabException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code mergelab demo}: the built-in default job. Writes a small deterministic Llama family (base and
 * three fine-tunes), merges it with several methods through the real recipe path, and reports for each
 * child how far it sits from every parent, so a newcomer sees a real merge end to end without downloads.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Generate a tiny model family, merge it with several methods, and show what happened.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--out", description = "Folder for the family, recipes and merged models (default: a new temporary folder).")
    Path out;

    @Spec
    CommandSpec spec;

    private static final Map<String, String> RECIPES = new LinkedHashMap<>();

    static {
        RECIPES.put("linear", """
                merge_method: linear
                models:
                  - model: FAMILY/ft1
                    parameters: {weight: 0.5}
                  - model: FAMILY/ft2
                    parameters: {weight: 0.3}
                  - model: FAMILY/ft3
                    parameters: {weight: 0.2}
                dtype: bfloat16
                """);
        RECIPES.put("ties", """
                merge_method: ties
                base_model: FAMILY/base
                models:
                  - model: FAMILY/ft1
                    parameters: {weight: 1.0, density: 0.5}
                  - model: FAMILY/ft2
                    parameters: {weight: [0.2, 0.8], density: 0.5}
                  - model: FAMILY/ft3
                    parameters:
                      weight: 0.7
                      density:
                        - filter: mlp
                          value: 0.3
                        - value: 0.6
                parameters: {normalize: true}
                dtype: bfloat16
                """);
        RECIPES.put("slerp", """
                merge_method: slerp
                base_model: FAMILY/base
                slices:
                  - sources:
                      - model: FAMILY/base
                        layer_range: [0, 4]
                      - model: FAMILY/ft1
                        layer_range: [0, 4]
                parameters:
                  t:
                    - filter: self_attn
                      value: [0, 0.5, 0.3, 0.7, 1]
                    - filter: mlp
                      value: [1, 0.5, 0.7, 0.3, 0]
                    - value: 0.5
                dtype: bfloat16
                """);
        RECIPES.put("dare_ties", """
                merge_method: dare_ties
                base_model: FAMILY/base
                models:
                  - model: FAMILY/ft1
                    parameters: {weight: 0.5, density: 0.6}
                  - model: FAMILY/ft2
                    parameters: {weight: 0.5, density: 0.6}
                dtype: bfloat16
                """);
        RECIPES.put("passthrough", """
                merge_method: passthrough
                slices:
                  - sources:
                      - model: FAMILY/ft1
                        layer_range: [0, 3]
                  - sources:
                      - model: FAMILY/ft2
                        layer_range: [1, 4]
                dtype: bfloat16
                """);
    }

    /** Marks a folder the demo wrote, so a later {@code demo --out} may reuse and overwrite it. */
    static final String MARKER = ".mergelab-demo";

    @Override
    public Integer call() throws Exception {
        PrintWriter pw = spec.commandLine().getOut();
        if (out != null) {
            claim(out);
            run(out, pw);
            pw.printf("3. outputs are Hugging Face folders (config, tokenizer, model card, recipe) under %s%n", out);
            pw.println("   try: ./mergelab merge " + out.resolve("ties.yml") + " /tmp/my-merge --dry-run");
            return 0;
        }
        // Without --out everything goes to a temporary folder that is removed at the end, also on Ctrl-C.
        Path root = Files.createTempDirectory("mergelab-demo-");
        Thread cleanup = new Thread(() -> deleteTree(root), "mergelab-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            run(root, pw);
        } finally {
            deleteTree(root);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException e) {
                // the JVM is shutting down; the hook deletes the folder anyway
            }
        }
        pw.printf("3. removed the temporary folder %s; rerun with --out DIR to keep the family, recipes and merged models%n", root);
        return 0;
    }

    /**
     * {@code --out} may be a new or empty folder, or one an earlier demo wrote (it holds {@value #MARKER}): the demo
     * overwrites its recipes and merged models, and must not overwrite files of the user's with the same names.
     */
    private static void claim(Path dir) throws IOException {
        if (Files.exists(dir) && !Files.exists(dir.resolve(MARKER))) {
            boolean empty;
            try (Stream<Path> s = Files.list(dir)) {
                empty = s.findAny().isEmpty();
            } catch (IOException e) {
                throw MergeLabException.input(dir + " exists and is not a folder the demo can use", "choose a new folder for --out");
            }
            if (!empty) {
                throw MergeLabException.input(dir + " is not empty and was not written by the demo",
                        "choose a new folder for --out; the demo would overwrite files there");
            }
        }
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(MARKER), "written by mergelab demo; its contents may be overwritten by the next demo run\n");
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            // best effort: a temporary folder left behind is the operating system's to clean
        }
    }

    private void run(Path root, PrintWriter pw) throws Exception {
        Path family = root.resolve("family");
        if (!Files.isDirectory(family.resolve("base"))) {
            FamilySpec fs = FamilySpec.tiny(DType.BF16);
            FamilyGenerator.generate(fs, family, Runtime.getRuntime().availableProcessors());
            pw.printf("1. generated a synthetic Llama family in %s: base + %d fine-tunes, %d layers, %,d parameters each (bf16)%n",
                    family, fs.fineTunes(), fs.layers(), fs.parameterCount());
        } else {
            pw.printf("1. reusing the synthetic family in %s%n", family);
        }
        pw.println("2. merging it with " + String.join(", ", RECIPES.keySet()) + ":");
        pw.printf("   %-12s %8s %7s %8s   %s%n", "method", "tensors", "layers", "seconds", "relative distance of the child to base / ft1 / ft2 / ft3");
        for (Map.Entry<String, String> e : RECIPES.entrySet()) {
            Path recipeFile = root.resolve(e.getKey() + ".yml");
            Files.writeString(recipeFile, e.getValue().replace("FAMILY", family.toString()));
            Path merged = root.resolve("merged-" + e.getKey());
            Recipe recipe = Recipe.parse(recipeFile);
            List<String> warnings = new ArrayList<>();
            try (MergeSession session = MergeSession.open(recipe, Models.opener(warnings::add), warnings::add)) {
                MergePlan plan = session.plan();
                MemorySink child = new MemorySink(plan);   // scored from memory, not read back from the folder
                MergeRun.Result r = session.writeFolder(merged,
                        new MergeRun.Options(Runtime.getRuntime().availableProcessors(), 256L << 20, 5_000_000_000L, 0, true, false),
                        new dev.mergelab.engine.ProgressListener() {
                            @Override
                            public void warning(String m) {
                                warnings.add(m);
                            }
                        }, child);
                pw.printf("   %-12s %8d %7d %8.2f   %s%n", e.getKey(), plan.jobs().size(), plan.numLayers(), r.seconds(),
                        distances(child, family));
            }
        }
    }


    /** ‖child − parent‖ / ‖parent‖ over the tensors both have (layer names may differ for passthrough). */
    private static String distances(MemorySink child, Path family) {
        StringBuilder sb = new StringBuilder();
        for (String parent : List.of("base", "ft1", "ft2", "ft3")) {
            try (ModelSource p = ModelSource.open(family.resolve(parent), parent)) {
                double num = 0;
                double den = 0;
                for (var t : child.tensors().values()) {
                    var pt = p.tensor(t.name());
                    if (pt == null || !java.util.Arrays.equals(pt.shape(), t.shape())) {
                        continue;
                    }
                    float[] a = t.floats();
                    float[] b = readAll(pt);
                    for (int i = 0; i < a.length; i++) {
                        double d = a[i] - b[i];
                        num += d * d;
                        den += (double) b[i] * b[i];
                    }
                }
                if (sb.length() > 0) {
                    sb.append(" / ");
                }
                sb.append(String.format("%.4f", Math.sqrt(num / Math.max(den, 1e-30))));
            }
        }
        return sb.toString();
    }

    private static float[] readAll(dev.mergelab.model.TensorRef t) {
        float[] v = new float[(int) t.numel()];
        t.decodeInto(v);
        return v;
    }
}
