package dev.mergelab.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mergelab.MergeLabException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every malformed safetensors input must be refused with a one-line INPUT {@link MergeLabException} naming
 * the file, quickly and without allocating in proportion to what the file claims.
 */
class MalformedSafetensorsTest {

    @TempDir
    Path tmp;

    @TestFactory
    Stream<DynamicTest> everyGeneratedCaseIsRefused() {
        return MalformedCorpus.cases().stream().map(k -> DynamicTest.dynamicTest(k.file(), () -> {
            byte[] bytes = k.bytes().get();
            Path f = tmp.resolve(k.file());
            Files.write(f, bytes);
            Hostile.Outcome o = Hostile.assertRejected(f, k.expect(), bytes.length);
            // Recorded in the surefire output file; TESTING.md quotes the worst cases.
            System.out.printf("%-40s %9d bytes  alloc %7d KB  %5d us%n", k.file(), bytes.length, o.allocatedBytes() >> 10,
                    o.nanos() / 1000);
        }));
    }

    @TestFactory
    Stream<DynamicTest> everyCheckedInFileIsRefused() throws Exception {
        Path dir = resourceDir("malformed");
        return MalformedCorpus.cases().stream().filter(MalformedCorpus.Case::checkedIn)
                .map(k -> DynamicTest.dynamicTest(k.file(), () -> {
                    Path f = dir.resolve(k.file());
                    Hostile.assertRejected(f, k.expect(), Files.size(f));
                }));
    }

    /** Keeps src/test/resources/malformed and its README table in step with {@link MalformedCorpus}. */
    @Test
    void checkedInCorpusMatchesGenerator() throws Exception {
        Path dir = resourceDir("malformed");
        Set<String> expected = new TreeSet<>();
        for (MalformedCorpus.Case k : MalformedCorpus.cases()) {
            if (k.checkedIn()) {
                expected.add(k.file());
                assertArrayEquals(k.bytes().get(), Files.readAllBytes(dir.resolve(k.file())),
                        k.file() + " differs from the generator; run MalformedCorpus.main");
            }
        }
        try (Stream<Path> s = Files.list(dir)) {
            Set<String> present = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".safetensors"))
                    .collect(Collectors.toCollection(TreeSet::new));
            assertEquals(expected, present);
        }
        assertEquals(MalformedCorpus.readme(), Files.readString(dir.resolve("README.md"), StandardCharsets.UTF_8));
    }

    /** The allocation check must be able to fail: reading a file does allocate what it really holds. */
    @Test
    void allocationMeterSeesRealAllocation() {
        String where = "meter";
        Hostile.Outcome o = Hostile.assertInputError(() -> {
            byte[] big = new byte[32 << 20];
            throw MergeLabException.input(where + ": allocated " + big.length, null);
        }, where, "allocated", Duration.ofSeconds(5), Long.MAX_VALUE);
        assertTrue(o.allocatedBytes() >= 32 << 20, "meter saw only " + o.allocatedBytes());
    }

    @Test
    void missingFile() {
        Path f = tmp.resolve("absent.safetensors");
        Hostile.assertRejected(f, "no such file", 0);
    }

    @Test
    void directory() throws IOException {
        Path d = Files.createDirectory(tmp.resolve("dir.safetensors"));
        Hostile.assertRejected(d, "is a directory", 0);
    }

    @Test
    void characterDevice() {
        Path dev = Path.of("/dev/zero");
        assumeTrue(Files.exists(dev), "no /dev/zero on this system");
        Hostile.assertRejected(dev, "is not a regular file", 0);
    }

    /** A FIFO used to block FileChannel.open forever; the timeout in assertRejected catches a regression. */
    @Test
    void namedPipeDoesNotHang() throws Exception {
        Path fifo = tmp.resolve("model.safetensors");
        Process p;
        try {
            p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        } catch (IOException e) {
            assumeTrue(false, "mkfifo not available: " + e.getMessage());
            return;
        }
        assumeTrue(p.waitFor() == 0 && Files.exists(fifo), "mkfifo failed");
        Hostile.assertRejected(fifo, "is not a regular file", 0);
    }

    @Test
    void pathWithNewlineStaysOneLine() throws IOException {
        Path f = tmp.resolve("evil\nname.safetensors");
        Files.write(f, new byte[3]);
        MergeLabException e = org.junit.jupiter.api.Assertions.assertThrows(MergeLabException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("evil\\u000aname.safetensors: invalid safetensors file: file is 3 bytes"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"));
    }

    /**
     * The tensor cap: {@link SafetensorsHeader#MAX_TENSORS} zero-size tensors (a 50 MB header, the worst
     * realistic shape of a maximal header) must open within a time and heap bound, and one more must be
     * refused. Numbers measured on the 2-core build box are in TESTING.md.
     */
    @Test
    void millionTinyTensorsWithinBoundsAndOneMoreRefused() throws Exception {
        int n = SafetensorsHeader.MAX_TENSORS;
        Path ok = tmp.resolve("million.safetensors");
        long size = writeTinyTensors(ok, n);
        Runtime rt = Runtime.getRuntime();
        System.gc();
        long heapBefore = rt.totalMemory() - rt.freeMemory();
        long t0 = System.nanoTime();
        SafetensorsFile f = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> SafetensorsFile.open(ok));
        long openMs = (System.nanoTime() - t0) / 1_000_000;
        try (f) {
            assertEquals(n, f.tensors().size());
            assertEquals(0, f.tensor("t" + Integer.toString(n - 1, 36)).byteSize());
            System.gc();
            long retained = rt.totalMemory() - rt.freeMemory() - heapBefore;
            System.out.printf("1M tensors: header %d bytes, open %d ms, retained ~%d MB%n", size, openMs, retained >> 20);
            assertTrue(retained < 600L << 20, "1M tiny tensors retain " + (retained >> 20) + " MB");
        }
        Files.delete(ok);
        Path tooMany = tmp.resolve("million-and-one.safetensors");
        long size2 = writeTinyTensors(tooMany, n + 1);
        Hostile.assertInputError(() -> SafetensorsFile.open(tooMany).close(), tooMany.toString(), "more than 1000000 tensors",
                Duration.ofSeconds(30), Long.MAX_VALUE);
        assertTrue(size2 < SafetensorsHeader.MAX_HEADER_BYTES);
    }

    /** {@code n} zero-size U8 tensors named t0, t1, ... (base 36), all at offset 0, streamed to disk. */
    static long writeTinyTensors(Path file, int n) throws IOException {
        StringBuilder sb = new StringBuilder(n * 52).append('{');
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append("\"t").append(Integer.toString(i, 36))
                    .append("\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}");
        }
        byte[] header = sb.append('}').toString().getBytes(StandardCharsets.US_ASCII);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            out.write(header);
        }
        return header.length;
    }

    static Path resourceDir(String name) throws URISyntaxException {
        var url = MalformedSafetensorsTest.class.getResource("/" + name + "/README.md");
        assertTrue(url != null, "src/test/resources/" + name + "/README.md is missing");
        return Path.of(url.toURI()).getParent();
    }
}
