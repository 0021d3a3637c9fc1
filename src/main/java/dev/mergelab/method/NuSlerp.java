package dev.mergelab.method;

import dev.mergelab.MergeLabException;
import dev.mergelab.method.kernel.SlerpMath;
import dev.mergelab.tensor.FloatKernels;

import java.util.List;

/**
 * nuslerp (METHODS.md §2.14): slerp of two models at t = w_2/(w_1+w_2), relative to the base when there
 * is one, over the whole tensor or per lane:
 * <pre>
 *   Ω = acos⟨v0/‖v0‖, v1/‖v1‖⟩,  out = [sin((1−t)Ω)·v0 + sin(tΩ)·v1] / sin Ω   (lerp where |sin Ω| &lt; 1e-8)
 *   with base: out = θ_b + S(t, θ_1 − θ_b, θ_2 − θ_b)
 * </pre>
 * {@code nuslerp_row_wise} selects <em>columns</em> (dim 0); the name is inverted relative to its effect.
 *
 * <p>Chunked: with {@code nuslerp_flatten} one statistics pass accumulates the two squared norms and the
 * dot product (double); per row the vectors lie inside a chunk, so no pass is needed; per column
 * ({@code nuslerp_row_wise}) one pass accumulates them per column, O(columns) state.
 */
public final class NuSlerp implements ChunkedMethod {

    private static final MethodSpec SPEC = new MethodSpec("nuslerp",
            "Spherical interpolation of two models by weight, optionally relative to a base and per row or column",
            "", "",
            BaseRequirement.OPTIONAL,
            List.of(ParamSpec.number("weight", Scope.PER_MODEL, null, "this model's share of t = w2/(w1+w2)", null),
                    ParamSpec.bool("nuslerp_flatten", Scope.GLOBAL, true, "slerp the whole tensor as one vector"),
                    ParamSpec.bool("nuslerp_row_wise", Scope.GLOBAL, false,
                            "without flatten: slerp columns (dim 0) instead of rows")),
            false, false);

    /** How the tensor is cut into vectors. */
    private enum Vectors { WHOLE, ROWS, COLUMNS }

    @Override
    public MethodSpec spec() {
        return SPEC;
    }

    @Override
    public ChunkedMerge plan(TensorMerge job) {
        if (job.inputs().size() == 1) {
            return RowMerge.copyOf(job.inputs().getFirst().shape(), 0);
        }
        int[] others = job.otherIndices();
        if (others.length != 2) {
            throw MergeLabException.input("nuslerp: " + job.tensorName() + " has " + others.length
                    + " models besides the base; nuslerp needs exactly two", "use multislerp for more models");
        }
        long[] shape = Shapes.commonShape(SPEC.name(), job);
        double w1 = job.inputs().get(others[0]).params().number("weight");
        double w2 = job.inputs().get(others[1]).params().number("weight");
        double t = Math.abs(w1 + w2) < 1e-6 ? 0.5 : w2 / (w1 + w2);
        Vectors vectors;
        if (job.global().bool("nuslerp_flatten") || shape.length <= 1) {
            vectors = Vectors.WHOLE; // a 1-D tensor is one vector whichever way it is cut
        } else {
            vectors = job.global().bool("nuslerp_row_wise") ? Vectors.COLUMNS : Vectors.ROWS;
        }
        return new Chunk(shape, job.baseIndex(), others[0], others[1], t, vectors);
    }

    private static final class Chunk extends RowMerge {
        private final int base;
        private final int i0;
        private final int i1;
        private final double t;
        private final Vectors vectors;
        /** Lanes with statistics: 1 (whole) or one per column; per lane ‖v0‖², ‖v1‖², ⟨v0,v1⟩ then a, b. */
        private final int lanes;
        private final double[] s00;
        private final double[] s11;
        private final double[] s01;
        private final float[] a;
        private final float[] b;
        private float[] v0;
        private float[] v1;
        private final float[][] pair = new float[2][];
        private final float[] coef = new float[2];

