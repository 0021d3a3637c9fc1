package dev.mergelab.lab.search;

/**
 * How many candidates of a batch run at once: as many as the memory budget holds (each evaluation holds its
 * virtual child), at most one per thread and one per candidate; the threads are shared out among them. With room
 * for one only, candidates run one after another with every thread each. Outcomes do not depend on the plan: a
 * merge and an evaluation give the same values for any thread count, and results are taken in step order.
 *
 * @param parallel   candidates evaluated at once
 * @param threadsEach threads each of them uses
 */
record Concurrency(int parallel, int threadsEach) {

    static Concurrency plan(int threads, int batch, long memoryBudget, long bytesPerCandidate) {
        long byMemory = bytesPerCandidate <= 0 ? Long.MAX_VALUE : Math.max(1, memoryBudget / bytesPerCandidate);
        int parallel = (int) Math.max(1, Math.min(Math.min(threads, batch), byMemory));
        return new Concurrency(parallel, Math.max(1, threads / parallel));
    }
}
