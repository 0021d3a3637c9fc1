package dev.mergelab.recipe;

import dev.mergelab.MergeLabException;
import dev.mergelab.method.Scope;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Resolves a method parameter for one tensor exactly as METHODS.md §5 (mergekit's {@code ConfigReader})
 * does: the first level that yields a value wins, in the order source &gt; slice &gt; module &gt; top-level;
 * at each level a gradient is evaluated at the layer position t and a filter list picks its first entry
 * whose filter matches the tensor name, falling through to the next level when none does. Method
 * defaults and required-parameter policy belong to the method; {@link #require} builds the error.
 */
public final class ParameterResolver {
    private final MergeLayout layout;
    private final Parameters top;
    private final String source;

    public ParameterResolver(Recipe recipe) {
        this(recipe.layout(), recipe.parameters(), recipe.source());
    }

    public ParameterResolver(MergeLayout layout, Parameters top, String source) {
        this.layout = Objects.requireNonNull(layout);
        this.top = Objects.requireNonNull(top);
        this.source = Objects.requireNonNull(source);
    }

    public MergeLayout layout() {
        return layout;
    }

    /**
     * Resolves {@code name} at {@code site}.
     *
     * @param tensorName the output tensor name for {@link Scope#GLOBAL}; the model's input tensor name for
     *                   {@link Scope#PER_MODEL} (filters match against it)
     * @param modelRef   the input model's raw ref for {@link Scope#PER_MODEL}; ignored (may be null) for
     *                   {@link Scope#GLOBAL}
     * @return the value, or empty when no level sets it (then the method default applies)
     */
    public Optional<Resolved> resolve(String name, Scope scope, String tensorName, String modelRef, Site site) {
        Objects.requireNonNull(name);
        Objects.requireNonNull(scope);
        SliceLayout slice = layout.slice(site);
        double t = site.t();
        if (scope == Scope.PER_MODEL) {
            Objects.requireNonNull(modelRef, "per-model parameters need a model");
            // Upstream checks every source of the slice that names the model, in order.
            for (SliceSource s : slice.sources()) {
                if (s.model().raw().equals(modelRef)) {
                    Optional<Resolved> v = at(s.parameters(), name, tensorName, t, Resolved.Level.SOURCE);
                    if (v.isPresent()) {
                        return v;
                    }
                }
            }
        }
        return at(slice.parameters(), name, tensorName, t, Resolved.Level.SLICE)
                .or(() -> at(layout.module(site.module()).parameters(), name, tensorName, t, Resolved.Level.MODULE))
                .or(() -> at(top, name, tensorName, t, Resolved.Level.TOP));
    }

    /** A global parameter for an output tensor. */
    public Optional<Resolved> global(String name, String outputTensor, Site site) {
        return resolve(name, Scope.GLOBAL, outputTensor, null, site);
    }

    /** A per-model parameter for one input model's tensor. */
    public Optional<Resolved> perModel(String name, String modelRef, String inputTensor, Site site) {
        return resolve(name, Scope.PER_MODEL, inputTensor, modelRef, site);
    }

    /**
     * Like {@link #resolve}, but a missing value is the user error "missing required parameter NAME for
     * MODEL.TENSOR". Callers exempt the slice's base model from required per-model parameters
     * ({@link SliceLayout#isBase}).
     */
    public Resolved require(String name, Scope scope, String tensorName, String modelRef, Site site) {
        return resolve(name, scope, tensorName, modelRef, site).orElseThrow(() -> missing(name, scope, tensorName, modelRef, site));
    }

    private MergeLabException missing(String name, Scope scope, String tensorName, String modelRef, Site site) {
        SliceLayout slice = layout.slice(site);
        String what = scope == Scope.PER_MODEL ? modelRef + "." + tensorName : tensorName;
        int line = scope == Scope.PER_MODEL
                ? slice.sources().stream().filter(s -> s.model().raw().equals(modelRef))
                        .mapToInt(s -> s.model().line()).findFirst().orElse(slice.line())
                : slice.line();
        String hint = scope == Scope.PER_MODEL
                ? "set '" + name + "' in that model's parameters or in the top-level parameters"
                : "set '" + name + "' in the top-level parameters";
        return RecipeErrors.at(source, line, "missing required parameter '" + name + "' for " + what, hint);
    }

    private static Optional<Resolved> at(Parameters params, String name, String tensorName, double t, Resolved.Level level) {
        return params.get(name).flatMap(p -> evaluate(p.value(), tensorName, t).map(v -> new Resolved(v, level, p.line())));
    }

    /**
     * Evaluates one setting for a tensor at layer position t (METHODS.md §5). Empty only for a filter list
     * none of whose filters match.
     */
    public static Optional<Literal> evaluate(ParamValue value, String tensorName, double t) {
        return switch (value) {
            case ParamValue.Scalar s -> Optional.of(s.value());
            case ParamValue.Gradient g -> Optional.of(gradient(g, t));
            case ParamValue.FilterList f -> f.entries().stream()
                    .filter(e -> e.matches(tensorName))
                    .findFirst()
                    .map(e -> evaluate(e.value(), tensorName, t).orElseThrow());
        };
    }

    /**
     * A gradient at t: numbers (booleans as 1/0) interpolate between the two nearest points; any other
     * list picks an element. The arithmetic is written in the same order as upstream so the double result
     * is bit-identical.
     */
    static Literal gradient(ParamValue.Gradient g, double t) {
        List<ParamValue.Scalar> items = g.items();
        int last = items.size() - 1;
        if (!g.numeric()) {
            return items.get((int) (t * last)).value();
        }
        double s = t * last;
        int i0 = (int) s;
        int i1 = Math.min(last, i0 + 1);
        double f = s - i0;
        double v = (1 - f) * items.get(i0).value().numericValue() + f * items.get(i1).value().numericValue();
        return Literal.Num.of(v);
    }
}
