package dev.mergelab.method;

/**
 * One model's tensor for the output weight being merged.
 *
 * @param model  display id of the model (used in messages)
 * @param data   the values, decoded to float32, C order; never mutated by a method
 * @param shape  the tensor's shape
 * @param isBase true for the recipe's base model
 * @param params this model's resolved per-model parameters
 */
public record TensorInput(String model, float[] data, long[] shape, boolean isBase, Params params) {

    public long numel() {
        return Shapes.numel(shape);
    }
}
