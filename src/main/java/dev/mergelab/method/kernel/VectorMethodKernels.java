package dev.mergelab.method.kernel;

import dev.mergelab.tensor.FloatKernels;
import dev.mergelab.tensor.VectorShapes;
import dev.mergelab.tensor.VectorSplitMix;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API form of the merge methods' own kernels ({@link MethodKernels}), at the width of
 * {@link VectorShapes}: the same operations as {@link ScalarMethodKernels} lane by lane, with the
 * scalar loop as the tail, so the same bits.
 */
final class VectorMethodKernels implements MethodKernelSupport {

    private static final VectorSpecies<Float> F = VectorShapes.floats();
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final int V = F.length();

    static final VectorMethodKernels INSTANCE = new VectorMethodKernels();

    private VectorMethodKernels() {
    }

    /** The int lanes fit one keep-bit word ({@code keepBits}), and {@link VectorSoftmaxKl}'s layout fits. */
    static boolean available() {
        return V >= 4 && V <= 32 && VectorSoftmaxKl.available();
    }

    @Override
    public String name() {
        return "vector-" + F.vectorBitSize();
    }

    @Override
    public void keepWordsBelow(long seed, long first, int threshold, int[] keep, int off, int n) {
        int lanes = VectorSplitMix.LONGS.length();
        LongVector z = VectorSplitMix.wordWeyl(seed, first);
        LongVector step = VectorSplitMix.WEYL_STEP;
        IntVector t = IntVector.broadcast(I, threshold);
        int i = 0;
        for (int bound = n - n % (2 * lanes); i < bound; i += 2 * lanes) {
            IntVector words = VectorSplitMix.finish(z).reinterpretAsInts();
            ((IntVector) words.compare(VectorOperators.ULT, t).toVector()).intoArray(keep, off + i);
            z = z.add(step);
        }
        for (; i < n; i++) {
            keep[off + i] = Integer.compareUnsigned(FloatKernels.splitMix32(seed, first + i), threshold) < 0 ? -1 : 0;
        }
    }

    @Override
    public void zeroDropped(float[] x, int[] keep, int n) {
        int i = 0;
        for (int bound = I.loopBound(n); i < bound; i += V) {
            FloatVector.fromArray(F, x, i).reinterpretAsInts().and(IntVector.fromArray(I, keep, i))
                    .reinterpretAsFloats().intoArray(x, i);
        }
        ScalarMethodKernels.zeroDroppedTail(x, keep, i, n);
    }

    @Override
    public void packKeep(int[] keep, int n, long[] bits, long first) {
        // Scalar up to a word boundary, then whole words from 64 / V vectors' masks, then the rest.
        int head = (int) Math.min(n, (64 - (first & 63)) & 63);
        ScalarMethodKernels.packKeepRange(keep, 0, head, bits, first);
        int i = head;
        int word = (int) ((first + i) >>> 6);
        for (; i + 64 <= n; i += 64, word++) {
            long w = 0;
            for (int v = 0; v < 64; v += V) {
                w |= IntVector.fromArray(I, keep, i + v).compare(VectorOperators.NE, 0).toLong() << v;
            }
            bits[word] = w;
        }
        ScalarMethodKernels.packKeepRange(keep, i, n, bits, first);
    }

    @Override
    public long drawBand(float[] x, int[] draws, int off, int n, int low, int high, int[] keys, int[] keep) {
        IntVector lowV = IntVector.broadcast(I, low);
        IntVector highV = IntVector.broadcast(I, high);
        IntVector one = IntVector.broadcast(I, 1);
        IntVector all = IntVector.broadcast(I, 0x7FFFFFFF);
        IntVector any = IntVector.zero(I);
        int i = 0;
        for (int bound = I.loopBound(n); i < bound; i += V) {
            IntVector key = FloatVector.fromArray(F, x, off + i).reinterpretAsInts().and(0x7FFFFFFF);
            key.intoArray(keys, i);
            all = all.and(key);
            any = any.or(key);
            IntVector d = IntVector.fromArray(I, draws, off + i);
            // −1 below low; else 1 below high; else 0.
            VectorMask<Integer> sure = d.compare(VectorOperators.ULT, lowV);
            IntVector band = one.and((IntVector) d.compare(VectorOperators.ULT, highV).toVector());
            band.blend(-1, sure).intoArray(keep, off + i);
        }
        return ScalarMethodKernels.drawBandTail(x, draws, off, i, n, low, high, keys, keep,
                all.reduceLanes(VectorOperators.AND), any.reduceLanes(VectorOperators.OR));
    }

