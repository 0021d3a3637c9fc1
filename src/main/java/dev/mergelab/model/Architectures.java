package dev.mergelab.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mergelab.MergeLabException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The set of known architecture definitions and the choice of a layout for a model: by the config's
 * {@code architectures} class names first, then by {@code model_type} (top level, then text_config),
 * then by how many of the checkpoint's tensor names each naming variant recognises; families we do
 * not know fall back to {@link InferredLayout}.
 */
public final class Architectures {

    private static final String RESOURCE_DIR = "/dev/mergelab/model/architectures/";

    private static final class BuiltIn {
        static final Architectures INSTANCE = new Architectures(loadBuiltIns());
    }

    private final List<ArchitectureDefinition> definitions;

    private Architectures(List<ArchitectureDefinition> definitions) {
        this.definitions = List.copyOf(definitions);
    }

    /** The definitions shipped with MergeLab (loaded once). */
    public static Architectures builtIn() {
        return BuiltIn.INSTANCE;
    }

    /** A registry of exactly these definitions. */
    public static Architectures of(List<ArchitectureDefinition> definitions) {
        return new Architectures(definitions);
    }

    /** This registry plus {@code extra}, which wins over definitions matching the same names. */
    public Architectures with(ArchitectureDefinition extra) {
        List<ArchitectureDefinition> all = new ArrayList<>();
        all.add(extra);
        all.addAll(definitions);
        return new Architectures(all);
    }

    public List<ArchitectureDefinition> definitions() {
        return definitions;
    }

    /** A definition by its {@code name}. */
    public Optional<ArchitectureDefinition> byName(String name) {
        return definitions.stream().filter(d -> d.name().equals(name)).findFirst();
    }

    /** The definition a config describes, if any. */
    public Optional<ArchitectureDefinition> match(ModelConfig config) {
        for (String arch : config.architectures()) {
            for (ArchitectureDefinition d : definitions) {
                if (d.architectures().contains(arch)) {
                    return Optional.of(d);
                }
            }
        }
        List<String> types = new ArrayList<>();
        config.modelType().ifPresent(types::add);
        config.textModelType().ifPresent(types::add);
        for (String type : types) {
            for (ArchitectureDefinition d : definitions) {
                if (d.modelTypes().contains(type)) {
                    return Optional.of(d);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The layout of an opened model: from its folder's config.json when it has one, else inferred from
     * its tensor names (a single safetensors file).
     */
    public static Architecture forSource(ModelSource m) {
        if (!m.isSingleFile() && java.nio.file.Files.isRegularFile(m.folder().resolve("config.json"))) {
            return builtIn().forModel(ModelConfig.readFolder(m.folder()), m.tensors().keySet());
        }
        return InferredLayout.infer(m.tensors().keySet(), "no config.json");
    }

    /**
     * The layout to use for one model: its family's definition in the naming variant that recognises
     * most of {@code tensorNames}, or a layout inferred from the names when the family is unknown or
     * its definition recognises none of them. With no tensor names, the definition as written.
     */
    public Architecture forModel(ModelConfig config, Collection<String> tensorNames) {
        Optional<ArchitectureDefinition> def = match(config);
        String configName = config.architectures().isEmpty()
                ? "model_type " + config.modelType().orElse("(none)") : String.join(",", config.architectures());
        if (def.isEmpty()) {
            return InferredLayout.infer(tensorNames, "no definition for " + configName);
        }
        Architecture best = Architecture.of(def.get());
        if (tensorNames.isEmpty()) {
            return best;
        }
        int bestScore = best.recognised(tensorNames);
        for (NamingVariant v : def.get().namingVariants()) {
            Architecture candidate = Architecture.of(def.get().rewritten(v));
            int score = candidate.recognised(tensorNames);
            if (score > bestScore) {
                best = candidate;
                bestScore = score;
            }
        }
        if (bestScore == 0) {
            return InferredLayout.infer(tensorNames, configName + " names no tensor of the "
                    + def.get().name() + " definition");
        }
        return best;
    }

    private static List<ArchitectureDefinition> loadBuiltIns() {
        List<ArchitectureDefinition> out = new ArrayList<>();
        for (String file : resourceLines(RESOURCE_DIR + "index.txt")) {
            String path = RESOURCE_DIR + file;
            try (InputStream in = Architectures.class.getResourceAsStream(path)) {
                if (in == null) {
                    throw new IllegalStateException("built-in architecture " + path + " is listed but missing");
                }
                JsonNode node = SafeJson.parse(in.readAllBytes(), path, "architecture definition");
                out.add(ArchitectureDefinition.parse(node, path));
            } catch (IOException e) {
                throw new IllegalStateException("cannot read built-in architecture " + path, e);
            } catch (MergeLabException e) {
                // A broken built-in file is our bug, not the user's input.
                throw new IllegalStateException(e.getMessage(), e);
            }
        }
        return out;
    }

    private static List<String> resourceLines(String path) {
        try (InputStream in = Architectures.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + path);
            }
            List<String> lines = new ArrayList<>();
            var reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = reader.readLine()) != null; ) {
                line = line.strip();
                if (!line.isEmpty() && !line.startsWith("#")) {
                    lines.add(line);
                }
            }
            return lines;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read resource " + path, e);
        }
    }
}
