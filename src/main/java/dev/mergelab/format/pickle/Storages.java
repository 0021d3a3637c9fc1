package dev.mergelab.format.pickle;

import dev.mergelab.format.Untrusted;
import dev.mergelab.format.pickle.PyValues.Tuple;
import dev.mergelab.format.pickle.TorchGlobals.Global;
import dev.mergelab.tensor.DType;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The storages a pickle's persistent ids name, by key: each key must keep one dtype and one element count
 * wherever it appears (tensors sharing a storage name the same key). Shared by both containers, which differ only
 * in the tuple's tail and in where the bytes are.
 */
final class Storages {

    /** One storage record: its key, dtype and element count. */
    record Declared(String key, DType dtype, long numel) {
        long byteSize() {
            return numel * dtype.size(); // checked not to overflow in declare()
        }
    }

    private final Map<String, Declared> byKey = new LinkedHashMap<>();

    Map<String, Declared> byKey() {
        return byKey;
    }

    /**
     * Checks {@code ('storage', StorageClass, key, location, numel, ...)} and records the storage; {@code arity}
     * is the tuple length the container writes (5 for zip, 6 for legacy).
     */
    Declared declare(Tuple pid, int arity, String where) {
        if (pid.size() != arity) {
            throw refuse(where, "a storage persistent id has " + pid.size() + " items; this container writes " + arity);
        }
        if (!(pid.get(1) instanceof Global g) || g.kind() != TorchGlobals.Kind.STORAGE) {
            throw refuse(where, "a storage persistent id names a " + PyValues.typeName(pid.get(1)) + ", not a storage class");
        }
        if (g.dtype() == null) {
            throw refuse(where, g.name() + " tensors are not supported (MergeLab reads float, integer and bool tensors)");
        }
        if (!(pid.get(2) instanceof String key) || !(pid.get(3) instanceof String)) {
            throw refuse(where, "a storage persistent id has no string key and location");
        }
        if (!(pid.get(4) instanceof Long numel) || numel < 0 || numel > Long.MAX_VALUE / g.dtype().size()) {
            throw refuse(where, "storage '" + Untrusted.show(key) + "' has an impossible element count " + PickleMachine.shown(pid.get(4)));
        }
        Declared d = new Declared(key, g.dtype(), numel);
        Declared before = byKey.putIfAbsent(key, d);
        if (before != null && !before.equals(d)) {
            throw refuse(where, "storage '" + Untrusted.show(key) + "' is declared twice with different types or sizes");
        }
        return d;
    }

    static RuntimeException refuse(String where, String what) {
        return dev.mergelab.MergeLabException.input(where + ": " + what, "MergeLab reads only PyTorch state dicts of tensors, as torch.load(weights_only=True) does");
    }
}
