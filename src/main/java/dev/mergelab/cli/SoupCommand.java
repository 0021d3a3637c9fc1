package dev.mergelab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import dev.mergelab.Version;
import dev.mergelab.engine.MergeRun;
import dev.mergelab.engine.MergeSession;
import dev.mergelab.eval.TaskSelection;
import dev.mergelab.lab.registry.ContentId;
import dev.mergelab.lab.soup.Soup;
import dev.mergelab.lab.soup.SoupRecipe;
import dev.mergelab.lab.soup.SoupRecord;
import dev.mergelab.lab.trial.Objective;
import dev.mergelab.lab.trial.Objectives;
import dev.mergelab.lab.trial.SharedModels;
import dev.mergelab.lab.trial.TrialRunner;
import dev.mergelab.recipe.Recipe;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code mergelab soup --models A B C --tasks ... [--base B] [--mode uniform|greedy] OUT}: a model soup of fine-tunes of one
 * base (Wortsman et al. 2022), every candidate merged and scored in memory; the chosen soup written to OUT.
 */
@Command(name = "soup", mixinStandardHelpOptions = true,
        description = {"Average fine-tunes of one base into a model soup (Wortsman et al. 2022, \"Model soups\"), scoring every "
                + "candidate in memory on held-out tasks, and write the soup to OUT (a model folder with its recipe as soup.yml).",
            "uniform: the average of every ingredient. greedy (default): rank the ingredients by their own score, start from the "
                + "best, and add each next one only if the soup with it scores at least as well (Algorithm 1 of the paper).",
            "The score (fitness) is the sum of weight x metric over the tasks, as mergekit-evolve's tasks/metric/weight: by default "
                + "each task's primary metric (acc, or bits_per_byte for ppl:FILE) with weight 1, or -1 for a metric that is better "
                + "lower. With a lab active every step is recorded (a search of kind soup)."})
