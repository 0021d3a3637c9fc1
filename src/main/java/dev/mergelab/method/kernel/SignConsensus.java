package dev.mergelab.method.kernel;

/**
 * TIES sign election (METHODS.md §4.6): per element, the majority sign s is +1 where the vote S ≥ 0 and
 * −1 otherwise; a model agrees where its sign equals s (zeros never agree).
 */
public final class SignConsensus {

    private SignConsensus() {
    }

    /** What votes: the values' sum (mergekit "sum", PEFT "total") or their signs' sum ("count", "frequency"). */
    public enum Vote {
        SUM, COUNT;

        /** mergekit's and PEFT's names for the two votes. */
        public static Vote parse(String name) {
            return switch (name) {
                case "sum", "total" -> SUM;
                case "count", "frequency" -> COUNT;
                default -> throw new IllegalArgumentException("unknown sign vote " + name);
            };
        }
    }

    /** The majority sign (+1 or −1) of element j across x[0..N). The vote is summed in float32 like torch. */
    public static int elect(float[][] x, int j, Vote vote) {
        float s = 0;
        for (float[] xi : x) {
            s += vote == Vote.SUM ? xi[j] : Math.signum(xi[j]);
        }
        return s >= 0 ? 1 : -1;
    }

    /** True where x agrees with the elected sign. */
    public static boolean agrees(float x, int sign) {
        return sign > 0 ? x > 0 : x < 0;
    }

    /** The agreement masks, 0/1 per model and element ({@code get_mask} / {@code calculate_majority_sign_mask}). */
    public static float[][] masks(float[][] x, Vote vote) {
        int n = x.length == 0 ? 0 : x[0].length;
        float[][] out = new float[x.length][n];
        for (int j = 0; j < n; j++) {
            int s = elect(x, j, vote);
            for (int i = 0; i < x.length; i++) {
                out[i][j] = agrees(x[i][j], s) ? 1f : 0f;
            }
        }
        return out;
    }
}
