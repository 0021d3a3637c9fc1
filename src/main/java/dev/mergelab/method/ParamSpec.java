package dev.mergelab.method;

import dev.mergelab.MergeLabException;

import java.util.Arrays;
import java.util.Locale;

/**
 * One parameter a merge method accepts: its name, scope, type, default ({@code null} = required), a
 * one-line doc, and a range check. {@link #validate} turns a raw recipe value into the typed value or a
 * one-line {@link MergeLabException} naming the method, parameter, model and tensor.
 */
public record ParamSpec(String name, Scope scope, ParamType type, Object defaultValue, String doc, Check check) {

    /** A range or membership rule on an already typed value; returns the problem in words, or null. */
    @FunctionalInterface
    public interface Check {
        String problem(Object value);

        Check NONE = v -> null;
    }

    public ParamSpec {
        if (check == null) {
            check = Check.NONE;
        }
    }

    public boolean required() {
        return defaultValue == null;
    }

    // ---- constructors that read like the spec tables ----

    public static ParamSpec number(String name, Scope scope, Double def, String doc, Check check) {
        return new ParamSpec(name, scope, ParamType.NUMBER, def, doc, check);
    }

    public static ParamSpec integer(String name, Scope scope, Long def, String doc, Check check) {
        return new ParamSpec(name, scope, ParamType.INT, def, doc, check);
    }

    public static ParamSpec bool(String name, Scope scope, Boolean def, String doc) {
        return new ParamSpec(name, scope, ParamType.BOOL, def, doc, Check.NONE);
    }

    public static ParamSpec string(String name, Scope scope, String def, String doc, String... allowed) {
        Check check = allowed.length == 0 ? Check.NONE : v -> Arrays.asList(allowed).contains(v)
                ? null : "must be one of " + String.join(", ", allowed);
        return new ParamSpec(name, scope, ParamType.STRING, def, doc, check);
    }

    // ---- common checks ----

    public static Check atLeast(double min) {
        return v -> ((Number) v).doubleValue() >= min ? null : "must be >= " + fmt(min);
    }

    public static Check greaterThan(double min) {
        return v -> ((Number) v).doubleValue() > min ? null : "must be > " + fmt(min);
    }

    /**
     * Coerces {@code raw} to this parameter's type (Double, Long, Boolean or String) and applies the
     * range check. {@code where} names the owner, e.g. {@code "model X at tensor T"}.
     */
    public Object validate(Object raw, String method, String where) {
        Object typed = coerce(raw);
        if (typed == null) {
            throw MergeLabException.input(
                    method + ": parameter " + name + " = " + show(raw) + " for " + where + " must be " + typeWords(),
                    doc);
        }
        String problem = check.problem(typed);
        if (problem != null) {
            throw MergeLabException.input(
                    method + ": parameter " + name + " = " + show(raw) + " for " + where + " " + problem, doc);
        }
        return typed;
    }

    private Object coerce(Object raw) {
        return switch (type) {
            case NUMBER -> {
                double d;
                if (raw instanceof Number n) {
                    d = n.doubleValue();
                } else if (raw instanceof Boolean b) {
                    d = b ? 1 : 0;
                } else {
                    yield null;
                }
                yield Double.isFinite(d) ? d : null;
            }
            case INT -> {
                if (raw instanceof Number n) {
                    double d = n.doubleValue();
                    yield (Double.isFinite(d) && d == Math.rint(d) && Math.abs(d) < 0x1p53) ? (Long) (long) d : null;
                }
                yield null;
            }
            case BOOL -> {
                if (raw instanceof Boolean b) {
                    yield b;
                }
                // YAML 0/1 and interpolated gradients of booleans arrive as numbers.
                if (raw instanceof Number n && Double.isFinite(n.doubleValue())) {
                    yield n.doubleValue() != 0;
                }
                yield null;
            }
            case STRING -> raw instanceof String s ? s : null;
        };
    }

    private String typeWords() {
        return switch (type) {
            case NUMBER -> "a finite number";
            case INT -> "a whole number";
            case BOOL -> "true or false";
            case STRING -> "a string";
        };
    }

    private static String show(Object raw) {
        return raw instanceof String s ? "'" + s + "'" : String.valueOf(raw);
    }

    static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : String.format(Locale.ROOT, "%s", d);
    }
}
