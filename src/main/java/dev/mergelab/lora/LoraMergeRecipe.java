package dev.mergelab.lora;

import dev.mergelab.MergeLabException;
import dev.mergelab.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * The YAML recipe of {@code lora merge}: PEFT's {@code add_weighted_adapter} arguments as data.
 * <pre>
 * base_model: org/base              # the adapters' base (used to validate them)
 * combination_type: ties            # linear, cat, svd, ties, ties_svd, dare_linear, dare_ties,
 *                                   # dare_linear_svd, dare_ties_svd, magnitude_prune, magnitude_prune_svd
 * adapters:
 *   - adapter: path/to/adapter-a
 *     weight: 1.0
 *   - adapter: org/adapter-b
 *     weight: 0.5
 * density: 0.5                      # ties / dare / magnitude_prune types (required there)
 * majority_sign_method: total       # total or frequency (ties types)
 * svd_rank: 16                      # *svd types; default: the largest adapter r
 * svd_clamp: 0.99                   # *svd types; optional quantile clamp of U·S and Vh
 * svd_full_matrices: true           # accepted for parity; does not change a truncated result
 * svd_driver: gesvd                 # accepted for parity; a CUDA solver choice, ignored on CPU
 * dtype: bfloat16                   # of the written factors; default: the first adapter's
 * random_seed: 0                    # dare types
 * </pre>
 */
public record LoraMergeRecipe(String baseModel, CombinationType type, List<Entry> adapters, Double density, String majoritySignMethod,
                              Integer svdRank, Double svdClamp, String svdDriver, DType dtype, long seed, String text) {

    public record Entry(String adapter, double weight) {
    }

    private static final Set<String> KEYS = Set.of("base_model", "combination_type", "adapters", "density", "majority_sign_method",
            "svd_rank", "svd_clamp", "svd_full_matrices", "svd_driver", "dtype", "random_seed");

    public static LoraMergeRecipe read(Path file) {
        String text;
        try {
            if (Files.size(file) > (1 << 20)) {
                throw MergeLabException.input(file + " is over 1 MiB", "this is not a lora merge recipe");
            }
            text = Files.readString(file);
        } catch (IOException e) {
            throw MergeLabException.input("cannot read " + file + ": " + e.getMessage(), "check the path");
        }
        return parse(text, file.toString());
    }

    public static LoraMergeRecipe parse(String text, String where) {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(1 << 20);
        options.setNestingDepthLimit(16);
        options.setMaxAliasesForCollections(16);
        options.setAllowDuplicateKeys(false);
        options.setTagInspector(tag -> false);
        Object root;
        try {
            root = new Yaml(new SafeConstructor(options)).load(text);
        } catch (YAMLException e) {
            String m = e.getMessage() == null ? "YAML error" : e.getMessage().lines().findFirst().orElse("YAML error");
            throw bad(where, "is not valid YAML: " + m, "check indentation and that every key ends with ':'");
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw bad(where, "is not a YAML mapping", "see 'mergelab lora merge --help' for the recipe format");
        }
        for (Object k : map.keySet()) {
            if (!(k instanceof String s) || !KEYS.contains(s)) {
                throw bad(where, "has unknown key '" + AdapterJson.show(String.valueOf(k)) + "'", "known keys: " + new java.util.TreeSet<>(KEYS));
            }
        }
        String base = string(map, "base_model", where, true);
        String typeName = string(map, "combination_type", where, true);
        CombinationType type = CombinationType.of(typeName);
        if (type == null) {
            throw bad(where, "combination_type '" + AdapterJson.show(typeName) + "' is unknown", "use one of " + CombinationType.names());
        }
        if (!(map.get("adapters") instanceof List<?> list) || list.isEmpty()) {
            throw bad(where, "needs a non-empty 'adapters:' list", "each entry: {adapter: PATH, weight: NUMBER}");
        }
        if (list.size() > 1024) {
            throw bad(where, "lists " + list.size() + " adapters", "at most 1024 are accepted");
        }
        List<Entry> entries = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> e)) {
                throw bad(where, "has an adapters entry that is not a mapping", "each entry: {adapter: PATH, weight: NUMBER}");
            }
            for (Object k : e.keySet()) {
                if (!"adapter".equals(k) && !"weight".equals(k)) {
                    throw bad(where, "adapters entry has unknown key '" + AdapterJson.show(String.valueOf(k)) + "'", "keys: adapter, weight");
                }
            }
            String a = string(e, "adapter", where, true);
            Double w = number(e, "weight", where);
            if (w == null) {
                throw bad(where, "adapter " + a + " has no weight", "PEFT's add_weighted_adapter needs one weight per adapter");
            }
            entries.add(new Entry(a, w));
        }
        Double density = number(map, "density", where);
        if (type.pruned && density == null) {
            throw bad(where, "combination_type " + type.peftName() + " needs density", "add e.g. 'density: 0.5'");
        }
        if (density != null && (density < 0 || (type.peftMethod != null && type.peftMethod.startsWith("peft_dare") && density == 0))) {
            throw bad(where, "density " + density + " is out of range", "use a density in (0, 1]");
        }
        String msm = string(map, "majority_sign_method", where, false);
        if (msm != null && !msm.equals("total") && !msm.equals("frequency")) {
            throw bad(where, "majority_sign_method '" + AdapterJson.show(msm) + "' is unknown", "use total or frequency");
        }
        Double rank = number(map, "svd_rank", where);
        if (rank != null && (rank != Math.rint(rank) || rank < 1 || rank > AdapterConfig.MAX_RANK)) {
            throw bad(where, "svd_rank " + rank + " is not a positive integer", null);
        }
        Double clamp = number(map, "svd_clamp", where);
        if (clamp != null && (clamp < 0 || clamp > 1)) {
            throw bad(where, "svd_clamp " + clamp + " is not a quantile in [0, 1]", null);
        }
        if (map.containsKey("svd_full_matrices") && !(map.get("svd_full_matrices") instanceof Boolean)) {
            throw bad(where, "svd_full_matrices must be true or false", null);
        }
        String dtypeName = string(map, "dtype", where, false);
        DType dtype = dtypeName == null ? null : DType.fromUserName(dtypeName);
        if (dtypeName != null && (dtype == null || !dtype.isFloating())) {
            throw bad(where, "dtype '" + AdapterJson.show(dtypeName) + "' is not a floating dtype", "use bfloat16, float16 or float32");
        }
        Double seed = number(map, "random_seed", where);
        return new LoraMergeRecipe(base, type, List.copyOf(entries), density, msm == null ? "total" : msm,
                rank == null ? null : rank.intValue(), clamp, string(map, "svd_driver", where, false), dtype,
                seed == null ? 0 : seed.longValue(), text);
    }

    private static String string(Map<?, ?> m, String key, String where, boolean required) {
        Object v = m.get(key);
        if (v == null) {
            if (required) {
                throw bad(where, "has no " + key, "see 'mergelab lora merge --help' for the recipe format");
            }
            return null;
        }
        if (!(v instanceof String s) || s.isBlank()) {
            throw bad(where, key + " must be a non-empty string", null);
        }
        return s;
    }

    private static Double number(Map<?, ?> m, String key, String where) {
        Object v = m.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) {
            throw bad(where, key + " must be a finite number", null);
        }
        return n.doubleValue();
    }

    static MergeLabException bad(String where, String what, String hint) {
        return MergeLabException.input("lora merge recipe " + where + " " + what, hint);
    }
}
