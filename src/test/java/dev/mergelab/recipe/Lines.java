package dev.mergelab.recipe;

import java.util.LinkedHashMap;
import java.util.SequencedMap;

/** Test helper: copies of recipe values with every line set to 0, to compare content only. */
final class Lines {
    private Lines() {}

    static Parameters strip(Parameters p) {
        SequencedMap<String, Parameters.Parameter> m = new LinkedHashMap<>();
        p.byName().forEach((k, v) -> m.put(k, new Parameters.Parameter(k, strip(v.value()), 0)));
        return new Parameters(m, 0);
    }

    static ParamValue strip(ParamValue v) {
        return switch (v) {
            case ParamValue.Plain plain -> strip(plain);
            case ParamValue.FilterList f -> new ParamValue.FilterList(f.entries().stream()
                    .map(e -> new ParamValue.FilterEntry(e.filter(), strip(e.value()), 0)).toList(), 0);
        };
    }

    static ParamValue.Plain strip(ParamValue.Plain v) {
        return switch (v) {
            case ParamValue.Scalar s -> new ParamValue.Scalar(s.value(), 0);
            case ParamValue.Gradient g -> new ParamValue.Gradient(g.items().stream()
                    .map(s -> new ParamValue.Scalar(s.value(), 0)).toList(), 0);
        };
    }
}
