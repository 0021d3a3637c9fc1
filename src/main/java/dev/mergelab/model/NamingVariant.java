package dev.mergelab.model;

import java.util.Map;

/**
 * An alternative spelling of a definition's tensor names, as prefix rewrites. The same architecture
 * is saved under different prefixes depending on the class that saved it (GPT-2 from GPT2Model drops
 * {@code transformer.}) or on the Transformers version (multimodal wrappers moved the language model
 * under {@code model.language_model.} in 4.52). The longest matching prefix wins; a name matching
 * none is kept.
 */
public record NamingVariant(String description, Map<String, String> prefixRewrites) {

    public NamingVariant {
        prefixRewrites = Map.copyOf(prefixRewrites);
    }

    /** Rewrites one name (or template). */
    public String apply(String name) {
        String best = null;
        for (String prefix : prefixRewrites.keySet()) {
            if (name.startsWith(prefix) && (best == null || prefix.length() > best.length())) {
                best = prefix;
            }
        }
        return best == null ? name : prefixRewrites.get(best) + name.substring(best.length());
    }
}
