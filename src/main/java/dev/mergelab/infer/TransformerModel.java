package dev.mergelab.infer;

import dev.mergelab.MergeLabException;
import dev.mergelab.model.ArchitectureDefinition;
import dev.mergelab.model.Architectures;
import dev.mergelab.model.ModelConfig;
import dev.mergelab.model.WeightSource;

import java.util.List;

/**
 * A decoder-only model ready to run: its {@link ModelDescription}, its {@link ModelWeights} (views of the
 * mapped files) and the {@link MatMul} and {@link Workers} that compute with them. Immutable and shareable;
 * each sequence runs in its own {@link Session}.
 */
public record TransformerModel(ModelDescription description, ModelWeights weights, MatMul matMul, Workers workers) {

    /**
     * Opens {@code source} (a model on disk, {@code BASE+ADAPTER}, a recipe's virtual child) with the built-in
     * family matching its config.json. Every weight is looked up now, so a virtual child merges them all here.
     */
    public static TransformerModel load(WeightSource source, Workers workers) {
        ModelConfig config = source.config();
        ArchitectureDefinition def = family(config);
        ModelDescription d = ModelDescription.of(config, def.forwardSpec().orElseThrow(), def.expertCountKey());
        return new TransformerModel(d, ModelWeights.load(source, d), new KernelMatMul(workers), workers);
    }

    /** The built-in family with forward-pass data that {@code config} names; a one-line error otherwise. */
    public static ArchitectureDefinition family(ModelConfig config) {
        var match = Architectures.builtIn().match(config);
        if (match.isPresent() && match.get().forwardSpec().isPresent()) {
            return match.get();
        }
        List<String> archs = config.architectures();
        String named = archs.isEmpty() ? "model_type " + config.modelType().orElse("(none)") : String.join(", ", archs);
        throw MergeLabException.input("no forward pass for " + named + "; supported architectures: "
                + String.join(", ", supportedArchitectures()), null);
    }

    /** The {@code architectures} class names the forward pass runs. */
    public static List<String> supportedArchitectures() {
        return Architectures.builtIn().definitions().stream()
                .filter(d -> d.forwardSpec().isPresent())
                .flatMap(d -> d.architectures().stream())
                .toList();
    }

    public Session newSession() {
        return new Session(this);
    }
}
