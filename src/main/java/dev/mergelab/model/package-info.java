/**
 * Models as MergeLab sees them before any tensor is read: where they are ({@link dev.mergelab.model.ModelRef},
 * {@link dev.mergelab.model.ModelResolver}, {@link dev.mergelab.model.HubCache}), what they declare
 * ({@link dev.mergelab.model.ModelConfig}), which tensors their family has
 * ({@link dev.mergelab.model.Architectures}, {@link dev.mergelab.model.Architecture}, with the families
 * themselves as JSON data under {@code resources/dev/mergelab/model/architectures/}), and the files that
 * travel with them ({@link dev.mergelab.model.AuxFiles}, {@link dev.mergelab.model.TokenizerInfo}).
 *
 * <p>Everything read from a model folder is untrusted: names go through {@link dev.mergelab.model.SafePaths},
 * JSON through bounded parsing, and problems surface as one-line
 * {@link dev.mergelab.MergeLabException}s naming the file. Nothing here touches the network.
 *
 * <p>Layering: imports only {@code dev.mergelab}, {@code dev.mergelab.tensor} and {@code dev.mergelab.format}.
 */
package dev.mergelab.model;
