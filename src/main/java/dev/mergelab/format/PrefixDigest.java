package dev.mergelab.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The SHA-256 of a file that is written out of order by several threads, computed while it is written:
 * writers report each range they completed ({@link #written}); once the contiguous prefix [0, frontier)
 * has grown by {@value #STEP} bytes, the reporting thread digests it, reading it back from the page
 * cache. So the output manifest needs no second pass over the shards at the end of a merge (that pass
 * was single-threaded per shard, about 1.5 s per 2 GB), and hashing overlaps the merge.
 *
 * <p>State is the ranges written beyond the frontier, coalesced as they arrive. Only one thread digests
 * at a time; the others do not wait for it.
 */
final class PrefixDigest {

    /** Digest once the unhashed prefix reaches this size: big reads, and few lock handoffs. */
    static final long STEP = 16L << 20;
    private static final int READ = 1 << 20;

    private final FileChannel channel;
    private final long step;
    private final MessageDigest md;
    /** Written ranges beyond the frontier, start → end, never adjacent to each other. */
    private final TreeMap<Long, Long> ahead = new TreeMap<>();
    private long frontier;                 // [0, frontier) fully written; guarded by this
    private long hashed;                   // [0, hashed) digested; guarded by digesting
    private final ReentrantLock digesting = new ReentrantLock();
    private final byte[] chunk = new byte[READ];

    PrefixDigest(FileChannel channel) {
        this(channel, STEP);
    }

    /** With a digest step of {@code step} bytes (tests use small ones to exercise the incremental path). */
    PrefixDigest(FileChannel channel, long step) {
        this.channel = channel;
        this.step = step;
        try {
            this.md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    /** Records that [start, end) is written; may then digest the grown prefix on this thread. */
    void written(long start, long end) throws IOException {
        if (start >= end) {
            return;
        }
        long ready;
        synchronized (this) {
            add(start, end);
            ready = frontier;
        }
        if (ready - hashedSnapshot() >= step && digesting.tryLock()) {
            try {
                digestTo(ready);
            } finally {
                digesting.unlock();
            }
        }
    }

    private void add(long start, long end) {
        Map.Entry<Long, Long> before = ahead.floorEntry(start);
        if (before != null && before.getValue() == start) {
            start = before.getKey();
            ahead.remove(start);
        }
        Long after = ahead.remove(end);
        if (after != null) {
            end = after;
        }
        if (start == frontier) {
            frontier = end;
        } else {
            ahead.put(start, end);
        }
    }

    private long hashedSnapshot() {
        // A racy read is fine: it only decides whether to try; digestTo re-reads under the lock.
        return hashed;
    }

    /**
     * The file's SHA-256 (hex) once all of [0, length) is written.
     *
     * @throws IllegalStateException when some byte below {@code length} was never reported written
     */
    String finish(long length) throws IOException {
        synchronized (this) {
            if (frontier != length || !ahead.isEmpty()) {
                throw new IllegalStateException("written prefix ends at " + frontier + " of " + length + " bytes");
            }
        }
        digesting.lock();
        try {
            digestTo(length);
            return HexFormat.of().formatHex(md.digest());
        } finally {
            digesting.unlock();
        }
    }

    private void digestTo(long end) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(chunk);
        while (hashed < end) {
            buf.clear().limit((int) Math.min(READ, end - hashed));
            int n = channel.read(buf, hashed);
            if (n <= 0) {
                throw new IOException("short read-back at byte " + hashed + " while hashing the output");
            }
            md.update(chunk, 0, n);
            hashed += n;
        }
    }
}
