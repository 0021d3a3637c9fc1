package dev.mergelab.fuzz;

import dev.mergelab.MergeLabException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The property every parser of outside files must have, for any input: it either parses, or throws a
 * {@link MergeLabException} of kind INPUT whose message is one non-blank line. Any other throwable (a
 * RuntimeException, a StackOverflowError, an OutOfMemoryError) escapes to the caller, which is what makes
 * Jazzer report it as a finding and a regression replay fail. Allocation is measured per call on the calling
 * thread: more than {@link #allocationBound} for an input means some length or count in the input was
 * believed and allocated for, which is a finding too (checked twice, so one-time class loading and Jazzer's
 * instrumentation, which allocate on the same thread, do not count). An input taking longer than
 * {@link #SLOW_NANOS} is a finding; a true hang is reported by libFuzzer's own timeout. (A JUnit
 * {@code @Timeout} cannot be used: in fuzzing mode it applies to the whole fuzzing run.)
 */
public final class FuzzProperty {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private FuzzProperty() {
    }

    /** An action that may throw checked exceptions (they count as findings). */
    public interface Action {
        void run() throws Exception;
    }

    /** Parser set-up plus a small multiple of what the input really holds. */
    public static long allocationBound(long inputBytes) {
        return (64L << 20) + 64 * inputBytes;
    }

    /**
     * Runs {@code action} on {@code inputBytes} of input. Returns true if it accepted the input, false if
     * it refused it properly; throws (AssertionError or whatever escaped) otherwise.
     */
    public static boolean acceptedOrInputError(String what, long inputBytes, Action action) {
        long[] cost = new long[2];
        boolean accepted = once(what, inputBytes, action, cost);
        if (cost[0] > allocationBound(inputBytes)) {
            once(what, inputBytes, action, cost); // again, with every class already loaded and instrumented
            if (cost[0] > allocationBound(inputBytes)) {
                throw new AssertionError(what + ": handling a " + inputBytes + "-byte input allocated " + cost[0]
                        + " bytes (bound " + allocationBound(inputBytes) + "): a claimed size was trusted");
            }
        }
        if (cost[1] > SLOW_NANOS) {
            throw new AssertionError(what + ": handling a " + inputBytes + "-byte input took " + cost[1] / 1_000_000 + " ms");
        }
        return accepted;
    }

    /** Far above any input a fuzzer makes (a few KB) being parsed on a loaded machine. */
    public static final long SLOW_NANOS = 10_000_000_000L;

    private static boolean once(String what, long inputBytes, Action action, long[] cost) {
        long before = THREADS.getCurrentThreadAllocatedBytes();
        long t0 = System.nanoTime();
        boolean accepted;
        try {
            action.run();
            accepted = true;
        } catch (MergeLabException e) {
            checkInputError(e, what);
            accepted = false;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError(what + ": checked exception escaped the parser: " + e, e);
        }
        cost[0] = THREADS.getCurrentThreadAllocatedBytes() - before;
        cost[1] = System.nanoTime() - t0;
        return accepted;
    }

    /** Kind INPUT, a message that is one non-blank line of sane length, and the CLI line is one line too. */
    public static void checkInputError(MergeLabException e, String what) {
        if (e.kind() != MergeLabException.Kind.INPUT) {
            throw new AssertionError(what + ": expected kind INPUT, got " + e.kind() + ": " + e.getMessage(), e);
        }
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            throw new AssertionError(what + ": blank error message", e);
        }
        if (hasLineBreak(m) || hasLineBreak(e.oneLine())) {
            throw new AssertionError(what + ": message is not one line: " + m.replace("\n", "\\n").replace("\r", "\\r"), e);
        }
        if (m.length() > 4000) {
            throw new AssertionError(what + ": message of " + m.length() + " characters", e);
        }
    }

    private static boolean hasLineBreak(String s) {
        return s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0 || s.indexOf('\u2028') >= 0 || s.indexOf('\u2029') >= 0
                || s.indexOf('\u0085') >= 0;
    }

    /** A scratch folder for one fuzz test class, emptied per input and removed when the JVM exits. */
    public static Path scratch(String prefix) {
        try {
            Path dir = Files.createTempDirectory(prefix);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes everything inside {@code dir} (not dir itself). */
    public static void clear(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            s.forEach(FuzzProperty::deleteTree);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteTree(Path p) {
        try (Stream<Path> walk = Files.walk(p)) {
            walk.sorted(Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // best effort on a temp folder
        }
    }
}