    @Override
    public int stableRank(int[] keys, int n, int k) {
        // Before k the equal keys count too (LE), after it only the smaller ones (LT); the vector that
        // holds k is done one by one.
        IntVector key = IntVector.broadcast(I, keys[k]);
        IntVector count = IntVector.zero(I);
        int j = 0;
        for (int bound = k - k % V; j < bound; j += V) {
            count = count.sub((IntVector) IntVector.fromArray(I, keys, j).compare(VectorOperators.LE, key).toVector());
        }
        int from = Math.min(n, j + V);   // the end of k's vector
        int r = ScalarMethodKernels.stableRankTail(keys, j, from, k);
        j = from;
        for (int bound = j + I.loopBound(n - j); j < bound; j += V) {
            count = count.sub((IntVector) IntVector.fromArray(I, keys, j).compare(VectorOperators.LT, key).toVector());
        }
        return r + ScalarMethodKernels.stableRankTail(keys, j, n, k) + count.reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void magnitudeWindow(float[] x, int n, int lowKey, int highKey, long[] ties, float scale) {
        IntVector low = IntVector.broadcast(I, lowKey);
        IntVector high = IntVector.broadcast(I, highKey);
        FloatVector s = FloatVector.broadcast(F, scale);
        IntVector zero = IntVector.zero(I);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += V) {
            IntVector bits = FloatVector.fromArray(F, x, i).reinterpretAsInts();
            IntVector key = bits.and(0x7FFFFFFF);
            VectorMask<Integer> inLow = key.compare(VectorOperators.GT, low);
            VectorMask<Integer> inHigh = key.compare(VectorOperators.GT, high);
            VectorMask<Integer> atLow = key.eq(low);
            VectorMask<Integer> atHigh = key.eq(high);
            if (atLow.or(atHigh).anyTrue()) {
                // Ties: while a quota lasts for all of this vector's equal lanes they are all in, once
                // spent none are; the one vector where a quota runs out goes element by element.
                int lowCount = atLow.trueCount();
                int highCount = atHigh.trueCount();
                if (ties[0] > 0 && ties[0] < lowCount || ties[1] > 0 && ties[1] < highCount) {
                    ScalarMethodKernels.magnitudeWindowTail(x, i, i + V, lowKey, highKey, ties, scale);
                    continue;
                }
                if (ties[0] > 0) {
                    inLow = inLow.or(atLow);
                    ties[0] -= lowCount;
                }
                if (ties[1] > 0) {
                    inHigh = inHigh.or(atHigh);
                    ties[1] -= highCount;
                }
            }
            zero.blend(bits, inLow.andNot(inHigh)).reinterpretAsFloats().mul(s).intoArray(x, i);
        }
        ScalarMethodKernels.magnitudeWindowTail(x, i, n, lowKey, highKey, ties, scale);
    }

