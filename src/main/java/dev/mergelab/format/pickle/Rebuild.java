package dev.mergelab.format.pickle;

import dev.mergelab.format.pickle.PyValues.None;
import dev.mergelab.format.pickle.PyValues.PyDict;
import dev.mergelab.format.pickle.PyValues.Tuple;
import dev.mergelab.format.pickle.TorchGlobals.Global;
import java.util.List;

/**
 * What REDUCE, NEWOBJ and BUILD may do, and nothing more: build an empty OrderedDict, rebuild a tensor as a
 * {@link TensorView} of a storage (checking that every element it addresses lies inside the storage), unwrap a
 * Parameter to its tensor, turn a torch.Size into a tuple, and let BUILD give an OrderedDict its attributes
 * (the {@code _metadata} of a module's state dict), which are dropped. Everything else is refused.
 */
final class Rebuild {

    /**
     * A broadcast view (stride 0, as {@code expand} makes) addresses storage elements many times; beyond this many on
     * average it is refused, so a tiny file cannot declare a tensor whose conversion writes terabytes.
     */
    static final long MAX_REPEATS = 4096;

    private Rebuild() {
    }

    /** REDUCE: {@code fn(*args)}. */
    static Object call(Object fn, Object args, PickleMachine m) {
        if (!(fn instanceof Global g)) {
            throw m.refuse("REDUCE at byte " + m.opOffset() + " calls a " + PyValues.typeName(fn) + ", not an allowed global");
        }
        Tuple a = tuple(args, "REDUCE of " + g.name(), m);
        return switch (g.kind()) {
            case ORDERED_DICT -> {
                if (a.size() != 0) {
                    throw m.refuse("collections.OrderedDict at byte " + m.opOffset() + " is called with arguments; torch.save writes none");
                }
                yield new PyDict(true);
            }
            case REBUILD_TENSOR_V2 -> {
                arity(a, 6, 7, g, m);
                dict(a.get(5), "backward hooks", g, m);
                yield tensor(a, g, m);
            }
            case REBUILD_TENSOR -> {
                arity(a, 4, 4, g, m);
                yield tensor(a, g, m);
            }
            case REBUILD_PARAMETER -> {
                arity(a, 3, 3, g, m);
                dict(a.get(2), "backward hooks", g, m);
                yield tensorArg(a.get(0), g, m);
            }
            case REBUILD_PARAMETER_WITH_STATE -> {
                arity(a, 4, 4, g, m);
                dict(a.get(2), "backward hooks", g, m);
                yield tensorArg(a.get(0), g, m);
            }
            case TORCH_SIZE -> {
                arity(a, 1, 1, g, m);
                yield new Tuple(dims(a.get(0), "size", g, m).stream().map(x -> (Object) x).toList());
            }
            case STORAGE, DTYPE, PARAMETER -> throw m.refuse(g.name() + " may not be called (REDUCE at byte " + m.opOffset() + ")");
            case UNSUPPORTED -> throw unsupported(g, m);
        };
    }

    /** NEWOBJ: {@code cls.__new__(cls, *args)}, for torch.nn.Parameter only, as weights_only allows. */
    static Object newObject(Object cls, Object args, PickleMachine m) {
        if (!(cls instanceof Global g) || g.kind() != TorchGlobals.Kind.PARAMETER) {
            throw m.refuse("NEWOBJ at byte " + m.opOffset() + " of " + PyValues.typeName(cls) + " is not allowed (only torch.nn.parameter.Parameter)");
        }
        Tuple a = tuple(args, "NEWOBJ of " + g.name(), m);
        arity(a, 1, 2, g, m);
        return tensorArg(a.get(0), g, m);
    }

    /** BUILD: {@code inst.__setstate__(state)}; only an OrderedDict's attribute dict, which is dropped. */
    static void build(Object inst, Object state, PickleMachine m) {
        if (inst instanceof PyDict d && d.ordered && state instanceof PyDict s) {
            for (Object k : s.keySet()) {
                if (!(k instanceof String)) {
                    throw m.refuse("BUILD at byte " + m.opOffset() + " sets an attribute named by a " + PyValues.typeName(k));
                }
            }
            return; // _metadata (module versions): not tensor data
        }
        throw m.refuse("BUILD at byte " + m.opOffset() + " sets the state of a " + PyValues.typeName(inst) + " from a "
                + PyValues.typeName(state) + "; only an OrderedDict's attribute dict is allowed");
    }

    private static RuntimeException unsupported(Global g, PickleMachine m) {
        return m.refuse(g.name() + " at byte " + m.opOffset() + " is not a dense tensor MergeLab reads (sparse, meta, quantized or complex)");
    }

