package dev.mergelab.method;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every merge method by recipe name. Adding a method is one file plus one line here. */
public final class MethodRegistry {

    private static final Map<String, MergeMethod> METHODS = new LinkedHashMap<>();

    static {
        register(new Linear());
        TaskArithmeticFamily.ALL.forEach(MethodRegistry::register);
        register(new ModelStock());
        register(new Sce());
        register(new Karcher());
        register(new Slerp());
        register(new NuSlerp());
        register(new MultiSlerp());
        register(new NearSwap());
        register(new ArceeFusion());
        register(new Passthrough());
        Ram.ALL.forEach(MethodRegistry::register);
        PeftMerge.ALL.forEach(MethodRegistry::register);
    }

    private MethodRegistry() {
    }

    private static void register(MergeMethod m) {
        if (METHODS.put(m.spec().name(), m) != null) {
            throw new IllegalStateException("duplicate merge method " + m.spec().name());
        }
    }

    /** The method called {@code name}, or null. */
    public static MergeMethod get(String name) {
        return name == null ? null : METHODS.get(name);
    }

    /** All methods in registration order. */
    public static List<MergeMethod> all() {
        return Collections.unmodifiableList(new ArrayList<>(METHODS.values()));
    }

    /** The registered name closest to {@code unknownName} by edit distance, for "did you mean". */
    public static String closest(String unknownName) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String name : METHODS.keySet()) {
            int d = editDistance(unknownName.toLowerCase(java.util.Locale.ROOT), name);
            if (d < bestDistance) {
                best = name;
                bestDistance = d;
            }
        }
        return best;
    }

    /** Levenshtein distance with two rolling rows. */
    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int k = 0; k <= b.length(); k++) {
            prev[k] = k;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int k = 1; k <= b.length(); k++) {
                int sub = prev[k - 1] + (a.charAt(i - 1) == b.charAt(k - 1) ? 0 : 1);
                cur[k] = Math.min(sub, Math.min(prev[k] + 1, cur[k - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
