package dev.mergelab.cli;

import dev.mergelab.MergeLabException;
import dev.mergelab.engine.ModelOpener;
import dev.mergelab.model.ModelRef;
import dev.mergelab.model.ModelResolver;
import dev.mergelab.model.ModelSource;

/** Opens model references offline: local folders and files, or hub ids found in the Hugging Face cache. */
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
            if (parsed.hasAdapter()) {
                throw MergeLabException.input("model '" + ref + "' is a BASE+ADAPTER reference",
                        "LoRA adapters are not supported yet; merge the adapter into its base first");
            }
            ModelResolver.Resolved r = resolver.resolve(parsed);
            return ModelSource.open(r.base(), ref);
        };
    }
}