    /** (storage, storage_offset, size, stride, ...) to a checked view. */
    private static TensorView tensor(Tuple a, Global g, PickleMachine m) {
        if (!(a.get(0) instanceof StorageSlice s)) {
            throw m.refuse(g.name() + " at byte " + m.opOffset() + " has a " + PyValues.typeName(a.get(0)) + " where the storage goes");
        }
        long offset = nonNegative(a.get(1), "storage offset", g, m);
        List<Long> size = dims(a.get(2), "size", g, m);
        List<Long> stride = dims(a.get(3), "stride", g, m);
        if (size.size() != stride.size()) {
            throw m.refuse(g.name() + " at byte " + m.opOffset() + " has " + size.size() + " sizes but " + stride.size() + " strides");
        }
        long[] sz = size.stream().mapToLong(Long::longValue).toArray();
        long[] st = stride.stream().mapToLong(Long::longValue).toArray();
        checkInside(s, offset, sz, st, g, m);
        return new TensorView(s, offset, sz, st);
    }

    /**
     * Every element the view addresses lies inside the storage slice: with no negative strides the farthest is
     * offset + sum((size_k - 1) * stride_k). And the view is not a broadcast far larger than its storage. Checked with exact arithmetic, so a forged 2^40 x 2^40 view of a
     * six-element storage is refused here instead of being read out of bounds later.
     */
    private static void checkInside(StorageSlice s, long offset, long[] size, long[] stride, Global g, PickleMachine m) {
        try {
            long numel = 1;
            long last = offset;
            for (int k = 0; k < size.length; k++) {
                numel = Math.multiplyExact(numel, size[k]);
            }
            if (numel == 0) {
                if (offset > s.numel()) {
                    throw m.refuse(g.name() + " at byte " + m.opOffset() + ": storage offset " + offset + " lies past the storage's "
                            + s.numel() + " elements");
                }
                return;
            }
            for (int k = 0; k < size.length; k++) {
                last = Math.addExact(last, Math.multiplyExact(size[k] - 1, stride[k]));
            }
            if (numel / Math.max(1, s.numel()) > MAX_REPEATS) {
                throw m.refuse(g.name() + " at byte " + m.opOffset() + ": a tensor of " + numel + " elements over a storage of " + s.numel()
                        + " repeats each element more than " + MAX_REPEATS + " times (a forged broadcast)");
            }
            if (last >= s.numel()) {
                throw m.refuse(g.name() + " at byte " + m.opOffset() + ": a tensor of size " + java.util.Arrays.toString(size) + ", stride "
                        + java.util.Arrays.toString(stride) + " at offset " + offset + " reaches element " + last + " of a storage of "
                        + s.numel() + " elements");
            }
        } catch (ArithmeticException e) {
            throw m.refuse(g.name() + " at byte " + m.opOffset() + ": the tensor's size and strides overflow (a forged size)");
        }
    }

    private static TensorView tensorArg(Object o, Global g, PickleMachine m) {
        if (o instanceof TensorView t) {
            return t;
        }
        throw m.refuse(g.name() + " at byte " + m.opOffset() + " wraps a " + PyValues.typeName(o) + ", not a tensor");
    }

    private static Tuple tuple(Object o, String what, PickleMachine m) {
        if (o instanceof Tuple t) {
            return t;
        }
        throw m.refuse(what + " at byte " + m.opOffset() + " has a " + PyValues.typeName(o) + " for its arguments, not a tuple");
    }

    private static void arity(Tuple a, int min, int max, Global g, PickleMachine m) {
        if (a.size() < min || a.size() > max) {
            throw m.refuse(g.name() + " at byte " + m.opOffset() + " gets " + a.size() + " arguments; torch passes "
                    + (min == max ? String.valueOf(min) : min + " or " + max));
        }
    }

    private static void dict(Object o, String what, Global g, PickleMachine m) {
        if (!(o instanceof PyDict) && o != None.NONE) {
            throw m.refuse(g.name() + " at byte " + m.opOffset() + " has a " + PyValues.typeName(o) + " for its " + what);
        }
    }

    private static long nonNegative(Object o, String what, Global g, PickleMachine m) {
        if (o instanceof Long l && l >= 0) {
            return l;
        }
        throw m.refuse(g.name() + " at byte " + m.opOffset() + ": " + what + " is " + (o instanceof Long || o instanceof java.math.BigInteger
                ? PickleMachine.shown(o) : "a " + PyValues.typeName(o)) + ", not a non-negative int");
    }

    private static List<Long> dims(Object o, String what, Global g, PickleMachine m) {
        if (!(o instanceof Tuple t)) {
            throw m.refuse(g.name() + " at byte " + m.opOffset() + ": " + what + " is a " + PyValues.typeName(o) + ", not a tuple");
        }
        if (t.size() > PickleMachine.MAX_RANK) {
            throw m.refuse(g.name() + " at byte " + m.opOffset() + ": " + what + " has " + t.size() + " dimensions (PyTorch allows 64)");
        }
        return t.items().stream().map(x -> nonNegative(x, what, g, m)).toList();
    }
}
