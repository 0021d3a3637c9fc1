package dev.mergelab.format.pickle;

/**
 * A tensor as {@code _rebuild_tensor_v2} describes it: a strided view of a storage. Element {@code (i0, i1, ...)}
 * is storage element {@code storage.offset() + offset + sum(i_k * stride[k])}. Validated on construction (in
 * {@link PickleMachine}): every element it can address lies inside the storage slice.
 */
record TensorView(StorageSlice storage, long offset, long[] size, long[] stride) {
}
