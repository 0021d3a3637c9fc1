package dev.mergelab.format.pickle;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The inert values {@link PickleMachine} builds: Java stand-ins for the few Python types a state dict holds.
 * Strings, {@code Long}/{@code BigInteger}, {@code Double} and {@code Boolean} stand for themselves; the rest are
 * here. None of them has behaviour a pickle could trigger: no constructor runs code, nothing is ever hashed or
 * printed recursively (dict keys are restricted to scalars, see {@link #isKey}).
 */
final class PyValues {

    private PyValues() {
    }

    /** Python's None. */
    enum None {
        NONE
    }

    /** A tuple: immutable. */
    record Tuple(List<Object> items) {
        Tuple {
            items = List.copyOf(items);
        }

        int size() {
            return items.size();
        }

        Object get(int i) {
            return items.get(i);
        }
    }

    /** A list, built by EMPTY_LIST and APPEND(S). */
    static final class PyList extends ArrayList<Object> {
    }

    /** A dict or an OrderedDict (built by REDUCE of {@code collections.OrderedDict}), in insertion order. */
    static final class PyDict extends LinkedHashMap<Object, Object> {
        final boolean ordered;

        PyDict(boolean ordered) {
            this.ordered = ordered;
        }
    }

    /** True for the values a dict key may be here: scalars only, whose hash and equality cost O(1) or O(length). */
    static boolean isKey(Object o) {
        return o instanceof String || o instanceof Long || o instanceof BigInteger || o instanceof Boolean
                || o instanceof Double || o == None.NONE;
    }

    /** How messages name a value's type, as Python would. */
    static String typeName(Object o) {
        return switch (o) {
            case String s -> "str";
            case Long l -> "int";
            case BigInteger b -> "int";
            case Double d -> "float";
            case Boolean b -> "bool";
            case None n -> "None";
            case Tuple t -> "tuple";
            case PyList l -> "list";
            case PyDict d -> d.ordered ? "OrderedDict" : "dict";
            case TorchGlobals.Global g -> g.name();
            case StorageSlice s -> "storage";
            case TensorView t -> "tensor";
            default -> o.getClass().getSimpleName();
        };
    }
}
