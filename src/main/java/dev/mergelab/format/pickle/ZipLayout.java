package dev.mergelab.format.pickle;

import dev.mergelab.format.Untrusted;
import dev.mergelab.format.pickle.PyValues.PyDict;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * torch.save's zip container (PyTorch 1.6 and later): {@code <archive>/data.pkl} holds the pickle, each storage is
 * the record {@code <archive>/data/<key>}, and {@code <archive>/byteorder} (PyTorch 2.1+) says the byte order of
 * the storages. {@code <archive>} is whatever the writer chose: the file's base name for torch 1.x, "archive"
 * for a buffer, and any name a tool picked; it is found as the one top-level folder holding data.pkl.
 */
final class ZipLayout {

    /** A state dict's pickle is about 200 bytes per tensor; this is half a million tensors many times over. */
    static final long MAX_PICKLE_BYTES = 256L << 20;

    private ZipLayout() {
    }

    static Layout read(MemorySegment file, String where) {
        Map<String, MemorySegment> entries = ZipArchive.read(file, where).entries();
        String prefix = null;
        for (String name : entries.keySet()) {
            int slash = name.indexOf('/');
            if (slash > 0 && name.indexOf('/', slash + 1) < 0 && name.endsWith("/data.pkl")) {
                if (prefix != null) {
                    throw Storages.refuse(where, "the zip holds two data.pkl records ('" + Untrusted.show(prefix) + "/data.pkl' and '"
                            + Untrusted.show(name) + "')");
                }
                prefix = name.substring(0, slash);
            }
        }
        if (prefix == null) {
            boolean script = entries.keySet().stream().anyMatch(n -> n.endsWith("/constants.pkl") || n.contains("/code/"));
            throw Storages.refuse(where, script ? "this is a TorchScript archive, not a saved state dict"
                    : "the zip has no <archive>/data.pkl record; it is not a torch.save file");
        }
        MemorySegment order = entries.get(prefix + "/byteorder");
        if (order != null) {
            String o = new String(order.asSlice(0, Math.min(order.byteSize(), 16)).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII);
            if (!o.equals("little")) {
                throw Storages.refuse(where, "its storages are stored in byte order '" + Untrusted.show(o)
                        + "'; MergeLab reads little-endian checkpoints");
            }
        }
        MemorySegment pkl = entries.get(prefix + "/data.pkl");
        if (pkl.byteSize() > MAX_PICKLE_BYTES) {
            throw Storages.refuse(where, "data.pkl is " + pkl.byteSize() + " bytes, more than the " + MAX_PICKLE_BYTES + "-byte limit");
        }
        byte[] bytes = pkl.toArray(ValueLayout.JAVA_BYTE);
        String pickleWhere = where + " (" + Untrusted.show(prefix) + "/data.pkl)";
        Storages storages = new Storages();
        Map<String, Long> starts = new HashMap<>();
        String dataPrefix = prefix + "/data/";
        PickleMachine.Result r = PickleMachine.load(bytes, 0, bytes.length, pickleWhere, (pid, w) -> {
            Storages.Declared d = storages.declare(pid, 5, w);
            MemorySegment record = entries.get(dataPrefix + d.key());
            if (record == null) {
                throw Storages.refuse(w, "storage '" + Untrusted.show(d.key()) + "' has no record " + Untrusted.show(dataPrefix + d.key()));
            }
            if (record.byteSize() < d.byteSize()) {
                throw Storages.refuse(w, "storage '" + Untrusted.show(d.key()) + "' needs " + d.byteSize() + " bytes but its record has "
                        + record.byteSize());
            }
            starts.put(d.key(), record.address() - file.address()); // both are native: the record is a slice of the mapping
            return new StorageSlice(d.key(), d.dtype(), d.numel(), 0, d.numel());
        });
        if (r.end() != bytes.length) {
            throw Storages.refuse(pickleWhere, (bytes.length - r.end()) + " bytes follow the pickle's STOP");
        }
        if (!(r.value() instanceof PyDict root)) {
            throw Storages.refuse(pickleWhere, "the pickle holds a " + PyValues.typeName(r.value()) + ", not a state dict");
        }
        return new Layout(root, starts, "zip");
    }
}
