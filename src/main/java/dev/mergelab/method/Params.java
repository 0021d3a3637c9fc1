package dev.mergelab.method;

import dev.mergelab.MergeLabException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Resolved parameters of one scope (the global ones of a tensor, or one model's for a tensor) with typed
 * accessors. A missing value falls back to the method's default; a missing required value throws
 * "Missing required parameter NAME for MODEL.TENSOR". Values are validated (type, finiteness, range) on
 * access, so a bad value fails with a message naming method, parameter, model and tensor. Keys the
 * method does not know are ignored (recipes may share a parameters block between methods).
 */
public final class Params {

    private final String method;
    private final Map<String, ParamSpec> specs;
    private final Map<String, Object> values;
    private final String model;   // null for the global scope
    private final String tensor;

    private Params(MethodSpec spec, Scope scope, Map<String, ?> values, String model, String tensor) {
        this.method = spec.name();
        this.specs = new LinkedHashMap<>();
        for (ParamSpec p : spec.params()) {
            if (p.scope() == scope) {
                specs.put(p.name(), p);
            }
        }
        this.values = values == null ? Map.of() : Map.copyOf(withoutNulls(values));
        this.model = model;
        this.tensor = tensor;
    }

    /** The global parameters of {@code spec} for one output tensor. */
    public static Params global(MethodSpec spec, Map<String, ?> values, String tensor) {
        return new Params(spec, Scope.GLOBAL, values, null, tensor);
    }

    /** One model's per-model parameters of {@code spec} for one tensor. */
    public static Params forModel(MethodSpec spec, Map<String, ?> values, String model, String tensor) {
        return new Params(spec, Scope.PER_MODEL, values, model, tensor);
    }

    public double number(String name) {
        return (Double) get(name, ParamType.NUMBER);
    }

    public long integer(String name) {
        return (Long) get(name, ParamType.INT);
    }

    public boolean bool(String name) {
        return (Boolean) get(name, ParamType.BOOL);
    }

    public String string(String name) {
        return (String) get(name, ParamType.STRING);
    }

    /** True when the recipe gave this parameter explicitly (defaults do not count). */
    public boolean has(String name) {
        spec(name);
        return values.containsKey(name);
    }

    /** Names of required parameters that have no value here (for eager plan checks). */
    public List<String> missingRequired() {
        List<String> out = new ArrayList<>();
        for (ParamSpec p : specs.values()) {
            if (p.required() && !values.containsKey(p.name())) {
                out.add(p.name());
            }
        }
        return out;
    }

    /** Throws "Missing required parameter ..." for the first required parameter without a value. */
    public void requireAll() {
        List<String> missing = missingRequired();
        if (!missing.isEmpty()) {
            throw missing(specs.get(missing.getFirst()));
        }
    }

    /** Validates every given value of a known parameter (for eager plan checks); throws on the first bad one. */
    public void validateAll() {
        for (ParamSpec p : specs.values()) {
            if (values.containsKey(p.name())) {
                p.validate(values.get(p.name()), method, where());
            }
        }
    }

    /** The model these parameters belong to, or null for the global scope. */
    public String model() {
        return model;
    }

    private Object get(String name, ParamType expected) {
        ParamSpec p = spec(name);
        if (p.type() != expected) {
            throw new IllegalArgumentException(method + " reads " + name + " as " + expected + " but declares " + p.type());
        }
        Object raw = values.get(name);
        if (raw == null) {
            if (p.required()) {
                throw missing(p);
            }
            return p.defaultValue();
        }
        return p.validate(raw, method, where());
    }

    private MergeLabException missing(ParamSpec p) {
        return MergeLabException.input(
                method + ": Missing required parameter " + p.name() + " for " + (model == null ? tensor : model + "." + tensor),
                "set '" + p.name() + "' (" + p.doc() + ")");
    }

    private ParamSpec spec(String name) {
        ParamSpec p = specs.get(name);
        if (p == null) {
            // A method reading a parameter it never declared is a bug in the method, not user input.
            throw new IllegalArgumentException(method + " has no " + (model == null ? "global" : "per-model")
                    + " parameter " + name);
        }
        return p;
    }

    private String where() {
        return model == null ? "tensor " + tensor : "model " + model + " at tensor " + tensor;
    }

    private static Map<String, Object> withoutNulls(Map<String, ?> values) {
        Map<String, Object> out = new LinkedHashMap<>();
        values.forEach((k, v) -> {
            if (v != null) {
                out.put(k, v);
            }
        });
        return out;
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
