package dev.mergelab.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One representative recipe per method over a synthetic family (BASE, FT1..FT3), with the parameters
 * people use in practice. The benchmark substitutes the family's folders for the placeholders.
 */
public final class BenchRecipes {

    private BenchRecipes() {
    }

    /** Method name to recipe text (placeholders BASE, FT1, FT2, FT3), in benchmark order. */
    public static Map<String, String> all() {
        Map<String, String> r = new LinkedHashMap<>();
        r.put("linear", models(null, "{weight: 0.4}", "{weight: 0.3}", "{weight: 0.3}", ""));
        r.put("task_arithmetic", models("BASE", "{weight: 0.5}", "{weight: 0.3}", "{weight: 0.2}", ""));
        r.put("ties", models("BASE", "{weight: 1.0, density: 0.5}", "{weight: 0.6, density: 0.5}", "{weight: 0.8, density: 0.5}", ""));
        r.put("dare_ties", models("BASE", "{weight: 0.5, density: 0.5}", "{weight: 0.3, density: 0.5}", "{weight: 0.2, density: 0.5}", ""));
        r.put("dare_linear", models("BASE", "{weight: 0.5, density: 0.5}", "{weight: 0.3, density: 0.5}", "{weight: 0.2, density: 0.5}", ""));
        r.put("breadcrumbs", models("BASE", "{weight: 0.5, density: 0.9, gamma: 0.01}", "{weight: 0.3, density: 0.9, gamma: 0.01}",
                "{weight: 0.2, density: 0.9, gamma: 0.01}", ""));
        r.put("breadcrumbs_ties", models("BASE", "{weight: 0.5, density: 0.9, gamma: 0.01}", "{weight: 0.3, density: 0.9, gamma: 0.01}",
                "{weight: 0.2, density: 0.9, gamma: 0.01}", ""));
        r.put("della", models("BASE", "{weight: 0.5, density: 0.5, epsilon: 0.1}", "{weight: 0.3, density: 0.5, epsilon: 0.1}",
                "{weight: 0.2, density: 0.5, epsilon: 0.1}", ""));
        r.put("della_linear", models("BASE", "{weight: 0.5, density: 0.5, epsilon: 0.1}", "{weight: 0.3, density: 0.5, epsilon: 0.1}",
                "{weight: 0.2, density: 0.5, epsilon: 0.1}", ""));
        r.put("model_stock", models("BASE", "{}", "{}", "{}", ""));
        r.put("sce", models("BASE", "{}", "{}", "{}", "parameters: {select_topk: 0.5}\n"));
        r.put("karcher", models(null, "{}", "{}", "{}", ""));
        r.put("slerp", "merge_method: slerp\nbase_model: BASE\nmodels:\n  - model: BASE\n  - model: FT1\nparameters: {t: 0.5}\n");
        r.put("nuslerp", "merge_method: nuslerp\nmodels:\n  - model: FT1\n    parameters: {weight: 0.6}\n  - model: FT2\n    parameters: {weight: 0.4}\n");
        r.put("multislerp", models(null, "{weight: 0.4}", "{weight: 0.3}", "{weight: 0.3}", ""));
        r.put("nearswap", "merge_method: nearswap\nbase_model: BASE\nmodels:\n  - model: BASE\n  - model: FT1\nparameters: {t: 0.001}\n");
        r.put("arcee_fusion", "merge_method: arcee_fusion\nbase_model: BASE\nmodels:\n  - model: BASE\n  - model: FT1\n");
        r.put("passthrough", "merge_method: passthrough\nmodels:\n  - model: FT1\n");
        r.put("ram", models("BASE", "{}", "{}", "{}", ""));
        r.put("ramplus_tl", models("BASE", "{}", "{}", "{}", ""));
        r.put("peft_task_arithmetic", models("BASE", "{weight: 0.5}", "{weight: 0.3}", "{weight: 0.2}", ""));
        r.put("peft_ties", models("BASE", "{weight: 0.5}", "{weight: 0.3}", "{weight: 0.2}", "parameters: {density: 0.5}\n"));
        r.put("peft_dare_ties", models("BASE", "{weight: 0.5}", "{weight: 0.3}", "{weight: 0.2}", "parameters: {density: 0.5}\n"));
        r.put("peft_dare_linear", models("BASE", "{weight: 0.5}", "{weight: 0.3}", "{weight: 0.2}", "parameters: {density: 0.5}\n"));
        r.put("peft_magnitude_prune", models("BASE", "{weight: 0.5}", "{weight: 0.3}", "{weight: 0.2}", "parameters: {density: 0.5}\n"));
        return r;
    }

    private static String models(String base, String p1, String p2, String p3, String extra) {
        return "merge_method: METHOD\n" + (base == null ? "" : "base_model: " + base + "\n") + "models:\n"
                + "  - model: FT1\n    parameters: " + p1 + "\n"
                + "  - model: FT2\n    parameters: " + p2 + "\n"
                + "  - model: FT3\n    parameters: " + p3 + "\n" + extra;
    }

    /** The recipe for {@code method} with the placeholders replaced by the family's folders. */
    public static String render(String method, String text, String family) {
        return text.replace("METHOD", method).replace("BASE", family + "/base").replace("FT1", family + "/ft1")
                .replace("FT2", family + "/ft2").replace("FT3", family + "/ft3");
    }
}
