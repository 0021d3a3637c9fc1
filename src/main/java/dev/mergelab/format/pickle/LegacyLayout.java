package dev.mergelab.format.pickle;

import dev.mergelab.format.Untrusted;
import dev.mergelab.format.pickle.PyValues.None;
import dev.mergelab.format.pickle.PyValues.PyDict;
import dev.mergelab.format.pickle.PyValues.PyList;
import dev.mergelab.format.pickle.PyValues.Tuple;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * torch.save's legacy container ({@code _use_new_zipfile_serialization=False}, and everything before PyTorch 1.6):
 * five pickles in a row (the magic number, the protocol version 1001, a sys_info dict, the object, and the sorted
 * list of storage keys), then each storage in that order as an 8-byte little-endian element count followed by its
 * elements. Persistent ids here carry a sixth item: None, or (view key, offset, size) for a view of a storage.
 */
final class LegacyLayout {

    private static final BigInteger MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    private static final long PROTOCOL = 1001;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private LegacyLayout() {
    }

    static Layout read(MemorySegment file, String where) {
        // The pickles come before gigabytes of storages and their length is known only by parsing them: read a
        // first MiB, and read twice as much again whenever the pickles run past what was read.
        long want = Math.min(file.byteSize(), 1L << 20);
        while (true) {
            byte[] head = file.asSlice(0, want).toArray(ValueLayout.JAVA_BYTE);
            try {
                return parse(file, head, want == file.byteSize(), where);
            } catch (PickleMachine.NeedMoreBytes e) {
                if (want == file.byteSize() || want >= ZipLayout.MAX_PICKLE_BYTES) {
                    throw Storages.refuse(where, "its pickles run past " + want + " bytes; legacy state dicts are far smaller");
                }
                want = Math.min(file.byteSize(), Math.min(want * 2, ZipLayout.MAX_PICKLE_BYTES));
            }
        }
    }

    private static Layout parse(MemorySegment file, byte[] head, boolean complete, String where) {
        PickleMachine.StorageLoader none = (pid, w) -> {
            throw Storages.refuse(w, "a storage appears before the state dict");
        };
        PickleMachine.Result magic = PickleMachine.load(head, 0, head.length, complete, where, none);
        if (!MAGIC.equals(asBig(magic.value()))) {
            throw Storages.refuse(where, "it is neither a torch.save zip nor a legacy torch file (no magic number)");
        }
        PickleMachine.Result protocol = PickleMachine.load(head, magic.end(), head.length, complete, where, none);
        if (!Long.valueOf(PROTOCOL).equals(protocol.value())) {
            throw Storages.refuse(where, "legacy torch protocol " + PickleMachine.shown(protocol.value()) + " (MergeLab reads 1001)");
        }
        PickleMachine.Result sysInfo = PickleMachine.load(head, protocol.end(), head.length, complete, where, none);
        if (!(sysInfo.value() instanceof PyDict info) || !Boolean.TRUE.equals(info.get("little_endian"))) {
            throw Storages.refuse(where, "it was saved on a big-endian machine or has no sys_info; MergeLab reads little-endian checkpoints");
        }
        Storages storages = new Storages();
        PickleMachine.Result main = PickleMachine.load(head, sysInfo.end(), head.length, complete, where, (pid, w) -> {
            Storages.Declared d = storages.declare(pid, 6, w);
            Object view = pid.get(5);
            if (view == None.NONE) {
                return new StorageSlice(d.key(), d.dtype(), d.numel(), 0, d.numel());
            }
            if (view instanceof Tuple v && v.size() == 3 && v.get(0) instanceof String && v.get(1) instanceof Long off
                    && v.get(2) instanceof Long size && off >= 0 && size >= 0 && off <= d.numel() && size <= d.numel() - off) {
                return new StorageSlice(d.key(), d.dtype(), d.numel(), off, size);
            }
            throw Storages.refuse(w, "storage '" + Untrusted.show(d.key()) + "' has a malformed or out-of-range view");
        });
        if (!(main.value() instanceof PyDict root)) {
            throw Storages.refuse(where, "the pickle holds a " + PyValues.typeName(main.value()) + ", not a state dict");
        }
        PickleMachine.Result keys = PickleMachine.load(head, main.end(), head.length, complete, where, none);
        if (!(keys.value() instanceof PyList list)) {
            throw Storages.refuse(where, "the storage key list is a " + PyValues.typeName(keys.value()));
        }
        Map<String, Long> starts = new HashMap<>();
        Set<String> seen = new HashSet<>();
        long at = keys.end();
        for (Object k : list) {
            Storages.Declared d = k instanceof String s ? storages.byKey().get(s) : null;
            if (d == null || !seen.add(d.key())) {
                throw Storages.refuse(where, "the storage key list names '" + PickleMachine.shown(k) + "', which no tensor uses or which repeats");
            }
            if (file.byteSize() - at < 8) {
                throw Storages.refuse(where, "storage '" + Untrusted.show(d.key()) + "' starts past the end of the file (truncated?)");
            }
            long count = file.get(I64, at);
            if (count != d.numel()) {
                throw Storages.refuse(where, "storage '" + Untrusted.show(d.key()) + "' is stored with " + count + " elements, pickled with "
                        + d.numel());
            }
            at += 8;
            if (file.byteSize() - at < d.byteSize()) {
                throw Storages.refuse(where, "storage '" + Untrusted.show(d.key()) + "' runs past the end of the file (truncated?)");
            }
            starts.put(d.key(), at);
            at += d.byteSize();
        }
        if (seen.size() != storages.byKey().size()) {
            throw Storages.refuse(where, "a storage the state dict uses is missing from the storage key list");
        }
        return new Layout(root, starts, "legacy");
    }

    private static BigInteger asBig(Object o) {
        return o instanceof BigInteger b ? b : o instanceof Long l ? BigInteger.valueOf(l) : null;
    }
}
