package dev.mergelab.lora;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * PEFT's rule for rank_pattern / alpha_pattern keys ({@code get_pattern_key}): the keys are tried in
 * file order and the first one whose regex matches a whole dotted suffix of the module name wins, i.e.
 * {@code (.*\.)?(KEY)} matches the full name. So {@code q_proj} matches {@code model.layers.0.self_attn.q_proj}
 * and {@code layers.0.self_attn.q_proj} matches only layer 0, while {@code proj} matches neither.
 */
final class PatternKeys {

    private static final Map<String, Pattern> COMPILED = new ConcurrentHashMap<>();

    private PatternKeys() {
    }

    /** The first key matching {@code moduleName}, or null. */
    static String match(Collection<String> keys, String moduleName) {
        for (String key : keys) {
            if (COMPILED.computeIfAbsent(key, k -> Pattern.compile("(.*\\.)?(" + k + ")")).matcher(moduleName).matches()) {
                return key;
            }
        }
        return null;
    }

    /** Checks a key compiles as a regex (keys are regex fragments in PEFT) and returns it. */
    static String checked(String key, String field, String where) {
        if (key.isEmpty() || key.length() > 1000) {
            throw AdapterConfig.bad(where, field + " has an empty or over-long key", "keys are module names or regexes");
        }
        try {
            Pattern.compile("(.*\\.)?(" + key + ")");
        } catch (PatternSyntaxException e) {
            throw AdapterConfig.bad(where, field + " key '" + AdapterJson.show(key) + "' is not a valid regex",
                    "fix the pattern key");
        }
        return key;
    }
}
