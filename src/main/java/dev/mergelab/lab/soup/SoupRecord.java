package dev.mergelab.lab.soup;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import dev.mergelab.Version;
import dev.mergelab.engine.FileHashes;
import dev.mergelab.engine.MergePlan;
import dev.mergelab.engine.MergeRun;
import dev.mergelab.eval.PreparedTasks;
import dev.mergelab.lab.registry.ModelIdentity;
import dev.mergelab.lab.registry.Provenance;
import dev.mergelab.lab.registry.Registry;
import dev.mergelab.lab.registry.Relation;
import dev.mergelab.lab.registry.ResultScores;
import dev.mergelab.lab.registry.RunRecord;
import dev.mergelab.lab.registry.SearchLog;
import dev.mergelab.lab.trial.Objectives;
import dev.mergelab.lab.trial.SharedModels;
import dev.mergelab.lab.trial.TrialRecorder;
import dev.mergelab.recipe.Recipe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A soup in the lab: one {@code searches} row of kind {@code soup} (its id the hash of its configuration, objectives and
 * ingredients' content ids, so the same soup run again finds its row), one {@code search_evals} row per step (genotype:
 * the inclusion vector over the ingredients), every merged candidate as a virtual one and every score, then the written
 * soup as a candidate made by {@code soup} (its ingredients by merge edges, the base by a finetune edge) and the row
 * finished with it. Recording never fails the soup: a lab error is one warning, and recording stops.
 */
public final class SoupRecord implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What the soup was asked to do.
     *
     * @param base the pre-trained model the ingredients were fine-tuned from, or null
     */
    public record Settings(Soup.Mode mode, List<String> ingredients, String base, List<String> tasks, Map<String, Path> data,
            Objectives objectives, Path out) {
    }

    private Registry registry;
    private final SharedModels shared;
    private final PreparedTasks tasks;
    private final Consumer<String> warnings;
    private final TrialRecorder recorder;
    private final Settings settings;
    private String searchId;

    /** Starts recording in {@code registry} (which this closes), or records nothing when it is null. */
    public SoupRecord(Registry registry, SharedModels shared, PreparedTasks tasks, Settings settings, Consumer<String> warnings) {
        this.registry = registry;
        this.shared = shared;
        this.tasks = tasks;
        this.settings = settings;
        this.warnings = warnings;
        this.recorder = registry == null ? null : new TrialRecorder(registry, "soup");
        searchId = safely(this::start);
    }

    /** The soup's id in the lab, or null when nothing is recorded. */
    public String searchId() {
        return searchId;
    }

    private String start() {
        ObjectNode config = JSON.createObjectNode();
        config.put("mode", settings.mode().name().toLowerCase(Locale.ROOT));
        ArrayNode ms = config.putArray("models");
        ArrayNode ids = config.putArray("model_ids");
        for (String m : settings.ingredients()) {
            ms.add(m);
            ids.add(identify(m).id());
        }
        if (settings.base() != null) {
            config.put("base", settings.base());
            config.put("base_id", identify(settings.base()).id());
        }
        config.set("tasks", JSON.valueToTree(settings.tasks()));
        ObjectNode d = config.putObject("data");
        settings.data().forEach((k, v) -> d.put(k, v.toString()));
        config.set("data_sha256", JSON.valueToTree(tasks.dataHashes()));
        config.set("limit", tasks.limit() == null ? null : JSON.valueToTree(tasks.limit()));
        config.set("num_fewshot", tasks.numFewshot() == null ? null : JSON.valueToTree(tasks.numFewshot()));
        config.put("max_length", tasks.tokens().maxLength());
        String id = FileHashes.sha256(("mergelab soup\n" + config + "\n" + settings.objectives().toJson()).getBytes(StandardCharsets.UTF_8));
        registry.searchLog().createOrFind(id, "soup", config, settings.objectives().toJson(), 0, settings.out());
        return id;
    }

    /** Records a step: its candidate (an ingredient alone is itself; a merged soup a virtual candidate), scores and row. */
    public void step(Soup.Step s) {
        if (searchId == null) {
            return;
        }
        safely(() -> {
            String candidate;
            if (s.alone()) {
                candidate = registry.register(identify(s.recipe().layout().modelRefs().getFirst()));
                registry.addScores(candidate, ResultScores.of(s.trial().results(), tasks.limit(), tasks.dataHashes(), evaluator()));
            } else {
                candidate = recorder.record(s.trial(), 0, tasks).id();
            }
            // the column holds what an optimiser minimises (Schema V2), as search writes it: the soup's score negated
            registry.searchLog().append(new SearchLog.Eval(searchId, s.step(), s.generation(), genotype(s.included()), s.recipe().toYaml(),
                    candidate, Objectives.toJson(s.values()), -s.fitness(), s.trial().mergeSeconds(), s.trial().evalSeconds(), null));
            return null;
        });
    }

    /** Records the written soup with the scores of the step it is, and finishes the soup's row; empty when nothing was recorded. */
    public Optional<Registry.Recorded> finish(Recipe recipe, MergePlan plan, MergeRun.Result written, Soup.Step best) {
        return Optional.ofNullable(safely(() -> {
            RunRecord m = Provenance.merge(recipe, plan, written.outDir(), written.seconds(), 0);
            List<RunRecord.Parent> parents = new ArrayList<>(m.parents());
            if (settings.base() != null) {
                parents.add(new RunRecord.Parent(shared.open(settings.base()).root(), Relation.FINETUNE, null, null, true));
            }
            Registry.Recorded r = registry.record(new RunRecord(m.output(), "soup", m.method(), m.recipe(), m.recipeSha256(), m.parameters(),
                    parents, m.started(), m.seconds()));
            registry.addScores(r.id(), ResultScores.of(best.trial().results(), tasks.limit(), tasks.dataHashes(), evaluator()));
            if (searchId != null) {
                registry.searchLog().finish(searchId, r.id());
            }
            return r;
        }));
    }

    /** The inclusion vector as the lab stores a genotype: a JSON array of 0 and 1. */
    public static ArrayNode genotype(boolean[] included) {
        ArrayNode a = JSON.createArrayNode();
        for (boolean b : included) {
            a.add(b ? 1 : 0);
        }
        return a;
    }

    private ModelIdentity identify(String ref) {
        return recorder.identify(shared.open(ref).root());
    }

    private static String evaluator() {
        return "mergelab " + Version.VERSION;
    }

    private <T> T safely(Supplier<T> work) {
        if (registry == null) {
            return null;
        }
        try {
            return work.get();
        } catch (MergeLabException e) {
            warnings.accept("not recorded in the lab: " + e.oneLine());
        } catch (RuntimeException e) {
            warnings.accept("not recorded in the lab: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().replace('\n', ' ')));
        }
        close();
        return null;
    }

    @Override
    public void close() {
        if (registry != null) {
            Registry r = registry;
            registry = null;
            searchId = null;
            r.close();
        }
    }
}
