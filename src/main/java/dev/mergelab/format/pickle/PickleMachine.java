package dev.mergelab.format.pickle;

import static dev.mergelab.format.pickle.Opcodes.*;

import dev.mergelab.MergeLabException;
import dev.mergelab.format.Untrusted;
import dev.mergelab.format.pickle.PyValues.None;
import dev.mergelab.format.pickle.PyValues.PyDict;
import dev.mergelab.format.pickle.PyValues.PyList;
import dev.mergelab.format.pickle.PyValues.Tuple;
import dev.mergelab.format.pickle.TorchGlobals.Global;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A restricted pickle machine: the opcodes torch.save writes for a state dict (protocols 2 to 5) and the
 * globals of {@link TorchGlobals}, nothing else. It never calls anything: the handful of "callables" a state dict
 * names (OrderedDict, the tensor rebuild functions, torch.Size) are interpreted here into inert records
 * ({@link PyValues}, {@link TensorView}).
 *
 * <p>Two passes over the bytes. The first ({@link #scan}) decodes every opcode and argument without building
 * anything: an opcode outside the list, a global outside the allow-list (for STACK_GLOBAL, its module and name
 * must be string literals pushed right before it), a length running past the end, a memo index out of
 * sequence, or a missing STOP refuses the whole pickle there. Only then does the second pass build values, with
 * its own checks (types of operands, stack and MARK depth, what REDUCE, BUILD and NEWOBJ may touch). Every
 * refusal is a one-line {@link MergeLabException} (INPUT) naming the file and the opcode, global or value.
 */
final class PickleMachine {

    /** Loads a persistent id (a tuple whose first item is "storage") into a storage slice; the container knows where. */
    interface StorageLoader {
        StorageSlice load(Tuple pid, String where);
    }

    /** The unpickled object and the offset just after its STOP (legacy files hold several pickles in a row). */
    record Result(Object value, int end) {
    }

    /** Thrown instead of a truncation error when the bytes given are not the whole file (see {@link #load}). */
    static final class NeedMoreBytes extends RuntimeException {
        NeedMoreBytes() {
            super(null, null, false, false);
        }
    }

    /** A truncation: the end of the pickle, or only of the bytes read so far. */
    private RuntimeException shortOf(String what) {
        return complete ? refuse(what) : new NeedMoreBytes();
    }

    /** Deeper than any state dict needs (torch nests MARKs three deep), far below anything that hurts. */
    static final int MAX_MARKS = 64;
    /** Stack entries: SETITEMS batches of 1000 pairs need 2000 plus a few. */
    static final int MAX_STACK = 1 << 16;
    /** GLOBAL module and name lines. */
    static final int MAX_GLOBAL_LINE = 512;
    /** Tensor dimensions, as PyTorch's limit. */
    static final int MAX_RANK = 64;

    private final byte[] buf;
    private final int start;
    private final int limit;
    private final String where;
    private final StorageLoader loader;
    /** False when {@code buf} holds only the first part of the file: running out then asks for more bytes. */
    private final boolean complete;

    // The opcode decoded by next(): its byte, offset and argument.
    private int op;
    private int opAt;
    private int pos;
    private long intArg;
    private Object arg;

    private PickleMachine(byte[] buf, int start, int limit, boolean complete, String where, StorageLoader loader) {
        this.complete = complete;
        this.buf = buf;
        this.start = start;
        this.limit = limit;
        this.where = where;
        this.loader = loader;
    }

    /**
     * Unpickles the pickle at {@code buf[start, limit)} (it ends at its STOP; bytes after it are the caller's).
     * {@code where} names the file (and record) in messages, already escaped.
     */
    static Result load(byte[] buf, int start, int limit, String where, StorageLoader loader) {
        return load(buf, start, limit, true, where, loader);
    }

    /**
     * As above, where {@code buf} may hold only the first {@code limit} bytes of a longer file
     * ({@code complete} false): a pickle running past them throws {@link NeedMoreBytes} (before building
     * anything), so the caller can read more and start again.
     */
    static Result load(byte[] buf, int start, int limit, boolean complete, String where, StorageLoader loader) {
        PickleMachine m = new PickleMachine(buf, start, limit, complete, where, loader);
        int end = m.scan();
        return new Result(m.run(end), end);
    }

    // ------------------------------------------------------------------------------------------ decoding

    /** Decodes the opcode at {@link #pos} and its argument; refuses opcodes outside the list. */
    private void next() {
        if (pos >= limit) {
            throw shortOf("the pickle ends without STOP at byte " + (pos - start) + " (truncated?)");
        }
        opAt = pos;
        op = buf[pos++] & 0xFF;
        arg = null;
        switch (op) {
            case PROTO -> {
                intArg = u(1);
                if (intArg > 5) {
                    throw refuse("pickle protocol " + intArg + " is newer than any Python writes (0 to 5)");
                }
            }
            case FRAME -> {
                intArg = u(8);
                if (Long.compareUnsigned(intArg, limit - pos) > 0) {
                    throw shortOf("FRAME at byte " + (opAt - start) + " declares " + Long.toUnsignedString(intArg) + " bytes but only "
                            + (limit - pos) + " remain");
                }
            }
            case BININT -> intArg = s32();
            case BININT1 -> intArg = u(1);
            case BININT2 -> intArg = u(2);
            case LONG1 -> arg = long1((int) u(1));
            case BINFLOAT -> arg = Double.longBitsToDouble(bigEndian64());
            case SHORT_BINUNICODE -> arg = string(u(1));
            case BINUNICODE -> arg = string(u(4));
            case BINUNICODE8 -> arg = string(u(8));
            case BINGET, BINPUT -> intArg = u(1);
            case LONG_BINGET, LONG_BINPUT -> intArg = u(4);
            case GLOBAL -> arg = new String[] {line(), line()};
            case MARK, STOP, NONE, NEWTRUE, NEWFALSE, EMPTY_DICT, EMPTY_LIST, EMPTY_TUPLE, TUPLE, TUPLE1, TUPLE2, TUPLE3,
                    SETITEM, SETITEMS, APPEND, APPENDS, MEMOIZE, STACK_GLOBAL, REDUCE, BUILD, BINPERSID, NEWOBJ -> {
            }
            default -> {
                String name = Opcodes.name(op);
                throw refuse(name == null
                        ? String.format("byte 0x%02x at byte %d is not a pickle opcode", op, opAt - start)
                        : String.format("pickle opcode %s (0x%02x) at byte %d is not allowed in a state dict", name, op, opAt - start));
            }
        }
    }

    /** Unsigned little-endian integer of {@code n} bytes (n = 8 may come out negative: callers compare unsigned). */
    private long u(int n) {
        need(n);
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = (v << 8) | (buf[pos + i] & 0xFF);
        }
        pos += n;
        return v;
    }

    private long s32() {
        return (int) u(4);
    }

    private long bigEndian64() {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (buf[pos + i] & 0xFF);
        }
        pos += 8;
        return v;
    }

    private void need(long n) {
        if (Long.compareUnsigned(n, limit - pos) > 0) {
            throw shortOf(Opcodes.name(op) + " at byte " + (opAt - start) + " declares " + Long.toUnsignedString(n)
                    + " bytes but only " + (limit - pos) + " remain (truncated or forged length)");
        }
    }

    /** LONG1: a little-endian two's complement integer of {@code n} (at most 255) bytes. */
    private Object long1(int n) {
        need(n);
        if (n == 0) {
            return 0L;
        }
        byte[] be = new byte[n];
        for (int i = 0; i < n; i++) {
            be[i] = buf[pos + n - 1 - i];
        }
        pos += n;
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    /** A UTF-8 string of {@code n} bytes, decoded strictly (no replacement characters smuggled into names). */
    private String string(long n) {
        need(n);
        int len = (int) n;
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(buf, pos, len)).toString();
            pos += len;
            return s;
        } catch (CharacterCodingException e) {
            throw refuse(Opcodes.name(op) + " at byte " + (opAt - start) + " is not valid UTF-8");
        }
    }

    /** A GLOBAL line: printable ASCII up to a newline (module and attribute names). */
    private String line() {
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= limit) {
                throw shortOf("GLOBAL at byte " + (opAt - start) + " runs past the end of the pickle");
            }
            int c = buf[pos++] & 0xFF;
            if (c == '\n') {
                return sb.toString();
            }
            if (c < 0x20 || c > 0x7e || sb.length() >= MAX_GLOBAL_LINE) {
                throw refuse("GLOBAL at byte " + (opAt - start) + " names no plain module or attribute");
            }
            sb.append((char) c);
        }
    }

    // ------------------------------------------------------------------------------------------ pass 1

    /**
     * Checks every opcode up to STOP without building anything; returns the offset after STOP. Tracks which
     * recent pushes were string literals (and which memo slots hold them) so that STACK_GLOBAL's operands are
     * known here, as GLOBAL's are.
     */
    private int scan() {
        pos = start;
        Map<Long, String> memoStrings = new HashMap<>();
        long memoCount = 0;
        String older = null;
        String newer = null;
        while (true) {
            next();
            switch (op) {
                case STOP -> {
                    return pos;
                }
                case GLOBAL -> {
                    String[] g = (String[]) arg;
                    allowed(g[0], g[1]);
                    older = null;
                    newer = null;
                }
                case SHORT_BINUNICODE, BINUNICODE, BINUNICODE8 -> {
                    older = newer;
                    newer = (String) arg;
                }
                case BINGET, LONG_BINGET -> {
                    older = newer;
                    newer = memoStrings.get(intArg);
                }
                case BINPUT, LONG_BINPUT, MEMOIZE -> {
                    long index = op == MEMOIZE ? memoCount : intArg;
                    // Python's pickler numbers memo slots 0, 1, 2, ... in order; a forged index (a C unpickler sizes
                    // its memo array by the largest one) is refused rather than stored.
                    if (index > memoCount) {
                        throw refuse(Opcodes.name(op) + " at byte " + (opAt - start) + " puts memo slot " + index + " out of sequence (next is "
                                + memoCount + ")");
                    }
                    if (index == memoCount) {
                        memoCount++;
                    }
                    if (newer != null) {
                        memoStrings.put(index, newer);
                    } else {
                        memoStrings.remove(index);
                    }
                }
                case FRAME, PROTO -> {
                }
                case STACK_GLOBAL -> {
                    if (older == null || newer == null) {
                        throw refuse("STACK_GLOBAL at byte " + (opAt - start) + " without a literal module and name before it");
                    }
                    allowed(older, newer);
                    older = null;
                    newer = null;
                }
                default -> {
                    older = null;
                    newer = null;
                }
            }
        }
    }

    private Global allowed(String module, String name) {
        Global g = TorchGlobals.lookup(module, name);
        if (g == null) {
            throw MergeLabException.input(where + ": forbidden global '" + Untrusted.show(module + "." + name) + "' at byte "
                    + (opAt - start) + " (torch.load(weights_only=True) refuses it too); nothing was loaded",
                    "MergeLab reads only state dicts of tensors and never runs code from a checkpoint");
        }
        return g;
    }

    // ------------------------------------------------------------------------------------------ pass 2

    private final List<Object> stack = new ArrayList<>();
    private final int[] marks = new int[MAX_MARKS];
    private int markDepth;
    private final List<Object> memo = new ArrayList<>();

    private Object run(int end) {
        pos = start;
        while (pos < end) {
            next();
            switch (op) {
                case PROTO, FRAME -> {
                }
                case STOP -> {
                    return pop();
                }
                case MARK -> {
                    if (markDepth == MAX_MARKS) {
                        throw refuse("MARKs nest deeper than " + MAX_MARKS + " at byte " + (opAt - start));
                    }
                    marks[markDepth++] = stack.size();
                }
                case NONE -> push(None.NONE);
                case NEWTRUE -> push(Boolean.TRUE);
                case NEWFALSE -> push(Boolean.FALSE);
                case BININT, BININT1, BININT2 -> push(intArg);
                case LONG1, BINFLOAT, SHORT_BINUNICODE, BINUNICODE, BINUNICODE8 -> push(arg);
                case EMPTY_DICT -> push(new PyDict(false));
                case EMPTY_LIST -> push(new PyList());
                case EMPTY_TUPLE -> push(new Tuple(List.of()));
                case TUPLE -> push(new Tuple(popMark()));
                case TUPLE1, TUPLE2, TUPLE3 -> {
                    int n = op - TUPLE1 + 1;
                    List<Object> items = popN(n);
                    push(new Tuple(items));
                }
                case APPEND -> {
                    Object item = pop();
                    list(top()).add(item);
                }
                case APPENDS -> {
                    List<Object> items = popMark();
                    list(top()).addAll(items);
                }
                case SETITEM -> {
                    Object value = pop();
                    Object key = pop();
                    put(dict(top()), key, value);
                }
                case SETITEMS -> {
                    List<Object> items = popMark();
                    if (items.size() % 2 != 0) {
                        throw refuse("SETITEMS at byte " + (opAt - start) + " has an odd number of items");
                    }
                    PyDict d = dict(top());
                    for (int i = 0; i < items.size(); i += 2) {
                        put(d, items.get(i), items.get(i + 1));
                    }
                }
                case BINPUT, LONG_BINPUT -> memoPut((int) intArg);
                case MEMOIZE -> memoPut(memo.size());
                case BINGET, LONG_BINGET -> {
                    if (intArg >= memo.size()) {
                        throw refuse(Opcodes.name(op) + " at byte " + (opAt - start) + " reads memo slot " + intArg + ", which was never set");
                    }
                    push(memo.get((int) intArg));
                }
                case GLOBAL -> {
                    String[] g = (String[]) arg;
                    push(allowed(g[0], g[1]));
                }
                case STACK_GLOBAL -> {
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw refuse("STACK_GLOBAL at byte " + (opAt - start) + " needs two strings");
                    }
                    push(allowed(m, n));
                }
                case REDUCE -> {
                    Object args = pop();
                    Object fn = pop();
                    push(Rebuild.call(fn, args, this));
                }
                case NEWOBJ -> {
                    Object args = pop();
                    Object cls = pop();
                    push(Rebuild.newObject(cls, args, this));
                }
                case BUILD -> {
                    Object state = pop();
                    Rebuild.build(top(), state, this);
                }
                case BINPERSID -> {
                    Object pid = pop();
                    if (!(pid instanceof Tuple t) || t.size() == 0 || !"storage".equals(t.get(0))) {
                        throw refuse("persistent id at byte " + (opAt - start) + " is not a storage ("
                                + (pid instanceof Tuple t && t.size() > 0 ? "'" + shown(t.get(0)) + "'" : PyValues.typeName(pid))
                                + "); torch.load(weights_only=True) refuses it too");
                    }
                    push(loader.load(t, where));
                }
                default -> throw new IllegalStateException("opcode 0x" + Integer.toHexString(op) + " passed the scan");
            }
        }
        throw new IllegalStateException("scan ended at STOP");
    }

    private void push(Object o) {
        if (stack.size() >= MAX_STACK) {
            throw refuse("the pickle's stack grows past " + MAX_STACK + " entries at byte " + (opAt - start));
        }
        stack.add(o);
    }

    private Object pop() {
        int floor = markDepth == 0 ? 0 : marks[markDepth - 1];
        if (stack.size() <= floor) {
            throw refuse(Opcodes.name(op) + " at byte " + (opAt - start) + " pops an empty stack");
        }
        return stack.removeLast();
    }

    private Object top() {
        int floor = markDepth == 0 ? 0 : marks[markDepth - 1];
        if (stack.size() <= floor) {
            throw refuse(Opcodes.name(op) + " at byte " + (opAt - start) + " needs a value on the stack");
        }
        return stack.getLast();
    }

    private List<Object> popN(int n) {
        List<Object> items = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            items.addFirst(pop());
        }
        return items;
    }

    private List<Object> popMark() {
        if (markDepth == 0) {
            throw refuse(Opcodes.name(op) + " at byte " + (opAt - start) + " without a MARK");
        }
        int at = marks[--markDepth];
        List<Object> tail = stack.subList(at, stack.size());
        List<Object> items = new ArrayList<>(tail);
        tail.clear();
        return items;
    }

    private void memoPut(int index) {
        Object v = top();
        if (index == memo.size()) {
            memo.add(v);
        } else {
            memo.set(index, v); // the scan allowed only indexes up to the next free one
        }
    }

    private PyList list(Object o) {
        if (o instanceof PyList l) {
            return l;
        }
        throw refuse(Opcodes.name(op) + " at byte " + (opAt - start) + " appends to a " + PyValues.typeName(o) + ", not a list");
    }

    private PyDict dict(Object o) {
        if (o instanceof PyDict d) {
            return d;
        }
        throw refuse(Opcodes.name(op) + " at byte " + (opAt - start) + " sets an item of a " + PyValues.typeName(o) + ", not a dict");
    }

    private void put(PyDict d, Object key, Object value) {
        if (!PyValues.isKey(key)) {
            throw refuse("a dict key at byte " + (opAt - start) + " is a " + PyValues.typeName(key) + "; state dicts have string keys");
        }
        if (d.putIfAbsent(key, value) != null) {
            throw refuse("dict key '" + shown(key) + "' appears twice (at byte " + (opAt - start) + ")");
        }
    }

    /** A scalar for a message, escaped and clipped. */
    static String shown(Object o) {
        return Untrusted.show(String.valueOf(o));
    }

    /** A one-line INPUT error about this pickle. */
    MergeLabException refuse(String what) {
        return MergeLabException.input(where + ": " + what, "MergeLab reads only PyTorch state dicts of tensors, as torch.load(weights_only=True) does");
    }

    /** Where the opcode being executed starts, for messages of {@link Rebuild}. */
    int opOffset() {
        return opAt - start;
    }
}
