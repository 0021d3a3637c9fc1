package dev.mergelab.format.pickle;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.MergeLabException;
import dev.mergelab.fuzz.FuzzProperty;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Random damage to real torch.save files and to their pickles: 1-3 byte mutations (set, flip, insert, delete) and
 * truncations either still read (with every promise of {@link PickleFuzzTest#checkPromises} kept) or fail with a
 * one-line INPUT error, within the fuzzers' time and allocation bounds. The pickle-only property runs the machine
 * on mutated {@code data.pkl} bytes directly, since most bytes of a whole file are tensor data and padding.
 */
class PickleMutationPropertiesTest {

    private static final Path VALID = Path.of("src/test/resources/pickle/valid");
    private static final List<String> FILES = List.of("dtypes.bin", "views.bin", "views-legacy.bin", "protocol4.bin",
            "protocol4-legacy.bin", "state-dict.bin", "parameters.bin", "dtypes-legacy.bin");
    private static final Path DIR = FuzzProperty.scratch("mergelab-pickle-mutations-");

    record Mutation(int kind, int at, int value, int count) {
    }

    @Provide
    Arbitrary<Mutation> mutations() {
        return Combinators.combine(Arbitraries.integers().between(0, 4), Arbitraries.integers().between(0, Integer.MAX_VALUE),
                Arbitraries.integers().between(0, 255), Arbitraries.integers().between(1, 3)).as(Mutation::new);
    }

    static byte[] mutate(byte[] in, Mutation m) {
        byte[] b = in;
        for (int i = 0; i < m.count(); i++) {
            int at = Math.floorMod(m.at() + i * 7919, Math.max(1, b.length));
            b = switch (m.kind()) {
                case 0 -> set(b, at, (byte) m.value());
                case 1 -> set(b, at, (byte) (b[at] ^ (1 << (m.value() & 7))));
                case 2 -> insert(b, at, (byte) m.value());
                case 3 -> delete(b, at);
                default -> Arrays.copyOf(b, at); // truncate
            };
        }
        return b;
    }

    private static byte[] set(byte[] b, int at, byte v) {
        byte[] c = b.clone();
        if (c.length > 0) {
            c[at] = v;
        }
        return c;
    }

    private static byte[] insert(byte[] b, int at, byte v) {
        byte[] c = new byte[b.length + 1];
        System.arraycopy(b, 0, c, 0, at);
        c[at] = v;
        System.arraycopy(b, at, c, at + 1, b.length - at);
        return c;
    }

    private static byte[] delete(byte[] b, int at) {
        if (b.length == 0) {
            return b;
        }
        byte[] c = new byte[b.length - 1];
        System.arraycopy(b, 0, c, 0, at);
        System.arraycopy(b, at + 1, c, at, b.length - at - 1);
        return c;
    }

    @Property(tries = 1200)
    void damagedFilesReadOrFailInOneLine(@ForAll("mutations") Mutation m, @ForAll("files") String file) throws IOException {
        byte[] bytes = mutate(Files.readAllBytes(VALID.resolve(file)), m);
        Path f = DIR.resolve("m.bin");
        Files.write(f, bytes);
        boolean ok = FuzzProperty.acceptedOrInputError(file + " " + m, bytes.length, () -> {
            try (TorchCheckpoint c = TorchCheckpoint.open(f)) {
                PickleFuzzTest.checkPromises(c);
            }
        });
        Statistics.collect(ok ? "read" : "refused");
    }

    @Provide
    Arbitrary<String> files() {
        return Arbitraries.of(FILES);
    }

    /** data.pkl of each zip fixture, found with the reader's own zip code. */
    private static final List<byte[]> PICKLES = FILES.stream().filter(n -> !n.contains("legacy")).map(n -> {
        try (Arena a = Arena.ofConfined(); FileChannel ch = FileChannel.open(VALID.resolve(n), StandardOpenOption.READ)) {
            MemorySegment map = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), a);
            return ZipArchive.read(map, n).entries().entrySet().stream().filter(e -> e.getKey().endsWith("/data.pkl")).findFirst()
                    .orElseThrow().getValue().toArray(ValueLayout.JAVA_BYTE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }).toList();

    @Property(tries = 3000)
    void damagedPicklesLoadOrFailInOneLine(@ForAll("mutations") Mutation m, @ForAll("pickleIndex") int which) {
        byte[] p = mutate(PICKLES.get(which), m);
        boolean ok = FuzzProperty.acceptedOrInputError("data.pkl " + which + " " + m, p.length, () -> {
            PickleMachine.Result r = PickleMachine.load(p, 0, p.length, "data.pkl", (pid, w) -> {
                Storages.Declared d = new Storages().declare(pid, 5, w);
                return new StorageSlice(d.key(), d.dtype(), d.numel(), 0, d.numel());
            });
            assertTrue(r.end() > 0 && r.end() <= p.length);
        });
        Statistics.collect(ok ? "loaded" : "refused");
    }

    @Provide
    Arbitrary<Integer> pickleIndex() {
        return Arbitraries.integers().between(0, PICKLES.size() - 1);
    }

    /** The loader the pickle property uses refuses what the real one refuses, as an INPUT error. */
    @Example
    void aForgedStorageIsAnInputError() {
        MergeLabException e = org.junit.jupiter.api.Assertions.assertThrows(MergeLabException.class,
                () -> new Storages().declare(new PyValues.Tuple(List.of("storage", "x", "0", "cpu", 1L)), 5, "w"));
        assertTrue(e.getMessage().contains("not a storage class"), e.getMessage());
    }
}
