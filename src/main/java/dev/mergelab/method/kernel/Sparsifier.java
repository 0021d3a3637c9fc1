package dev.mergelab.method.kernel;

import dev.mergelab.tensor.FloatKernels;
import dev.mergelab.tensor.Shape;

/**
 * One task vector's sparsification (METHODS.md §4) in the chunked form: {@link #passes()} statistics
 * passes over the task vector's chunks in row order ({@link #observe}, {@link #endPass}), then
 * {@link #apply} turns each chunk into its sparsified, rescaled values. Chunks are given by the flat
 * position of their first element and are row-aligned. State is O(histograms) plus, for a rescaled
 * random mask, one bit per position up to {@link KeepBits#MAX_POSITIONS}; {@link #stateBytes} says how
 * much.
 *
 * <p>Per-primitive passes: magnitude and magnitude_outliers need 2 (radix selection of the cut
 * points; 1 when the cut buckets guessed from the first chunk hold, see {@link RadixSelect#guess}) plus
 * 1 when rescaling (the norm of the kept entries needs the cut); bernoulli and della need 1 when
 * rescaling (their masks are functions of position and, for della, of the lane's values, so both
 * norms come from one pass, which also records the mask for {@link #apply}) and 0 otherwise.
 *
 * <p>Threads: a pass after its first chunk can be shared out through {@link #observer}s (selection
 * counts add exactly; rescale norms are kept per chunk and folded in position order), and the apply
 * pass through {@link #applier}s. What stays on one thread: the rescale pass of a random mask whose
 * chunks are not whole words of the remembered bits, and top-k/breadcrumbs whose cut has a partial tie
 * that the guess did not resolve (the quota then goes to tied elements in index order as they come).
 */
public abstract class Sparsifier {

    /**
     * Statistics passes this sparsifier needs before {@link #apply}. May drop after an {@link #endPass}
     * (a pass found unnecessary), so drivers read it before each pass.
     */
    public abstract int passes();

    /** Statistics pass {@code pass} over {@code x[0..n)}, the elements at positions [start, start+n); may overwrite x. */
    public void observe(int pass, long start, float[] x, int n) {
    }

    public void endPass(int pass) {
    }

    /** Heap this sparsifier keeps from its statistics passes to {@link #apply}, beyond O(chunk) scratch. */
    public long stateBytes() {
        return 0;
    }

    /** In place: {@code x[0..n)}, the elements at positions [start, start+n), become the sparsified values. */
    public abstract void apply(long start, float[] x, int n);

    /**
     * After the statistics passes: a sparsifier whose {@link #apply} gives this one's values for any
     * chunk, in any order, safe to use on another thread beside this one; or null (the default) when
     * apply must see the chunks in position order.
     */
    public Sparsifier applier() {
        return null;
    }

    /**
     * For statistics pass {@code pass}, after this sparsifier observed the pass's first chunk (position
     * 0): a sparsifier that observes other chunks of the same pass, in any order and on another thread,
     * into statistics of its own, which {@link #absorb} then adds to this one's exactly (so the result
     * does not depend on how the chunks were shared); or null (the default) when the pass must see the
     * chunks in position order on one thread.
     */
    public Sparsifier observer(int pass) {
        return null;
    }

    /** Adds what an {@link #observer} of pass {@code pass} gathered, before {@link #endPass}; in any order. */
    public void absorb(int pass, Sparsifier observer) {
        throw new IllegalStateException(getClass().getSimpleName() + " hands out no observers");
    }

    /** k = int(density·n) as the spec pins it: the double product truncated toward zero. */
    public static long keepCount(double density, long n) {
        return (long) (density * (double) n);
    }

    /** density ≥ 1: the task vector unchanged (and not rescaled). */
    public static Sparsifier identity() {
        return Identity.INSTANCE;
    }

    /** §4.1: keep the k = int(density·n) largest |x|, then rescale. k = 0 gives zeros. */
    public static Sparsifier magnitude(long n, double density, Norm rescale) {
        if (density >= 1) {
            return identity();
        }
        return new RankWindow(n, 0, Math.max(0, keepCount(density, n)), rescale);
    }

    /**
     * §4.3 with MergeLab's n_top = 0 rule: drop the n_top largest |x| and keep the next target =
     * int(density·n), i.e. the ascending ranks [n_bot, n − n_top). When int(γ·n) = 0 no top outliers are
     * removed (upstream would drop everything there; METHODS.md §2.6).
     */
    public static Sparsifier magnitudeOutliers(long n, double density, double gamma, Norm rescale) {
        if (density >= 1) {
            return identity();
        }
        long target = Math.max(0, keepCount(density, n));
        long nTop = Math.max(0, keepCount(gamma, n));
        long nBot = n - target - nTop;
        if (nBot < 0) {
            nTop += nBot;
        }
        return new RankWindow(n, nTop, target, rescale);
    }

