package dev.mergelab.recipe;

/**
 * One scalar parameter value as the recipe wrote it, or as resolution produced it. Integers keep an
 * {@code integral} flag so they are written back as integers and so integer parameters (max_iter) can
 * tell {@code 10} from {@code 10.5}. Interpolated gradient values are never integral, as upstream, where
 * a gradient of ints yields a float.
 */
public sealed interface Literal permits Literal.Num, Literal.Bool, Literal.Text {

    /** A finite number. */
    record Num(double value, boolean integral) implements Literal {
        public Num {
            if (!Double.isFinite(value)) {
                throw new IllegalArgumentException("parameter numbers must be finite: " + value);
            }
            if (integral && value != Math.rint(value)) {
                throw new IllegalArgumentException("not an integer: " + value);
            }
        }

        public static Num of(double value) {
            return new Num(value, false);
        }

        @Override
        public String toString() {
            return integral ? Long.toString((long) value) : Double.toString(value);
        }
    }

    /** A boolean. Inside a gradient it counts as the number 1 or 0 (upstream's bool is an int). */
    record Bool(boolean value) implements Literal {
        @Override
        public String toString() {
            return Boolean.toString(value);
        }
    }

    /** A string (a quoted number stays a string, as it does upstream). */
    record Text(String value) implements Literal {
        public Text {
            java.util.Objects.requireNonNull(value);
        }

        @Override
        public String toString() {
            return value;
        }
    }

    /** True for values a gradient interpolates: numbers and booleans. */
    default boolean isNumeric() {
        return this instanceof Num || this instanceof Bool;
    }

    /** The numeric value of a number or boolean (true = 1); fails for text. */
    default double numericValue() {
        return switch (this) {
            case Num n -> n.value();
            case Bool b -> b.value() ? 1.0 : 0.0;
            case Text t -> throw new IllegalStateException("not a number: '" + t.value() + "'");
        };
    }
}
