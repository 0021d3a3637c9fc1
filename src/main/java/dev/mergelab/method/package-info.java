/**
 * Merge methods (METHODS.md §2–4): each a pure function of the aligned inputs of one output weight plus
 * resolved parameters.
 *
 * <p>Engine-facing API: {@link dev.mergelab.method.MethodRegistry} finds a
 * {@link dev.mergelab.method.MergeMethod} by recipe name; its {@link dev.mergelab.method.MethodSpec}
 * describes base handling, parameters ({@link dev.mergelab.method.ParamSpec}) and whether it is random or
 * element-wise; the engine builds a {@link dev.mergelab.method.TensorMerge} (inputs as
 * {@link dev.mergelab.method.TensorInput}, parameters as {@link dev.mergelab.method.Params}) and calls
 * {@code merge}. One file per method or tight family; the shared maths lives in
 * {@code dev.mergelab.method.kernel} (selection, sparsifiers, sign election, norms, slerp, seeded
 * randomness). This package depends only on the root package.
 */
package dev.mergelab.method;
