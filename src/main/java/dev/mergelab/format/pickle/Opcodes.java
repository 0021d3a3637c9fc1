package dev.mergelab.format.pickle;

/**
 * Pickle opcodes: the ones {@link PickleMachine} executes (those torch.save writes for a state dict, protocols
 * 2 to 5) and the names of all the others, so a refusal can say which opcode it met.
 */
final class Opcodes {

    private Opcodes() {
    }

    static final int MARK = '(';
    static final int STOP = '.';
    static final int BININT = 'J';
    static final int BININT1 = 'K';
    static final int BININT2 = 'M';
    static final int NONE = 'N';
    static final int BINPERSID = 'Q';
    static final int REDUCE = 'R';
    static final int BINUNICODE = 'X';
    static final int EMPTY_LIST = ']';
    static final int APPEND = 'a';
    static final int BUILD = 'b';
    static final int GLOBAL = 'c';
    static final int APPENDS = 'e';
    static final int BINGET = 'h';
    static final int LONG_BINGET = 'j';
    static final int BINPUT = 'q';
    static final int LONG_BINPUT = 'r';
    static final int SETITEM = 's';
    static final int TUPLE = 't';
    static final int SETITEMS = 'u';
    static final int EMPTY_DICT = '}';
    static final int EMPTY_TUPLE = ')';
    static final int BINFLOAT = 'G';
    static final int PROTO = 0x80;
    static final int NEWOBJ = 0x81;
    static final int TUPLE1 = 0x85;
    static final int TUPLE2 = 0x86;
    static final int TUPLE3 = 0x87;
    static final int NEWTRUE = 0x88;
    static final int NEWFALSE = 0x89;
    static final int LONG1 = 0x8a;
    static final int SHORT_BINUNICODE = 0x8c;
    static final int BINUNICODE8 = 0x8d;
    static final int STACK_GLOBAL = 0x93;
    static final int MEMOIZE = 0x94;
    static final int FRAME = 0x95;

    /** The pickle name of opcode {@code op}, or null for a byte that is no opcode at all. */
    static String name(int op) {
        return switch (op) {
            case MARK -> "MARK";
            case STOP -> "STOP";
            case '0' -> "POP";
            case '1' -> "POP_MARK";
            case '2' -> "DUP";
            case 'F' -> "FLOAT";
            case 'I' -> "INT";
            case BININT -> "BININT";
            case BININT1 -> "BININT1";
            case 'L' -> "LONG";
            case BININT2 -> "BININT2";
            case NONE -> "NONE";
            case 'P' -> "PERSID";
            case BINPERSID -> "BINPERSID";
            case REDUCE -> "REDUCE";
            case 'S' -> "STRING";
            case 'T' -> "BINSTRING";
            case 'U' -> "SHORT_BINSTRING";
            case 'V' -> "UNICODE";
            case BINUNICODE -> "BINUNICODE";
            case APPEND -> "APPEND";
            case BUILD -> "BUILD";
            case GLOBAL -> "GLOBAL";
            case 'd' -> "DICT";
            case EMPTY_DICT -> "EMPTY_DICT";
            case APPENDS -> "APPENDS";
            case 'g' -> "GET";
            case BINGET -> "BINGET";
            case 'i' -> "INST";
            case LONG_BINGET -> "LONG_BINGET";
            case 'l' -> "LIST";
            case EMPTY_LIST -> "EMPTY_LIST";
            case 'o' -> "OBJ";
            case 'p' -> "PUT";
            case BINPUT -> "BINPUT";
            case LONG_BINPUT -> "LONG_BINPUT";
            case SETITEM -> "SETITEM";
            case TUPLE -> "TUPLE";
            case EMPTY_TUPLE -> "EMPTY_TUPLE";
            case SETITEMS -> "SETITEMS";
            case BINFLOAT -> "BINFLOAT";
            case PROTO -> "PROTO";
            case NEWOBJ -> "NEWOBJ";
            case 0x82 -> "EXT1";
            case 0x83 -> "EXT2";
            case 0x84 -> "EXT4";
            case TUPLE1 -> "TUPLE1";
            case TUPLE2 -> "TUPLE2";
            case TUPLE3 -> "TUPLE3";
            case NEWTRUE -> "NEWTRUE";
            case NEWFALSE -> "NEWFALSE";
            case LONG1 -> "LONG1";
            case 0x8b -> "LONG4";
            case 'B' -> "BINBYTES";
            case 'C' -> "SHORT_BINBYTES";
            case SHORT_BINUNICODE -> "SHORT_BINUNICODE";
            case BINUNICODE8 -> "BINUNICODE8";
            case 0x8e -> "BINBYTES8";
            case 0x8f -> "EMPTY_SET";
            case 0x90 -> "ADDITEMS";
            case 0x91 -> "FROZENSET";
            case 0x92 -> "NEWOBJ_EX";
            case STACK_GLOBAL -> "STACK_GLOBAL";
            case MEMOIZE -> "MEMOIZE";
            case FRAME -> "FRAME";
            case 0x96 -> "BYTEARRAY8";
            case 0x97 -> "NEXT_BUFFER";
            case 0x98 -> "READONLY_BUFFER";
            default -> null;
        };
    }
}
