package dev.mergelab.model;

import dev.mergelab.MergeLabException;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tensor layout of a model family, as the planner uses it: which tensors to expect for a layer
 * count, what a tensor name means (section, layer, expert, embedding or not), how to move a layer
 * tensor to another layer index (passthrough stacking), and which tensors stand in for a tied head.
 *
 * <p>Built from an {@link ArchitectureDefinition} (see {@link Architectures}) or, for families we do
 * not know, inferred from tensor names by {@link InferredLayout}; {@link #isInferred()} says which.
 * Instances are immutable and thread-safe.
 */
public final class Architecture {

    /** Layer and expert numbers as written in names: decimal, no leading zeros, fits an int. */
    private static final String NUMBER = "(0|[1-9][0-9]{0,8})";

    private final ArchitectureDefinition definition;
    private final boolean inferred;
    private final String note;
    private final int inferredLayerCount;
    private final Map<String, WeightInfo> fixed = new HashMap<>();
    private final List<CompiledTemplate> layerTemplates = new ArrayList<>();

    private record CompiledTemplate(WeightTemplate weight, Pattern pattern, int layerGroup, int expertGroup) {
    }

    Architecture(ArchitectureDefinition definition, boolean inferred, String note, int inferredLayerCount) {
        this.definition = definition;
        this.inferred = inferred;
        this.note = note;
        this.inferredLayerCount = inferredLayerCount;
        for (WeightTemplate w : definition.preWeights()) {
            fixed.put(w.name(), info(w, w.name(), Section.PRE, -1, -1));
        }
        for (WeightTemplate w : definition.postWeights()) {
            fixed.put(w.name(), info(w, w.name(), Section.POST, -1, -1));
        }
        for (WeightTemplate w : definition.layerWeights()) {
            layerTemplates.add(compile(w));
        }
    }

    /** A defined (not inferred) architecture. */
    public static Architecture of(ArchitectureDefinition definition) {
        return new Architecture(definition, false, "", -1);
    }

    /** Family name, e.g. {@code llama}; {@code inferred} for inferred layouts. */
    public String name() {
        return definition.name();
    }

    public ArchitectureDefinition definition() {
        return definition;
    }

    /** True when the layout was guessed from tensor names rather than taken from a definition. */
    public boolean isInferred() {
        return inferred;
    }

    /** One line for logs and dry runs, saying where the layout came from. */
    public String describe() {
        return inferred ? "layout inferred from tensor names (" + note + ")"
                : definition.name() + ": " + definition.description();
    }

    /** Number of layers of the model {@code config} describes (inferred layouts count their names). */
    public int layerCount(ModelConfig config) {
        if (inferred) {
            return inferredLayerCount;
        }
        return config.intValue(definition.layerCountKey())
                .orElseGet(() -> config.numHiddenLayers().orElseThrow(() -> MergeLabException.input(
                        config.source() + " has no " + definition.layerCountKey(),
                        "a " + definition.name() + " config.json must give its layer count")));
    }

    /** Number of experts per layer for mixture-of-experts families, 0 otherwise. */
    public int expertCount(ModelConfig config) {
        String key = definition.expertCountKey();
        if (key == null) {
            return 0;
        }
        return config.intValue(key).orElseThrow(() -> MergeLabException.input(
                config.source() + " has no " + key, "a " + definition.name() + " config.json must give " + key));
    }

    /** Layer count found in the tensor names of an inferred layout, -1 for defined ones. */
    public int inferredLayerCount() {
        return inferredLayerCount;
    }

    /** All tensors a checkpoint with this many layers (and experts per layer) holds, in model order. */
    public List<WeightInfo> expectedWeights(int layerCount, int expertCount) {
        if (layerCount < 0 || expertCount < 0) {
            throw new IllegalArgumentException("negative layer or expert count");
        }
        List<WeightInfo> out = new ArrayList<>();
        for (WeightTemplate w : definition.preWeights()) {
            out.add(fixed.get(w.name()));
        }
        for (int layer = 0; layer < layerCount; layer++) {
            for (CompiledTemplate c : layerTemplates) {
                WeightTemplate w = c.weight();
                if (c.expertGroup() < 0) {
                    out.add(info(w, expand(w.name(), layer, -1), Section.LAYER, layer, -1));
                    continue;
                }
                if (expertCount == 0) {
                    throw new IllegalArgumentException(definition.name() + " needs an expert count");
                }
                for (int e = 0; e < expertCount; e++) {
                    out.add(info(w, expand(w.name(), layer, e), Section.LAYER, layer, e));
                }
            }
        }
        for (WeightTemplate w : definition.postWeights()) {
            out.add(fixed.get(w.name()));
        }
        return out;
    }

    /** Names of {@link #expectedWeights}. */
    public List<String> expectedNames(int layerCount, int expertCount) {
        return expectedWeights(layerCount, expertCount).stream().map(WeightInfo::name).toList();
    }

    /** What this layout says about a tensor name; empty for names it does not know. */
    public Optional<WeightInfo> classify(String tensorName) {
        WeightInfo f = fixed.get(tensorName);
        if (f != null) {
            return Optional.of(f);
        }
        for (CompiledTemplate c : layerTemplates) {
            Matcher m = c.pattern().matcher(tensorName);
            if (m.matches()) {
                int layer = Integer.parseInt(m.group(c.layerGroup()));
                int expert = c.expertGroup() < 0 ? -1 : Integer.parseInt(m.group(c.expertGroup()));
                return Optional.of(info(c.weight(), tensorName, Section.LAYER, layer, expert));
            }
        }
        return Optional.empty();
    }

    /**
     * The name the same weight has in layer {@code newLayer}, for stacking layers of one model into
     * another: {@code model.layers.5.mlp.up_proj.weight} to layer 2 is {@code model.layers.2.mlp.up_proj.weight}.
     *
     * @throws IllegalArgumentException when the name is not a layer weight of this layout
     */
    public String renameToLayer(String tensorName, int newLayer) {
        if (newLayer < 0) {
            throw new IllegalArgumentException("negative layer index " + newLayer);
        }
        WeightInfo w = classify(tensorName).filter(i -> i.section() == Section.LAYER)
                .orElseThrow(() -> new IllegalArgumentException("'" + tensorName + "' is not a layer weight of "
                        + definition.name()));
        return expand(w.template(), newLayer, w.expertIndex());
    }

    /** Tensors that stand in for this one when a checkpoint lacks it (empty when none or unknown). */
    public List<String> tiedNames(String tensorName) {
        return classify(tensorName).map(WeightInfo::tiedNames).orElse(List.of());
    }

    /** True for tensors of parts the definition does not merge (vision towers, projectors). */
    public boolean isAuxiliary(String tensorName) {
        for (String p : definition.auxiliaryPrefixes()) {
            if (tensorName.startsWith(p)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Required tensors absent from {@code present}, counting a tensor as present when one of its tied
     * names is. Empty means a checkpoint with these names is complete for this layout.
     */
    public List<String> missingRequired(Set<String> present, int layerCount, int expertCount) {
        List<String> missing = new ArrayList<>();
        for (WeightInfo w : expectedWeights(layerCount, expertCount)) {
            if (w.optional() || present.contains(w.name())) {
                continue;
            }
            if (w.tiedNames().stream().noneMatch(present::contains)) {
                missing.add(w.name());
            }
        }
        return missing;
    }

    /** How many of {@code names} this layout recognises (classified or auxiliary). */
    int recognised(Collection<String> names) {
        int n = 0;
        for (String s : names) {
            if (isAuxiliary(s) || classify(s).isPresent()) {
                n++;
            }
        }
        return n;
    }

    private static WeightInfo info(WeightTemplate w, String name, Section section, int layer, int expert) {
        List<String> tied = w.tiedNames().stream().map(t -> expand(t, layer, expert)).toList();
        return new WeightInfo(name, section, layer, expert, w.isEmbed(), w.optional(), tied, w.name(), w.storedInOut());
    }

    static String expand(String template, int layer, int expert) {
        String s = template;
        if (layer >= 0) {
            s = s.replace(ArchitectureDefinition.LAYER_INDEX, Integer.toString(layer));
        }
        if (expert >= 0) {
            s = s.replace(ArchitectureDefinition.EXPERT_INDEX, Integer.toString(expert));
        }
        return s;
    }

    private static CompiledTemplate compile(WeightTemplate w) {
        String t = w.name();
        StringBuilder re = new StringBuilder();
        int group = 0;
        int layerGroup = -1;
        int expertGroup = -1;
        int i = 0;
        while (i < t.length()) {
            int l = t.indexOf(ArchitectureDefinition.LAYER_INDEX, i);
            int e = t.indexOf(ArchitectureDefinition.EXPERT_INDEX, i);
            int next = l < 0 ? e : (e < 0 ? l : Math.min(l, e));
            if (next < 0) {
                re.append(Pattern.quote(t.substring(i)));
                break;
            }
            if (next > i) {
                re.append(Pattern.quote(t.substring(i, next)));
            }
            re.append(NUMBER);
            group++;
            if (next == l) {
                layerGroup = group;
                i = next + ArchitectureDefinition.LAYER_INDEX.length();
            } else {
                expertGroup = group;
                i = next + ArchitectureDefinition.EXPERT_INDEX.length();
            }
        }
        return new CompiledTemplate(w, Pattern.compile(re.toString()), layerGroup, expertGroup);
    }
}
