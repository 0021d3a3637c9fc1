package dev.mergelab.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import dev.mergelab.engine.MergePlan;
import dev.mergelab.engine.MergeRun;
import dev.mergelab.engine.MergeSession;
import dev.mergelab.lab.registry.ContentId;
import dev.mergelab.lab.registry.LabRecorder;
import dev.mergelab.lab.registry.Provenance;
import dev.mergelab.lab.registry.Registry;
import dev.mergelab.lab.search.EvalLog;
import dev.mergelab.lab.search.EvalRecord;
import dev.mergelab.lab.search.Genome;
import dev.mergelab.lab.search.LabEvalLog;
import dev.mergelab.lab.search.LayerPathGenome;
import dev.mergelab.lab.search.MergeGenome;
import dev.mergelab.lab.search.SearchConfig;
import dev.mergelab.lab.search.SearchConfigParser;
import dev.mergelab.lab.search.SearchIdentity;
import dev.mergelab.lab.search.SearchOutput;
import dev.mergelab.lab.search.SearchProgress;
import dev.mergelab.lab.search.SearchRun;
import dev.mergelab.lab.search.TrialFitness;
import dev.mergelab.lab.trial.SharedModels;
import dev.mergelab.lab.trial.TrialRecorder;
import dev.mergelab.recipe.Recipe;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code mergelab search SEARCH.yml OUT_DIR}: mergekit-evolve's search (its configuration schema, CMA-ES) on the CPU,
 * every candidate merged in memory and scored on a fixed sample, recorded in the lab when one is active, resumable
 * after a kill; writes the best recipe and model (and the Pareto front for several objectives).
 */
@Command(name = "search", mixinStandardHelpOptions = true,
        description = {"Search merge recipes with an evolutionary optimiser (CMA-ES; NSGA-II for several objectives), in "
                + "mergekit-evolve's configuration schema. Each candidate is merged in memory and evaluated; OUT_DIR gets "
                + "best.yml, best/ (that model) and, for several tasks, pareto.json and pareto/<n>.yml.",
            "With a lab, every evaluation is recorded and running the same search again continues where it stopped."})
