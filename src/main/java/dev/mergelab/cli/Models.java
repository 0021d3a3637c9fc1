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

    static ModelOpener opener() {
        return opener(ModelResolver.offline());
    }

    /** Opens references through {@code resolver} (tests give it a cache folder of their own). */
    static ModelOpener opener(ModelResolver resolver) {
        return ref -> {
            ModelRef parsed = ModelRef.parse(ref);
            ModelResolver.Resolved r = resolver.resolve(parsed);
            if (!parsed.hasAdapter()) {
                return ModelSource.open(r.base(), ref);
            }
            // BASE+ADAPTER: the base with the LoRA adapter applied lazily, tensor by tensor.
            ModelSource base = ModelSource.open(r.base(), parsed.base().display());
            try {
                return AdaptedModels.apply(base, r.adapter(), ref);
            } catch (RuntimeException e) {
                base.close();
                throw e;
            }
        };
    }
}
