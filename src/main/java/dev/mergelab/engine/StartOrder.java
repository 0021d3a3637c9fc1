package dev.mergelab.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The order in which the executor starts a plan's jobs: the plan's (file) order, except that jobs much
 * larger than the typical one ({@value #HOIST_FACTOR}× the median output size or more) start first,
 * largest first. Without that, a big tensor late in the file (a Llama's {@code lm_head}, 6% of a 1B
 * model) runs alone at the very end while the other workers sit idle. Only the outliers move: the
 * output digest advances over the written prefix of each shard ({@code PrefixDigest}), so keeping the
 * rest in file order keeps that hashing spread over the merge instead of piling up at its end.
 */
final class StartOrder {

    static final int HOIST_FACTOR = 4;

    private StartOrder() {
    }

    static List<TensorJob> of(List<TensorJob> jobs) {
        if (jobs.size() < 3) {
            return jobs;
        }
        long[] sizes = jobs.stream().mapToLong(TensorJob::outNumel).sorted().toArray();
        long median = sizes[sizes.length / 2];
        long bar = Math.max(1, median) * HOIST_FACTOR;
        List<TensorJob> order = new ArrayList<>(jobs.size());
        jobs.stream().filter(j -> j.outNumel() >= bar)
                .sorted(Comparator.comparingLong(TensorJob::outNumel).reversed())   // stable: ties keep file order
                .forEach(order::add);
        jobs.stream().filter(j -> j.outNumel() < bar).forEach(order::add);
        return order;
    }
}
