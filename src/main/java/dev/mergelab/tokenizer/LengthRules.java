package dev.mergelab.tokenizer;

import java.util.Arrays;

/** tokenizer.json's {@code truncation} and {@code padding}, as they apply to one encoded sequence. */
final class LengthRules {

    /** Far beyond any model's context; padding to more would only be a way to exhaust memory. */
    static final int MAX_PAD = 1 << 22;

    private final int maxLength;       // -1: no truncation
    private final boolean truncateLeft;
    private final int padTo;            // -1: no padding; 0: pad to the sequence's own length (BatchLongest)
    private final int multipleOf;
    private final int padId;
    private final boolean padLeft;

    private LengthRules(int maxLength, boolean truncateLeft, int padTo, int multipleOf, int padId, boolean padLeft) {
        this.maxLength = maxLength;
        this.truncateLeft = truncateLeft;
        this.padTo = padTo;
        this.multipleOf = multipleOf;
        this.padId = padId;
        this.padLeft = padLeft;
    }

    static LengthRules parse(JsonField truncation, JsonField padding) {
        int max = -1;
        boolean left = false;
        if (!truncation.isNull()) {
            truncation.object();
            max = truncation.get("max_length").index();
            left = truncation.get("direction").oneOf("Right", "Right", "Left").equals("Left");
            truncation.get("strategy").oneOf("LongestFirst", "LongestFirst", "OnlyFirst", "OnlySecond");
            truncation.get("stride").index(0); // overflowing windows are not returned by encode
        }
        int padTo = -1;
        int multiple = 0;
        int padId = 0;
        boolean padLeft = false;
        if (!padding.isNull()) {
            padding.object();
            JsonField strategy = padding.get("strategy");
            if (strategy.node() != null && strategy.node().isTextual()) {
                strategy.oneOf(null, "BatchLongest");
                padTo = 0;
            } else if (strategy.isNull()) {
                padTo = 0;
            } else {
                padTo = strategy.object().get("Fixed").index();
                if (padTo > MAX_PAD) {
                    throw strategy.get("Fixed").error("is " + padTo + ", more than the " + MAX_PAD
                            + " ids this reader pads to");
                }
            }
            multiple = padding.get("pad_to_multiple_of").index(0);
            if (multiple > MAX_PAD) {
                throw padding.get("pad_to_multiple_of").error("is " + multiple + ", more than " + MAX_PAD);
            }
            padId = padding.get("pad_id").index(0);
            padLeft = padding.get("direction").oneOf("Right", "Right", "Left").equals("Left");
        }
        return new LengthRules(max, left, padTo, multiple, padId, padLeft);
    }

    boolean truncates() {
        return maxLength >= 0;
    }

    /** Keeps at most max_length - reserved ids (the library reserves room for the special tokens). */
    int[] truncate(int[] ids, int reserved) {
        if (maxLength < 0) {
            return ids;
        }
        int keep = Math.max(0, maxLength - reserved);
        if (ids.length <= keep) {
            return ids;
        }
        return truncateLeft ? Arrays.copyOfRange(ids, ids.length - keep, ids.length) : Arrays.copyOf(ids, keep);
    }

    int[] pad(int[] ids) {
        if (padTo < 0) {
            return ids;
        }
        int target = padTo == 0 ? ids.length : padTo;
        if (multipleOf > 0 && target % multipleOf != 0) {
            target += multipleOf - target % multipleOf;
        }
        if (ids.length >= target) {
            return ids;
        }
        int[] out = new int[target];
        Arrays.fill(out, padId);
        System.arraycopy(ids, 0, out, padLeft ? target - ids.length : 0, ids.length);
        return out;
    }
}