    /**
     * §4.2: keep each element with probability density (a draw keyed by its position), then rescale. The
     * tensor has {@code positions} elements (the size of the mask remembered between passes).
     */
    public static Sparsifier bernoulli(long positions, long randomKey, double density, Norm rescale) {
        if (density >= 1) {
            return identity();
        }
        return new Bernoulli(positions, randomKey, density, rescale, false);
    }

    /** PEFT {@code random_pruning}: Bernoulli(density) then, if asked, exactly ÷density per element. */
    public static Sparsifier bernoulliDivide(long randomKey, double density, boolean divide) {
        if (density >= 1) {
            return identity();
        }
        return new Bernoulli(0, randomKey, density, null, divide);
    }

    /**
     * §4.4 della_magprune: within each lane along dim 1 (a 1-D tensor is one lane), the element of stable
     * ascending magnitude rank r (0-based) of C is kept with p = density − ε + 2ε·r/(C−1), so small
     * entries are dropped more often and the mean keep rate is density. C = 1 uses p = density (upstream
     * divides 0 by 0 there). Rescale uses whole-tensor norms. For rank ≥ 3 a lane spans several rows, so
     * every chunk must hold whole dim-0 slabs.
     */
    public static Sparsifier della(long[] shape, long randomKey, double density, double epsilon, Norm rescale) {
        if (density >= 1) {
            return identity();
        }
        return new Della(shape, randomKey, density, epsilon, rescale);
    }

    private static final class Identity extends Sparsifier {
        static final Identity INSTANCE = new Identity();

        @Override
        public int passes() {
            return 0;
        }

        @Override
        public void apply(long start, float[] x, int n) {
        }

        @Override
        public Sparsifier applier() {
            return this;   // stateless
        }
    }

    /**
     * Keeps the descending magnitude ranks [skip, skip + keep): inside the top (skip + keep) and outside
     * the top skip, both by the cut rule (magnitude descending, ties by ascending index). Its passes:
     * the high-bit histogram, the low bits of the cut buckets (skipped when the guess from the first
     * chunk holds them, see {@link RadixSelect#guess}), then the rescale norms if rescaling.
     */
    private static final class RankWindow extends Sparsifier {
        /** Tensors from this size guess the cut buckets (below it the guessed histograms cost more than a pass). */
        private static final long GUESS_FROM = 1 << 20;

        private final long n;
        private final long skip;
        private final long keep;
        private final ChunkNorms rescale;
        private final RadixSelect select;
        private boolean lowPass = true;   // whether the low-bit pass runs (known after pass 0)
        private boolean partial;          // an observer: counts chunks after the first, never guesses
        private int[] keys = new int[0];
        private MagnitudeCut outer;   // top skip + keep
        private MagnitudeCut inner;   // top skip (null when skip = 0)
        private final long[] ties = new long[2];   // tie quotas left in this pass: outer, inner
        private float factor = 1f;
        /**
         * Whether chunks can be masked in any order: each cut keeps all or none of the elements at its
         * key, or the select knows how many of them come before each chunk ({@link RadixSelect#tiedBefore}).
         */
        private boolean orderFree;
        /** Whether a chunk's tie quotas are what is left of the cuts' after the ties in the chunks before it. */
        private boolean quotaByChunk;

        RankWindow(long n, long skip, long keep, Norm rescale) {
            this(n, skip, keep, rescale == null ? null : new ChunkNorms(rescale), new RadixSelect());
        }

        private RankWindow(long n, long skip, long keep, ChunkNorms rescale, RadixSelect select) {
            this.n = n;
            this.skip = skip;
            this.keep = keep;
            this.rescale = rescale;
            this.select = select;
        }

        @Override
        public int passes() {
            return (lowPass ? 2 : 1) + (rescale == null ? 0 : 1);
        }

        @Override
        public long stateBytes() {
            return RadixSelect.stateBytes(skip == 0 ? 1 : 2, guesses());
        }

        private boolean guesses() {
            return n >= GUESS_FROM && n < Integer.MAX_VALUE;
        }

        /** Pass 0 counts high bits, then the low-bit pass if it runs, then the rescale pass. */
        private boolean isLowPass(int pass) {
            return pass == 1 && lowPass;
        }

