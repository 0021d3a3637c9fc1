package dev.mergelab.lab.search;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The recipes a search leaves in OUT_DIR: {@code best.yml} (a plain merge recipe of the best candidate, for
 * {@code mergelab merge}) and, for several objectives, {@code pareto.json} with {@code pareto/<n>.yml} per
 * member of the front. The model folder {@code best/} is written by the command through the normal merge path.
 */
public final class SearchOutput {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private SearchOutput() {
    }

    /** Writes best.yml (and the Pareto files for several objectives); returns best.yml's path. */
    public static Path write(Path outDir, SearchConfig config, SearchRun.Result result, String searchId) {
        try {
            Files.createDirectories(outDir);
            Path best = outDir.resolve("best.yml");
            Files.writeString(best, header(result.best(), searchId) + result.best().recipe(), StandardCharsets.UTF_8);
            if (config.tasks().size() > 1) {
                Path dir = outDir.resolve("pareto");
                Files.createDirectories(dir);
                ObjectNode root = JSON.createObjectNode();
                if (searchId != null) {
                    root.put("search", searchId);
                }
                ArrayNode objectives = root.putArray("objectives");
                config.tasks().forEach(t -> objectives.addObject().put("task", t.name()).put("metric", t.metric()).put("weight", t.weight()));
                ArrayNode front = root.putArray("front");
                List<EvalRecord> pareto = result.pareto();
                for (int i = 0; i < pareto.size(); i++) {
                    EvalRecord r = pareto.get(i);
                    String name = (i + 1) + ".yml";
                    Files.writeString(dir.resolve(name), header(r, searchId) + r.recipe(), StandardCharsets.UTF_8);
                    ObjectNode o = front.addObject();
                    o.put("n", i + 1);
                    o.put("step", r.step());
                    o.put("generation", r.generation());
                    o.set("values", LabEvalLog.json(r.values()));
                    o.put("score", r.score());
                    if (r.candidate() != null) {
                        o.put("candidate", r.candidate());
                    }
                    o.put("recipe", "pareto/" + name);
                    o.put("best", r.step() == result.best().step());
                }
                Files.writeString(outDir.resolve("pareto.json"), JSON.writeValueAsString(root) + "\n", StandardCharsets.UTF_8);
            }
            return best;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String header(EvalRecord r, String searchId) {
        return "# " + (searchId == null ? "search" : "search " + searchId.substring(0, 12)) + ", step " + r.step() + ", generation "
                + r.generation() + ": score " + r.score() + "\n";
    }
}
