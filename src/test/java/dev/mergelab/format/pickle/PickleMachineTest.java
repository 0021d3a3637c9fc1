package dev.mergelab.format.pickle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.MergeLabException;
import dev.mergelab.format.pickle.PyValues.PyDict;
import dev.mergelab.tensor.DType;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hand-written pickles for the machine's rules that torch's files and the malicious corpus do not reach. */
class PickleMachineTest {

    /** Builds pickle bytes. */
    static final class P {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        P op(int... bytes) {
            for (int b : bytes) {
                out.write(b);
            }
            return this;
        }

        P str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X');
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
            out.writeBytes(b);
            return this;
        }

        P shortStr(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op(0x8c, b.length);
            out.writeBytes(b);
            return this;
        }

        P global(String module, String name) {
            op('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        P integer(int v) {
            op('J');
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
            return this;
        }

        /** A storage persistent id of {@code numel} floats under key "0". */
        P storage(int numel) {
            return op('(').str("storage").global("torch", "FloatStorage").str("0").str("cpu").integer(numel).op('t', 'Q');
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    static Object load(P p) {
        byte[] b = p.bytes();
        return PickleMachine.load(b, 0, b.length, "test.bin", (pid, w) -> {
            Storages.Declared d = new Storages().declare(pid, 5, w);
            return new StorageSlice(d.key(), d.dtype(), d.numel(), 0, d.numel());
        }).value();
    }

    static String refused(P p) {
        MergeLabException e = assertThrows(MergeLabException.class, () -> load(p));
        assertEquals(MergeLabException.Kind.INPUT, e.kind());
        assertTrue(e.getMessage().startsWith("test.bin: "), e.getMessage());
        assertFalse(e.oneLine().contains("\n"));
        return e.getMessage();
    }

    /** {'w': _rebuild_tensor_v2(storage(numel), offset, size, stride, False, OrderedDict())} */
    static P tensorDict(int numel, int offset, int[] size, int[] stride) {
        P p = new P().op(0x80, 2, '}').str("w").global("torch._utils", "_rebuild_tensor_v2").op('(').storage(numel).integer(offset).op('(');
        for (int s : size) {
            p.integer(s);
        }
        p.op('t', '(');
        for (int s : stride) {
            p.integer(s);
        }
        return p.op('t', 0x89).global("collections", "OrderedDict").op(')', 'R', 't', 'R', 's', '.');
    }

    @Test
    void aTensorIsAViewOfItsStorage() {
        PyDict d = assertInstanceOf(PyDict.class, load(tensorDict(12, 2, new int[] {2, 3}, new int[] {1, 4})));
        TensorView v = assertInstanceOf(TensorView.class, d.get("w"));
        assertEquals(DType.F32, v.storage().dtype());
        assertEquals(2, v.offset());
        assertEquals(List.of(2L, 3L), java.util.Arrays.stream(v.size()).boxed().toList());
        assertFalse(TorchCheckpoint.rowMajor(v.size(), v.stride()));
    }

    @Test
    void viewsMustStayInsideTheirStorage() {
        assertTrue(refused(tensorDict(12, 3, new int[] {2, 3}, new int[] {1, 4})).contains("reaches element 12 of a storage of 12 elements"));
        assertTrue(refused(tensorDict(12, -1, new int[] {2}, new int[] {1})).contains("storage offset is -1, not a non-negative int"));
        assertTrue(refused(tensorDict(12, 0, new int[] {2, 2}, new int[] {1})).contains("has 2 sizes but 1 strides"));
        assertTrue(refused(tensorDict(12, 0, new int[] {65536, 65536, 65536, 65536}, new int[] {0, 0, 0, 0})).contains("overflow"));
        assertTrue(refused(tensorDict(1, 0, new int[] {4097}, new int[] {0})).contains("forged broadcast"));
        load(tensorDict(1, 0, new int[] {4096}, new int[] {0})); // expand() of one element 4096 times is fine
        assertTrue(refused(tensorDict(0, 1, new int[] {0}, new int[] {1})).contains("lies past the storage"));
    }

    @Test
    void stackGlobalTakesLiteralOrMemoizedStringsOnly() {
        // As protocol 4 writes it when the strings were pickled before: BINGET of memoized literals.
        P ok = new P().op(0x80, 4, '}').shortStr("collections").op(0x94).shortStr("OrderedDict").op(0x94, 's')
                .op('h', 0, 'h', 1, 0x93, ')', 'R', '.');
        assertInstanceOf(PyDict.class, load(ok));
        P computed = new P().op(0x80, 4).shortStr("collections").op(0x85).shortStr("OrderedDict").op(0x93, '.');
        assertTrue(refused(computed).contains("STACK_GLOBAL at byte"));
        P evil = new P().op(0x80, 4, '}').shortStr("os").op(0x94).shortStr("system").op(0x94, 's', 'h', 0, 'h', 1, 0x93, '.');
        assertTrue(refused(evil).contains("forbidden global 'os.system'"));
    }

    @Test
    void opcodesOutsideTheListAreNamed() {
        assertTrue(refused(new P().op(0x80, 2, 'N', '0', '.')).contains("pickle opcode POP (0x30) at byte 3 is not allowed"));
        assertTrue(refused(new P().op(0x80, 2, 0xff)).contains("byte 0xff at byte 2 is not a pickle opcode"));
        assertTrue(refused(new P().op(0x80, 6, 'N', '.')).contains("pickle protocol 6"));
        assertTrue(refused(new P().op(0x80, 2, 'N')).contains("ends without STOP"));
    }

    @Test
    void containersAndKeysFollowPythonsRules() {
        assertTrue(refused(new P().op(0x80, 2, ']').str("k").str("v").op('s', '.')).contains("sets an item of a list, not a dict"));
        assertTrue(refused(new P().op(0x80, 2, '}').str("v").op('a', '.')).contains("appends to a dict, not a list"));
        assertTrue(refused(new P().op(0x80, 2, '}', ')').str("v").op('s', '.')).contains("a dict key at byte 10 is a tuple"));
        assertTrue(refused(new P().op(0x80, 2, '}', '(').str("k").str("a").str("k").str("b").op('u', '.')).contains("dict key 'k' appears twice"));
        assertTrue(refused(new P().op(0x80, 2, '}', '(').str("k").op('u', '.')).contains("odd number of items"));
        assertTrue(refused(new P().op(0x80, 2, '(', 'R', '.')).contains("REDUCE at byte 3 pops an empty stack"));
        assertTrue(refused(new P().op(0x80, 2, 'N', ')', 'R', '.')).contains("REDUCE at byte 4 calls a None, not an allowed global"));
        assertTrue(refused(new P().op(0x80, 2, 'X', 2, 0, 0, 0, 0xc0, 0x80, '.')).contains("is not valid UTF-8"));
        assertTrue(refused(new P().op(0x80, 2).global("collections", "OrderedDict").op(')', 'R', '}', 'K', 1, 'N', 's', 'b', '.'))
                .contains("sets an attribute named by a int"));
        assertTrue(refused(new P().op(0x80, 2, 'N', 'q', 1, '.')).contains("puts memo slot 1 out of sequence (next is 0)"));
    }

    @Test
    void moduleStateDictMetadataIsAcceptedAndDropped() {
        P p = new P().op(0x80, 2).global("collections", "OrderedDict").op(')', 'R', '}').str("_metadata").op('}', 's', 'b', '.');
        PyDict d = assertInstanceOf(PyDict.class, load(p));
        assertTrue(d.ordered && d.isEmpty());
    }
}
