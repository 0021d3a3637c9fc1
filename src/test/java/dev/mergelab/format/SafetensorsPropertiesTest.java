package dev.mergelab.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.MergeLabException;
import dev.mergelab.tensor.DType;
import dev.mergelab.testutil.Shared;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Properties of the reader and writer. Valid random files round-trip exactly; mutated and truncated files
 * either read (and then every tensor lies inside the file and the offsets tile the data section) or fail
 * with a one-line INPUT {@link MergeLabException}; nothing else may escape, and nothing may hang.
 */
class SafetensorsPropertiesTest {

    /** jqwik has no @TempDir; one directory per run, files deleted as we go. */
    private static Path dir;
    private static byte[] goldenHeader;
    private static long goldenDataLength;

    @BeforeContainer
    static void setUp() throws IOException {
        dir = Files.createTempDirectory("mergelab-st-props");
        try (var ch = java.nio.channels.FileChannel.open(Shared.golden("inputs.safetensors"))) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            int n = (int) len.getLong(0);
            ByteBuffer h = ByteBuffer.allocate(n);
            ch.read(h, 8);
            goldenHeader = h.array();
            goldenDataLength = ch.size() - 8 - n;
        }
    }

    @AfterContainer
    static void tearDown() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** A random model: entries with unique names, metadata, and a seed for the tensor bytes. */
    record Model(List<SafetensorsWriter.Entry> entries, Map<String, String> metadata, long seed) {
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("Model[");
            for (SafetensorsWriter.Entry e : entries) {
                sb.append(Untrusted.show(e.name())).append(' ').append(e.dtype()).append(Arrays.toString(e.shape())).append("; ");
            }
            return sb.append("meta=").append(metadata.size()).append(']').toString();
        }
    }

    /** Any Unicode scalar value: no lone surrogates, which UTF-8 (and so safetensors) cannot carry. */
    private static Arbitrary<String> unicodeText(int maxLength) {
        Arbitrary<Integer> codePoint = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.integers().between(0x20, 0x7E)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0, 0x1F)),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0x80, 0xD7FF)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0xE000, 0x10FFFF)));
        return codePoint.list().ofMaxSize(maxLength).map(cps -> {
            StringBuilder sb = new StringBuilder();
            cps.forEach(sb::appendCodePoint);
            return sb.toString();
        });
    }

    private static Arbitrary<String> tensorNames() {
        Arbitrary<String> realistic = Arbitraries.strings().alpha().numeric().withChars("._-/").ofMinLength(1).ofMaxLength(40);
        return Arbitraries.oneOf(realistic, unicodeText(16)).filter(n -> !n.equals("__metadata__"));
    }

    /** Rank 0 (scalar) to 4, dimensions 0 to 6 so zero-size tensors are common. */
    private static Arbitrary<long[]> shapes() {
        return Arbitraries.longs().between(0, 6).list().ofMaxSize(4)
                .map(l -> l.stream().mapToLong(Long::longValue).toArray());
    }

    /** Mutation seeds: at least one tensor, so mutations hit entries rather than the padding of "{}". */
    @Provide
    Arbitrary<Model> nonEmptyModels() {
        return models().filter(m -> !m.entries().isEmpty());
    }

    @Provide
    Arbitrary<Model> models() {
        Arbitrary<SafetensorsWriter.Entry> entry = Combinators.combine(tensorNames(), Arbitraries.of(DType.class), shapes())
                .as(SafetensorsWriter.Entry::new);
        Arbitrary<List<SafetensorsWriter.Entry>> entries = entry.list().ofMaxSize(8).uniqueElements(SafetensorsWriter.Entry::name);
        Arbitrary<Map<String, String>> metadata = Arbitraries.maps(unicodeText(12), unicodeText(24)).ofMaxSize(4);
        return Combinators.combine(entries, metadata, Arbitraries.longs()).as(Model::new);
    }

    /** Writes the model, tensors in reverse order, and returns the path and the bytes each tensor holds. */
    private static Path write(Model m, String name, Map<String, byte[]> contents) throws IOException {
        Path f = dir.resolve(name);
        Files.deleteIfExists(f);
        Random r = new Random(m.seed());
        try (SafetensorsWriter w = SafetensorsWriter.create(f, m.entries(), m.metadata())) {
            for (SafetensorsWriter.Entry e : m.entries().reversed()) {
                byte[] b = new byte[(int) e.byteSize()];
                r.nextBytes(b);
                contents.put(e.name(), b);
                w.write(e.name(), 0, ByteBuffer.wrap(b));
            }
            w.finish(false);
        }
        return f;
    }

    @Property(tries = 600)
    void validFilesRoundTrip(@ForAll("models") Model m) throws IOException {
        Map<String, byte[]> contents = new java.util.HashMap<>();
        Path f = write(m, "roundtrip.safetensors", contents);
        assertEquals(SafetensorsWriter.fileSize(m.entries(), m.metadata()), Files.size(f));
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertEquals(m.entries().size(), sf.tensors().size());
            assertEquals(m.metadata(), sf.metadata());
            for (SafetensorsWriter.Entry e : m.entries()) {
                TensorInfo t = sf.tensor(e.name());
                assertTrue(t != null, () -> "lost tensor " + Untrusted.show(e.name()));
                assertEquals(e.dtype(), t.dtype());
                assertArrayEquals(e.shape(), t.shape());
                assertArrayEquals(contents.get(e.name()), sf.data(t).toArray(ValueLayout.JAVA_BYTE));
            }
            assertEquals(0, sf.dataStart() % 8, "header padded to 8 bytes");
            checkInvariants(sf);
        }
    }

    /** What to do to a valid file: overwrite, flip a bit, insert, delete, or truncate. */
    enum Op { SET, FLIP, INSERT, DELETE, TRUNCATE }

    record Mutation(Op op, double where, boolean inHeader, int value) {
    }

    @Provide
    Arbitrary<Mutation> mutations() {
        // Bytes that matter to JSON and to UTF-8 are chosen often; any byte sometimes.
        Arbitrary<Integer> interesting = Arbitraries.of((int) '"', (int) '{', (int) '}', (int) '[', (int) ']', (int) ',', (int) ':',
                (int) '-', (int) '0', (int) '9', (int) '.', (int) 'e', (int) ' ', (int) '\\', 0, 0x80, 0xC0, 0xE0, 0xED, 0xF4, 0xFF);
        Arbitrary<Integer> value = Arbitraries.oneOf(interesting, Arbitraries.integers().between(0, 255));
        return Combinators.combine(Arbitraries.of(Op.class), Arbitraries.doubles().between(0, 1),
                Arbitraries.of(true, true, true, false), value).as(Mutation::new);
    }

    static byte[] mutate(byte[] b, Mutation m) {
        int headerEnd = (int) Math.min(b.length, 8 + ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong());
        int span = m.inHeader() ? headerEnd : b.length;
        int pos = Math.min(span - 1, (int) (m.where() * span));
        return switch (m.op()) {
            case SET -> {
                byte[] c = b.clone();
                c[pos] = (byte) m.value();
                yield c;
            }
            case FLIP -> {
                byte[] c = b.clone();
                c[pos] ^= (byte) (1 << (m.value() & 7));
                yield c;
            }
            case INSERT -> Hostile.concat(Arrays.copyOf(b, pos), new byte[] {(byte) m.value()}, Arrays.copyOfRange(b, pos, b.length));
            case DELETE -> Hostile.concat(Arrays.copyOf(b, pos), Arrays.copyOfRange(b, pos + 1, b.length));
            case TRUNCATE -> Arrays.copyOf(b, pos);
        };
    }

    @Property(tries = 2500)
    void mutatedFilesReadOrFailCleanly(@ForAll("nonEmptyModels") Model m, @ForAll("mutations") Mutation mu) throws IOException {
        Path valid = write(m, "seed.safetensors", new java.util.HashMap<>());
        byte[] bytes = mutate(Files.readAllBytes(valid), mu);
        Path f = dir.resolve("mutated.safetensors");
        Files.write(f, bytes);
        String outcome = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(5), () -> {
            String[] o = {"opened"};
            Hostile.openOrInput(f, sf -> checkInvariants(sf), e -> o[0] = "refused: " + category(e));
            return o[0];
        });
        // The report (surefire output) shows the mix, so a generator that only ever breaks files is noticed.
        Statistics.collect(mu.op(), outcome);
    }

    /** The error message without the path, tensor names and numbers: a coarse "which check fired". */
    private static String category(MergeLabException e) {
        String m = e.getMessage();
        int i = m.indexOf(": invalid safetensors file: ");
        m = i < 0 ? m : m.substring(i + 28);
        m = m.replaceAll("'[^']*'", "'_'").replaceAll("[0-9]+", "N");
        return m.length() > 40 ? m.substring(0, 40) : m;
    }

    /** Header-only mutations of a real checkpoint's header (about 3 KB, 44 tensors), 1 to 3 bytes at a time. */
    @Property(tries = 2000)
    void mutatedGoldenHeadersParseOrFailCleanly(@ForAll("mutations") Mutation a, @ForAll("mutations") Mutation b,
            @ForAll("mutations") Mutation c, @ForAll int howMany) {
        byte[] h = Hostile.file(goldenHeader, 0);
        int n = 1 + Math.floorMod(howMany, 3);
        for (Mutation mu : List.of(a, b, c).subList(0, n)) {
            h = mutate(h, new Mutation(mu.op() == Op.TRUNCATE ? Op.SET : mu.op(), mu.where(), true, mu.value()));
        }
        byte[] json = Arrays.copyOfRange(h, 8, h.length);
        try {
            SafetensorsHeader header = SafetensorsHeader.parse(json, goldenDataLength, "golden");
            long cursor = 0;
            for (TensorInfo t : header.tensors()) {
                assertEquals(cursor, t.begin());
                assertEquals(t.numel() * t.dtype().size(), t.byteSize());
                cursor = t.end();
            }
            assertEquals(goldenDataLength, cursor);
        } catch (MergeLabException e) {
            Hostile.assertOneLineInput(e, "golden", "");
        }
    }

    /** What a successfully opened file guarantees to the rest of MergeLab. */
    static void checkInvariants(SafetensorsFile sf) {
        long cursor = 0;
        java.util.Set<String> names = new java.util.HashSet<>();
        for (TensorInfo t : sf.tensors()) {
            assertTrue(names.add(t.name()), "unique names");
            assertTrue(0 <= t.begin() && t.begin() <= t.end(), "ordered offsets");
            assertEquals(cursor, t.begin(), "tensors tile the data section");
            assertTrue(sf.dataStart() + t.end() <= sf.fileSize(), "tensor lies inside the file");
            assertEquals(Math.multiplyExact(t.numel(), (long) t.dtype().size()), t.byteSize());
            MemorySegment seg = sf.data(t);
            assertEquals(t.byteSize(), seg.byteSize());
            if (seg.byteSize() > 0) {
                seg.get(ValueLayout.JAVA_BYTE, 0);
                seg.get(ValueLayout.JAVA_BYTE, seg.byteSize() - 1);
            }
            assertTrue(sf.tensor(t.name()) == t);
            cursor = t.end();
        }
        assertEquals(sf.fileSize() - sf.dataStart(), cursor, "data fully covered");
    }

    /** A deliberately broken reader invariant must be caught: keeps checkInvariants honest. */
    @Property(tries = 1)
    void invariantCheckCanFail() throws IOException {
        List<SafetensorsWriter.Entry> es = new ArrayList<>(List.of(new SafetensorsWriter.Entry("a", DType.F32, new long[] {2})));
        Path f = write(new Model(es, Map.of(), 1), "inv.safetensors", new java.util.HashMap<>());
        Files.write(f, new byte[] {0}, java.nio.file.StandardOpenOption.APPEND); // one stray byte after the data
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            throw new AssertionError("a file with an uncovered byte was accepted: " + sf.tensors());
        } catch (MergeLabException e) {
            assertTrue(e.getMessage().contains("not covered"), e.getMessage());
        }
    }
}
