package dev.mergelab;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one thread-pool policy: fixed pools of daemon threads named after their job. Daemon, so a pool a
 * failed command forgot to shut down never keeps the JVM alive; named, so a thread dump says what runs.
 */
public final class Workers {

    private Workers() {
    }

    /** A fixed pool of {@code max(1, threads)} daemon threads named {@code name-1, name-2, ...}. */
    public static ExecutorService pool(int threads, String name) {
        AtomicInteger count = new AtomicInteger();
        return Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, name + "-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * A work-stealing pool of {@code max(1, threads)} daemon threads named {@code name-1, name-2, ...}, for
     * fine-grained splits (the forward pass's rows and heads, parallel streams run inside it).
     */
    public static ForkJoinPool forkJoin(int threads, String name) {
        AtomicInteger count = new AtomicInteger();
        return new ForkJoinPool(Math.max(1, threads), pool -> {
            ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
            t.setName(name + "-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, null, false);
    }
}
