package dev.mergelab.recipe;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SequencedMap;

/** One {@code parameters:} block, in the order written. Empty when the block is absent. */
public record Parameters(SequencedMap<String, Parameter> byName, int line) {

    /** One named setting and the line of its key. */
    public record Parameter(String name, ParamValue value, int line) {
        public Parameter {
            Objects.requireNonNull(name);
            Objects.requireNonNull(value);
        }
    }

    public static final Parameters NONE = new Parameters(new LinkedHashMap<>(), 0);

    public Parameters {
        byName = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(byName));
    }

    public Optional<Parameter> get(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public boolean isEmpty() {
        return byName.isEmpty();
    }

    /** Convenience for tests and callers that build recipes in code. */
    public static Parameters of(Map<String, ParamValue> values) {
        SequencedMap<String, Parameter> m = new LinkedHashMap<>();
        values.forEach((k, v) -> m.put(k, new Parameter(k, v, v.line())));
        return new Parameters(m, 0);
    }
}