    @Override
    public void keepBits(float[] x, int n, long[] bits, long first) {
        // Lane l tests bit l of the V bits at the vector's position (V ≤ 32: they fit an int).
        IntVector laneBit = IntVector.broadcast(I, 1).lanewise(VectorOperators.LSHL, IntVector.zero(I).addIndex(1));
        IntVector zero = IntVector.zero(I);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += V) {
            long b = first + i;
            int q = (int) (b >>> 6);
            int shift = (int) (b & 63);
            long window = bits[q] >>> shift;
            if (shift > 64 - V) {
                window |= bits[q + 1] << (64 - shift);   // the vector's bits continue in the next word
            }
            VectorMask<Integer> keep = IntVector.broadcast(I, (int) window).and(laneBit).compare(VectorOperators.NE, 0);
            zero.blend(FloatVector.fromArray(F, x, i).reinterpretAsInts(), keep).reinterpretAsFloats().intoArray(x, i);
        }
        ScalarMethodKernels.keepBitsTail(x, i, n, bits, first);
    }

    @Override
    public void electedMix(float[][] d, float[] w, float[] base, float lambda, boolean normalize, float[] out, int n) {
        int count = d.length;
        FloatVector zero = FloatVector.zero(F);
        FloatVector one = FloatVector.broadcast(F, 1f);
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += V) {
            FloatVector vote = zero;
            for (int i = 0; i < count; i++) {
                vote = vote.add(FloatVector.fromArray(F, d[i], j).mul(w[i]));
            }
            VectorMask<Float> positive = vote.compare(VectorOperators.GE, 0f);
            FloatVector mix = zero;
            FloatVector agreeing = zero;
            for (int i = 0; i < count; i++) {
                FloatVector wd = FloatVector.fromArray(F, d[i], j).mul(w[i]);
                VectorMask<Float> agree = wd.compare(VectorOperators.GT, 0f).and(positive)
                        .or(wd.compare(VectorOperators.LT, 0f).andNot(positive));
                mix = mix.add(zero.blend(wd, agree));
                agreeing = agreeing.add(zero.blend(w[i], agree));
            }
            if (normalize) {
                mix = mix.div(agreeing.blend(one, agreeing.compare(VectorOperators.EQ, 0f)));
            }
            FloatVector.fromArray(F, base, j).add(mix.mul(lambda)).intoArray(out, j);
        }
        ScalarMethodKernels.electedMixTail(d, w, base, lambda, normalize, out, j, n);
    }

    @Override
    public void countElectedMix(float[][] t, float[] w, boolean voteBySign, float[] base, float[] out, int n) {
        FloatVector zero = FloatVector.zero(F);
        FloatVector one = FloatVector.broadcast(F, 1f);
        FloatVector minusOne = FloatVector.broadcast(F, -1f);
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += V) {
            FloatVector vote = zero;
            for (float[] ti : t) {
                FloatVector x = FloatVector.fromArray(F, ti, j);
                vote = vote.add(voteBySign
                        ? zero.blend(one, x.compare(VectorOperators.GT, 0f)).blend(minusOne, x.compare(VectorOperators.LT, 0f))
                        : x);
            }
            VectorMask<Float> positive = vote.compare(VectorOperators.GE, 0f);
            FloatVector mix = zero;
            FloatVector agreeing = zero;
            for (int i = 0; i < t.length; i++) {
                FloatVector x = FloatVector.fromArray(F, t[i], j);
                VectorMask<Float> agree = x.compare(VectorOperators.GT, 0f).and(positive)
                        .or(x.compare(VectorOperators.LT, 0f).andNot(positive));
                mix = mix.add(zero.blend(x.mul(w[i]), agree));
                agreeing = agreeing.add(zero.blend(one, agree));
            }
            FloatVector.fromArray(F, base, j).add(mix.div(agreeing.max(one))).intoArray(out, j);
        }
        ScalarMethodKernels.countElectedMixTail(t, w, voteBySign, base, out, j, n);
    }

    @Override
    public double softmaxKl(float[] x, float[] y, int off, int len, double eps, double[] scratch) {
        return VectorSoftmaxKl.divergence(x, y, off, len, eps, scratch);
    }

    // ---- sce: selection by variance over models, sign-elected weighted mean ---------------------------

    /** Doubles of the float species' width: a float vector widens into two of them (parts 0 and 1). */
    private static final VectorSpecies<Double> D = F.withLanes(double.class);
    /** Floats of half the width: what one of those double vectors narrows back into. */
    private static final VectorSpecies<Float> H = VectorSpecies.of(float.class, VectorShape.forBitSize(F.vectorBitSize() / 2));

    @Override
    public void populationVariance(float[][] xs, float[] out, int n) {
        int m = xs.length;
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += V) {
            DoubleVector mean0 = DoubleVector.zero(D);
            DoubleVector mean1 = mean0;
            for (float[] x : xs) {
                FloatVector v = FloatVector.fromArray(F, x, j);
                mean0 = mean0.add(widen(v, 0));
                mean1 = mean1.add(widen(v, 1));
            }
            mean0 = mean0.div(m);
            mean1 = mean1.div(m);
            DoubleVector ss0 = DoubleVector.zero(D);
            DoubleVector ss1 = ss0;
            for (float[] x : xs) {
                FloatVector v = FloatVector.fromArray(F, x, j);
                DoubleVector dev0 = widen(v, 0).sub(mean0);
                DoubleVector dev1 = widen(v, 1).sub(mean1);
                ss0 = ss0.add(dev0.mul(dev0));
                ss1 = ss1.add(dev1.mul(dev1));
            }
            ss0.div(m).convertShape(VectorOperators.D2F, H, 0).reinterpretAsFloats().intoArray(out, j);
            ss1.div(m).convertShape(VectorOperators.D2F, H, 0).reinterpretAsFloats().intoArray(out, j + V / 2);
        }
        ScalarMethodKernels.populationVarianceTail(xs, out, j, n);
    }

    private static DoubleVector widen(FloatVector v, int part) {
        return (DoubleVector) v.convertShape(VectorOperators.F2D, D, part);
    }

    @Override
    public int zeroWhereKeyBelow(int[] keys, int key, float[][] xs, int n) {
        IntVector equal = IntVector.zero(I);
        int j = 0;
        for (int bound = I.loopBound(n); j < bound; j += V) {
            IntVector k = IntVector.fromArray(I, keys, j);
            VectorMask<Float> below = k.compare(VectorOperators.LT, key).cast(F);
            for (float[] x : xs) {
                FloatVector.fromArray(F, x, j).blend(0f, below).intoArray(x, j);
            }
            // A true lane is -1 once blended in, so subtracting counts it.
            equal = equal.sub(IntVector.zero(I).blend(-1, k.compare(VectorOperators.EQ, key)));
        }
        return equal.reduceLanes(VectorOperators.ADD) + ScalarMethodKernels.zeroWhereKeyBelowTail(keys, key, xs, j, n);
    }

    @Override
    public void electedWeightedMean(float[][] t, float[] c, float floor, float[] base, float[] out, int n) {
        FloatVector zero = FloatVector.zero(F);
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += V) {
            FloatVector vote = zero;
            for (float[] ti : t) {
                vote = vote.add(FloatVector.fromArray(F, ti, j));
            }
            VectorMask<Float> positive = vote.compare(VectorOperators.GE, 0f);
            FloatVector num = zero;
            FloatVector den = zero;
            for (int i = 0; i < t.length; i++) {
                FloatVector x = FloatVector.fromArray(F, t[i], j);
                VectorMask<Float> agree = x.compare(VectorOperators.GT, 0f).and(positive)
                        .or(x.compare(VectorOperators.LT, 0f).andNot(positive));
                num = num.add(x.mul(c[i]), agree);
                den = den.lanewise(VectorOperators.ADD, c[i], agree);
            }
            FloatVector.fromArray(F, base, j).add(num.div(den.max(floor))).intoArray(out, j);
        }
        ScalarMethodKernels.electedWeightedMeanTail(t, c, floor, base, out, j, n);
    }

    // ---- position-keyed random keys ---------------------------------------------------------------------

    @Override
    public int positionKeysAtOrAbove(long stream, long start, int n, int bound, int[] offsets, int count) {
        int lanes = VectorSplitMix.LONGS.length();
        LongVector weyl = VectorSplitMix.wordWeyl(stream, start);
        LongVector step = VectorSplitMix.WEYL_STEP;
        IntVector b = IntVector.broadcast(I, bound);
        int j = 0;
        for (int end = n - n % (2 * lanes); j < end; j += 2 * lanes) {
            IntVector keys = VectorSplitMix.finish(weyl).reinterpretAsInts().lanewise(VectorOperators.LSHR, 2);
            long hits = keys.compare(VectorOperators.GE, b).toLong();
            // Branch-free: a tenth of the keys clear the bound, so a branch per vector would mispredict
            // often (measured 2.3x slower). Every lane's offset is written; only hits advance the count.
            for (int l = 0; l < 2 * lanes; l++) {
                offsets[count] = j + l;
                count += (int) (hits >>> l) & 1;
            }
            weyl = weyl.add(step);
        }
        return ScalarMethodKernels.positionKeysAtOrAboveTail(stream, start, j, n, bound, offsets, count);
    }

    @Override
    public void scaledAbsDifference(float[] x, float[] y, int off, int n, double s, float[] out, int outOff) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += V) {
            FloatVector a = FloatVector.fromArray(F, x, off + i);
            FloatVector b = FloatVector.fromArray(F, y, off + i);
            widen(a, 0).sub(widen(b, 0)).abs().mul(s)
                    .convertShape(VectorOperators.D2F, H, 0).reinterpretAsFloats().intoArray(out, outOff + i);
            widen(a, 1).sub(widen(b, 1)).abs().mul(s)
                    .convertShape(VectorOperators.D2F, H, 0).reinterpretAsFloats().intoArray(out, outOff + i + V / 2);
        }
        ScalarMethodKernels.scaledAbsDifferenceTail(x, y, off, i, n, s, out, outOff);
    }

    @Override
    public void keepLargeChanges(float[] x, float[] base, int off, int n, double s, float threshold, float[] out, int outOff) {
        // Half-width floats throughout: the importance is formed in doubles of the full width.
        int i = 0;
        for (int bound = H.loopBound(n); i < bound; i += H.length()) {
            FloatVector a = FloatVector.fromArray(H, x, off + i);
            FloatVector b = FloatVector.fromArray(H, base, off + i);
            DoubleVector change = ((DoubleVector) a.convertShape(VectorOperators.F2D, D, 0))
                    .sub((DoubleVector) b.convertShape(VectorOperators.F2D, D, 0));
            FloatVector importance = change.abs().mul(s).convertShape(VectorOperators.D2F, H, 0).reinterpretAsFloats();
            b.blend(b.add(a.sub(b)), importance.compare(VectorOperators.GE, threshold)).intoArray(out, outOff + i);
        }
        ScalarMethodKernels.keepLargeChangesTail(x, base, off, i, n, s, threshold, out, outOff);
    }
}
