package dev.mergelab.engine;

import java.util.List;
import java.util.Map;

/**
 * The README.md written into every output folder: Hugging Face front matter that marks the model as a
 * merge of its parents, then how it was made (method and paper, parents, recipe, input file hashes,
 * MergeLab version) so the artefact carries its own provenance.
 */
public final class ModelCard {

    private ModelCard() {
    }

    /**
     * @param baseModels   parent references for the front matter (base first when there is one)
     * @param method       method name
     * @param paper        paper title and URL, or null
     * @param recipeYaml   the recipe as written to mergelab_recipe.yml
     * @param inputHashes  input file path to SHA-256, in order
     */
    public static String render(String name, List<String> baseModels, String method, String paper, String recipeYaml,
            Map<String, String> inputHashes, String version) {
        StringBuilder sb = new StringBuilder();
        sb.append("---\n");
        sb.append("base_model:\n");
        for (String m : baseModels) {
            sb.append("- ").append(yamlScalar(m)).append('\n');
        }
        sb.append("base_model_relation: merge\n");
        sb.append("library_name: transformers\n");
        sb.append("tags:\n- merge\n- mergelab\n");
        sb.append("---\n\n");
        sb.append("# ").append(name).append("\n\n");
        sb.append("This model is a merge of pre-trained language models made with [MergeLab](https://github.com/mergelab) ")
                .append(version).append(".\n\n");
        sb.append("## Merge method\n\n");
        sb.append("`").append(method).append("`");
        if (paper != null && !paper.isBlank()) {
            sb.append(": ").append(paper);
        }
        sb.append("\n\n## Parents\n\n");
        for (String m : baseModels) {
            sb.append("- ").append(m).append('\n');
        }
        sb.append("\n## Recipe\n\n```yaml\n").append(recipeYaml.strip()).append("\n```\n\n");
        sb.append("## Input files (SHA-256)\n\n| file | sha256 |\n|---|---|\n");
        inputHashes.forEach((f, h) -> sb.append("| ").append(f.replace("|", "\\|")).append(" | `").append(h).append("` |\n"));
        return sb.toString();
    }

    private static String yamlScalar(String s) {
        return s.matches("[A-Za-z0-9_./@+-]+") ? s : '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
