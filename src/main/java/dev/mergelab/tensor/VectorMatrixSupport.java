package dev.mergelab.tensor;

import static dev.mergelab.tensor.ScalarMatrixSupport.EXP_CUTOFF;
import static dev.mergelab.tensor.ScalarMatrixSupport.LN2_HI;
import static dev.mergelab.tensor.ScalarMatrixSupport.LN2_LO;
import static dev.mergelab.tensor.ScalarMatrixSupport.LOG2E;
import static dev.mergelab.tensor.ScalarMatrixSupport.P2;
import static dev.mergelab.tensor.ScalarMatrixSupport.P3;
import static dev.mergelab.tensor.ScalarMatrixSupport.P4;
import static dev.mergelab.tensor.ScalarMatrixSupport.P5;
import static dev.mergelab.tensor.ScalarMatrixSupport.P6;
import static dev.mergelab.tensor.ScalarMatrixSupport.P7;
import static dev.mergelab.tensor.ScalarMatrixSupport.SHIFTER;
import static dev.mergelab.tensor.ScalarMatrixSupport.SHIFTER_BITS;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API matrix kernels. One accumulator register per dot product holds its {@code V} lanes, so
 * element k lands in lane {@code k mod V} exactly as in {@link ScalarMatrixSupport} with {@code V} lanes;
 * a tail of fewer than {@code V} elements is added to the stored lanes one by one, and the lanes are
 * folded by the reference's {@link ScalarMatrixSupport#treeSum}.
 *
 * <p>{@link #matmul} decodes a panel of weight rows ({@link #panelRows}, about 768 KiB of floats, kept in
 * L2) once per call, so each weight is read from memory once, then sweeps each group of six (then four) of its rows
 * over the tokens a tile at a time ({@link #tokenTile}: 256 KiB of inputs, in L2) with a 6-row × 4-token register
 * block (4 × 4 for rows left over; 4 × 2 with 16 registers: at least eight independent FMA chains, enough to hide
 * the FMA latency), so every vector load feeds two to six FMAs. When the row length is a multiple of V
 * the lanes are folded by halving shuffles (the reference's tree, step for step)
 * instead of one by one. {@link #matvec} is bound by reading the weights: it streams four rows at a time
 * straight from the segment (BF16 is a shift, F32 a load; F16 goes through a small per-thread float buffer filled
 * by the CPU's half-to-float instruction, {@link #halvesToFloats}). Buffers are per thread and reused, so no
 * call allocates.
 */
final class VectorMatrixSupport implements MatrixSupport {

    private static final VectorSpecies<Float> F = VectorCodecSupport.floatSpecies();
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final int V = F.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /**
     * Bytes of token inputs a tile may span: the tile stays in L2 beside the panel while each group of rows is
     * swept over all its tokens (256 KiB: 32 tokens of 2048 floats, 8 of 5632). Smaller tiles with bigger panels
     * measured faster than 1 MiB tiles with 256 KiB panels (see {@link #PANEL_BYTES}).
     */
    private static final int TILE_BYTES = 256 << 10;

    /**
     * Bytes of decoded float rows in a panel (768 KiB: 96 rows of 2048, 24 of 5632). A panel is decoded
     * once per call, so every weight is read from memory once however many tokens there are; it stays in
     * L2 (2 MiB per core on Sapphire Rapids) beside one tile of token inputs. The token inputs are read again
     * for every panel, so bigger panels read them fewer times: with 768 KiB panels and 256 KiB tiles the
     * 512-token products ran 4-27% faster than with 256 KiB panels and 1 MiB tiles (A/B in one JVM, best
     * thread-CPU time, load 14).
     */
    private static final int PANEL_BYTES = 768 << 10;

    /**
     * Columns of F16 rows converted at once by matvec: four rows of up to this many columns as one block, longer
     * rows this many columns of each (32 KiB of floats, in L1; 4 KiB of halves per row, a page).
     */
    private static final int HALF_CHUNK = 2048;

    /** Columns of quantized rows dequantized at once by matvec: a multiple of every block size (32 KiB of floats). */
    private static final int QUANT_CHUNK = 2048;

    /** Halving shuffles of the lane fold ({@link #fold}); those of h >= V are never used. */
    private static final VectorShuffle<Float> FOLD_32 = shiftDown(32);
    private static final VectorShuffle<Float> FOLD_16 = shiftDown(16);
    private static final VectorShuffle<Float> FOLD_8 = shiftDown(8);
    private static final VectorShuffle<Float> FOLD_4 = shiftDown(4);
    private static final VectorShuffle<Float> FOLD_2 = shiftDown(2);
    private static final VectorShuffle<Float> FOLD_1 = shiftDown(1);

    /**
     * Tokens per register block: 4 rows × 4 tokens = 16 accumulators where there are 32 vector
     * registers (AVX-512, SVE), 4 × 2 = 8 where there are 16 (AVX2); 8 independent FMA chains are the
     * least that hides the FMA latency on two FMA ports.
     */
    private static final int TOKEN_BLOCK = V >= 16 ? 4 : 2;

    /**
     * Whether matmul sweeps rows six at a time (6 rows × 4 tokens = 24 accumulators, 10 loads per 24 FMAs, against
     * 4 × 4's 8 per 16; measured 10-15% faster on [2048 × 2048] and [2048 × 5632] × 512 tokens, one AVX-512 thread),
     * which takes 24 + 6 + 1 of 32 vector registers; with 16 registers the 4 × 2 block stays. Rows left over
     * take the four-row block, then single dot products: every output is summed in the same order whatever block
     * computes it.
     */
    private static final boolean SIX_ROWS = TOKEN_BLOCK == 4;

    static final VectorMatrixSupport INSTANCE = new VectorMatrixSupport();

    /** A float buffer per thread that only grows, so that the kernels allocate nothing per call. */
    private static final class Scratch {
        static final ThreadLocal<Scratch> PANEL = ThreadLocal.withInitial(Scratch::new);
        static final ThreadLocal<Scratch> LANES = ThreadLocal.withInitial(Scratch::new);
        static final ThreadLocal<Scratch> HALVES = ThreadLocal.withInitial(Scratch::new);

        private float[] buffer = new float[0];

        /** At least {@code n} floats (old contents unspecified). */
        float[] floats(int n) {
            if (buffer.length < n) {
                buffer = new float[n];
            }
            return buffer;
        }
    }

    private VectorMatrixSupport() {
    }

    @Override
    public String name() {
        return "vector-" + F.vectorBitSize();
    }

    @Override
    public int lanes() {
        return V;
    }

    // ---- dot, rmsnorm, softmax --------------------------------------------------------------------

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int k = 0;
        for (int bound = F.loopBound(n); k < bound; k += V) {
            acc = FloatVector.fromArray(F, a, aOff + k).fma(FloatVector.fromArray(F, b, bOff + k), acc);
        }
        if (k == n) {
            return fold(acc);   // the reference's tree, in registers
        }
        float[] s = new float[V];
        acc.intoArray(s, 0);
        for (; k < n; k++) {
            s[k & (V - 1)] = Math.fma(a[aOff + k], b[bOff + k], s[k & (V - 1)]);
        }
        return ScalarMatrixSupport.treeSum(s, 0, V);
    }

    @Override
    public void dots(float[] q, int qOff, float[] k, int kOff, int kStride, int count, int n, float[] out, int outOff) {
        int j = 0;
        if (n % V == 0) {
            // four keys at a time: four independent FMA chains, each folded like dot's
            for (; j + 4 <= count; j += 4) {
                int k0 = kOff + j * kStride;
                int k1 = k0 + kStride;
                int k2 = k1 + kStride;
                int k3 = k2 + kStride;
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                for (int i = 0; i < n; i += V) {
                    FloatVector qv = FloatVector.fromArray(F, q, qOff + i);
                    a0 = qv.fma(FloatVector.fromArray(F, k, k0 + i), a0);
                    a1 = qv.fma(FloatVector.fromArray(F, k, k1 + i), a1);
                    a2 = qv.fma(FloatVector.fromArray(F, k, k2 + i), a2);
                    a3 = qv.fma(FloatVector.fromArray(F, k, k3 + i), a3);
                }
                out[outOff + j] = fold(a0);
                out[outOff + j + 1] = fold(a1);
                out[outOff + j + 2] = fold(a2);
                out[outOff + j + 3] = fold(a3);
            }
        }
        for (; j < count; j++) {
            out[outOff + j] = dot(q, qOff, k, kOff + j * kStride, n);
        }
    }

    @Override
    public void weightedSum(float[] p, int pOff, int count, float[] v, int vOff, int vStride, int n, float[] out, int outOff) {
        int i = 0;
        // four vectors of the output held in registers across all j: four independent FMA chains
        for (; i + 4 * V <= n; i += 4 * V) {
            int o = outOff + i;
            FloatVector c0 = FloatVector.fromArray(F, out, o);
            FloatVector c1 = FloatVector.fromArray(F, out, o + V);
            FloatVector c2 = FloatVector.fromArray(F, out, o + 2 * V);
            FloatVector c3 = FloatVector.fromArray(F, out, o + 3 * V);
            for (int j = 0; j < count; j++) {
                FloatVector w = FloatVector.broadcast(F, p[pOff + j]);
                int row = vOff + j * vStride + i;
                c0 = w.fma(FloatVector.fromArray(F, v, row), c0);
                c1 = w.fma(FloatVector.fromArray(F, v, row + V), c1);
                c2 = w.fma(FloatVector.fromArray(F, v, row + 2 * V), c2);
                c3 = w.fma(FloatVector.fromArray(F, v, row + 3 * V), c3);
            }
            c0.intoArray(out, o);
            c1.intoArray(out, o + V);
            c2.intoArray(out, o + 2 * V);
            c3.intoArray(out, o + 3 * V);
        }
        for (; i + V <= n; i += V) {
            FloatVector c = FloatVector.fromArray(F, out, outOff + i);
            for (int j = 0; j < count; j++) {
                c = FloatVector.broadcast(F, p[pOff + j]).fma(FloatVector.fromArray(F, v, vOff + j * vStride + i), c);
            }
            c.intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            float c = out[outOff + i];
            for (int j = 0; j < count; j++) {
                c = Math.fma(p[pOff + j], v[vOff + j * vStride + i], c);
            }
            out[outOff + i] = c;
        }
    }

    @Override
    public void rmsNorm(float[] x, int xOff, float[] w, int wOff, float[] y, int yOff, int n, float eps, boolean onePlusWeight) {
        float inv = ScalarMatrixSupport.rmsScale(dot(x, xOff, x, xOff, n), n, eps);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += V) {
            FloatVector g = FloatVector.fromArray(F, w, wOff + i);
            if (onePlusWeight) {
                g = g.add(1f);
            }
            FloatVector.fromArray(F, x, xOff + i).mul(inv).mul(g).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            float g = onePlusWeight ? 1f + w[wOff + i] : w[wOff + i];
            y[yOff + i] = x[xOff + i] * inv * g;
        }
    }

    @Override
    public void softmax(float[] x, int off, int n) {
        if (n == 0) {
            return;
        }
        FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        int bound = F.loopBound(n);
        for (; i < bound; i += V) {
            m = m.max(FloatVector.fromArray(F, x, off + i));
        }
        float max = m.reduceLanes(VectorOperators.MAX);  // max is order-independent
        for (; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        FloatVector acc = FloatVector.zero(F);
        for (i = 0; i < bound; i += V) {
            FloatVector d = FloatVector.fromArray(F, x, off + i).sub(max);
            // ScalarMatrixSupport.exp, lane by lane (written out so the loop body is one method)
            FloatVector t = d.fma(LOG2E, SHIFTER);
            FloatVector nk = t.sub(SHIFTER);
            FloatVector r = nk.lanewise(VectorOperators.FMA, -LN2_HI, d);
            r = nk.lanewise(VectorOperators.FMA, -LN2_LO, r);
            FloatVector p = FloatVector.broadcast(F, P7).lanewise(VectorOperators.FMA, r, P6);
            p = p.lanewise(VectorOperators.FMA, r, P5);
            p = p.lanewise(VectorOperators.FMA, r, P4);
            p = p.lanewise(VectorOperators.FMA, r, P3);
            p = p.lanewise(VectorOperators.FMA, r, P2);
            p = p.lanewise(VectorOperators.FMA, r, 1f);
            p = p.lanewise(VectorOperators.FMA, r, 1f);
            FloatVector twoToN = ((IntVector) t.reinterpretAsInts()).sub(SHIFTER_BITS - 127)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector e = p.mul(twoToN).blend(0f, d.compare(VectorOperators.LT, EXP_CUTOFF));
            e.intoArray(x, off + i);
            acc = acc.add(e);
        }
        float[] s = new float[V];
        acc.intoArray(s, 0);
        for (; i < n; i++) {
            float e = ScalarMatrixSupport.exp(x[off + i] - max);
            x[off + i] = e;
            s[i & (V - 1)] += e;
        }
        float inv = 1f / ScalarMatrixSupport.treeSum(s, 0, V);
        for (i = 0; i < bound; i += V) {
            FloatVector.fromArray(F, x, off + i).mul(inv).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] *= inv;
        }
    }

    // ---- matvec -----------------------------------------------------------------------------------

    @Override
    public void matvec(RowMatrix w, float[] x, int xOff, float[] y, int yOff, int rowFrom, int rowTo) {
        if (!VectorCodecSupport.vectorLoadable(w.data())) {
            ScalarMatrixSupport.withLanes(V).matvec(w, x, xOff, y, yOff, rowFrom, rowTo);
            return;
        }
        float[] lanes = Scratch.LANES.get().floats(4 * V);
        int r = rowFrom;
        for (; r + 4 <= rowTo; r += 4) {
            switch (w.dtype()) {
                case F32 -> rows4F32(w, r, x, xOff, lanes);
                case BF16 -> rows4Bf16(w, r, x, xOff, lanes);
                default -> rows4F16(w, r, x, xOff, lanes);
            }
            for (int j = 0; j < 4; j++) {
                y[yOff + r + j - rowFrom] = finish(lanes, j * V, w, r + j, x, xOff);
            }
        }
        for (; r < rowTo; r++) {
            y[yOff + r - rowFrom] = ScalarMatrixSupport.withLanes(V).matvecRow(w, r, x, xOff);
        }
    }

    /**
     * True when the vector kernels take {@code w}: the dequantizer has this width ({@link VectorQuantDecode#supported}),
     * rows are whole vectors (so the lanes fold in registers) and the segment is vector-loadable.
     */
    private static boolean quantVectorised(QuantMatrix w) {
        return VectorQuantDecode.supported() && w.cols() % V == 0 && VectorCodecSupport.vectorLoadable(w.data());
    }

    /**
     * Quantized rows, four at a time: a chunk of {@link #QUANT_CHUNK} columns (whole blocks) of each of the four rows
     * is dequantized into a per-thread L1 buffer by {@link VectorQuantDecode} (the same floats as the reference),
     * then swept with four FMA chains as {@link #rows4F32} does; lanes fold in registers ({@link #fold}). Chunks are
     * multiples of V, so element k lands in lane {@code k mod V}: the F32 matvec of the dequantized rows, bit for bit.
     */
    @Override
    public void matvec(QuantMatrix w, float[] x, int xOff, float[] y, int yOff, int rowFrom, int rowTo) {
        if (!quantVectorised(w)) {
            ScalarMatrixSupport.withLanes(V).matvec(w, x, xOff, y, yOff, rowFrom, rowTo);
            return;
        }
        QuantType type = w.type();
        MemorySegment m = w.data();
        int cols = w.cols();
        int chunk = Math.min(cols, QUANT_CHUNK);   // a multiple of every block size
        float[] buf = Scratch.HALVES.get().floats(4 * chunk);
        int r = rowFrom;
        for (; r + 4 <= rowTo; r += 4) {
            long p0 = w.rowOffset(r);
            long stride = type.rowBytes(cols);
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int c0 = 0; c0 < cols; c0 += chunk) {
                int len = Math.min(chunk, cols - c0);
                int blocks = len / type.blockSize;
                long p = p0 + type.rowBytes(c0);
                VectorQuantDecode.decode(type, m, p, blocks, buf, 0);
                VectorQuantDecode.decode(type, m, p + stride, blocks, buf, chunk);
                VectorQuantDecode.decode(type, m, p + 2 * stride, blocks, buf, 2 * chunk);
                VectorQuantDecode.decode(type, m, p + 3 * stride, blocks, buf, 3 * chunk);
                for (int k = 0; k < len; k += V) {
                    FloatVector xv = FloatVector.fromArray(F, x, xOff + c0 + k);
                    a0 = FloatVector.fromArray(F, buf, k).fma(xv, a0);
                    a1 = FloatVector.fromArray(F, buf, chunk + k).fma(xv, a1);
                    a2 = FloatVector.fromArray(F, buf, 2 * chunk + k).fma(xv, a2);
                    a3 = FloatVector.fromArray(F, buf, 3 * chunk + k).fma(xv, a3);
                }
            }
            int o = yOff + r - rowFrom;
            y[o] = fold(a0);
            y[o + 1] = fold(a1);
            y[o + 2] = fold(a2);
            y[o + 3] = fold(a3);
        }
        if (r < rowTo) {
            float[] row = Scratch.PANEL.get().floats(cols);
            for (; r < rowTo; r++) {
                VectorQuantDecode.decodeRows(w, r, 1, row);
                y[yOff + r - rowFrom] = dot(row, 0, x, xOff, cols);
            }
        }
    }

    /** Adds the tail columns of row {@code r} to the lanes at {@code lanes[at..at+V)} and folds them. */
    private static float finish(float[] lanes, int at, RowMatrix w, int r, float[] x, int xOff) {
        int cols = w.cols();
        for (int k = F.loopBound(cols); k < cols; k++) {
            int lane = at + (k & (V - 1));
            lanes[lane] = Math.fma(w.get(r, k), x[xOff + k], lanes[lane]);
        }
        return ScalarMatrixSupport.treeSum(lanes, at, V);
    }

    private static void rows4F32(RowMatrix w, int r, float[] x, int xOff, float[] lanes) {
        MemorySegment m = w.data();
        long stride = 4L * w.cols();
        long p0 = w.offset(r, 0);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int k = 0, bound = F.loopBound(w.cols()); k < bound; k += V) {
            FloatVector xv = FloatVector.fromArray(F, x, xOff + k);
            long p = p0 + 4L * k;
            a0 = FloatVector.fromMemorySegment(F, m, p, LE).fma(xv, a0);
            a1 = FloatVector.fromMemorySegment(F, m, p + stride, LE).fma(xv, a1);
            a2 = FloatVector.fromMemorySegment(F, m, p + 2 * stride, LE).fma(xv, a2);
            a3 = FloatVector.fromMemorySegment(F, m, p + 3 * stride, LE).fma(xv, a3);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, V);
        a2.intoArray(lanes, 2 * V);
        a3.intoArray(lanes, 3 * V);
    }

    private static void rows4Bf16(RowMatrix w, int r, float[] x, int xOff, float[] lanes) {
        MemorySegment m = w.data();
        long stride = 2L * w.cols();
        long p0 = w.offset(r, 0);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int k = 0, bound = F.loopBound(w.cols()); k < bound; k += V) {
            FloatVector xv = FloatVector.fromArray(F, x, xOff + k);
            long p = p0 + 2L * k;
            a0 = bf16(m, p).fma(xv, a0);
            a1 = bf16(m, p + stride).fma(xv, a1);
            a2 = bf16(m, p + 2 * stride).fma(xv, a2);
            a3 = bf16(m, p + 3 * stride).fma(xv, a3);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, V);
        a2.intoArray(lanes, 2 * V);
        a3.intoArray(lanes, 3 * V);
    }

    /** V bf16 values at byte {@code p} as floats: the bits moved to the top half of each lane. */
    private static FloatVector bf16(MemorySegment m, long p) {
        return ((IntVector) ShortVector.fromMemorySegment(S, m, p, LE).convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0))
                .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /**
     * Four F16 rows against x. Their halves are converted into a per-thread float buffer by
     * {@link #halvesToFloats} (the CPU's half-to-float instruction, one per V halves), then swept with four FMA
     * chains as {@link #rows4F32} does. Converting in registers with the Vector API instead takes sign extension,
     * shift, mask, an exact rescaling and an Inf/NaN fix (JDK 25 has no half-float lane conversion): five to eight
     * lane operations per V halves against BF16's two, which made F16 matvec compute-bound at about a quarter of
     * BF16's speed on cached weights. Rows of up to {@link #HALF_CHUNK} columns are converted as one block (the four
     * rows are contiguous, so the block is read as one sequential stream); longer rows a chunk of each row at a
     * time. Chunks are multiples of V, so element k still lands in lane {@code k mod V}.
     */
    private static void rows4F16(RowMatrix w, int r, float[] x, int xOff, float[] lanes) {
        MemorySegment m = w.data();
        int cols = w.cols();
        int bound = F.loopBound(cols);
        long row0 = w.offset(r, 0);
        long stride = 2L * cols;
        boolean whole = cols <= HALF_CHUNK;
        // whole: row j at buf[j·cols ..]; chunked: the chunk of row j at buf[j·chunk ..]
        int chunk = whole ? cols : HALF_CHUNK;
        float[] buf = Scratch.HALVES.get().floats(4 * chunk);
        if (whole) {
            halvesToFloats(m, row0, buf, 0, 4 * cols);
        }
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int c0 = 0; c0 < bound; c0 += chunk) {
            int len = Math.min(chunk, bound - c0);
            int at = c0;
            if (!whole) {
                long p = row0 + 2L * c0;
                halvesToFloats(m, p, buf, 0, len);
                halvesToFloats(m, p + stride, buf, chunk, len);
                halvesToFloats(m, p + 2 * stride, buf, 2 * chunk, len);
                halvesToFloats(m, p + 3 * stride, buf, 3 * chunk, len);
                at = 0;
            }
            for (int k = 0; k < len; k += V) {
                FloatVector xv = FloatVector.fromArray(F, x, xOff + c0 + k);
                a0 = FloatVector.fromArray(F, buf, at + k).fma(xv, a0);
                a1 = FloatVector.fromArray(F, buf, at + chunk + k).fma(xv, a1);
                a2 = FloatVector.fromArray(F, buf, at + 2 * chunk + k).fma(xv, a2);
                a3 = FloatVector.fromArray(F, buf, at + 3 * chunk + k).fma(xv, a3);
            }
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, V);
        a2.intoArray(lanes, 2 * V);
        a3.intoArray(lanes, 3 * V);
    }

    /**
     * {@code count} F16 values from byte {@code p} of {@code m} as floats into {@code dst}, by
     * {@link Float#float16ToFloat} in a counted loop, which C2 vectorises into the CPU's half-to-float
     * conversion (VCVTPH2PS with F16C or AVX-512; FCVTL on ARM). Every non-NaN half converts exactly as
     * {@link Codecs#f16ToFloat} does (checked for all 65,536 halves); a NaN half gives a NaN whose payload may
     * differ (the x86 instruction quiets signalling NaNs). The kernels only multiply weights, and a NaN weight
     * makes its dot product NaN whatever its payload, so their results keep the reference's bits, NaN payloads
     * aside as {@link MatrixKernels} states.
     */
    static void halvesToFloats(MemorySegment m, long p, float[] dst, int dstOff, int count) {
        for (int i = 0; i < count; i++) {
            dst[dstOff + i] = Float.float16ToFloat(m.get(Codecs.I16, p + 2L * i));
        }
    }

    // ---- matmul -----------------------------------------------------------------------------------

    @Override
    public void matmul(RowMatrix w, float[] x, int tokens, float[] y, int yStride, int rowFrom, int rowTo) {
        matmulPanels(w.cols(), (r, count, out) -> decodeRows(w, r, count, out), x, tokens, y, yStride, rowFrom, rowTo);
    }

    @Override
    public void matmul(QuantMatrix w, float[] x, int tokens, float[] y, int yStride, int rowFrom, int rowTo) {
        if (!quantVectorised(w)) {
            ScalarMatrixSupport.withLanes(V).matmul(w, x, tokens, y, yStride, rowFrom, rowTo);
            return;
        }
        matmulPanels(w.cols(), (r, count, out) -> VectorQuantDecode.decodeRows(w, r, count, out), x, tokens, y, yStride,
                rowFrom, rowTo);
    }

    /** Decodes rows [r, r + count) of a weight matrix as floats into {@code out[0 .. count·cols)}. */
    @FunctionalInterface
    private interface PanelDecoder {
        void decode(int r, int count, float[] out);
    }

    /** The panel sweep of {@link #matmul}, whatever the weights' storage: {@code decoder} fills each panel. */
    private static void matmulPanels(int cols, PanelDecoder decoder, float[] x, int tokens, float[] y, int yStride,
            int rowFrom, int rowTo) {
        int panelRows = panelRows(cols);
        float[] panel = Scratch.PANEL.get().floats(Math.min(panelRows, rowTo - rowFrom) * cols);
        float[] lanes = Scratch.LANES.get().floats(6 * TOKEN_BLOCK * V);
        int tile = tokenTile(cols);
        // without a tail the lanes fold in registers and the sums go straight to y (same order, same bits)
        boolean direct = cols % V == 0;
        for (int p = rowFrom; p < rowTo; p += panelRows) {
            int count = Math.min(panelRows, rowTo - p);
            decoder.decode(p, count, panel);
            int six = SIX_ROWS ? count / 6 * 6 : 0;     // rows in groups of six, then of four
            int full = six + (count - six & ~3);
            for (int t0 = 0; t0 < tokens; t0 += tile) {
                int t1 = Math.min(tokens, t0 + tile);
                int blocked = t0 + (t1 - t0) / TOKEN_BLOCK * TOKEN_BLOCK;
                for (int g = 0; g < six; g += 6) {
                    int rowOff = g * cols;
                    int r = p + g;
                    for (int t = t0; t < blocked; t += TOKEN_BLOCK) {
                        block6x4(panel, rowOff, cols, x, t, lanes);
                        for (int j = 0; j < 24; j++) {
                            int tok = t + j / 6;
                            int row = j % 6;
                            y[tok * yStride + r + row] = direct ? fold(FloatVector.fromArray(F, lanes, j * V))
                                    : finishBuffered(lanes, j * V, panel, rowOff + row * cols, x, tok * cols, cols);
                        }
                    }
                }
                for (int g = six; g < full; g += 4) {
                    int rowOff = g * cols;
                    int r = p + g;
                    for (int t = t0; t < blocked; t += TOKEN_BLOCK) {
                        if (TOKEN_BLOCK == 4) {
                            block4x4(panel, rowOff, cols, x, t, lanes);
                        } else {
                            block4x2(panel, rowOff, cols, x, t, lanes);
                        }
                        for (int j = 0; j < 4 * TOKEN_BLOCK; j++) {
                            int tok = t + (j >> 2);
                            int row = j & 3;
                            y[tok * yStride + r + row] = direct ? fold(FloatVector.fromArray(F, lanes, j * V))
                                    : finishBuffered(lanes, j * V, panel, rowOff + row * cols, x, tok * cols, cols);
                        }
                    }
                }
                for (int g = 0; g < count; g++) {
                    for (int t = g < full ? blocked : t0; t < t1; t++) {
                        y[t * yStride + p + g] = INSTANCE.dot(panel, g * cols, x, t * cols, cols);
                    }
                }
            }
        }
    }

    /**
     * Rows decoded at once for {@code cols}-long rows: a multiple of 12 (whole groups of six and of four rows) whose
     * floats fill about {@link #PANEL_BYTES}, at least 12, so that a panel stays in L2 while every token of the tile
     * is swept over it.
     */
    static int panelRows(int cols) {
        return Math.max(12, PANEL_BYTES / (4 * Math.max(1, cols)) / 12 * 12);
    }

    /** Tokens per tile for rows of {@code cols}: as many as fit {@link #TILE_BYTES} of inputs, whole register blocks. */
    static int tokenTile(int cols) {
        int fit = TILE_BYTES / (4 * Math.max(1, cols));
        return Math.max(TOKEN_BLOCK, fit / TOKEN_BLOCK * TOKEN_BLOCK);
    }

    /** Lane i takes lane (i + h) mod V. */
    private static VectorShuffle<Float> shiftDown(int h) {
        return VectorShuffle.fromOp(F, i -> (i + h) & (V - 1));
    }

    /**
     * {@link ScalarMatrixSupport#treeSum} of the lanes of {@code a} in registers: at each step lane i becomes
     * lane i + lane i+h for h = V/2, ..., 1 (the lanes from h on are left over and never read), so lane 0
     * ends as the same sum. Unrolled over constant shuffles so that it compiles to a few shuffles and adds.
     */
    private static float fold(FloatVector a) {
        if (V >= 64) {
            a = a.add(a.rearrange(FOLD_32));
        }
        if (V >= 32) {
            a = a.add(a.rearrange(FOLD_16));
        }
        if (V >= 16) {
            a = a.add(a.rearrange(FOLD_8));
        }
        if (V >= 8) {
            a = a.add(a.rearrange(FOLD_4));
        }
        if (V >= 4) {
            a = a.add(a.rearrange(FOLD_2));
        }
        if (V >= 2) {
            a = a.add(a.rearrange(FOLD_1));
        }
        return a.lane(0);
    }

    /** Rows [r, r + count) of w as floats into {@code out[0 .. count·cols)}. */
    private static void decodeRows(RowMatrix w, int r, int count, float[] out) {
        int cols = w.cols();
        int n = count * cols;
        switch (w.dtype()) {
            case F32 -> MemorySegment.copy(w.data(), Codecs.F32, w.offset(r, 0), out, 0, n);
            case BF16 -> VectorCodecSupport.INSTANCE.decodeBf16(w.data(), (long) r * cols, out, 0, n);
            default -> decodeF16(w.data(), (long) r * cols, out, 0, n);
        }
    }

    /** F16 elements [from, from + count) of {@code m} as floats by {@link #halvesToFloats}, the values matvec uses. */
    private static void decodeF16(MemorySegment m, long from, float[] dst, int dstOff, int count) {
        halvesToFloats(m, from * 2, dst, dstOff, count);
    }

    /** Lanes of the four rows of {@code rows} from {@code w0} against tokens t and t+1, token-major: lanes[(4·(token−t) + row)·V ..]. */
    private static void block4x2(float[] rows, int w0, int cols, float[] x, int t, float[] lanes) {
        int w1 = w0 + cols;
        int w2 = w1 + cols;
        int w3 = w2 + cols;
        int x0 = t * cols;
        int x1 = x0 + cols;
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        for (int k = 0, bound = F.loopBound(cols); k < bound; k += V) {
            FloatVector u = FloatVector.fromArray(F, x, x0 + k);
            FloatVector v = FloatVector.fromArray(F, x, x1 + k);
            FloatVector r0 = FloatVector.fromArray(F, rows, w0 + k);
            FloatVector r1 = FloatVector.fromArray(F, rows, w1 + k);
            FloatVector r2 = FloatVector.fromArray(F, rows, w2 + k);
            FloatVector r3 = FloatVector.fromArray(F, rows, w3 + k);
            c00 = r0.fma(u, c00);
            c01 = r1.fma(u, c01);
            c02 = r2.fma(u, c02);
            c03 = r3.fma(u, c03);
            c10 = r0.fma(v, c10);
            c11 = r1.fma(v, c11);
            c12 = r2.fma(v, c12);
            c13 = r3.fma(v, c13);
        }
        c00.intoArray(lanes, 0);
        c01.intoArray(lanes, V);
        c02.intoArray(lanes, 2 * V);
        c03.intoArray(lanes, 3 * V);
        c10.intoArray(lanes, 4 * V);
        c11.intoArray(lanes, 5 * V);
        c12.intoArray(lanes, 6 * V);
        c13.intoArray(lanes, 7 * V);
    }

    /** As {@link #block4x2}, for tokens t .. t+3. */
    private static void block4x4(float[] rows, int w0, int cols, float[] x, int t, float[] lanes) {
        int w1 = w0 + cols;
        int w2 = w1 + cols;
        int w3 = w2 + cols;
        int x0 = t * cols;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        for (int k = 0, bound = F.loopBound(cols); k < bound; k += V) {
            FloatVector r0 = FloatVector.fromArray(F, rows, w0 + k);
            FloatVector r1 = FloatVector.fromArray(F, rows, w1 + k);
            FloatVector r2 = FloatVector.fromArray(F, rows, w2 + k);
            FloatVector r3 = FloatVector.fromArray(F, rows, w3 + k);
            FloatVector u = FloatVector.fromArray(F, x, x0 + k);
            c00 = r0.fma(u, c00);
            c01 = r1.fma(u, c01);
            c02 = r2.fma(u, c02);
            c03 = r3.fma(u, c03);
            u = FloatVector.fromArray(F, x, x1 + k);
            c10 = r0.fma(u, c10);
            c11 = r1.fma(u, c11);
            c12 = r2.fma(u, c12);
            c13 = r3.fma(u, c13);
            u = FloatVector.fromArray(F, x, x2 + k);
            c20 = r0.fma(u, c20);
            c21 = r1.fma(u, c21);
            c22 = r2.fma(u, c22);
            c23 = r3.fma(u, c23);
            u = FloatVector.fromArray(F, x, x3 + k);
            c30 = r0.fma(u, c30);
            c31 = r1.fma(u, c31);
            c32 = r2.fma(u, c32);
            c33 = r3.fma(u, c33);
        }
        c00.intoArray(lanes, 0);
        c01.intoArray(lanes, V);
        c02.intoArray(lanes, 2 * V);
        c03.intoArray(lanes, 3 * V);
        c10.intoArray(lanes, 4 * V);
        c11.intoArray(lanes, 5 * V);
        c12.intoArray(lanes, 6 * V);
        c13.intoArray(lanes, 7 * V);
        c20.intoArray(lanes, 8 * V);
        c21.intoArray(lanes, 9 * V);
        c22.intoArray(lanes, 10 * V);
        c23.intoArray(lanes, 11 * V);
        c30.intoArray(lanes, 12 * V);
        c31.intoArray(lanes, 13 * V);
        c32.intoArray(lanes, 14 * V);
        c33.intoArray(lanes, 15 * V);
    }

    /**
     * Lanes of the six rows of {@code rows} from {@code w0} against tokens t .. t+3, token-major:
     * {@code lanes[(6·(token−t) + row)·V ..]}. Each step loads six row vectors, then one token vector at a time for six
     * FMAs, so 24 accumulators, 6 row operands and 1 token operand are live (31 of 32 registers).
     */
    private static void block6x4(float[] rows, int w0, int cols, float[] x, int t, float[] lanes) {
        int w1 = w0 + cols;
        int w2 = w1 + cols;
        int w3 = w2 + cols;
        int w4 = w3 + cols;
        int w5 = w4 + cols;
        int x0 = t * cols;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00, c04 = c00, c05 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00, c14 = c00, c15 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c24 = c00, c25 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00, c34 = c00, c35 = c00;
        for (int k = 0, bound = F.loopBound(cols); k < bound; k += V) {
            FloatVector r0 = FloatVector.fromArray(F, rows, w0 + k);
            FloatVector r1 = FloatVector.fromArray(F, rows, w1 + k);
            FloatVector r2 = FloatVector.fromArray(F, rows, w2 + k);
            FloatVector r3 = FloatVector.fromArray(F, rows, w3 + k);
            FloatVector r4 = FloatVector.fromArray(F, rows, w4 + k);
            FloatVector r5 = FloatVector.fromArray(F, rows, w5 + k);
            FloatVector u = FloatVector.fromArray(F, x, x0 + k);
            c00 = r0.fma(u, c00);
            c01 = r1.fma(u, c01);
            c02 = r2.fma(u, c02);
            c03 = r3.fma(u, c03);
            c04 = r4.fma(u, c04);
            c05 = r5.fma(u, c05);
            u = FloatVector.fromArray(F, x, x1 + k);
            c10 = r0.fma(u, c10);
            c11 = r1.fma(u, c11);
            c12 = r2.fma(u, c12);
            c13 = r3.fma(u, c13);
            c14 = r4.fma(u, c14);
            c15 = r5.fma(u, c15);
            u = FloatVector.fromArray(F, x, x2 + k);
            c20 = r0.fma(u, c20);
            c21 = r1.fma(u, c21);
            c22 = r2.fma(u, c22);
            c23 = r3.fma(u, c23);
            c24 = r4.fma(u, c24);
            c25 = r5.fma(u, c25);
            u = FloatVector.fromArray(F, x, x3 + k);
            c30 = r0.fma(u, c30);
            c31 = r1.fma(u, c31);
            c32 = r2.fma(u, c32);
            c33 = r3.fma(u, c33);
            c34 = r4.fma(u, c34);
            c35 = r5.fma(u, c35);
        }
        c00.intoArray(lanes, 0);
        c01.intoArray(lanes, V);
        c02.intoArray(lanes, 2 * V);
        c03.intoArray(lanes, 3 * V);
        c04.intoArray(lanes, 4 * V);
        c05.intoArray(lanes, 5 * V);
        c10.intoArray(lanes, 6 * V);
        c11.intoArray(lanes, 7 * V);
        c12.intoArray(lanes, 8 * V);
        c13.intoArray(lanes, 9 * V);
        c14.intoArray(lanes, 10 * V);
        c15.intoArray(lanes, 11 * V);
        c20.intoArray(lanes, 12 * V);
        c21.intoArray(lanes, 13 * V);
        c22.intoArray(lanes, 14 * V);
        c23.intoArray(lanes, 15 * V);
        c24.intoArray(lanes, 16 * V);
        c25.intoArray(lanes, 17 * V);
        c30.intoArray(lanes, 18 * V);
        c31.intoArray(lanes, 19 * V);
        c32.intoArray(lanes, 20 * V);
        c33.intoArray(lanes, 21 * V);
        c34.intoArray(lanes, 22 * V);
        c35.intoArray(lanes, 23 * V);
    }

    /** Adds the tail columns of a decoded row and a token to the lanes at {@code lanes[at..at+V)} and folds them. */
    private static float finishBuffered(float[] lanes, int at, float[] rows, int rowOff, float[] x, int xOff, int cols) {
        for (int k = F.loopBound(cols); k < cols; k++) {
            int lane = at + (k & (V - 1));
            lanes[lane] = Math.fma(rows[rowOff + k], x[xOff + k], lanes[lane]);
        }
        return ScalarMatrixSupport.treeSum(lanes, at, V);
    }
}