final class SearchCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "SEARCH.yml", description = "The search configuration (mergekit-evolve's schema).")
    Path configPath;

    @Parameters(index = "1", paramLabel = "OUT_DIR", description = "Where best.yml, best/ and the Pareto front go.")
    Path outDir;

    @Option(names = "--max-evals", paramLabel = "N", description = "Evaluation budget (overrides optimizer.max_evals; default 100).")
    Integer maxEvals;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the optimiser and of random merge methods (overrides optimizer.seed).")
    Long seed;

    @Option(names = "--sigma0", paramLabel = "X", description = "CMA-ES initial step size (overrides optimizer.sigma0; default 1/6).")
    Double sigma0;

    @Option(names = "--force", description = "Replace OUT_DIR/best if it exists (a folder MergeLab wrote).")
    boolean force;

    @Option(names = "--json", description = "Print a JSON summary on stdout.")
    boolean json;

    @Option(names = "--quiet", description = "No progress lines.")
    boolean quiet;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Mixin
    LabOption lab = new LabOption();

    @Spec
    CommandSpec spec;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (maxEvals != null && maxEvals < 1) {
            throw MergeLabException.input("--max-evals must be at least 1", null);
        }
        if (sigma0 != null && !(sigma0 > 0 && Double.isFinite(sigma0))) {
            throw MergeLabException.input("--sigma0 must be a number above 0", null);
        }
        SearchConfig parsed = SearchConfigParser.parse(configPath);
        SearchConfig config = parsed.withOptimizer(parsed.optimizer().with(Optional.ofNullable(maxEvals), Optional.ofNullable(seed),
                Optional.ofNullable(sigma0)));
        Path bestDir = outDir.resolve("best");
        if (Files.exists(bestDir) && !force) {
            throw MergeLabException.input(bestDir + " already exists", "choose another OUT_DIR or pass --force to replace it");
        }
        int t = threads.count();
        ConsoleProgress warnings = new ConsoleProgress(err, true);
        Optional<Path> labDir = new LabRecorder(lab.dir, System.getenv(), Path.of("").toAbsolutePath()).lab();
        SearchRun.Result result;
        String id = null;
        String bestCandidate;
        long started = System.nanoTime();
        try (SharedModels shared = new SharedModels(Models.opener(warnings::warning));
             Registry registry = labDir.map(d -> Registry.open(d, Registry.COMMAND_BUSY_MILLIS)).orElse(null)) {
            Genome genome = genome(config, shared);
            TrialRecorder recorder = registry == null ? null : new TrialRecorder(registry, "search");
            try (TrialFitness fitness = TrialFitness.open(config, genome, genome.largest(), shared, recorder, t, warnings::warning)) {
                EvalLog log = EvalLog.inMemory();
                if (registry != null) {
                    List<String> parents = new ArrayList<>();
                    for (String ref : modelRefs(config.genome())) {
                        parents.add(recorder.identify(shared.open(ref).folder()).id());
                    }
                    id = SearchIdentity.id(config, parents);
                    registry.searchLog().createOrFind(id, "search", SearchIdentity.canonical(config, true),
                            fitness.objectives().toJson(), config.optimizer().seed(), outDir);
                    log = new LabEvalLog(registry.searchLog(), id);
                }
                if (!quiet) {
                    err.printf("search%s: %d genes, %s, population %d, budget %d evaluations%s; %d task%s%n",
                            id == null ? "" : " " + ContentId.shortId(id), genome.dimension(), config.optimizer().algorithm().yamlName,
                            SearchRun.populationSize(config, genome), config.optimizer().maxEvals(),
                            config.optimizer().maxSeconds().map(s -> String.format(" or %.0f s", s)).orElse(""),
                            config.tasks().size(), config.tasks().size() == 1 ? "" : "s");
                    err.flush();
                }
                result = SearchRun.run(config, genome, fitness, log, new SearchRun.Options(t, Runtime.getRuntime().maxMemory() / 2,
                        System::nanoTime), p -> progress(err, p));
            }
            bestCandidate = result.best().candidate();
            if (registry != null) {
                registry.searchLog().finish(id, bestCandidate);
            }
        }
        double searchSeconds = (System.nanoTime() - started) / 1e9;
        Path bestYml = SearchOutput.write(outDir, config, result, id);

        // the best candidate written through the normal merge path, and recorded as any merge is
        Recipe recipe = Recipe.parse(bestYml);
        MergeRun.Result written;
        ConsoleProgress mergeProgress = new ConsoleProgress(err, quiet || json);
        PrintWriter labOut = json ? err : out;
        try (MergeSession session = MergeSession.open(recipe, Models.opener(mergeProgress::warning), mergeProgress::warning)) {
            MergePlan plan = session.plan();
            MergeRun.Options options = new MergeRun.Options(t, Sizes.heapBudget(null), Sizes.parseBytes("5GB", "shard size"),
                    config.optimizer().seed(), force, false, Sizes.parseBytes("64MiB", "chunk"), 32768);
            written = MergeRun.execute(recipe, plan, bestDir, options, mergeProgress);
            lab.record(labOut, err, () -> Provenance.merge(recipe, plan, written.outDir(), written.seconds(), config.optimizer().seed()));
        }
        if (json) {
            out.println(JSON.writeValueAsString(summary(config, result, id, bestYml, written.outDir(), searchSeconds)));
        } else {
            EvalRecord b = result.best();
            out.printf("search %s after %d evaluations (%d from the lab): %s%n", id == null ? "done" : ContentId.shortId(id),
                    result.records().size(), result.replayed(), result.stopped());
            out.printf("best: step %d, score %.6g (%s)%n", b.step(), b.score(), values(config, b));
            out.printf("wrote %s and %s%n", bestYml, written.outDir());
            if (config.tasks().size() > 1) {
                out.printf("Pareto front: %d candidates in %s and %s%n", result.pareto().size(), outDir.resolve("pareto.json"),
                        outDir.resolve("pareto"));
            }
            perCandidate(result).ifPresent(s -> out.println(s));
        }
        out.flush();
        return 0;
    }

    /** The genome over the models' layer counts, read from their config.json as mergekit reads the first model's. */
    private static Genome genome(SearchConfig config, SharedModels shared) {
        return switch (config.genome()) {
            case SearchConfig.MergeGenomeSpec g -> new MergeGenome(g, layers(shared, g.models().getFirst()), config.source());
            case SearchConfig.LayerPathSpec p -> new LayerPathGenome(p, p.models().stream().map(m -> layers(shared, m)).toList());
        };
    }

    private static int layers(SharedModels shared, String ref) {
        return shared.open(ref).config().numHiddenLayers()
                .orElseThrow(() -> MergeLabException.input(ref + ": config.json has no num_hidden_layers", null));
    }

    private static List<String> modelRefs(SearchConfig.GenomeSpec g) {
        LinkedHashSet<String> refs = new LinkedHashSet<>(g.models());
        if (g instanceof SearchConfig.MergeGenomeSpec m) {
            m.baseModel().ifPresent(refs::add);
        }
        g.tokenizerSource().filter(s -> !s.equals("base")).ifPresent(refs::add);
        return List.copyOf(refs);
    }

    private void progress(PrintWriter err, SearchProgress p) {
        if (quiet) {
            return;
        }
        err.printf("search: generation %d  best %.6g  median %.6g  evaluations %d/%d%s  %.1f s%n", p.generation(), p.best(), p.median(),
                p.evaluations(), p.budget(), p.replayed() > 0 ? " (" + p.replayed() + " from the lab)" : "", p.seconds());
        err.flush();
    }

    private static String values(SearchConfig config, EvalRecord r) {
        List<String> parts = new ArrayList<>();
        double[] v = r.values();
        for (int i = 0; i < v.length; i++) {
            parts.add(config.tasks().get(i).name() + " " + config.tasks().get(i).metric() + " " + String.format("%.6g", v[i]));
        }
        return String.join(", ", parts);
    }

    /** Mean merge and evaluation seconds of the candidates evaluated in this run (replayed ones carry their recorded times). */
    private static Optional<String> perCandidate(SearchRun.Result r) {
        if (r.records().isEmpty()) {
            return Optional.empty();
        }
        double merge = r.records().stream().mapToDouble(EvalRecord::mergeSeconds).average().orElse(0);
        double eval = r.records().stream().mapToDouble(EvalRecord::evalSeconds).average().orElse(0);
        return Optional.of(String.format("per candidate: merge %.3f s, evaluation %.3f s", merge, eval));
    }

    private ObjectNode summary(SearchConfig config, SearchRun.Result r, String id, Path bestYml, Path bestDir, double seconds) {
        ObjectNode root = JSON.createObjectNode();
        if (id != null) {
            root.put("search", id);
        }
        root.put("algorithm", config.optimizer().algorithm().yamlName);
        root.put("seed", config.optimizer().seed());
        root.put("population_size", r.populationSize());
        root.put("evaluations", r.records().size());
        root.put("replayed", r.replayed());
        root.put("budget", config.optimizer().maxEvals());
        root.put("stopped", r.stopped());
        root.put("seconds", seconds);
        root.put("merge_seconds_per_candidate", r.records().stream().mapToDouble(EvalRecord::mergeSeconds).average().orElse(0));
        root.put("eval_seconds_per_candidate", r.records().stream().mapToDouble(EvalRecord::evalSeconds).average().orElse(0));
        ArrayNode objectives = root.putArray("objectives");
        config.tasks().forEach(t -> objectives.addObject().put("task", t.name()).put("metric", t.metric()).put("weight", t.weight()));
        root.set("best", record(r.best()));
        root.put("best_recipe", bestYml.toString());
        root.put("best_model", bestDir.toString());
        ArrayNode front = root.putArray("pareto");
        r.pareto().forEach(p -> front.add(record(p)));
        return root;
    }

    private static ObjectNode record(EvalRecord r) {
        ObjectNode o = JSON.createObjectNode();
        o.put("step", r.step());
        o.put("generation", r.generation());
        o.put("score", r.score());
        ArrayNode v = o.putArray("values");
        for (double d : r.values()) {
            v.add(d);
        }
        if (r.candidate() != null) {
            o.put("candidate", r.candidate());
        }
        return o;
    }
}
