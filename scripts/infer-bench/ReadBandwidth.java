import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Memory read bandwidth of this machine, the floor of token generation (a decode step reads every weight
 * once): THREADS threads each sum their part of a SIZE_GB buffer with vector loads; best of five passes.
 * Run: java --add-modules jdk.incubator.vector scripts/infer-bench/ReadBandwidth.java [SIZE_GB] [THREADS]
 */
public class ReadBandwidth {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    public static void main(String[] args) throws Exception {
        double gb = args.length > 0 ? Double.parseDouble(args[0]) : 2;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        long bytes = (long) (gb * 1e9) / (64L * threads) * 64L * threads;
        MemorySegment m = Arena.global().allocate(bytes, 64);
        m.fill((byte) 1);
        double best = 0;
        for (int pass = 0; pass < 5; pass++) {
            Thread[] ts = new Thread[threads];
            long part = bytes / threads;
            long t0 = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                long from = t * part;
                ts[t] = new Thread(() -> sink(sum(m, from, part)));
                ts[t].start();
            }
            for (Thread t : ts) {
                t.join();
            }
            double s = (System.nanoTime() - t0) / 1e9;
            best = Math.max(best, bytes / s / 1e9);
        }
        System.out.printf("{\"read_gb_per_s\": %.2f, \"threads\": %d, \"buffer_gb\": %.2f}%n", best, threads, bytes / 1e9);
    }

    static volatile float blackhole;

    static void sink(float v) {
        blackhole = v;
    }

    static float sum(MemorySegment m, long from, long len) {
        FloatVector a = FloatVector.zero(F), b = a, c = a, d = a;
        long step = F.vectorByteSize();
        for (long p = from; p + 4 * step <= from + len; p += 4 * step) {
            a = a.add(FloatVector.fromMemorySegment(F, m, p, ByteOrder.LITTLE_ENDIAN));
            b = b.add(FloatVector.fromMemorySegment(F, m, p + step, ByteOrder.LITTLE_ENDIAN));
            c = c.add(FloatVector.fromMemorySegment(F, m, p + 2 * step, ByteOrder.LITTLE_ENDIAN));
            d = d.add(FloatVector.fromMemorySegment(F, m, p + 3 * step, ByteOrder.LITTLE_ENDIAN));
        }
        return a.add(b).add(c).add(d).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }
}
