package dev.mergelab.model;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Guesses an {@link Architecture} from tensor names alone, for families without a definition.
 *
 * <p>Rules, in order:
 * <ol>
 * <li>A name's layer index is its first all-digit dotted component that follows a known layer
 *     container ({@code layers}, {@code layer}, {@code h}, {@code blocks}, {@code block}), else its
 *     first all-digit component. The text before it is the name's <em>stack</em>.</li>
 * <li>The stack with the most distinct indices is the layer stack (ties: more tensors, then the
 *     alphabetically first prefix, so the result does not depend on input order). Its names become
 *     templates; a template missing from some layer is optional.</li>
 * <li>Every other name is PRE or POST by its name: heads ({@code lm_head}, {@code embed_out}, a
 *     component {@code output}) are POST embeddings; positional or token-type tables are PRE but not
 *     vocabulary-sized; other embeddings ({@code embed}, {@code wte}, {@code tok}) are PRE embeddings;
 *     final norms ({@code norm}, {@code ln_f}) are POST; indexed names of other stacks (a vision tower)
 *     are PRE; anything else is PRE when it comes before the first layer tensor in the given order,
 *     POST otherwise.</li>
 * <li>A single POST embedding is tied to a single PRE embedding.</li>
 * </ol>
 */
public final class InferredLayout {

    private static final Set<String> CONTAINERS = Set.of("layers", "layer", "h", "blocks", "block");

    private InferredLayout() {
    }

    /** Infers a layout from the tensor names of one checkpoint; {@code reason} says why we had to. */
    public static Architecture infer(Collection<String> tensorNames, String reason) {
        List<String> names = new ArrayList<>(new java.util.LinkedHashSet<>(tensorNames));
        for (String n : names) {
            if (n.isEmpty() || n.contains("${")) {
                throw dev.mergelab.MergeLabException.input("tensor name '" + n + "' is empty or contains '${'",
                        "the checkpoint's tensor names are malformed");
            }
        }
        Map<String, Stack> stacks = new LinkedHashMap<>();
        Map<String, Located> located = new HashMap<>();
        for (String n : names) {
            Located loc = locate(n);
            if (loc != null) {
                located.put(n, loc);
                stacks.computeIfAbsent(loc.prefix(), Stack::new).add(loc.index());
            }
        }
        Stack main = stacks.values().stream().min((a, b) -> {
            if (a.indices.size() != b.indices.size()) {
                return Integer.compare(b.indices.size(), a.indices.size());
            }
            if (a.tensors != b.tensors) {
                return Integer.compare(b.tensors, a.tensors);
            }
            return a.prefix.compareTo(b.prefix);
        }).orElse(null);

        int layerCount = main == null ? 0 : main.indices.last() + 1;
        Map<String, Set<Integer>> templateLayers = new LinkedHashMap<>();
        List<WeightTemplate> pre = new ArrayList<>();
        List<WeightTemplate> post = new ArrayList<>();
        int firstLayerPosition = -1;
        for (int i = 0; i < names.size(); i++) {
            Located loc = located.get(names.get(i));
            if (main != null && loc != null && loc.prefix().equals(main.prefix)) {
                firstLayerPosition = firstLayerPosition < 0 ? i : firstLayerPosition;
                templateLayers.computeIfAbsent(loc.template(), k -> new TreeSet<>()).add(loc.index());
            }
        }
        for (int i = 0; i < names.size(); i++) {
            String n = names.get(i);
            Located loc = located.get(n);
            if (main != null && loc != null && loc.prefix().equals(main.prefix)) {
                continue;
            }
            boolean beforeLayers = firstLayerPosition < 0 || i < firstLayerPosition;
            Role role = role(n, loc != null, beforeLayers);
            (role.post ? post : pre).add(new WeightTemplate(n, role.embed, false, List.of()));
        }
        List<WeightTemplate> layers = new ArrayList<>();
        templateLayers.forEach((t, present) ->
                layers.add(new WeightTemplate(t, false, present.size() < layerCount, List.of())));
        tieHead(pre, post);
        ArchitectureDefinition def = new ArchitectureDefinition("inferred", "layout inferred from tensor names",
                List.of(), List.of(), "num_hidden_layers", null, Map.of(), pre, layers, post, List.of(), List.of());
        String note = reason + "; " + layerCount + " layers under '"
                + (main == null ? "(none)" : main.prefix) + "'";
        return new Architecture(def, true, note, layerCount);
    }

