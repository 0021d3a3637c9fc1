package dev.mergelab.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The {@link WeightFile} contract, on every dtype the safetensors reader decodes: any run of rows decodes
 * to exactly the same bits as the whole tensor sliced (which equals the codecs on the raw bytes), at any
 * destination offset and without touching the destination outside the rows; 1-D tensors and scalars are
 * one row; requests outside the tensor or the destination are refused.
 */
class WeightFileContractTest {

    private static Path dir;
    private static final AtomicInteger FILES = new AtomicInteger();

    @BeforeContainer
    static void setUp() throws IOException {
        dir = Files.createTempDirectory("mergelab-weightfile");
    }

    @AfterContainer
    static void tearDown() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** One tensor of {@code dtype} and {@code shape} behind a small leading tensor (so it starts mid-file). */
    record Case(DType dtype, long[] shape, long seed) {
        @Override
        public String toString() {
            return dtype + Arrays.toString(shape) + " seed " + seed;
        }
    }

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<long[]> shapes = Arbitraries.longs().between(0, 6).array(long[].class).ofMinSize(0).ofMaxSize(3);
        return Combinators.combine(Arbitraries.of(DType.values()), shapes, Arbitraries.longs()).as(Case::new);
    }

    /** Writes a file with the case's tensor "t" holding random bytes (every bit pattern, NaNs included). */
    private static Path write(Case c) throws IOException {
        Path file = dir.resolve("w" + FILES.incrementAndGet() + ".safetensors");
        List<SafetensorsWriter.Entry> entries = List.of(new SafetensorsWriter.Entry("lead", DType.U8, new long[] {3}),
                new SafetensorsWriter.Entry("t", c.dtype(), c.shape()));
        SplittableRandom rnd = new SplittableRandom(c.seed());
        try (SafetensorsWriter w = SafetensorsWriter.create(file, entries, Map.of())) {
            for (SafetensorsWriter.Entry e : entries) {
                byte[] bytes = new byte[(int) e.byteSize()];
                for (int i = 0; i < bytes.length; i++) {
                    bytes[i] = (byte) rnd.nextInt(256);
                }
                w.write(e.name(), 0, ByteBuffer.wrap(bytes));
            }
            w.finish(false);
        }
        return file;
    }

    @Property(tries = 400)
    void everyRunOfRowsDecodesLikeTheWholeTensorSliced(@ForAll("cases") Case c) throws IOException {
        Path file = write(c);
        try (WeightFile f = WeightFiles.open(file)) {
            TensorInfo t = f.tensor("t");
            int numel = (int) t.numel();
            float[] whole = new float[numel];
            f.decode(t, whole, 0);
            float[] reference = new float[numel];
            Codecs.decode(t.dtype(), f.bytes(t), 0, reference, 0, numel);
            assertArrayEquals(bits(reference, 0, numel), bits(whole, 0, numel), "whole decode");

            int rowLength = (int) t.rowLength();
            int rows = (int) t.rows();
            int pad = 3;
            for (int first = 0; first <= rows; first++) {
                for (int n = 0; first + n <= rows; n++) {
                    float[] dst = new float[pad + n * rowLength + pad];
                    Arrays.fill(dst, -7f);
                    f.decodeRows(t, first, n, dst, pad);
                    assertArrayEquals(bits(whole, first * rowLength, n * rowLength), bits(dst, pad, n * rowLength),
                            "rows " + first + "+" + n);
                    for (int i = 0; i < pad; i++) {
                        assertEquals(-7f, dst[i], "before the rows");
                        assertEquals(-7f, dst[dst.length - 1 - i], "after the rows");
                    }
                }
            }
        } finally {
            Files.delete(file);
        }
    }

    @Property(tries = 100)
    void rowsOutsideTheTensorOrTheDestinationAreRefused(@ForAll("cases") Case c) throws IOException {
        Path file = write(c);
        try (WeightFile f = WeightFiles.open(file)) {
            TensorInfo t = f.tensor("t");
            long rows = t.rows();
            int rowLength = (int) t.rowLength();
            float[] big = new float[(int) t.numel() + 4];
            assertThrows(IndexOutOfBoundsException.class, () -> f.decodeRows(t, -1, 1, big, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> f.decodeRows(t, 0, -1, big, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> f.decodeRows(t, rows, 1, big, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> f.decodeRows(t, 0, (int) rows + 1, big, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> f.decodeRows(t, Long.MAX_VALUE, 1, big, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> f.decodeRows(t, 0, 0, big, -1));
            if (rows > 0 && rowLength > 0) {
                float[] small = new float[(int) rows * rowLength - 1];
                assertThrows(IndexOutOfBoundsException.class, () -> f.decodeRows(t, 0, (int) rows, small, 0));
                assertThrows(IndexOutOfBoundsException.class, () -> f.decodeRows(t, 0, 1, big, big.length - rowLength + 1));
                assertThrows(IndexOutOfBoundsException.class, () -> f.decode(t, small, 0));
            }
        } finally {
            Files.delete(file);
        }
    }

    @Example
    void oneDimensionalTensorsAndScalarsAreOneRow() throws IOException {
        Path file = dir.resolve("shapes.safetensors");
        List<SafetensorsWriter.Entry> entries = List.of(new SafetensorsWriter.Entry("vec", DType.F32, new long[] {5}),
                new SafetensorsWriter.Entry("scalar", DType.F32, new long[0]),
                new SafetensorsWriter.Entry("empty", DType.F32, new long[] {4, 0}),
                new SafetensorsWriter.Entry("m", DType.F32, new long[] {2, 3, 4}));
        ByteBuffer vec = ByteBuffer.allocate(20).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 5; i++) {
            vec.putFloat(i + 0.5f);
        }
        ByteBuffer m = ByteBuffer.allocate(96).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 24; i++) {
            m.putFloat(i);
        }
        try (SafetensorsWriter w = SafetensorsWriter.create(file, entries, Map.of())) {
            w.write("vec", 0, vec.flip());
            w.write("scalar", 0, ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(0, 9f));
            w.write("m", 0, m.flip());
            w.finish(false);
        }
        try (WeightFile f = WeightFiles.open(file)) {
            TensorInfo v = f.tensor("vec");
            assertEquals(1, v.rows());
            assertEquals(5, v.rowLength());
            float[] out = new float[5];
            f.decodeRows(v, 0, 1, out, 0);
            assertArrayEquals(new float[] {0.5f, 1.5f, 2.5f, 3.5f, 4.5f}, out);
            assertThrows(IndexOutOfBoundsException.class, () -> f.decodeRows(v, 1, 1, new float[10], 0));

            TensorInfo s = f.tensor("scalar");
            assertEquals(1, s.rows());
            assertEquals(1, s.rowLength());
            float[] one = new float[1];
            f.decodeRows(s, 0, 1, one, 0);
            assertEquals(9f, one[0]);

            TensorInfo e = f.tensor("empty");
            assertEquals(4, e.rows());
            f.decodeRows(e, 0, 4, new float[0], 0); // rows of no elements
            f.decode(e, new float[0], 0);

            // 3-D: a row is the last dimension; rows run over the leading two.
            TensorInfo t = f.tensor("m");
            assertEquals(6, t.rows());
            float[] last = new float[8];
            f.decodeRows(t, 4, 2, last, 0);
            assertArrayEquals(new float[] {16, 17, 18, 19, 20, 21, 22, 23}, last);
            assertArrayEquals(new float[] {16, 17, 18, 19, 20, 21, 22, 23}, Arrays.copyOfRange(f.readFloats("m"), 16, 24));
            assertEquals(true, f.isVerbatim(t));
            assertEquals(96, f.bytes(t).byteSize());
        }
    }

    /** The raw bits of {@code a[from, from + n)}, so NaN payloads count too. */
    private static int[] bits(float[] a, int from, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = Float.floatToRawIntBits(a[from + i]);
        }
        return out;
    }
}
