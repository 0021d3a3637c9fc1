package dev.mergelab.export;

import dev.mergelab.model.TensorRef;
import dev.mergelab.model.WeightSource;
import java.util.List;

/**
 * The float32 rows of one exported tensor, read in chunks so that no tensor is ever held whole: a source
 * tensor as stored, with the converter's transformations applied row by row (q/k head permutation, a constant
 * added), experts stacked, or values computed by the exporter (rope_freqs).
 */
interface RowSource {

    long rows();

    int rowLength();

    /** Rows {@code [first, first + n)} into {@code dst[off..]}. */
    void read(long first, int n, float[] dst, int off);

    /** Drops what reading held (a tensor merged on first read); a later read opens it again. */
    default void release() {
    }

    /**
     * An input tensor's rows as they are ({@code shape[-1]} is the row; a 1-D tensor is one row), read from
     * {@code weights} when first needed and held until {@link #release}, so only tensors being converted are kept.
     */
    static RowSource of(GgufInput.Tensor t, WeightSource weights) {
        long[] shape = t.shape();
        int len = shape.length == 0 ? 1 : Math.toIntExact(shape[shape.length - 1]);
        long rows = 1;
        for (int i = 0; i < shape.length - 1; i++) {
            rows *= shape[i];
        }
        long n = rows;
        return new RowSource() {
            private TensorRef ref;

            private synchronized TensorRef ref() {
                if (ref == null) {
                    TensorRef r = weights.tensor(t.name());
                    if (r == null || !java.util.Arrays.equals(r.shape(), shape)) {
                        throw new IllegalStateException(weights.displayName() + ": tensor " + t.name()
                                + (r == null ? " is missing" : " changed shape"));
                    }
                    ref = r;
                }
                return ref;
            }

            public long rows() {
                return n;
            }

            public int rowLength() {
                return len;
            }

            public void read(long first, int count, float[] dst, int off) {
                ref().decodeRows(first, count, dst, off);
            }

            public synchronized void release() {
                ref = null;
            }
        };
    }

    /** Values held in memory (small tensors the exporter computes), as one row. */
    static RowSource ofValues(float[] v) {
        return new RowSource() {
            public long rows() {
                return 1;
            }

            public int rowLength() {
                return v.length;
            }

            public void read(long first, int n, float[] dst, int off) {
                System.arraycopy(v, 0, dst, off, v.length);
            }
        };
    }

    /**
     * LlamaModel.permute: the outer axis viewed as (heads, 2, half) is read as (heads, half, 2), turning
     * rotate-half pairs into neighbours. For a 2-D weight the rows move; for a 1-D bias its elements do.
     */
    static RowSource permuted(RowSource s, int heads) {
        boolean vector = s.rows() == 1;
        long outer = vector ? s.rowLength() : s.rows();
        if (heads <= 0 || outer % (2L * heads) != 0) {
            throw new IllegalArgumentException(outer + " rows are not " + heads + " heads of pairs");
        }
        long half = outer / heads / 2;
        java.util.function.LongUnaryOperator from = r -> {
            long h = r / (2 * half), rem = r % (2 * half);
            return h * 2 * half + (rem % 2) * half + rem / 2;
        };
        if (vector) {
            return new RowSource() {
                public long rows() {
                    return 1;
                }

                public int rowLength() {
                    return s.rowLength();
                }

                public void read(long first, int n, float[] dst, int off) {
                    float[] v = new float[s.rowLength()];
                    s.read(0, 1, v, 0);
                    for (int i = 0; i < v.length; i++) {
                        dst[off + i] = v[(int) from.applyAsLong(i)];
                    }
                }
            };
        }
        return new RowSource() {
            public long rows() {
                return s.rows();
            }

            public int rowLength() {
                return s.rowLength();
            }

            public void release() {
                s.release();
            }

            public void read(long first, int n, float[] dst, int off) {
                int len = s.rowLength();
                for (int i = 0; i < n; i++) {
                    s.read(from.applyAsLong(first + i), 1, dst, off + i * len);
                }
            }
        };
    }

    /** {@code x + 1}, rounded to float16 after the addition when {@code inHalf} (torch adds F16 tensors in F16). */
    static RowSource plusOne(RowSource s, boolean inHalf) {
        return new RowSource() {
            public long rows() {
                return s.rows();
            }

            public int rowLength() {
                return s.rowLength();
            }

            public void release() {
                s.release();
            }

            public void read(long first, int n, float[] dst, int off) {
                s.read(first, n, dst, off);
                for (int i = off; i < off + n * s.rowLength(); i++) {
                    float v = dst[i] + 1;
                    dst[i] = inHalf ? dev.mergelab.tensor.Codecs.f16ToFloat(dev.mergelab.tensor.Codecs.floatToF16(v)) : v;
                }
            }
        };
    }

    /** The first {@code n} rows of {@code s} (all of them when it has fewer): {@code tensor[:n]}. */
    static RowSource firstRows(RowSource s, long n) {
        long rows = Math.min(s.rows(), n);
        return new RowSource() {
            public long rows() {
                return rows;
            }

            public int rowLength() {
                return s.rowLength();
            }

            public void release() {
                s.release();
            }

            public void read(long first, int count, float[] dst, int off) {
                s.read(first, count, dst, off);
            }
        };
    }

    /** torch.stack(experts, dim=0): the experts' rows one after another. */
    static RowSource stacked(List<RowSource> experts) {
        long per = experts.get(0).rows();
        int len = experts.get(0).rowLength();
        for (RowSource e : experts) {
            if (e.rows() != per || e.rowLength() != len) {
                throw new IllegalArgumentException("experts of different shapes");
            }
        }
        return new RowSource() {
            public long rows() {
                return per * experts.size();
            }

            public int rowLength() {
                return len;
            }

            public void release() {
                experts.forEach(RowSource::release);
            }

            public void read(long first, int n, float[] dst, int off) {
                int done = 0;
                while (done < n) {
                    long r = first + done;
                    int x = (int) (r / per);
                    long inner = r % per;
                    int take = (int) Math.min(n - done, per - inner);
                    experts.get(x).read(inner, take, dst, off + done * len);
                    done += take;
                }
            }
        };
    }
}
