/**
 * PyTorch {@code .bin}/{@code .pt} checkpoints, read safely: {@link dev.mergelab.format.pickle.TorchCheckpoint} is
 * the {@link dev.mergelab.format.WeightFile} for torch.save's zip and legacy containers, and a restricted pickle
 * machine interprets their pickles into inert records. Only the opcodes a state dict uses and the globals torch's
 * own {@code weights_only} loader allows are accepted ({@code TorchGlobals}); anything else (os.system, eval,
 * subprocess, nested pickles, forged sizes, deep nesting) is refused in one line before anything is built, and
 * nothing from a checkpoint is ever executed. Tensors stay in the file, mapped, as strided views of their storages.
 */
package dev.mergelab.format.pickle;
