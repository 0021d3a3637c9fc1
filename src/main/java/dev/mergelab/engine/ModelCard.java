package dev.mergelab.engine;

import dev.mergelab.model.ModelRef;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The README.md written into every output folder, so the artefact carries its own provenance: Hugging Face front
 * matter that places it in the Hub's model tree, then how it was made (method and paper, parents with the base
 * marked, recipe or command, input file hashes, MergeLab version).
 *
 * <p>The Hub reads {@code base_model} as Hub model ids and {@code base_model_relation} as one of {@code adapter},
 * {@code merge}, {@code quantized}, {@code finetune}. Parents given as local paths are not Hub ids, so they are
 * listed in the text only; when no parent is a Hub id the two keys are left out rather than filled with paths
 * the Hub would reject. A {@code BASE+ADAPTER} parent counts as its base; a revision ({@code org/m@v2}) is dropped,
 * since the key names repositories.
 */
public final class ModelCard {

    /** Relation of a full model made from one base with a LoRA adapter merged in. */
    static final String FINETUNE = "finetune";
    static final String MERGE = "merge";
    static final String ADAPTER = "adapter";

    private ModelCard() {
    }

    /**
     * The card of a merge output.
     *
     * @param parents      parent references as the recipe wrote them, in recipe order
     * @param base         the recipe's base_model reference, or null
     * @param paper        the method's paper title ("" when none)
     * @param paperUrl     the paper's URL ("" or null when none)
     * @param recipeYaml   the recipe as written to mergelab_recipe.yml
     * @param inputHashes  input file path to SHA-256, in order
     */
    public static String merge(String name, List<String> parents, String base, String method, String paper, String paperUrl,
            String recipeYaml, Map<String, String> inputHashes, String version) {
        List<String> ordered = new ArrayList<>();
        if (base != null) {
            ordered.add(base);
        }
        parents.stream().filter(p -> !p.equals(base)).forEach(ordered::add);
        // One parent carrying an adapter is `lora apply` (or its recipe): the base, fine-tuned by the adapter.
        boolean applied = ordered.size() == 1 && ModelRef.parse(ordered.getFirst()).hasAdapter();
        StringBuilder sb = new StringBuilder();
        frontMatter(sb, hubIds(ordered), applied ? FINETUNE : MERGE, "transformers", List.of("merge", "mergelab"));
        sb.append("# ").append(name).append("\n\n");
        if (applied) {
            sb.append("This model is a base model with a LoRA adapter merged into its weights, made with MergeLab ")
                    .append(version).append(".\n\n");
        } else {
            sb.append("This model is a merge of pre-trained language models made with MergeLab ").append(version).append(".\n\n");
        }
        sb.append("## Merge method\n\n`").append(method).append('`').append(paperText(paper, paperUrl)).append("\n\n");
        sb.append("## Parents\n\n");
        for (String m : ordered) {
            sb.append("- ").append(m).append(m.equals(base) ? " (base)" : "").append('\n');
        }
        sb.append("\n## Recipe\n\n```yaml\n").append(recipeYaml.strip()).append("\n```\n\n");
        hashes(sb, inputHashes);
        return sb.toString();
    }

    /**
     * The card of a PEFT adapter folder ({@code lora merge}, {@code lora extract}).
     *
     * @param base       the adapters' base model reference
     * @param how        one sentence saying how the adapter was made (Markdown)
     * @param sources    the models or adapters it was made from, one line each (Markdown)
     * @param language   the fence language of {@code source} ("yaml", "sh")
     * @param source     the recipe or command line that reproduces it
     */
    public static String adapter(String name, String base, String how, List<String> sources, String language, String source,
            String version) {
        StringBuilder sb = new StringBuilder();
        frontMatter(sb, hubIds(List.of(base)), ADAPTER, "peft", List.of("lora", "mergelab"));
        sb.append("# ").append(name).append("\n\n");
        sb.append("A PEFT LoRA adapter for `").append(base).append("`, made with MergeLab ").append(version).append(". ")
                .append(how).append("\n\n");
        sb.append("## Sources\n\n- ").append(base).append(" (base)\n");
        for (String s : sources) {
            sb.append("- ").append(s).append('\n');
        }
        sb.append("\n## How to reproduce\n\n```").append(language).append('\n').append(source.strip()).append("\n```\n");
        return sb.toString();
    }

    private static void frontMatter(StringBuilder sb, Set<String> hubIds, String relation, String library, List<String> tags) {
        sb.append("---\n");
        if (!hubIds.isEmpty()) {
            sb.append("base_model:\n");
            hubIds.forEach(id -> sb.append("- ").append(id).append('\n'));
            sb.append("base_model_relation: ").append(relation).append('\n');
        }
        sb.append("library_name: ").append(library).append('\n');
        sb.append("tags:\n");
        tags.forEach(t -> sb.append("- ").append(t).append('\n'));
        sb.append("---\n\n");
    }

    /** The Hub repository ids among the references (their base for BASE+ADAPTER), first occurrence first. */
    static Set<String> hubIds(List<String> refs) {
        Set<String> ids = new LinkedHashSet<>();
        for (String r : refs) {
            if (ModelRef.parse(r).base() instanceof ModelRef.Hub hub) {
                ids.add(hub.repoId());
            }
        }
        return ids;
    }

    private static String paperText(String paper, String paperUrl) {
        boolean title = paper != null && !paper.isBlank();
        boolean url = paperUrl != null && !paperUrl.isBlank();
        if (title && url) {
            return ": [" + paper.replace("]", "\\]") + "](" + paperUrl + ")";
        }
        return title ? ": " + paper : url ? ": " + paperUrl : "";
    }

    private static void hashes(StringBuilder sb, Map<String, String> inputHashes) {
        sb.append("## Input files (SHA-256)\n\n| file | sha256 |\n|---|---|\n");
        inputHashes.forEach((f, h) -> sb.append("| ").append(f.replace("|", "\\|")).append(" | `").append(h).append("` |\n"));
    }
}
