package dev.mergelab.format.pickle;

import dev.mergelab.tensor.DType;

/**
 * A storage as a persistent id names it: the record {@code key} holds {@code rootNumel} elements of
 * {@code dtype}; this slice is elements {@code [offset, offset + numel)} of it (legacy files could pickle views
 * of storages; zip files always pickle whole storages, offset 0). Tensors sharing a key share bytes.
 */
record StorageSlice(String key, DType dtype, long rootNumel, long offset, long numel) {
}
