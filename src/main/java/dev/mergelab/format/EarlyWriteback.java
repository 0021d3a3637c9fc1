package dev.mergelab.format;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Starts writing a file's dirty pages to disk while it is still being written, for outputs that will be
 * fsynced. Linux holds dirty pages until about 10% of memory is dirty or 30 s have passed, so a merge
 * that writes a few GB in 20 s otherwise finds almost all of it unwritten at its final fsync and waits
 * there for the whole disk write (about 7 s per 2 GB here) after the computing is done. Flushing every
 * {@value #STEP_MIB} MiB from a background thread overlaps the disk with the merge instead.
 *
 * <p>At most one flush per file is in flight; writers never wait for it. {@link #finish} waits for the
 * last one and reports a failed flush (the caller's final fsync would report it too).
 */
final class EarlyWriteback {

    static final int STEP_MIB = 64;
    private static final long STEP = (long) STEP_MIB << 20;
    private static final ExecutorService FLUSHER = dev.mergelab.Workers.pool(1, "early-writeback");

    private final FileChannel channel;
    private final long step;
    private final AtomicLong unflushed = new AtomicLong();
    private final AtomicLong flushes = new AtomicLong();
    private Future<?> inFlight;   // guarded by this

    EarlyWriteback(FileChannel channel) {
        this(channel, STEP);
    }

    /** With a flush step of {@code step} bytes (tests use small ones). */
    EarlyWriteback(FileChannel channel, long step) {
        this.channel = channel;
        this.step = step;
    }

    /** Flushes started so far. */
    long flushes() {
        return flushes.get();
    }

    /** Records n more bytes written; starts a flush once a step has accumulated and none is running. */
    void wrote(long n) {
        if (unflushed.addAndGet(n) < step) {
            return;
        }
        synchronized (this) {
            if (inFlight != null && !inFlight.isDone() || unflushed.get() < step) {
                return;
            }
            unflushed.set(0);
            flushes.incrementAndGet();
            inFlight = FLUSHER.submit(() -> {
                channel.force(false);
                return null;
            });
        }
    }

    /** Waits for the flush in flight, if any. */
    synchronized void finish() throws IOException {
        if (inFlight == null) {
            return;
        }
        try {
            inFlight.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while flushing", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } finally {
            inFlight = null;
        }
    }
}
