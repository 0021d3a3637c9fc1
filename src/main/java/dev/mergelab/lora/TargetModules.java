package dev.mergelab.lora;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * PEFT's {@code target_modules}, with its matching rule ({@code check_target_module_exists}): a string is
 * a regex that must match the whole module name; a list matches a module whose name equals an entry or
 * ends with "." + entry; {@code "all-linear"} means every linear layer except the output head.
 */
public sealed interface TargetModules {

    /** Whether PEFT would put a LoRA layer on module {@code moduleName}. */
    boolean matches(String moduleName, boolean isOutputHead);

    /** The value as written in adapter_config.json (a list, or a string). */
    Object json();

    record Names(List<String> names) implements TargetModules {
        public Names {
            names = List.copyOf(names);
        }

        @Override
        public boolean matches(String moduleName, boolean isOutputHead) {
            for (String n : names) {
                if (moduleName.equals(n) || moduleName.endsWith("." + n)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public Object json() {
            return names;
        }
    }

    record Regex(String regex, Pattern pattern) implements TargetModules {
        @Override
        public boolean matches(String moduleName, boolean isOutputHead) {
            return pattern.matcher(moduleName).matches();
        }

        @Override
        public Object json() {
            return regex;
        }
    }

    record AllLinear() implements TargetModules {
        @Override
        public boolean matches(String moduleName, boolean isOutputHead) {
            return !isOutputHead;
        }

        @Override
        public Object json() {
            return "all-linear";
        }
    }

    /** No target_modules in the file: the adapter's own tensors decide. */
    record Unspecified() implements TargetModules {
        @Override
        public boolean matches(String moduleName, boolean isOutputHead) {
            return true;
        }

        @Override
        public Object json() {
            return null;
        }
    }

    static TargetModules parse(JsonNode v, String where) {
        if (v == null || v.isNull()) {
            return new Unspecified();
        }
        if (v.isTextual()) {
            String s = v.textValue();
            if (s.equals("all-linear")) {
                return new AllLinear();
            }
            if (s.length() > 10_000) {
                throw AdapterConfig.bad(where, "target_modules regex is over 10000 characters", "shorten it");
            }
            try {
                return new Regex(s, Pattern.compile(s));
            } catch (PatternSyntaxException e) {
                throw AdapterConfig.bad(where, "target_modules '" + AdapterJson.show(s) + "' is not a valid regex",
                        "give a list of module names or a valid regex");
            }
        }
        if (v.isArray()) {
            com.fasterxml.jackson.databind.node.ObjectNode wrap = AdapterJson.MAPPER.createObjectNode();
            wrap.set("target_modules", v);
            return new Names(AdapterConfig.stringList(wrap, "target_modules", where));
        }
        throw AdapterConfig.bad(where, "target_modules is " + AdapterJson.show(v.toString()),
                "target_modules must be a list of module names or a regex string");
    }
}
