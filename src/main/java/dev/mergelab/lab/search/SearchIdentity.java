package dev.mergelab.lab.search;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A search's canonical configuration (JSON, keys in a fixed order, defaults filled in) and its id: the SHA-256 of
 * that configuration without its budgets, the seed, and the content ids of the parents. Starting the same search
 * again, with any budget, finds the same id and so its recorded evaluations; a changed genome, task, optimiser
 * setting, seed or parent file is another search.
 */
public final class SearchIdentity {
    private SearchIdentity() {
    }

    /** The configuration as the lab stores it; {@code withBudget} adds max_evals and max_time. */
    public static ObjectNode canonical(SearchConfig c, boolean withBudget) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        switch (c.genome()) {
            case SearchConfig.MergeGenomeSpec g -> {
                ObjectNode o = root.putObject("genome");
                strings(o.putArray("models"), g.models());
                strings(o.putArray("merge_method"), g.methods());
                g.baseModel().ifPresent(b -> o.put("base_model", b));
                g.tokenizerSource().ifPresent(t -> o.put("tokenizer_source", t));
                o.put("layer_granularity", g.layerGranularity());
                g.normalize().ifPresent(n -> o.put("normalize", n));
                o.put("allow_negative_weights", g.allowNegativeWeights());
                strings(o.putArray("filters"), g.filters());
                o.put("smooth", g.smooth());
                ObjectNode ps = o.putObject("parameters");
                g.parameters().forEach((name, b) -> {
                    if (b.isPresent()) {
                        ps.putObject(name).put("min", b.get().min()).put("max", b.get().max());
                    } else {
                        ps.putNull(name);
                    }
                });
            }
            case SearchConfig.LayerPathSpec p -> {
                ObjectNode o = root.putObject("layer_path");
                strings(o.putArray("models"), p.models());
                o.put("repeats", p.repeats());
                o.put("threshold", p.threshold());
                p.tokenizerSource().ifPresent(t -> o.put("tokenizer_source", t));
            }
        }
        ArrayNode tasks = root.putArray("tasks");
        for (SearchConfig.Objective t : c.tasks()) {
            ObjectNode o = tasks.addObject().put("name", t.name()).put("weight", t.weight()).put("metric", t.metric());
            t.data().ifPresent(d -> o.put("data", d));
        }
        c.limit().ifPresent(l -> root.put("limit", l));
        c.numFewshot().ifPresent(n -> root.put("num_fewshot", n));
        root.put("random_init", c.randomInit());
        ObjectNode opt = root.putObject("optimizer");
        opt.put("algorithm", c.optimizer().algorithm().yamlName);
        c.optimizer().populationSize().ifPresent(p -> opt.put("population_size", p));
        opt.put("sigma0", c.optimizer().sigma0());
        opt.put("seed", c.optimizer().seed());
        if (withBudget) {
            opt.put("max_evals", c.optimizer().maxEvals());
            c.optimizer().maxSeconds().ifPresent(s -> opt.put("max_time", s));
        }
        return root;
    }

    /** The search id for {@code config} over parents with these content ids (in the configuration's model order). */
    public static String id(SearchConfig config, List<String> parentIds) {
        StringBuilder sb = new StringBuilder();
        sb.append(canonical(config, false)).append('\n').append("seed ").append(config.optimizer().seed()).append('\n');
        parentIds.forEach(p -> sb.append("parent ").append(p).append('\n'));
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(sb.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void strings(ArrayNode a, List<String> values) {
        values.forEach(a::add);
    }
}
