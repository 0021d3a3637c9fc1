package dev.mergelab.format;

import static dev.mergelab.format.Hostile.concat;
import static dev.mergelab.format.Hostile.entry;
import static dev.mergelab.format.Hostile.file;
import static dev.mergelab.format.Hostile.lyingLength;
import static dev.mergelab.format.Hostile.utf8;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The malformed safetensors corpus, defined once. {@link MalformedSafetensorsTest} opens every case;
 * the small ones marked {@code checkedIn} are also stored in {@code src/test/resources/malformed/} with a
 * README table generated from this list (the test checks the stored files and README still match, and
 * {@link #main} regenerates them).
 */
final class MalformedCorpus {

    /** One malformed file: its name, what is wrong with it, and a fragment the error message must contain. */
    record Case(String file, String wrong, String expect, boolean checkedIn, Supplier<byte[]> bytes) {
    }

    private MalformedCorpus() {
    }

    private static final String OK_A = entry("a", "F32", "[2]", 0, 8);

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        // --- The 8-byte length prefix ---
        add(c, "empty.safetensors", "empty file", "file is 0 bytes", () -> new byte[0]);
        add(c, "seven-bytes.safetensors", "7 bytes: not even a header length", "file is 7 bytes", () -> new byte[7]);
        add(c, "truncated-data.safetensors", "valid header for 8 data bytes, only 5 present", "beyond the file's 5 data bytes",
                () -> file("{" + OK_A + "}", 5));
        add(c, "header-len-past-eof.safetensors", "header length 1000 in a 10-byte file", "runs past the end of the 10-byte file",
                () -> lyingLength(1000, utf8("{}")));
        add(c, "header-len-99mb-lie.safetensors", "header length 99,999,999 (under the cap) in a 16-byte file: must not allocate 100 MB",
                "runs past the end of the 16-byte file", () -> lyingLength(99_999_999, utf8("{}      ")));
        add(c, "header-len-over-100mb.safetensors", "header length 100,000,001", "header length 100000001 exceeds the 100 MB limit",
                () -> lyingLength(100_000_001, utf8("{}")));
        add(c, "header-len-2pow63.safetensors", "header length 2^63 (negative as a signed long)",
                "header length 9223372036854775808 exceeds", () -> lyingLength(Long.MIN_VALUE, utf8("{}")));
        add(c, "header-len-all-ones.safetensors", "header length 2^64-1 (-1 as a signed long)",
                "header length 18446744073709551615 exceeds", () -> lyingLength(-1, utf8("{}")));
        add(c, "header-len-zero.safetensors", "header length 0", "header does not start with '{'", () -> lyingLength(0, new byte[0]));

        // --- Header start and encoding ---
        add(c, "header-leading-space.safetensors", "header starts with a space", "header does not start with '{'", () -> file(" {}", 0));
        add(c, "header-bom.safetensors", "header starts with a UTF-8 byte order mark", "header does not start with '{'",
                () -> file(concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, utf8("{}")), 0));
        add(c, "header-is-array.safetensors", "header is a JSON array", "header does not start with '{'", () -> file("[]", 0));
        add(c, "utf8-ff-in-name.safetensors", "byte FF inside a tensor name", "header is not valid UTF-8", () -> badUtf8(0xFF));
        add(c, "utf8-overlong-nul.safetensors", "overlong C0 80 (NUL) inside a name: Jackson alone decodes it",
                "header is not valid UTF-8", () -> badUtf8(0xC0, 0x80));
        add(c, "utf8-overlong-3byte.safetensors", "overlong E0 80 AF ('/') inside a name", "header is not valid UTF-8",
                () -> badUtf8(0xE0, 0x80, 0xAF));
        add(c, "utf8-surrogate.safetensors", "UTF-8-encoded surrogate ED A0 80 inside a name", "header is not valid UTF-8",
                () -> badUtf8(0xED, 0xA0, 0x80));
        add(c, "utf8-above-10ffff.safetensors", "F4 90 80 80 (U+110000) inside a name: Jackson alone accepts it",
                "header is not valid UTF-8", () -> badUtf8(0xF4, 0x90, 0x80, 0x80));
        add(c, "utf8-truncated-sequence.safetensors", "E2 82 (cut 3-byte sequence) before the closing quote",
                "header is not valid UTF-8", () -> badUtf8(0xE2, 0x82));

        // --- JSON syntax ---
        add(c, "json-missing-colon.safetensors", "missing ':' after a name", "header is not valid JSON",
                () -> file("{\"a\" {\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8));
        add(c, "json-truncated.safetensors", "header ends inside an object", "header is not valid JSON",
                () -> file("{\"a\":{\"dtype\":\"F32\"", 0));
        add(c, "json-trailing-garbage.safetensors", "'x' after the header object", "header is not valid JSON",
                () -> file("{" + OK_A + "} x", 8));
        add(c, "json-second-object.safetensors", "a second object after the header object", "unexpected data after the header object",
                () -> file("{" + OK_A + "}{}", 8));
        add(c, "json-nul-padding.safetensors", "header padded with NUL bytes instead of spaces", "header is not valid JSON",
                () -> file("{" + OK_A + "}\0\0\0\0\0\0", 8));
        add(c, "json-comment.safetensors", "a /* comment */ in the header", "header is not valid JSON",
                () -> file("{/*x*/" + OK_A + "}", 8));
        add(c, "json-single-quotes.safetensors", "single-quoted names", "header is not valid JSON",
                () -> file("{'a':{'dtype':'F32','shape':[2],'data_offsets':[0,8]}}", 8));
        add(c, "json-entry-null.safetensors", "tensor entry is null", "entry of tensor 'a' is not an object",
                () -> file("{\"a\":null}", 0));
        add(c, "json-entry-array.safetensors", "tensor entry is an array", "entry of tensor 'a' is not an object",
                () -> file("{\"a\":[1,2]}", 0));

        // --- Names ---
        add(c, "duplicate-tensor-name.safetensors", "two tensors named 'a'", "Duplicate field 'a'",
                () -> file("{" + OK_A + "," + entry("a", "F32", "[2]", 8, 16) + "}", 16));
        add(c, "duplicate-field-in-entry.safetensors", "'dtype' twice in one entry", "Duplicate field 'dtype'",
                () -> file("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8));
        add(c, "name-newline.safetensors", "name with an escaped newline and a bidi override, entry lacks dtype: the message must stay one line",
                "tensor 'a\\u000ab\\u202ec' lacks dtype", () -> file("{\"a\\nb\\u202Ec\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8));
        add(c, "name-lone-surrogate.safetensors", "name with an unpaired \\udc00 escape", "header is not valid JSON",
                () -> file("{\"a\\udc00\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8));
        addBig(c, "name-2mb.safetensors", "a 2 MB tensor name", "header is not valid JSON",
                () -> file("{" + entry("n".repeat(2 << 20), "F32", "[2]", 0, 8) + "}", 8));

        // --- __metadata__ ---
        add(c, "metadata-number-value.safetensors", "__metadata__ value is a number", "__metadata__ value of 'k' is not a string",
                () -> file("{\"__metadata__\":{\"k\":1}," + OK_A + "}", 8));
        add(c, "metadata-nested-object.safetensors", "__metadata__ value is an object", "__metadata__ value of 'k' is not a string",
                () -> file("{\"__metadata__\":{\"k\":{\"x\":\"y\"}}," + OK_A + "}", 8));
        add(c, "metadata-array.safetensors", "__metadata__ is an array", "__metadata__ must be an object of strings",
                () -> file("{\"__metadata__\":[\"k\"]," + OK_A + "}", 8));
        add(c, "metadata-null.safetensors", "__metadata__ is null", "__metadata__ must be an object of strings",
                () -> file("{\"__metadata__\":null," + OK_A + "}", 8));
        add(c, "metadata-duplicate.safetensors", "__metadata__ twice", "Duplicate field '__metadata__'",
                () -> file("{\"__metadata__\":{},\"__metadata__\":{}," + OK_A + "}", 8));
        add(c, "metadata-lone-surrogate.safetensors", "__metadata__ value with an unpaired \\ud800 escape (Jackson accepts it in values)",
                "holds an unpaired UTF-16 surrogate", () -> file("{\"__metadata__\":{\"k\":\"\\ud800\"}," + OK_A + "}", 8));
        addBig(c, "metadata-10001-entries.safetensors", "10,001 __metadata__ entries", "__metadata__ has more than 10000 entries",
                () -> file("{\"__metadata__\":{" + manyMetadata(10_001) + "}," + OK_A + "}", 8));
        addBig(c, "metadata-2mb-value.safetensors", "a 2 MB __metadata__ value", "header is not valid JSON",
                () -> file("{\"__metadata__\":{\"k\":\"" + "v".repeat(2 << 20) + "\"}," + OK_A + "}", 8));

        // --- dtype ---
        add(c, "dtype-f4.safetensors", "dtype 'F4'", "unsupported dtype 'F4'", () -> file("{" + entry("a", "F4", "[2]", 0, 8) + "}", 8));
        add(c, "dtype-q4k.safetensors", "dtype 'Q4_K' (a GGUF type)", "unsupported dtype 'Q4_K'",
                () -> file("{" + entry("a", "Q4_K", "[2]", 0, 8) + "}", 8));
        add(c, "dtype-lowercase.safetensors", "dtype 'f32'", "unsupported dtype 'f32'", () -> file("{" + entry("a", "f32", "[2]", 0, 8) + "}", 8));
        add(c, "dtype-number.safetensors", "dtype is the number 4", "dtype of tensor 'a' is not a string",
                () -> file("{\"a\":{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}}", 8));

        // --- Missing fields ---
        add(c, "missing-dtype.safetensors", "entry without dtype", "tensor 'a' lacks dtype, shape or data_offsets",
                () -> file("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8));
        add(c, "missing-shape.safetensors", "entry without shape", "tensor 'a' lacks dtype, shape or data_offsets",
                () -> file("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8));
        add(c, "missing-offsets.safetensors", "entry without data_offsets", "tensor 'a' lacks dtype, shape or data_offsets",
                () -> file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8));

        // --- Shapes ---
        add(c, "shape-negative.safetensors", "shape [-2]", "shape of tensor 'a' holds a negative number",
                () -> file("{" + entry("a", "F32", "[-2]", 0, 8) + "}", 8));
        add(c, "shape-product-overflow.safetensors", "shape [2^40, 2^40]: element count overflows", "shape of tensor 'a' overflows",
                () -> file("{" + entry("a", "U8", "[1099511627776,1099511627776]", 0, 8) + "}", 8));
        add(c, "shape-bytes-overflow.safetensors", "F64 shape [2^61]: count fits, count x 8 bytes overflows", "shape of tensor 'a' overflows",
                () -> file("{" + entry("a", "F64", "[2305843009213693952]", 0, 8) + "}", 8));
        add(c, "shape-zero-times-huge.safetensors", "shape [0, 2^62, 2^62]: 0 elements, but strides overflow (refused on purpose)",
                "shape of tensor 'a' overflows", () -> file("{" + entry("a", "U8", "[0,4611686018427387904,4611686018427387904]", 0, 0) + "}", 0));
        add(c, "shape-u64-max.safetensors", "shape [2^64-1]: beyond a signed long", "shape of tensor 'a' holds a number too large",
                () -> file("{" + entry("a", "U8", "[18446744073709551615]", 0, 8) + "}", 8));
        add(c, "shape-float.safetensors", "shape [2.0]", "shape of tensor 'a' holds a non-integer",
                () -> file("{" + entry("a", "F32", "[2.0]", 0, 8) + "}", 8));
        add(c, "shape-exponent.safetensors", "shape [2e0]", "shape of tensor 'a' holds a non-integer",
                () -> file("{" + entry("a", "F32", "[2e0]", 0, 8) + "}", 8));
        add(c, "shape-string.safetensors", "shape [\"2\"]", "shape of tensor 'a' holds a non-integer",
                () -> file("{" + entry("a", "F32", "[\"2\"]", 0, 8) + "}", 8));
        add(c, "shape-not-array.safetensors", "shape is the number 2", "shape of tensor 'a' is not an array",
                () -> file("{" + entry("a", "F32", "2", 0, 8) + "}", 8));
        add(c, "shape-40-digits.safetensors", "a 40-digit number in shape", "header is not valid JSON",
                () -> file("{" + entry("a", "F32", "[" + "9".repeat(40) + "]", 0, 8) + "}", 8));
        add(c, "shape-rank-65.safetensors", "65 dimensions (PyTorch allows 64)", "shape of tensor 'a' has more than 64 entries",
                () -> file("{" + entry("a", "U8", "[" + "1,".repeat(64) + "1]", 0, 1) + "}", 1));
        add(c, "shape-size-mismatch.safetensors", "F32 [2] but data_offsets span 4 bytes", "needs 8 bytes but data_offsets span 4",
                () -> file("{" + entry("a", "F32", "[2]", 0, 4) + "}", 4));

        // --- data_offsets and layout ---
        add(c, "offsets-begin-gt-end.safetensors", "data_offsets [8, 0]", "has data_offsets with begin > end",
                () -> file("{" + entry("a", "F32", "[2]", 8, 0) + "}", 8));
        add(c, "offsets-out-of-range.safetensors", "tensor ends at 8 but only 4 data bytes", "beyond the file's 4 data bytes",
                () -> file("{" + OK_A + "}", 4));
        add(c, "offsets-far-out-of-range.safetensors", "second tensor claims bytes [8, 2^63-1) of an 8-byte data section",
                "tensor data ends at byte 9223372036854775807 beyond the file's 8 data bytes",
                () -> file("{" + entry("a", "U8", "[8]", 0, 8) + "," + entry("b", "U8", "[9223372036854775799]", 8, Long.MAX_VALUE) + "}", 8));
        add(c, "offsets-three-numbers.safetensors", "data_offsets [0, 8, 16]", "data_offsets of tensor 'a' has more than 2 entries",
                () -> file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,16]}}", 8));
        add(c, "offsets-one-number.safetensors", "data_offsets [8]", "data_offsets of tensor 'a' must have two numbers",
                () -> file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8]}}", 8));
        add(c, "offsets-negative.safetensors", "data_offsets [-8, 0]", "data_offsets of tensor 'a' holds a negative number",
                () -> file("{" + entry("a", "F32", "[2]", -8, 0) + "}", 8));
        add(c, "offsets-strings.safetensors", "data_offsets [\"0\", \"8\"]", "data_offsets of tensor 'a' holds a non-integer",
                () -> file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[\"0\",\"8\"]}}", 8));
        add(c, "overlap.safetensors", "b [4,12) overlaps a [0,8)", "tensor 'b' overlaps the previous tensor",
                () -> file("{" + OK_A + "," + entry("b", "F32", "[2]", 4, 12) + "}", 12));
        add(c, "overlap-identical.safetensors", "a and b share the bytes [0,8)", "overlaps the previous tensor",
                () -> file("{" + OK_A + "," + entry("b", "F32", "[2]", 0, 8) + "}", 8));
        add(c, "gap.safetensors", "4 unused bytes between a and b", "tensor 'b' leaves a gap before it",
                () -> file("{" + OK_A + "," + entry("b", "F32", "[2]", 12, 20) + "}", 20));
        add(c, "gap-at-start.safetensors", "first tensor starts at 4", "tensor 'a' leaves a gap before it",
                () -> file("{" + entry("a", "F32", "[2]", 4, 12) + "}", 12));
        add(c, "data-not-covered.safetensors", "4 data bytes after the last tensor", "data section has 4 bytes not covered",
                () -> file("{" + OK_A + "}", 12));
        add(c, "no-tensors-but-data.safetensors", "empty header followed by data bytes", "data section has 3 bytes not covered",
                () -> file("{}", 3));

        // --- Nesting ---
        addBig(c, "deep-array-100k.safetensors", "10^5 '[' inside an unknown field of an entry", "header is not valid JSON",
                () -> file("{\"a\":{\"x\":" + "[".repeat(100_000) + "}}", 0));
        addBig(c, "deep-object-100k.safetensors", "10^5 nested objects inside an unknown field", "header is not valid JSON",
                () -> file("{\"a\":{\"x\":" + "{\"k\":".repeat(100_000) + "}}", 0));
        add(c, "deep-array-entry.safetensors", "an entry that is 100 nested arrays", "entry of tensor 'a' is not an object",
                () -> file("{\"a\":" + "[".repeat(100) + "]".repeat(100) + "}", 0));
        add(c, "nesting-depth-9.safetensors", "unknown field nested 9 deep (cap is 8)", "header is not valid JSON",
                () -> file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":" + "[".repeat(7) + "]".repeat(7) + "}}", 8));
        return c;
    }

    private static void add(List<Case> c, String file, String wrong, String expect, Supplier<byte[]> bytes) {
        c.add(new Case(file, wrong, expect, true, bytes));
    }

    /** Too big to be worth storing in git, or only interesting as generated: tested, not checked in. */
    private static void addBig(List<Case> c, String file, String wrong, String expect, Supplier<byte[]> bytes) {
        c.add(new Case(file, wrong, expect, false, bytes));
    }

    /** A header whose first name contains {@code bad} raw bytes. */
    private static byte[] badUtf8(int... bad) {
        byte[] b = new byte[bad.length];
        for (int i = 0; i < bad.length; i++) {
            b[i] = (byte) bad[i];
        }
        return file(concat(utf8("{\"a"), b, utf8("\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}")), 8);
    }

    private static String manyMetadata(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
        }
        return sb.toString();
    }

    /** The README stored beside the checked-in files; generated so it never drifts from the cases. */
    static String readme() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Malformed safetensors files\n\n")
                .append("Generated by `MalformedCorpus` (src/test/java/dev/mergelab/format); `MalformedSafetensorsTest` opens each one\n")
                .append("and checks that it fails with a one-line `MergeLabException` of kind INPUT (exit code 2) that starts with the\n")
                .append("file's path and contains the text in the last column, within a time and allocation bound. It also checks that\n")
                .append("these files and this table still match the generator. To regenerate after changing the cases:\n\n")
                .append("    java -cp target/test-classes:target/classes:<jackson jars> dev.mergelab.format.MalformedCorpus "
                        + "src/test/resources/malformed\n\n")
                .append("Larger cases (2 MB names, 10^5-deep nesting, 10^6 tensors, sparse multi-GiB files) are generated at test time only;\n")
                .append("TESTING.md lists them all.\n\n")
                .append("| File | What is wrong | Error message contains |\n|---|---|---|\n");
        for (Case k : cases()) {
            if (k.checkedIn()) {
                sb.append("| `").append(k.file()).append("` | ").append(cell(k.wrong())).append(" | `").append(cell(k.expect())).append("` |\n");
            }
        }
        return sb.toString();
    }

    private static String cell(String s) {
        return s.replace("|", "\\|");
    }

    /** Regenerates the checked-in files and README in {@code args[0]}. */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        for (Case k : cases()) {
            if (k.checkedIn()) {
                Files.write(dir.resolve(k.file()), k.bytes().get());
            }
        }
        Files.writeString(dir.resolve("README.md"), readme(), StandardCharsets.UTF_8);
    }
}