        Chunk(long[] shape, int base, int i0, int i1, double t, Vectors vectors) {
            super(shape);
            this.base = base;
            this.i0 = i0;
            this.i1 = i1;
            this.t = t;
            this.vectors = vectors;
            this.lanes = vectors == Vectors.COLUMNS ? Math.toIntExact(Shapes.numel(shape) / shape[0])
                    : vectors == Vectors.WHOLE ? 1 : 0;
            this.s00 = new double[lanes];
            this.s11 = new double[lanes];
            this.s01 = new double[lanes];
            this.a = new float[lanes];
            this.b = new float[lanes];
        }

        @Override
        public int statisticPasses() {
            return vectors == Vectors.ROWS ? 0 : 1;
        }

        /** v0, v1 for the chunk: the models themselves, or their offsets from the base. */
        private int prepare(int rows, float[][] inputs) {
            int n = rows * rowLength;
            if (base < 0) {
                v0 = inputs[i0];
                v1 = inputs[i1];
            } else {
                v0 = grow(v0 == inputs[i0] ? null : v0, n);
                v1 = grow(v1 == inputs[i1] ? null : v1, n);
                FloatKernels.sub(inputs[i0], 0, inputs[base], 0, v0, 0, n);
                FloatKernels.sub(inputs[i1], 0, inputs[base], 0, v1, 0, n);
            }
            return n;
        }

        @Override
        public void observe(int pass, long rowStart, int rows, float[][] inputs) {
            int n = prepare(rows, inputs);
            if (vectors == Vectors.WHOLE) {
                s00[0] += FloatKernels.sumSquares(v0, 0, n);
                s11[0] += FloatKernels.sumSquares(v1, 0, n);
                s01[0] += FloatKernels.dot(v0, 0, v1, 0, n);
                return;
            }
            // Columns: element at flat position p belongs to lane p mod lanes.
            for (int j = 0, l = (int) (position(rowStart) % lanes); j < n; j++) {
                double x = v0[j];
                double y = v1[j];
                s00[l] += x * x;
                s11[l] += y * y;
                s01[l] += x * y;
                if (++l == lanes) {
                    l = 0;
                }
            }
        }

        @Override
        public void endPass(int pass) {
            for (int l = 0; l < lanes; l++) {
                float[] c = coefficients(s00[l], s11[l], s01[l]);
                a[l] = c[0];
                b[l] = c[1];
            }
        }

        private float[] coefficients(double ss0, double ss1, double dot) {
            double n0 = Math.max(Math.sqrt(ss0), 1e-7);
            double n1 = Math.max(Math.sqrt(ss1), 1e-7);
            double cos = Math.clamp(dot / (n0 * n1), -1.0, 1.0);
            double omega = Math.acos(cos);
            return SlerpMath.coefficients(t, omega, Math.abs(Math.sin(omega)) < 1e-8);
        }

        @Override
        public void combine(long rowStart, int rows, float[][] inputs, float[] out) {
            int n = prepare(rows, inputs);
            pair[0] = v0;
            pair[1] = v1;
            switch (vectors) {
                case WHOLE -> {
                    coef[0] = a[0];
                    coef[1] = b[0];
                    FloatKernels.weightedSum(pair, coef, 0, out, 0, n);
                }
                case ROWS -> {
                    for (int off = 0; off < n; off += rowLength) {
                        float[] c = coefficients(FloatKernels.sumSquares(v0, off, rowLength),
                                FloatKernels.sumSquares(v1, off, rowLength), FloatKernels.dot(v0, off, v1, off, rowLength));
                        FloatKernels.weightedSum(pair, c, off, out, off, rowLength);
                    }
                }
                case COLUMNS -> {
                    for (int j = 0, l = (int) (position(rowStart) % lanes); j < n; j++) {
                        out[j] = a[l] * v0[j] + b[l] * v1[j];
                        if (++l == lanes) {
                            l = 0;
                        }
                    }
                }
            }
            if (base >= 0) {
                FloatKernels.axpy(1f, inputs[base], 0, out, 0, n);
            }
        }
    }
}
