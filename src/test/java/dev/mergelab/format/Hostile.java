package dev.mergelab.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mergelab.MergeLabException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

/** Builders for raw (possibly malformed) safetensors bytes and the assertion every hostile input must pass. */
final class Hostile {

    private Hostile() {
    }

    /** Per-thread allocation counter; HotSpot provides it, and the test fails loudly if it is missing. */
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Allocation allowed for rejecting a file: parser set-up plus a small multiple of what the file really holds. */
    static long allocationBound(long fileBytes) {
        return (16L << 20) + 8 * fileBytes;
    }

    /** 8-byte little-endian header length, the header bytes, then {@code dataBytes} zero bytes. */
    static byte[] file(byte[] header, int dataBytes) {
        return ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(header.length).put(header).array();
    }

    static byte[] file(String header, int dataBytes) {
        return file(utf8(header), dataBytes);
    }

    /** A header length field that lies: {@code declared} followed by {@code rest}. */
    static byte[] lyingLength(long declared, byte[] rest) {
        return ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN).putLong(declared).put(rest).array();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }

    /** One header entry; {@code nameJson} is inserted verbatim, so callers can put escapes in it. */
    static String entry(String nameJson, String dtype, String shape, long begin, long end) {
        return "\"" + nameJson + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    /** What rejecting an input cost. */
    record Outcome(MergeLabException error, long allocatedBytes, long nanos) {
    }

    /**
     * Runs {@code action} on a fresh thread bounded by {@code timeout} and asserts it throws a
     * {@link MergeLabException} of kind INPUT whose message is one line, names {@code where} and contains
     * {@code fragment}; that nothing else is thrown; and that the thread allocated at most {@code maxAlloc}.
     */
    static Outcome assertInputError(Runnable action, String where, String fragment, Duration timeout, long maxAlloc) {
        Outcome o = assertTimeoutPreemptively(timeout, () -> {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            long t0 = System.nanoTime();
            try {
                action.run();
            } catch (MergeLabException e) {
                return new Outcome(e, THREADS.getCurrentThreadAllocatedBytes() - before, System.nanoTime() - t0);
            } catch (Throwable t) {
                throw new AssertionError("expected a MergeLabException for " + where + " but got " + t, t);
            }
            return fail("expected a MergeLabException for " + where + " (" + fragment + ") but it was accepted");
        }, () -> "no answer within " + timeout + " for " + where);
        assertOneLineInput(o.error(), where, fragment);
        assertTrue(o.allocatedBytes() <= maxAlloc,
                () -> "rejecting " + where + " allocated " + o.allocatedBytes() + " bytes, bound " + maxAlloc);
        return o;
    }

    /** Opening {@code file} must fail with a one-line INPUT error containing {@code fragment}. */
    static Outcome assertRejected(Path file, String fragment, long fileBytes) {
        return assertInputError(() -> {
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                f.tensors();
            }
        }, file.toString(), fragment, Duration.ofSeconds(10), allocationBound(fileBytes));
    }

    static void assertOneLineInput(MergeLabException e, String where, String fragment) {
        assertEquals(MergeLabException.Kind.INPUT, e.kind(), e::getMessage);
        assertEquals(2, e.kind().exitCode);
        String m = e.getMessage();
        assertFalse(m.contains("\n") || m.contains("\r") || m.contains("\u2028") || m.contains("\u2029"),
                () -> "message is not one line: " + m);
        assertTrue(m.startsWith(where), () -> "message does not start with the file name " + where + ": " + m);
        assertTrue(m.contains(fragment), () -> "message lacks '" + fragment + "': " + m);
        assertTrue(m.length() < 1000, () -> "message is " + m.length() + " characters long");
        assertFalse(e.oneLine().contains("\n"));
    }

    /** Either way the test is told: used by properties, where acceptance is allowed. */
    static void openOrInput(Path file, Consumer<SafetensorsFile> ifOpened, Consumer<MergeLabException> ifRefused) {
        SafetensorsFile f;
        try {
            f = SafetensorsFile.open(file);
        } catch (MergeLabException e) {
            assertOneLineInput(e, file.toString(), "");
            ifRefused.accept(e);
            return;
        }
        try (f) {
            ifOpened.accept(f);
        }
    }
}
