package dev.mergelab.cli;

import dev.mergelab.MergeLabException;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsing of byte sizes ("5GB", "500MB", "1.5G") and named synthetic family sizes. */
final class Sizes {

    private static final Pattern BYTES = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMGT]?I?B?)?", Pattern.CASE_INSENSITIVE);

    private Sizes() {
    }

    static long parseBytes(String s, String option) {
        Matcher m = BYTES.matcher(s.trim());
        if (!m.matches()) {
            throw MergeLabException.input(option + " '" + s + "' is not a size", "write e.g. 5GB, 500MB or 1073741824");
        }
        double v = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "" : m.group(2).toUpperCase(Locale.ROOT);
        boolean binary = unit.contains("I");
        double k = binary ? 1024 : 1000;
        double mult = switch (unit.isEmpty() ? ' ' : unit.charAt(0)) {
            case 'K' -> k;
            case 'M' -> k * k;
            case 'G' -> k * k * k;
            case 'T' -> k * k * k * k;
            default -> 1;
        };
        long bytes = (long) (v * mult);
        if (bytes < 0 || (bytes == 0 && v != 0)) {
            throw MergeLabException.input(option + " must be positive", null);
        }
        return bytes;
    }

    /**
     * A {@code --memory} heap budget: the size given, else half the Java heap (the launcher's MERGELAB_HEAP).
     * A budget above the heap is refused: jobs would be admitted that can only end in running out of heap.
     */
    static long heapBudget(String value) {
        long heap = Runtime.getRuntime().maxMemory();
        if (value == null) {
            return heap / 2;
        }
        long budget = parseBytes(value, "--memory");
        if (budget > heap) {
            throw MergeLabException.input("--memory " + value + " is more than the Java heap (" + Bytes.human(heap) + ")",
                    "lower --memory, or raise the heap: MERGELAB_HEAP=8g ./mergelab ...");
        }
        return budget;
    }

    static FamilySpec family(String size, DType dtype) {
        return switch (size.toLowerCase(Locale.ROOT)) {
            case "tiny" -> FamilySpec.tiny(dtype);
            case "1b" -> FamilySpec.tinyLlama1b(dtype);
            case "3b" -> FamilySpec.llama3b(dtype);
            case "7b" -> FamilySpec.llama7b(dtype);
            default -> throw MergeLabException.input("unknown size '" + size + "'", "use tiny, 1b, 3b or 7b");
        };
    }
}