    private record Located(String prefix, int index, String template) {
    }

    private record Role(boolean post, boolean embed) {
    }

    private static final class Stack {
        final String prefix;
        final TreeSet<Integer> indices = new TreeSet<>();
        int tensors;

        Stack(String prefix) {
            this.prefix = prefix;
        }

        void add(int index) {
            indices.add(index);
            tensors++;
        }
    }

    /** Finds the layer component of a name, or null when it has none. */
    static Located locate(String name) {
        String[] parts = name.split("\\.", -1);
        int chosen = -1;
        for (int i = 1; i < parts.length; i++) {
            if (isIndex(parts[i]) && CONTAINERS.contains(parts[i - 1])) {
                chosen = i;
                break;
            }
        }
        if (chosen < 0) {
            for (int i = 1; i < parts.length; i++) {
                if (isIndex(parts[i])) {
                    chosen = i;
                    break;
                }
            }
        }
        if (chosen < 0) {
            return null;
        }
        String prefix = String.join(".", java.util.Arrays.copyOfRange(parts, 0, chosen)) + ".";
        String rest = chosen + 1 < parts.length
                ? "." + String.join(".", java.util.Arrays.copyOfRange(parts, chosen + 1, parts.length)) : "";
        return new Located(prefix, Integer.parseInt(parts[chosen]),
                prefix + ArchitectureDefinition.LAYER_INDEX + rest);
    }

    /** Decimal without leading zeros and short enough for an int, so renaming gives back the same text. */
    private static boolean isIndex(String s) {
        if (s.isEmpty() || s.length() > 9 || (s.length() > 1 && s.charAt(0) == '0')) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static Role role(String name, boolean otherStack, boolean beforeLayers) {
        String lower = name.toLowerCase(Locale.ROOT);
        List<String> parts = List.of(lower.split("\\."));
        if (lower.contains("lm_head") || lower.contains("embed_out") || parts.contains("output")) {
            return new Role(true, true);
        }
        boolean embedding = lower.contains("embed") || lower.contains("wte") || lower.contains("wpe")
                || lower.contains("tok");
        if (embedding) {
            // Position and token-type tables are not vocabulary-sized: never cut them to the vocabulary.
            // Nor are norms applied to the embedding output (BERT-style embeddings.LayerNorm).
            boolean vocab = !(lower.contains("pos") || lower.contains("wpe") || lower.contains("type")
                    || lower.contains("norm"));
            return new Role(false, vocab && !otherStack);
        }
        if (otherStack) {
            return new Role(false, false);
        }
        if (lower.contains("norm") || lower.contains("ln_f")) {
            return new Role(true, false);
        }
        return new Role(!beforeLayers, false);
    }

    /** A lone head and a lone embedding are assumed tied, as in every family we know. */
    private static void tieHead(List<WeightTemplate> pre, List<WeightTemplate> post) {
        List<WeightTemplate> preEmbeds = pre.stream().filter(WeightTemplate::isEmbed).toList();
        List<WeightTemplate> heads = post.stream().filter(WeightTemplate::isEmbed).toList();
        if (preEmbeds.size() == 1 && heads.size() == 1) {
            WeightTemplate head = heads.getFirst();
            post.set(post.indexOf(head), new WeightTemplate(head.name(), true, false,
                    List.of(preEmbeds.getFirst().name())));
        }
    }
}
