package dev.mergelab.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Values printed by CPython 3.11.7 (pyenv's python3), e.g.
 * {@code python3 -c 'import random; r=random.Random(1234); print([r.random() for _ in range(3)])'}.
 */
class PythonRandomTest {

    private static List<Integer> range(int n) {
        return IntStream.range(0, n).boxed().toList();
    }

    @Test
    void randomMatchesCpython() {
        PythonRandom r = new PythonRandom(1234);
        assertEquals(0.9664535356921388, r.random());
        assertEquals(0.4407325991753527, r.random());
        assertEquals(0.007491470058587191, r.random());
    }

    @Test
    void sampleMatchesCpythonPoolAndSetMethods() {
        // r=random.Random(1234); r.sample(list(range(10)),3), r.sample(list(range(1000)),7), r.sample(list(range(50)),6)
        PythonRandom r = new PythonRandom(1234);
        assertEquals(List.of(7, 1, 0), r.sample(range(10), 3));
        assertEquals(List.of(92, 932, 965, 961, 826, 596, 35), r.sample(range(1000), 7)); // set method
        assertEquals(List.of(42, 44, 5, 6, 22, 15), r.sample(range(50), 6)); // pool method, setsize 85
    }

    @Test
    void fewshotDrawsShareOneGeneratorAcrossDocuments() {
        // r=random.Random(1234); [r.sample(list(range(10)),2) for _ in range(3)] and the same with 3 (k+1) draws
        PythonRandom r = new PythonRandom(1234);
        assertEquals(List.of(7, 1), r.sample(range(10), 2));
        assertEquals(List.of(0, 1), r.sample(range(10), 2));
        assertEquals(List.of(9, 0), r.sample(range(10), 2));
        PythonRandom s = new PythonRandom(1234);
        assertEquals(List.of(7, 1, 0), s.sample(range(10), 3));
        assertEquals(List.of(1, 0, 9), s.sample(range(10), 3));
        assertEquals(List.of(1, 5, 3), s.sample(range(10), 3));
    }

    @Test
    void choicesMatchesCpython() {
        // random.Random(0).choices([1.0,2.0,3.0,4.0,5.0],k=8)
        assertArrayEquals(new double[] {5, 4, 3, 2, 3, 3, 4, 2}, new PythonRandom(0).choices(new double[] {1, 2, 3, 4, 5}, 8));
    }

    @Test
    void largeSeedsUseTwoKeyWords() {
        // random.Random(2**40+5).getrandbits(32)
        assertEquals(2166296868L, new PythonRandom((1L << 40) + 5).getrandbits(32));
    }
}