final class SoupCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Parameters(index = "0", paramLabel = "OUT", description = "Output folder for the soup (must not exist unless --force).")
    Path outDir;

    @Option(names = "--models", required = true, arity = "1..*", split = ",", paramLabel = "MODEL",
            description = "The ingredients: fine-tunes of one base (folders, hub ids in the local cache, BASE+ADAPTER); at least 2.")
    List<String> models;

    @Option(names = "--base", paramLabel = "MODEL", description = "The pre-trained model the ingredients were fine-tuned from. Not "
            + "an ingredient (a soup averages fine-tunes): it must be compatible with them, its tokenizer reads the tasks, the "
            + "model card names it as base_model, and the lab records the soup as a fine-tune of it, the root of its lineage.")
    String base;

    @Option(names = "--mode", defaultValue = "greedy", paramLabel = "MODE", description = "uniform or greedy (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--tasks", required = true, split = ",", paramLabel = "TASK",
            description = "Held-out tasks, as for eval: built-in, ppl:FILE, or a task .yaml.")
    List<String> tasks;

    @Option(names = "--metric", paramLabel = "[TASK=]METRIC", description = "The metric a task contributes (e.g. arc_easy=acc_norm,none); "
            + "TASK may be left out when there is one task. Its weight becomes 1, or -1 for a metric that is better lower. Repeatable.")
    List<String> metrics = new ArrayList<>();

    @Option(names = "--weight", paramLabel = "[TASK=]W", description = "A task's weight in the fitness (negative minimises its metric). Repeatable.")
    List<String> weights = new ArrayList<>();

    @Option(names = "--data", paramLabel = "TASK=PATH", description = "Where a task's data is, as for eval. Repeatable.")
    List<String> data = new ArrayList<>();

    @Option(names = "--limit", paramLabel = "N", description = "Only the first N documents of each task (the same for every candidate).")
    Integer limit;

    @Option(names = "--num-fewshot", paramLabel = "K", description = "Few-shot examples per document (lm-eval's sampler, seed 1234).")
    Integer numFewshot;

    @Option(names = "--max-length", paramLabel = "N", description = "Tokens a model reads at most (default: config.json's max_position_embeddings).")
    Integer maxLength;

    @Option(names = "--force", description = "Replace OUT if it exists and MergeLab wrote it.")
    boolean force;

    @Option(names = "--json", description = "Print a JSON summary on stdout instead of the tables.")
    boolean json;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Mixin
    LabOption lab = new LabOption();

    @Spec
    CommandSpec spec;

    private final Set<String> warned = new LinkedHashSet<>();
    private PrintWriter err;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        err = spec.commandLine().getErr();
        Soup.Mode soupMode = switch (mode.toLowerCase(Locale.ROOT)) {
            case "uniform" -> Soup.Mode.UNIFORM;
            case "greedy" -> Soup.Mode.GREEDY;
            default -> throw MergeLabException.input("--mode " + mode + ": give uniform or greedy", null);
        };
        if (limit != null && limit < 1) {
            throw MergeLabException.input("--limit must be at least 1", null);
        }
        if (numFewshot != null && numFewshot < 0) {
            throw MergeLabException.input("--num-fewshot must be 0 or more", null);
        }
        List<String> ingredients = models.stream().map(String::strip).filter(m -> !m.isEmpty()).toList();
        Set<String> distinct = new LinkedHashSet<>();
        for (String m : ingredients) {
            if (!distinct.add(m)) {
                throw MergeLabException.input("--models names " + m + " twice", "each ingredient once");
            }
        }
        if (ingredients.size() < 2) {
            throw MergeLabException.input("a soup needs at least 2 ingredients in --models, got " + ingredients.size(), null);
        }
        if (Files.exists(outDir) && !force) {
            throw MergeLabException.input(outDir + " already exists", "choose another OUT or pass --force to replace it");
        }
        Map<String, Path> dataPaths = TaskSelection.parseData(data);
        List<String> entries = tasks.stream().filter(t -> !t.isBlank()).map(String::strip).toList();
        List<TaskSelection.Selected> selected = TaskSelection.selectAll(entries, dataPaths);
        Objectives objectives = Objectives.resolve(objectives(entries, selected), selected);

        int t = threads.count();
        long started = System.nanoTime();
        try (SharedModels shared = new SharedModels(Models.opener(this::warn))) {
            for (String m : ingredients) {
                shared.open(m);
            }
            if (base != null) {
                shared.open(base);
            }
            checkCompatible(shared, ingredients);
            try (TrialRunner runner = TrialRunner.prepare(shared, base != null ? base : ingredients.getFirst(), selected, dataPaths, limit,
                    numFewshot, maxLength, TrialRunner.Options.defaults(t, 0), this::warn);
                 SoupRecord rec = new SoupRecord(lab.openIfActive(err).orElse(null), shared, runner.tasks(),
                         new SoupRecord.Settings(soupMode, ingredients, base, entries, dataPaths, objectives, outDir), this::warn)) {
                if (!json) {
                    out.printf("%s soup of %d ingredients on %d request%s; fitness = %s (higher is better)%n", soupMode.name().toLowerCase(Locale.ROOT),
                            ingredients.size(), runner.tasks().requests(), runner.tasks().requests() == 1 ? "" : "s", describe(objectives));
                    for (int i = 0; i < ingredients.size(); i++) {
                        out.printf("  [%d] %s%n", i + 1, ingredients.get(i));
                    }
                    out.printf("%4s  %-14s %12s", "step", "ingredients", "fitness");
                    for (Objective o : objectives.list()) {
                        out.printf(" %20s", clip(o.task() + " " + o.metric().replace(",none", ""), 20));
                    }
                    out.printf(" %8s %8s  %s%n", "merge s", "eval s", "decision");
                    out.flush();
                }
                List<Soup.Step> steps = new ArrayList<>();
                Soup soup = new Soup(ingredients, runner, objectives, s -> {
                    steps.add(s);
                    rec.step(s);
                    if (!json) {
                        printStep(out, s);
                    }
                });
                Soup.Outcome outcome = soup.run(soupMode);

                List<String> chosen = soup.refs(outcome.chosen());
                Recipe recipe = SoupRecipe.of(chosen, comment(soupMode, ingredients, outcome.chosen()), outDir.resolve("soup.yml").toString());
                ConsoleProgress progress = new ConsoleProgress(err, json);
                MergeRun.Options options = new MergeRun.Options(t, Sizes.heapBudget(null), Sizes.parseBytes("5GB", "--out-shard-size"), 0,
                        force, false);
                MergeRun.Result written;
                try (MergeSession session = MergeSession.borrowing(recipe, shared, this::warn)) {
                    written = MergeRun.execute(recipe, session.plan(), outDir, options, progress, null,
                            new MergeRun.Extras(base, Map.of("soup.yml", recipe.text())));
                    PrintWriter note = json ? err : out;
                    rec.finish(recipe, session.plan(), written, outcome.best()).ifPresent(r -> note.println(r.newCandidate()
                            ? "lab: recorded new candidate " + ContentId.shortId(r.id()) + " (run " + r.run() + ")"
                            : "lab: recorded run " + r.run() + " of existing candidate " + ContentId.shortId(r.id())));
                }
                double total = (System.nanoTime() - started) / 1e9;
                if (json) {
                    out.println(JSON.writeValueAsString(summary(steps, outcome, chosen, objectives, written, total)));
                } else {
                    printFinal(out, outcome, chosen, ingredients, written, steps, total);
                }
                out.flush();
                return 0;
            }
        }
    }

    /** One objective per --tasks entry: its primary metric, unless --metric / --weight say otherwise. */
    private List<Objective> objectives(List<String> entries, List<TaskSelection.Selected> selected) {
        Map<String, String> metricOf = overrides(metrics, "--metric", entries);
        Map<String, String> weightOf = overrides(weights, "--weight", entries);
        List<Objective> out = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            String task = entries.get(i);
            Objective primary = Objectives.primary(task, selected.get(i));
            String metric = metricOf.getOrDefault(task, primary.metric());
            double weight;
            if (weightOf.containsKey(task)) {
                try {
                    weight = Double.parseDouble(weightOf.get(task));
                } catch (NumberFormatException e) {
                    throw MergeLabException.input("--weight " + task + "=" + weightOf.get(task) + ": not a number", null);
                }
            } else {
                String name = metric.contains(",") ? metric.substring(0, metric.indexOf(',')) : metric;
                weight = Objectives.higherIsBetter(name) ? 1 : -1;
            }
            out.add(new Objective(task, metric, weight));
        }
        return out;
    }

    /** {@code [TASK=]VALUE} options by task; without TASK only when there is one task. */
    private static Map<String, String> overrides(List<String> given, String option, List<String> entries) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String g : given) {
            int eq = g.lastIndexOf('=');
            String task = eq < 0 ? null : g.substring(0, eq).strip();
            String value = (eq < 0 ? g : g.substring(eq + 1)).strip();
            if (task == null) {
                if (entries.size() != 1) {
                    throw MergeLabException.input(option + " " + g + ": name the task (TASK=" + (option.equals("--weight") ? "W" : "METRIC")
                            + ") when --tasks has several", null);
                }
                task = entries.getFirst();
            }
            if (!entries.contains(task)) {
                throw MergeLabException.input(option + " " + g + ": no task " + task + " in --tasks", null);
            }
            if (value.isEmpty()) {
                throw MergeLabException.input(option + " " + g + ": empty value", null);
            }
            if (out.put(task, value) != null) {
                throw MergeLabException.input(option + " is given twice for " + task, null);
            }
        }
        return out;
    }

    /**
     * The planner's checks over every ingredient (and the base), without merging a byte: unknown tensors, shapes and
     * architectures that differ are the errors a merge of them would give.
     */
    private void checkCompatible(SharedModels shared, List<String> ingredients) {
        List<String> all = new ArrayList<>(ingredients);
        if (base != null && !all.contains(base)) {
            all.add(base);
        }
        String source = "the soup";
        try (MergeSession ignored = MergeSession.borrowing(SoupRecipe.of(all, List.of(), source), shared, this::warn)) {
            // planned: compatible
        } catch (MergeLabException e) {
            // the planner names the line of a recipe the user never saw: say what it means for the ingredients
            String why = e.getMessage().replaceFirst("^" + source + "(:\\d+)?: ", "");
            throw new MergeLabException(e.kind(), "the ingredients" + (base != null ? " and the base" : "") + " cannot be averaged: " + why,
                    e.hint(), e);
        }
    }

    private static List<String> comment(Soup.Mode mode, List<String> ingredients, boolean[] chosen) {
        List<String> c = new ArrayList<>();
        c.add((mode == Soup.Mode.UNIFORM ? "Uniform" : "Greedy") + " soup (Wortsman et al. 2022, \"Model soups\") made by mergelab soup "
                + Version.VERSION + " from " + ingredients.size() + " ingredients:");
        for (int i = 0; i < ingredients.size(); i++) {
            c.add((chosen[i] ? "kept:     " : "left out: ") + ingredients.get(i).replace('\n', ' '));
        }
        return c;
    }

    /** The fitness as a formula, e.g. {@code arc_easy acc,none - 0.5 x ppl:a.txt bits_per_byte,none}. */
    private static String describe(Objectives o) {
        StringBuilder sb = new StringBuilder();
        for (Objective x : o.list()) {
            double w = x.weight();
            sb.append(sb.isEmpty() ? (w < 0 ? "-" : "") : (w < 0 ? " - " : " + "));
            sb.append(Math.abs(w) == 1 ? "" : fmt(Math.abs(w)) + " x ").append(x.task()).append(' ').append(x.metric());
        }
        return sb.toString();
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
    }

    private static String ingredientsOf(boolean[] included) {
        List<String> n = new ArrayList<>();
        for (int i = 0; i < included.length; i++) {
            if (included[i]) {
                n.add(String.valueOf(i + 1));
            }
        }
        return "[" + String.join(",", n) + "]";
    }

    private void printStep(PrintWriter out, Soup.Step s) {
        out.printf("%4d  %-14s %12.6f", s.step(), ingredientsOf(s.included()), s.fitness());
        for (double v : s.values()) {
            out.printf(" %20.6f", v);
        }
        String decision = s.kept() == null ? (s.alone() ? "scored alone" : "the soup") : s.kept() ? "kept" : "left out";
        out.printf(" %8.2f %8.2f  %s%n", s.trial().mergeSeconds(), s.trial().evalSeconds(), decision);
        out.flush();
    }

    private void printFinal(PrintWriter out, Soup.Outcome outcome, List<String> chosen, List<String> ingredients, MergeRun.Result written,
                            List<Soup.Step> steps, double total) {
        out.printf("%nsoup: %s = the average of %s%n", ingredientsOf(outcome.chosen()), String.join(", ", chosen));
        out.printf("%-28s %-16s %24s%n", "task", "metric", "value ± stderr");
        outcome.best().trial().results().get("results").properties().forEach(task -> task.getValue().properties().forEach(m -> {
            String k = m.getKey();
            int comma = k.indexOf(',');
            if (comma < 0 || k.substring(0, comma).endsWith("_stderr") || !m.getValue().isNumber()) {
                return;
            }
            JsonNode se = task.getValue().get(k.substring(0, comma) + "_stderr" + k.substring(comma));
            out.printf("%-28s %-16s %24s%n", task.getKey(), k.substring(0, comma), String.format("%.4f ± %s", m.getValue().asDouble(),
                    se != null && se.isNumber() ? String.format("%.4f", se.asDouble()) : "-"));
        }));
        double merge = 0;
        double eval = 0;
        int merged = 0;
        double aloneEval = 0;
        int alone = 0;
        for (Soup.Step s : steps) {
            if (s.alone()) {
                alone++;
                aloneEval += s.trial().evalSeconds();
            } else {
                merged++;
                merge += s.trial().mergeSeconds();
                eval += s.trial().evalSeconds();
            }
        }
        out.printf("wrote %s (%s) in %.1f s%n", written.outDir(), Bytes.human(written.outputBytes()), written.seconds());
        out.printf("timing: %d soup candidate%s merged in memory: merge %.2f s + eval %.2f s (%.2f + %.2f s each)", merged,
                merged == 1 ? "" : "s", merge, eval, merged == 0 ? 0 : merge / merged, merged == 0 ? 0 : eval / merged);
        if (alone > 0) {
            out.printf("; %d ingredient%s scored alone: eval %.2f s", alone, alone == 1 ? "" : "s", aloneEval);
        }
        out.printf("; %.1f s in all%n", total);
    }

    private ObjectNode summary(List<Soup.Step> steps, Soup.Outcome outcome, List<String> chosen, Objectives objectives,
                               MergeRun.Result written, double total) {
        ObjectNode root = JSON.createObjectNode();
        root.put("mode", mode.toLowerCase(Locale.ROOT));
        root.set("ingredients", JSON.valueToTree(models.stream().map(String::strip).filter(m -> !m.isEmpty()).toList()));
        if (base != null) {
            root.put("base", base);
        }
        root.set("objectives", objectives.toJson());
        ArrayNode arr = root.putArray("steps");
        for (Soup.Step s : steps) {
            ObjectNode o = arr.addObject();
            o.put("step", s.step());
            o.put("generation", s.generation());
            o.set("genotype", SoupRecord.genotype(s.included()));
            o.set("objectives", Objectives.toJson(s.values()));
            o.put("fitness", s.fitness());
            if (s.kept() == null) {
                o.putNull("kept");
            } else {
                o.put("kept", s.kept());
            }
            o.put("alone", s.alone());
            o.put("merge_seconds", s.trial().mergeSeconds());
            o.put("eval_seconds", s.trial().evalSeconds());
        }
        ObjectNode soup = root.putObject("soup");
        soup.set("genotype", SoupRecord.genotype(outcome.chosen()));
        soup.set("ingredients", JSON.valueToTree(chosen));
        soup.put("fitness", outcome.best().fitness());
        soup.set("results", outcome.best().trial().results().get("results"));
        root.put("output", written.outDir().toString());
        root.put("write_seconds", written.seconds());
        root.put("seconds", total);
        return root;
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "~";
    }

    private void warn(String w) {
        if (warned.add(w)) {
            err.println("mergelab: warning: " + w);
            err.flush();
        }
    }
}
