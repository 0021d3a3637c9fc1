package dev.mergelab.cli;

import dev.mergelab.lora.AdaptedModels;
import dev.mergelab.engine.ModelOpener;
import dev.mergelab.model.ModelRef;
import dev.mergelab.model.ModelResolver;
import dev.mergelab.model.ModelSource;

/**
 * Opens model references offline: local folders and files, or hub ids found in the Hugging Face cache,
 * optionally as {@code BASE+ADAPTER} (a PEFT LoRA adapter applied on the fly).
 */
final class Models {

    private Models() {
    }

    /** Warnings (e.g. an adapter's fan_in_fan_out overruled by the base's layer type) go to stderr. */
    static ModelOpener opener() {
        return opener(w -> System.err.println("mergelab: warning: " + w));
    }

    static ModelOpener opener(java.util.function.Consumer<String> warnings) {
        return opener(ModelResolver.offline(), warnings);
    }

    /** Opens references through {@code resolver} (tests give it a cache folder of their own). */
    static ModelOpener opener(ModelResolver resolver) {
        return opener(resolver, w -> System.err.println("mergelab: warning: " + w));
    }

    static ModelOpener opener(ModelResolver resolver, java.util.function.Consumer<String> warnings) {
        return ref -> {
            ModelRef parsed = ModelRef.parse(ref);
            ModelResolver.Resolved r = resolver.resolve(parsed);
            if (!parsed.hasAdapter()) {
                return ModelSource.open(r.base(), ref);
            }
            // BASE+ADAPTER: the base with the LoRA adapter applied lazily, tensor by tensor.
            ModelSource base = ModelSource.open(r.base(), parsed.base().display());
            try {
                return AdaptedModels.apply(base, r.adapter(), ref, warnings);
            } catch (RuntimeException e) {
                base.close();
                throw e;
            }
        };
    }
}
