package dev.mergelab.recipe;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A parameter setting as written in a recipe (METHODS.md §5): a scalar, a gradient list, or a list of
 * {@code {filter, value}} entries whose value is itself a scalar or a gradient. Evaluation lives in
 * {@link ParameterResolver}; these records only hold what was written and where.
 */
public sealed interface ParamValue permits ParamValue.Plain, ParamValue.FilterList {

    int line();

    /** A value that needs no tensor name to evaluate: a scalar or a gradient. */
    sealed interface Plain extends ParamValue permits Scalar, Gradient {}

    /** One literal, used as is at every layer. */
    record Scalar(Literal value, int line) implements Plain {
        public Scalar {
            Objects.requireNonNull(value);
        }
    }

    /**
     * A non-empty list of literals. All numbers (booleans count as numbers) are interpolated at the layer
     * position t; any other mix picks one element.
     */
    record Gradient(List<Scalar> items, int line) implements Plain {
        public Gradient {
            items = List.copyOf(items);
            if (items.isEmpty()) {
                throw new IllegalArgumentException("empty gradient");
            }
        }

        /** True when every element is a number or boolean, so the gradient interpolates. */
        public boolean numeric() {
            return items.stream().allMatch(s -> s.value().isNumeric());
        }
    }

    /** An ordered list of conditional values; the first entry whose filter matches wins. */
    record FilterList(List<FilterEntry> entries, int line) implements ParamValue {
        public FilterList {
            entries = List.copyOf(entries);
            if (entries.isEmpty()) {
                throw new IllegalArgumentException("empty filter list");
            }
        }
    }

    /**
     * One {@code {filter, value}} entry. An absent filter or {@code *} matches every tensor; otherwise the
     * filter matches when it is a substring of the tensor name.
     */
    record FilterEntry(Optional<String> filter, Plain value, int line) {
        public FilterEntry {
            Objects.requireNonNull(filter);
            Objects.requireNonNull(value);
        }

        /** Whether this entry applies to {@code tensorName} (null or empty name: only catch-all filters). */
        public boolean matches(String tensorName) {
            if (filter.isEmpty() || filter.get().equals("*")) {
                return true;
            }
            // Upstream only tests substrings when it has a tensor name.
            return tensorName != null && !tensorName.isEmpty() && tensorName.contains(filter.get());
        }
    }
}