        /**
         * The selection passes share out: an observer counts into a partial of the select (the counts
         * add exactly). So does the rescale pass when the cuts need no index order (as for
         * {@link #applier}): an observer masks with its own tie quotas and keeps its chunks' norms.
         */
        @Override
        public Sparsifier observer(int pass) {
            boolean selecting = pass == 0 || isLowPass(pass);
            if (!selecting && !orderFree) {
                return null;
            }
            RankWindow o = new RankWindow(n, skip, keep, selecting ? rescale : rescale.fresh(),
                    selecting ? select.partial() : select);
            o.lowPass = lowPass;
            o.partial = true;
            o.outer = outer;
            o.inner = inner;
            o.orderFree = orderFree;
            o.quotaByChunk = quotaByChunk;
            o.ties[0] = outer == null ? 0 : outer.ties();
            o.ties[1] = inner == null ? 0 : inner.ties();
            return o;
        }

        @Override
        public void absorb(int pass, Sparsifier observer) {
            RankWindow o = (RankWindow) observer;
            if (pass == 0 || isLowPass(pass)) {
                select.add(o.select);
            } else {
                rescale.absorb(o.rescale);
            }
        }

        @Override
        public void observe(int pass, long start, float[] x, int n) {
            if (pass == 0) {
                select.chunkAt(start);
                select.countHigh(keys(x, n), n);
                if (start == 0 && guesses() && !partial) {
                    select.guess(keys, n, (double) (skip + keep) / this.n, (double) skip / this.n);
                }
            } else if (isLowPass(pass)) {
                select.countLow(keys(x, n), n);
            } else {
                double before = rescale.partial(x, n);
                mask(start, x, n, 1f);
                rescale.add(start, before, rescale.partial(x, n));
            }
        }

        private int[] keys(float[] x, int n) {
            if (keys.length < n) {
                keys = new int[n];
            }
            FloatKernels.magnitudeKeys(x, 0, keys, 0, n);
            return keys;
        }

        @Override
        public void endPass(int pass) {
            if (pass == 0) {
                lowPass = select.resolve(skip + keep, skip);
                if (!lowPass) {
                    takeCuts();
                }
            } else if (isLowPass(pass)) {
                takeCuts();
            } else {
                factor = rescale.factor();
            }
            ties[0] = outer == null ? 0 : outer.ties();
            ties[1] = inner == null ? 0 : inner.ties();
        }

        private void takeCuts() {
            outer = select.cut(0);
            inner = skip == 0 ? null : select.cut(1);
            boolean allOrNone = (outer.ties() == 0 || outer.ties() == select.tiedAt(0))
                    && (inner == null || inner.ties() == 0 || inner.ties() == select.tiedAt(1));
            // A partial tie (common in bf16 task vectors): the quota goes to the first tied elements in
            // index order, which a chunk can still apply alone if it knows how many came before it.
            quotaByChunk = !allOrNone && select.knowsTiesBefore();
            orderFree = allOrNone || quotaByChunk;
            keys = null;
        }

        /**
         * When every element at a cut key is kept, or none is, the tie quotas cannot run out early, so a
         * copy with its own quotas masks any chunk as this one does; with a partial tie, a copy that
         * starts each chunk with the quota left after the ties before it ({@link #quotaByChunk}) does
         * too. Otherwise (the ties before a chunk unknown) the quota must be spent in index order: null.
         */
        @Override
        public Sparsifier applier() {
            if (!orderFree) {
                return null;
            }
            RankWindow copy = new RankWindow(n, skip, keep, null, select);
            copy.lowPass = lowPass;
            copy.outer = outer;
            copy.inner = inner;
            copy.factor = factor;
            copy.orderFree = true;
            copy.quotaByChunk = quotaByChunk;
            copy.ties[0] = ties[0];
            copy.ties[1] = ties[1];
            return copy;
        }

        @Override
        public void apply(long start, float[] x, int n) {
            mask(start, x, n, factor);
        }

        /**
         * Zeroes the dropped entries and scales the kept ones by the cuts' rule (key above the threshold,
         * or equal to it while the tie quota lasts, in index order), like {@link MagnitudeCut.Cursor}.
         */
        private void mask(long start, float[] x, int n, float scale) {
            if (quotaByChunk) {
                ties[0] = outer.ties() == 0 ? 0 : Math.max(0, outer.ties() - select.tiedBefore(0, start));
                ties[1] = inner == null || inner.ties() == 0 ? 0 : Math.max(0, inner.ties() - select.tiedBefore(1, start));
            }
            int outerKey = outer.key();
            int innerKey = inner == null ? Integer.MAX_VALUE : inner.key();
            MethodKernels.magnitudeWindow(x, n, outerKey, innerKey, ties, scale);
        }
    }

