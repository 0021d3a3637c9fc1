package dev.mergelab.cli;

import dev.mergelab.MergeLabException;
import dev.mergelab.Version;
import dev.mergelab.engine.MergePlan;
import dev.mergelab.engine.MergeRun;
import dev.mergelab.engine.MergeSession;
import dev.mergelab.engine.ModelCard;
import dev.mergelab.engine.TensorJob;
import dev.mergelab.engine.VirtualChild;
import dev.mergelab.export.ExportType;
import dev.mergelab.export.GgufExport;
import dev.mergelab.export.GgufInput;
import dev.mergelab.format.SafetensorsWriter;
import dev.mergelab.format.ShardedWriter;
import dev.mergelab.method.MethodRegistry;
import dev.mergelab.method.MethodSpec;
import dev.mergelab.model.ChatTemplateFiles;
import dev.mergelab.model.ModelSource;
import dev.mergelab.recipe.Recipe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code merge RECIPE OUT.gguf --type T}: the merge read as its virtual child (each tensor merged when the GGUF
 * writer reaches it, nothing cached, nothing spilled) and streamed into the export, so no full-precision copy is
 * written anywhere. The export sees what it would read from the merge's output folder: the config the folder would
 * get, the tokenizer files from the merge's tokenizer source (tokenizer_config.json rewritten when the recipe sets
 * a chat template), the folder's model card (its front matter names the parents), and each tensor in the shard the
 * folder would put it in (the converter orders tensors by file). The one input that is not the folder's is the name:
 * {@code general.name} comes from OUT.gguf's name without the extension, where the folder export takes the folder's
 * name; so {@code merge R child.gguf} equals {@code merge R child} then {@code export gguf child child.gguf}.
 */
final class MergeToGguf {

    private MergeToGguf() {
    }

    static boolean isGguf(Path out) {
        return out != null && out.getFileName() != null && out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf");
    }

    /** The checks of OUT.gguf itself, made before the recipe is planned. */
    static void checkOutput(Path out, boolean force) {
        if (Files.isDirectory(out)) {
            throw MergeLabException.input(out + " is a folder; name the .gguf file to write");
        }
        if (Files.exists(out) && !force) {
            throw MergeLabException.input(out + " exists", "pass --force to replace it");
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw MergeLabException.input(parent + " does not exist", "create the folder OUT.gguf goes in first");
        }
    }

    /** Merges {@code plan} into {@code out} as {@code type}. */
    static GgufExport.Result write(Recipe recipe, MergePlan plan, MergeSession session, Path out, ExportType type,
            MergeRun.Options options, Consumer<String> warnings) throws IOException {
        return write(recipe, plan, session, out, type, null, options, warnings);
    }

    /** Merges {@code plan} into {@code out} as {@code type}, quantized with {@code imatrix} (null: none). */
    static GgufExport.Result write(Recipe recipe, MergePlan plan, MergeSession session, Path out, ExportType type,
            dev.mergelab.export.GgufImatrix imatrix, MergeRun.Options options, Consumer<String> warnings) throws IOException {
        if (plan.flat()) {
            throw MergeLabException.input("the parents are single .safetensors files: the merge has no config.json or tokenizer to "
                    + "export", "merge model folders, or merge to a folder");
        }
        dev.mergelab.engine.OutputGuard.checkNotAnInput(out, dev.mergelab.engine.OutputGuard.pathsOf(plan.models())); // a GGUF parent
        String stem = out.getFileName().toString();
        stem = stem.substring(0, stem.length() - ".gguf".length());
        // one tensor at a time: the export reads each once and lets it go, so the child keeps none (no cache, no spill)
        try (VirtualChild child = session.virtualChild(options.seed(), options.executor(), 0, warnings)) {
            ModelSource files = plan.tokenizerSource() != null ? plan.tokenizerSource() : plan.configSource();
            String tokenizerConfig = plan.chatTemplate() == null ? null
                    : ChatTemplateFiles.configWithTemplate(files.folder(), plan.chatTemplate().text());
            GgufInput in = new GgufInput(stem, child.weights(), tensors(plan, options.shardBytes()), child.weights().config(),
                    files.folder(), card(recipe, plan, stem), tokenizerConfig);
            return GgufExport.export(in, out, type, imatrix, options.threads(), warnings);
        }
    }

    /** The output tensors with the shard each would be written to by the folder merge under the same shard size. */
    private static List<GgufInput.Tensor> tensors(MergePlan plan, long shardBytes) {
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        Map<String, TensorJob> jobs = new java.util.HashMap<>();
        for (TensorJob j : plan.jobs()) {
            entries.add(new SafetensorsWriter.Entry(j.outputName(), j.outDtype(), j.outShape()));
            jobs.put(j.outputName(), j);
        }
        List<List<SafetensorsWriter.Entry>> shards = ShardedWriter.plan(entries, shardBytes);
        List<GgufInput.Tensor> out = new ArrayList<>();
        for (int i = 0; i < shards.size(); i++) {
            String file = ShardedWriter.shardName("model", i, shards.size());
            for (SafetensorsWriter.Entry e : shards.get(i)) {
                TensorJob j = jobs.get(e.name());
                out.add(new GgufInput.Tensor(j.outputName(), j.outDtype(), j.outShape(), file));
            }
        }
        return out;
    }

    /**
     * The model card the merge's folder would get, as far as the export reads it (its front matter: base models,
     * tags); the input file hashes of the card's text are left out, since no key comes from them.
     */
    private static String card(Recipe recipe, MergePlan plan, String stem) {
        MethodSpec spec = MethodRegistry.get(plan.method()).spec();
        List<String> parents = new ArrayList<>();
        for (ModelSource m : plan.models()) {
            parents.add(m.displayName());
        }
        return ModelCard.merge(recipe.name().map(n -> n.value()).orElse(stem), parents, recipe.baseModel().map(b -> b.raw()).orElse(null),
                plan.method(), spec.paper(), spec.paperUrl(), recipe.text(), Map.of(), Version.VERSION);
    }
}
