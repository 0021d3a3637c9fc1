package dev.mergelab.tokenizer;

import java.util.List;

/** What a split does with the parts that matched (the library's {@code SplitDelimiterBehavior}). */
enum SplitBehavior {
    REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS;

    static SplitBehavior parse(JsonField f, SplitBehavior def) {
        if (f.isNull()) {
            return def;
        }
        return switch (f.oneOf(null, "Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous")) {
            case "Removed" -> REMOVED;
            case "Isolated" -> ISOLATED;
            case "MergedWithPrevious" -> MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> MERGED_WITH_NEXT;
            default -> CONTIGUOUS;
        };
    }

    /** Cuts {@code p} where {@code pattern} says and appends the parts this behaviour keeps. */
    void cut(Piece p, SplitPattern pattern, List<Piece> out) {
        IntList t = new IntList();
        pattern.find(p.text, t);
        int n = t.size / 3;
        int[] a = t.a;
        switch (this) {
            case ISOLATED -> {
                for (int i = 0; i < n; i++) {
                    out.add(p.slice(a[3 * i], a[3 * i + 1]));
                }
            }
            case REMOVED -> {
                for (int i = 0; i < n; i++) {
                    if (a[3 * i + 2] == 0) {
                        out.add(p.slice(a[3 * i], a[3 * i + 1]));
                    }
                }
            }
            case MERGED_WITH_PREVIOUS, CONTIGUOUS -> {
                // A match joins the part before it unless that part was itself a match (MergedWithPrevious);
                // Contiguous joins every run of parts with the same match status.
                IntList parts = new IntList();
                boolean previousMatch = false;
                for (int i = 0; i < n; i++) {
                    boolean match = a[3 * i + 2] == 1;
                    boolean join = this == CONTIGUOUS ? match == previousMatch : match && !previousMatch;
                    if (join && parts.size > 0) {
                        parts.a[parts.size - 1] = a[3 * i + 1];
                    } else {
                        parts.add(a[3 * i]);
                        parts.add(a[3 * i + 1]);
                    }
                    previousMatch = match;
                }
                for (int i = 0; i < parts.size; i += 2) {
                    out.add(p.slice(parts.a[i], parts.a[i + 1]));
                }
            }
            case MERGED_WITH_NEXT -> {
                // Mirror image: walk backwards, a match joins the part after it.
                int[] starts = new int[n];
                int[] ends = new int[n];
                int k = 0;
                boolean previousMatch = false;
                for (int i = n - 1; i >= 0; i--) {
                    boolean match = a[3 * i + 2] == 1;
                    if (match && !previousMatch && k > 0) {
                        starts[k - 1] = a[3 * i];
                    } else {
                        starts[k] = a[3 * i];
                        ends[k] = a[3 * i + 1];
                        k++;
                    }
                    previousMatch = match;
                }
                for (int i = k - 1; i >= 0; i--) {
                    out.add(p.slice(starts[i], ends[i]));
                }
            }
        }
    }
}