    /**
     * The random sparsifiers' shared shape: a keep mask that is a pure function of position (and, for
     * della, of the chunk's values), drawn in the statistics pass when rescaling and remembered in
     * {@link KeepBits} for the combine pass, or drawn again there when the tensor is too large to
     * remember (or there is no statistics pass).
     */
    private abstract static class PositionMask extends Sparsifier {
        private final ChunkNorms rescale;
        final Norm norm;
        final long positions;
        private KeepBits remembered;
        private int[] keep = new int[0];
        /** Elements in the pass's first chunk: every chunk but the last has as many. */
        private int firstChunk;
        /** An observer: it shares the remembered bits with the sparsifier that made it. */
        private boolean observing;
        float factor = 1f;

        PositionMask(long positions, Norm rescale) {
            this.positions = positions;
            this.norm = rescale;
            this.rescale = rescale == null ? null : new ChunkNorms(rescale);
        }

        /** {@code keep[0..n)} = −1 where position start + j is kept, else 0; x holds the chunk's values. */
        abstract void keepMask(long start, float[] x, int n, int[] keep);

        /** Scales the kept values after masking (factor is the rescale's, 1 without one). */
        abstract void finish(float[] x, int n);

        /** A sparsifier drawing the same masks with scratch of its own (the draws are functions of position). */
        abstract PositionMask sibling();

        @Override
        public final int passes() {
            return rescale == null ? 0 : 1;
        }

        @Override
        public final long stateBytes() {
            return rescale == null ? 0 : KeepBits.bytesFor(positions);
        }

        @Override
        public final void observe(int pass, long start, float[] x, int n) {
            if (remembered == null && start == 0) {
                remembered = KeepBits.forPositions(positions);
                firstChunk = n;
            }
            // An observer shares the remembered bits: chunks must not share a word of them.
            if (remembered != null && observing && (start & 63) != 0) {
                throw new IllegalStateException("chunk at " + start + " does not start a word of the remembered mask");
            }
            double before = rescale.partial(x, n);
            int[] k = mask(start, x, n);
            if (remembered != null) {
                remembered.record(start, k, n);
            }
            rescale.add(start, before, rescale.partial(x, n));
        }

        /**
         * The rescale pass shares out: an observer draws the masks of its chunks into the remembered bits
         * (whole words of them, when the chunks are a multiple of 64 positions long) and keeps its
         * chunks' norms, which are folded in position order.
         */
        @Override
        public final Sparsifier observer(int pass) {
            if (remembered != null && (firstChunk & 63) != 0) {
                return null;   // neighbouring chunks would write the same word of the bits
            }
            PositionMask o = sibling();
            o.remembered = remembered;
            o.firstChunk = firstChunk;
            o.observing = true;
            return o;
        }

        @Override
        public final void absorb(int pass, Sparsifier observer) {
            rescale.absorb(((PositionMask) observer).rescale);
        }

        @Override
        public final void endPass(int pass) {
            factor = rescale.factor();
        }

        /** After the pass: the same masks (remembered, or drawn again) and factor, with scratch of its own. */
        @Override
        public final Sparsifier applier() {
            PositionMask a = sibling();
            a.remembered = remembered;
            a.factor = factor;
            return a;
        }

        @Override
        public final void apply(long start, float[] x, int n) {
            if (remembered != null) {
                remembered.apply(start, x, n);
            } else {
                mask(start, x, n);
            }
            finish(x, n);
        }

        private int[] mask(long start, float[] x, int n) {
            if (keep.length < n) {
                keep = new int[n];
            }
            keepMask(start, x, n, keep);
            MethodKernels.zeroDropped(x, keep, n);
            return keep;
        }
    }

    /**
     * Bernoulli(density): position j is kept when its 32-bit {@link PositionRandom#word} is below
     * ⌈density·2^32⌉ ({@link PositionRandom#threshold32}), i.e. when u = word·2^-32 &lt; density.
     */
    private static final class Bernoulli extends PositionMask {
        private final long key;
        private final double density;
        private final boolean divide;
        private final int threshold;
        private final float divisor;

        Bernoulli(long positions, long key, double density, Norm rescale, boolean divide) {
            super(positions, rescale);
            this.key = key;
            this.density = density;
            this.divide = divide;
            this.threshold = PositionRandom.threshold32(density);
            this.divisor = divide ? (float) density : 1f;
        }

        @Override
        PositionMask sibling() {
            return new Bernoulli(positions, key, density, norm, divide);
        }

