package dev.mergelab.lora;

import java.util.Locale;

/**
 * PEFT's {@code add_weighted_adapter} combination types. The non-SVD ones run a PEFT merge function
 * separately on the A and B factors; the SVD ones run it on each adapter's full ΔW and re-factorise;
 * {@code cat} stacks the factors along the rank.
 *
 * @param peftMethod the MergeLab method implementing PEFT's merge function (METHODS.md §3), or null for cat
 * @param svd        whether the result is re-factorised by a truncated SVD
 * @param pruned     whether {@code density} is required
 * @param elects     whether {@code majority_sign_method} applies
 */
public enum CombinationType {
    LINEAR("peft_task_arithmetic", false, false, false),
    CAT(null, false, false, false),
    SVD("peft_task_arithmetic", true, false, false),
    TIES("peft_ties", false, true, true),
    TIES_SVD("peft_ties", true, true, true),
    DARE_LINEAR("peft_dare_linear", false, true, false),
    DARE_TIES("peft_dare_ties", false, true, true),
    DARE_LINEAR_SVD("peft_dare_linear", true, true, false),
    DARE_TIES_SVD("peft_dare_ties", true, true, true),
    MAGNITUDE_PRUNE("peft_magnitude_prune", false, true, false),
    MAGNITUDE_PRUNE_SVD("peft_magnitude_prune", true, true, false);

    public final String peftMethod;
    public final boolean svd;
    public final boolean pruned;
    public final boolean elects;

    CombinationType(String peftMethod, boolean svd, boolean pruned, boolean elects) {
        this.peftMethod = peftMethod;
        this.svd = svd;
        this.pruned = pruned;
        this.elects = elects;
    }

    public String peftName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The type for a PEFT name, or null. */
    public static CombinationType of(String name) {
        for (CombinationType t : values()) {
            if (t.peftName().equals(name)) {
                return t;
            }
        }
        return null;
    }

    public static String names() {
        StringBuilder sb = new StringBuilder();
        for (CombinationType t : values()) {
            sb.append(sb.isEmpty() ? "" : ", ").append(t.peftName());
        }
        return sb.toString();
    }
}
