/**
 * Merge methods (METHODS.md §2–4): each a pure function of the aligned inputs of one output weight plus
 * resolved parameters.
 *
 * <p>Engine-facing API: {@link dev.mergelab.method.MethodRegistry} finds a
 * {@link dev.mergelab.method.MergeMethod} by recipe name; its {@link dev.mergelab.method.MethodSpec}
 * describes base handling, parameters ({@link dev.mergelab.method.ParamSpec}) and whether it is random or
 * element-wise; the engine builds a {@link dev.mergelab.method.TensorMerge} (inputs as
 * {@link dev.mergelab.method.TensorInput}, parameters as {@link dev.mergelab.method.Params}) and calls
 * {@code merge}, or, for tensors of any size, {@code chunked(header)} for a
 * {@link dev.mergelab.method.ChunkedMerge} it drives over row chunks.
 *
 * <p>Every method is written once, as a {@link dev.mergelab.method.ChunkedMethod}: statistics passes
 * over row-aligned chunks with O(rows, columns or histogram) state, then a combine pass. The whole-tensor
 * {@code merge} drives that same code over in-memory arrays ({@link dev.mergelab.method.Chunking}), so the
 * golden tests validate the chunked path. Exact top-k cuts come from streaming radix selection, random
 * draws are functions of (seed, tensor, input, position), and karcher/multislerp iterate on the inputs'
 * Gram matrix. One file per method or tight family; the shared maths lives in
 * {@code dev.mergelab.method.kernel} (sparsifiers, radix selection, lane ranks, sign election, norms,
 * Gram forms, slerp coefficients, position-keyed randomness). This package depends only on the root
 * package and {@code dev.mergelab.tensor} (vectorised kernels, magnitude cuts).
 */
package dev.mergelab.method;