        @Override
        void keepMask(long start, float[] x, int n, int[] keep) {
            MethodKernels.keepWordsBelow(key, start, threshold, keep, n);
        }

        @Override
        void finish(float[] x, int n) {
            if (divisor != 1f) {
                for (int j = 0; j < n; j++) {
                    x[j] /= divisor;
                }
            }
            if (factor != 1f) {
                FloatKernels.scale(factor, x, 0, n);
            }
        }
    }

    /**
     * della_magprune's mask: element of stable ascending magnitude rank r in its lane is kept when its
     * uniform draw u = w·2^-32 (w its 32-bit {@link PositionRandom#word}) is below
     * p(r) = density − ε + r·2ε/(C−1). As u &lt; p exactly when w &lt; ⌈p·2^32⌉
     * ({@link PositionRandom#threshold32}), the C integer thresholds are computed once per tensor, and
     * {@link RankedKeep} compares each draw with its rank's threshold, ranking only the elements whose
     * draw the rank can still change. 32 bits resolve p to 2^-32, far below anything a statistic of the
     * mask can see, and one 64-bit hash serves two elements.
     */
    private static final class Della extends PositionMask {
        private final long[] shape;
        private final double epsilon;
        private final long key;
        private final double density;
        private final int laneLength;   // C
        private final int inner;        // stride of a lane: the product of the dims after dim 1
        private final RankedKeep lanes;
        private int[] words = new int[0];   // the chunk's draws

        Della(long[] shape, long key, double density, double epsilon, Norm rescale) {
            super(Shape.numel(shape), rescale);
            this.shape = shape.clone();
            this.epsilon = epsilon;
            this.key = key;
            this.density = density;
            long c;
            long in = 1;
            if (shape.length <= 1) {
                c = shape.length == 0 ? 1 : shape[0];
            } else {
                c = shape[1];
                for (int d = 2; d < shape.length; d++) {
                    in *= shape[d];
                }
            }
            this.laneLength = Math.toIntExact(c);
            this.inner = Math.toIntExact(in);
            double lowP = density - epsilon;
            double span = c > 1 ? 2 * epsilon / (c - 1) : 0;
            int[] thresholds = new int[laneLength];   // by rank
            for (int r = 0; r < laneLength; r++) {
                thresholds[r] = PositionRandom.threshold32(c > 1 ? lowP + span * r : density);
            }
            this.lanes = new RankedKeep(thresholds);
        }

        @Override
        PositionMask sibling() {
            return new Della(shape, key, density, epsilon, norm);
        }

        @Override
        void keepMask(long start, float[] x, int n, int[] keep) {
            int c = laneLength;
            if (density <= 0 || c == 0) {
                java.util.Arrays.fill(keep, 0, n, 0);
                return;
            }
            if (words.length < n) {
                words = new int[n];
            }
            PositionRandom.words(key, start, words, n);
            for (int s = 0; s < n; s += c * inner) {
                for (int i = 0; i < inner; i++) {
                    lanes.keep(x, s + i, inner, words, keep);
                }
            }
        }

        @Override
        void finish(float[] x, int n) {
            if (factor != 1f) {
                FloatKernels.scale(factor, x, 0, n);
            }
        }
    }

    /**
     * A rescale pass's norms: each chunk's partials of x and of the masked y, kept by the chunk's first
     * position and folded into a {@link Rescale} in position order at the end of the pass, exactly the
     * sums of a one-thread pass (which folds them in that order as they come), however the chunks were
     * shared among observers.
     */
    private static final class ChunkNorms {
        private final Norm norm;
        private final java.util.TreeMap<Long, double[]> byStart = new java.util.TreeMap<>();

        ChunkNorms(Norm norm) {
            this.norm = norm;
        }

        /** Empty norms of the same kind, for an observer. */
        ChunkNorms fresh() {
            return new ChunkNorms(norm);
        }

        double partial(float[] x, int n) {
            return norm.partial(x, n);
        }

        void add(long start, double before, double after) {
            if (byStart.put(start, new double[] {before, after}) != null) {
                throw new IllegalStateException("chunk at " + start + " observed twice");
            }
        }

        void absorb(ChunkNorms other) {
            for (var e : other.byStart.entrySet()) {
                add(e.getKey(), e.getValue()[0], e.getValue()[1]);
            }
        }

        /** N(x)/N(y) over every chunk added, folded in position order. */
        float factor() {
            Rescale r = new Rescale(norm);
            for (double[] p : byStart.values()) {
                r.addPartials(p[0], p[1]);
            }
            byStart.clear();
            return r.factor();
        }
    }
}
