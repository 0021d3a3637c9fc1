package dev.mergelab.tensor;

import dev.mergelab.method.kernel.MethodKernelSupport;
import dev.mergelab.method.kernel.MethodKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

/**
 * Run in a child JVM by {@link VectorWidthsTest} with {@code -Dmergelab.vector.bits=N}: compares the
 * vector implementation at that width with the scalar reference (every 16-bit pattern for the codecs,
 * random data for the kernels) and exits non-zero on the first difference.
 */
public final class WidthCheck {

    private WidthCheck() {
    }

    public static void main(String[] args) {
        CodecSupport vc = Vectorization.vectorCodecs().orElseThrow();
        KernelSupport vk = Vectorization.vectorKernels().orElseThrow();
        CodecSupport sc = Vectorization.scalarCodecs();
        KernelSupport sk = Vectorization.scalarKernels();
        // The merge methods' own kernels (method/kernel) take the same switch and width.
        MethodKernelSupport mvk = MethodKernels.vector().orElseThrow();
        MethodKernelSupport msk = MethodKernels.scalar();
        System.out.println("checking " + vc.name() + " / " + vk.name());
        checkMatrices(new Random(12));
        checkGram(new Random(13));
        int n = 65536;
        Random r = new Random(11);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment all = arena.allocate(2L * n + 3).asSlice(3);
            for (int h = 0; h < n; h++) {
                all.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * h, (short) h);
            }
            float[] a = new float[n];
            float[] b = new float[n];
            vc.decodeBf16(all, 0, a, 0, n);
            sc.decodeBf16(all, 0, b, 0, n);
            same(a, b, "decodeBf16");
            vc.decodeF16(all, 0, a, 0, n);
            sc.decodeF16(all, 0, b, 0, n);
            same(a, b, "decodeF16");
            float[] xs = new float[n];
            for (int i = 0; i < n; i++) {
                xs[i] = r.nextInt(3) == 0 ? Float.intBitsToFloat(r.nextInt()) : (float) r.nextGaussian() * 0.02f;
            }
            MemorySegment o1 = arena.allocate(2L * n);
            MemorySegment o2 = arena.allocate(2L * n);
            for (int t = 0; t < 200; t++) {
                int off = r.nextInt(50);
                int len = r.nextInt(2000);
                vc.encodeBf16(xs, off, len, o1, 3);
                sc.encodeBf16(xs, off, len, o2, 3);
                check(o1.mismatch(o2) == -1, "encodeBf16");
                vc.encodeF16(xs, off, len, o1, 1);
                sc.encodeF16(xs, off, len, o2, 1);
                check(o1.mismatch(o2) == -1, "encodeF16");
            }
        }
        for (int t = 0; t < 200; t++) {
            int len = r.nextInt(5000);
            int off = r.nextInt(9);
            float[] x = new float[len + off];
            float[] y = new float[len + off];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
                y[i] = (float) r.nextGaussian();
            }
            check(vk.dot(x, off, y, 0, len) == sk.dot(x, off, y, 0, len), "dot");
            check(vk.sumSquares(x, off, len) == sk.sumSquares(x, off, len), "sumSquares");
            check(vk.l1Norm(x, off, len) == sk.l1Norm(x, off, len), "l1Norm");
            check(vk.maxAbs(x, off, len) == sk.maxAbs(x, off, len), "maxAbs");
            float[] p = y.clone();
            float[] q = y.clone();
            vk.weightedSum(new float[][] {x, y}, new float[] {0.3f, 0.7f}, off, p, 0, len);
            sk.weightedSum(new float[][] {x, y}, new float[] {0.3f, 0.7f}, off, q, 0, len);
            same(p, q, "weightedSum");
            vk.axpy(0.5f, x, off, p, 0, len);
            sk.axpy(0.5f, x, off, q, 0, len);
            same(p, q, "axpy");
            int key = len == 0 ? 0 : Float.floatToRawIntBits(x[off]) & 0x7FFFFFFF;
            check(vk.countMagnitudeAbove(x, off, len, key) == sk.countMagnitudeAbove(x, off, len, key), "count");
            double[] scratch = new double[2 * len];
            check(Double.doubleToLongBits(mvk.softmaxKl(x, y, off, len, 1e-8, scratch))
                    == Double.doubleToLongBits(msk.softmaxKl(x, y, off, len, 1e-8, scratch)), "softmaxKl");
            float[][] three = {x.clone(), y.clone(), p.clone()};
            float[] va = new float[len + off];
            float[] vb = new float[len + off];
            mvk.populationVariance(three, va, len);
            msk.populationVariance(three, vb, len);
            same(va, vb, "populationVariance");
            mvk.electedWeightedMean(three, new float[] {0.5f, 0.2f, 0.3f}, 1e-6f, y, va, len);
            msk.electedWeightedMean(three, new float[] {0.5f, 0.2f, 0.3f}, 1e-6f, y, vb, len);
            same(va, vb, "electedWeightedMean");
            int[] keys = new int[len + off];
            sk.magnitudeKeys(x, 0, keys, 0, len + off);
            float[][] za = {x.clone(), y.clone()};
            float[][] zb = {x.clone(), y.clone()};
            check(mvk.zeroWhereKeyBelow(keys, key, za, len) == msk.zeroWhereKeyBelow(keys, key, zb, len), "zeroWhereKeyBelow count");
            same(za[0], zb[0], "zeroWhereKeyBelow");
            same(za[1], zb[1], "zeroWhereKeyBelow");
            check(vk.countBothNonZero(za[0], za[1], len) == sk.countBothNonZero(za[0], za[1], len), "countBothNonZero");
            check(vk.countSignConflicts(x, y, len) == sk.countSignConflicts(x, y, len), "countSignConflicts");
            int[] oa = new int[len];
            int[] ob = new int[len];
            int bound = r.nextInt(1 << 30);
            int hits = mvk.positionKeysAtOrAbove(t, 1000L * t, len, bound, oa, 0);
            check(hits == msk.positionKeysAtOrAbove(t, 1000L * t, len, bound, ob, 0)
                    && java.util.Arrays.equals(oa, 0, hits, ob, 0, hits), "positionKeysAtOrAbove");
            // della's and DARE's mask kernels
            int[] wa = new int[len + 1];
            int[] wb = new int[len + 1];
            vk.splitMix32(t, 2000L * t, wa, 1, len);
            sk.splitMix32(t, 2000L * t, wb, 1, len);
            check(java.util.Arrays.equals(wa, wb), "splitMix32");
            int low = r.nextInt() >>> 1;
            int high = low + (r.nextInt() >>> 2);
            int[][] da = {new int[len], new int[len + off]};
            int[][] db = {new int[len], new int[len + off]};
            check(mvk.drawBand(x, wb, off, Math.max(0, Math.min(len, wb.length - off)), low, high, da[0], da[1])
                    == msk.drawBand(x, wb, off, Math.max(0, Math.min(len, wb.length - off)), low, high, db[0], db[1]), "drawBand bounds");
            for (int d = 0; d < 2; d++) {
                check(java.util.Arrays.equals(da[d], db[d]), "drawBand " + d);
            }
            if (len > 0) {
                int k = r.nextInt(len);
                check(mvk.stableRank(da[0], len, k) == msk.stableRank(da[0], len, k), "stableRank");
            }
            mvk.keepWordsBelow(t, 2000L * t, high, wa, 1, len);
            msk.keepWordsBelow(t, 2000L * t, high, wb, 1, len);
            check(java.util.Arrays.equals(wa, wb), "keepWordsBelow");
            float[] ka = x.clone();
            float[] kb = x.clone();
            mvk.zeroDropped(ka, wb, Math.min(len, ka.length));
            msk.zeroDropped(kb, wb, Math.min(len, kb.length));
            same(ka, kb, "zeroDropped");
            long[] ba = new long[(off + len + 64) / 64 + 1];
            long[] bb = new long[ba.length];
            mvk.packKeep(wb, len, ba, off);
            msk.packKeep(wb, len, bb, off);
            check(java.util.Arrays.equals(ba, bb), "packKeep");
            mvk.scaledAbsDifference(x, y, off, len, 3.7e-5, va, 0);
            msk.scaledAbsDifference(x, y, off, len, 3.7e-5, vb, 0);
            same(va, vb, "scaledAbsDifference");
            float threshold = len == 0 ? 0f : vb[len / 2];
            mvk.keepLargeChanges(x, y, off, len, 3.7e-5, threshold, va, 0);
            msk.keepLargeChanges(x, y, off, len, 3.7e-5, threshold, vb, 0);
            same(va, vb, "keepLargeChanges");
        }
        System.out.println("ok");
    }

    /** The matrix kernels against the scalar reference with the vector's lane count. */
    private static void checkMatrices(Random r) {
        MatrixSupport vm = Vectorization.vectorMatrices().orElseThrow();
        MatrixSupport sm = Vectorization.scalarMatrices(vm.lanes());
        check(vm.name().equals(Vectorization.vectorCodecs().orElseThrow().name()) && vm.name().equals("vector-" + 32 * vm.lanes()),
                "matrix kernels " + vm.name() + " with " + vm.lanes() + " lanes follow the forced width");
        try (Arena arena = Arena.ofConfined()) {
            for (int t = 0; t < 40; t++) {
                for (DType type : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                    int rows = r.nextInt(10);
                    int cols = r.nextInt(300);
                    int tokens = r.nextInt(40);
                    RowMatrix w = MatrixKernelsTest.matrix(arena, r, type, rows, cols);
                    float[] x = MatrixKernelsTest.vector(r, tokens * cols);
                    float[] ya = new float[tokens * rows];
                    float[] yb = new float[tokens * rows];
                    vm.matmul(w, x, tokens, ya, rows, 0, rows);
                    sm.matmul(w, x, tokens, yb, rows, 0, rows);
                    same(ya, yb, type + " matmul");
                    if (tokens > 0) {
                        float[] va = new float[rows];
                        float[] vb = new float[rows];
                        vm.matvec(w, x, 0, va, 0, 0, rows);
                        sm.matvec(w, x, 0, vb, 0, 0, rows);
                        same(va, vb, type + " matvec");
                    }
                }
                int n = r.nextInt(500);
                float[] a = MatrixKernelsTest.vector(r, n);
                float[] b = MatrixKernelsTest.vector(r, n);
                check(Float.floatToRawIntBits(vm.dot(a, 0, b, 0, n)) == Float.floatToRawIntBits(sm.dot(a, 0, b, 0, n)), "dot");
                float[] ya = new float[n];
                float[] yb = new float[n];
                vm.rmsNorm(a, 0, b, 0, ya, 0, n, 1e-5f, t % 2 == 0);
                sm.rmsNorm(a, 0, b, 0, yb, 0, n, 1e-5f, t % 2 == 0);
                same(ya, yb, "rmsNorm");
                for (int i = 0; i < n; i++) {
                    a[i] *= 20;
                }
                float[] sa = a.clone();
                vm.softmax(sa, 0, n);
                sm.softmax(a, 0, n);
                same(sa, a, "softmax");
            }
        }
    }

    /** method/kernel's Gram dot, which takes its layout from the provider's width. */
    private static void checkGram(Random r) {
        check(Vectorization.vectorised(), "the provider chose the vector kernels");
        for (int t = 0; t < 200; t++) {
            int n = r.nextInt(300);
            float[] x = MatrixKernelsTest.vector(r, n);
            float[] y = MatrixKernelsTest.vector(r, n);
            check(Double.doubleToRawLongBits(dev.mergelab.method.kernel.Gram.dot(x, y, n))
                    == Double.doubleToRawLongBits(dev.mergelab.method.kernel.Gram.dotScalar(x, y, n)), "Gram.dot");
        }
    }

    private static void same(float[] a, float[] b, String what) {
        for (int i = 0; i < a.length; i++) {
            check(Float.floatToRawIntBits(a[i]) == Float.floatToRawIntBits(b[i]), what + " at " + i);
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("MISMATCH " + what);
            System.exit(1);
        }
    }
}
