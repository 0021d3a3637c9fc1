package dev.mergelab.lora;

import dev.mergelab.model.TensorPatch;

/**
 * Adds a LoRA module's scale·B·A to the decoded base weight, in place, row block by row block (see
 * {@link Gemm#addProduct}): only A and B are decoded (r·(in+out) floats), never the full product.
 * For the transposed layouts (embeddings, fan_in_fan_out) the same kernel runs on W += scale·Aᵀ·Bᵀ,
 * reading A with swapped strides and using Bᵀ (r×out, small) as the right factor.
 */
public record LowRankPatch(LoraModule module) implements TensorPatch {

    @Override
    public void applyTo(float[] w) {
        float[] a = Factors.decode(module.a());
        float[] b = Factors.decode(module.b());
        addTo(w, a, b, module.rank(), (int) module.deltaRows(), (int) module.deltaCols(), module.transposed(),
                (float) module.scale());
    }

    /**
     * W += scale·B·A (W is rows×cols = out×in), or W += scale·(B·A)ᵀ when {@code transposed} (W is in×out).
     * A is r×in and B is out×r, row-major.
     */
    public static void addTo(float[] w, float[] a, float[] b, int r, int out, int in, boolean transposed, float scale) {
        if (!transposed) {
            Gemm.addProduct(w, out, in, b, 0, r, 1, a, r, scale);
        } else {
            float[] bt = Factors.transpose(b, out, r);
            // L = Aᵀ: L(i, c) = A[c, i] = a[c*in + i], so row stride 1 and column stride in.
            Gemm.addProduct(w, in, out, a, 0, 1, in, bt, r, scale);
        }
    }

    /**
     * Rows [r0, r0 + n) of W = rows of B (offset r0·r) times A; in the transposed layouts rows of Aᵀ
     * (offset r0, A read with column stride in) times Bᵀ. The factors are decoded once per patcher.
     */
    @Override
    public RowPatcher rows() {
        float[] a = Factors.decode(module.a());
        float[] b = Factors.decode(module.b());
        int r = module.rank();
        int out = (int) module.deltaRows();
        int in = (int) module.deltaCols();
        float scale = (float) module.scale();
        if (!module.transposed()) {
            return (w, rowStart, n) -> Gemm.addProduct(w, n, in, b, Math.multiplyExact(Math.toIntExact(rowStart), r), r, 1, a, r, scale);
        }
        float[] bt = Factors.transpose(b, out, r);
        return (w, rowStart, n) -> Gemm.addProduct(w, n, out, a, Math.toIntExact(rowStart), 1, in, bt, r, scale);
    }

    @Override
    public long workingBytes() {
        return 4L * (module.a().numel() + 2 * module.b().numel());
    }

    @Override
    public String describe() {
        return "lora(r=" + module.rank() + ", scale=" + (float) module.scale() + (module.transposed() ? ", transposed" : "") + ")";
    }
}
