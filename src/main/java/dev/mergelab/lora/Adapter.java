package dev.mergelab.lora;

import dev.mergelab.MergeLabException;
import dev.mergelab.format.SafetensorsFile;
import dev.mergelab.format.TensorInfo;
import dev.mergelab.model.SafePaths;
import dev.mergelab.model.TensorRef;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An opened PEFT LoRA adapter folder: its config and the tensors of {@code adapter_model.safetensors},
 * sorted into LoRA factor pairs by module and whole saved tensors ({@code modules_to_save}, saved
 * embedding layers). Key layout is PEFT's saved form, with the adapter name already stripped:
 * <ul>
 *   <li>{@code base_model.model.<module>.lora_A.weight} / {@code lora_B.weight} (linear layers);</li>
 *   <li>{@code base_model.model.<module>.lora_embedding_A} / {@code lora_embedding_B} (embeddings, no
 *       {@code .weight});</li>
 *   <li>{@code base_model.model.<tensor>} for whole tensors, also {@code <module>.base_layer.weight}
 *       (PEFT saves the base layer of a LoRA-targeted embedding, {@code save_embedding_layers}, whose
 *       LoRA delta then applies on top of the saved weight).</li>
 * </ul>
 * Nothing is checked against a base model here; {@link #bind} does that. The file stays mmapped until
 * {@link #close}.
 */
public final class Adapter implements AutoCloseable {

    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    public static final String PREFIX = "base_model.model.";

    /** A module's two factors as found in the file (not yet checked against a base). */
    public record Pair(String module, TensorRef a, TensorRef b, boolean embedding) {
    }

    private final Path folder;
    private final AdapterConfig config;
    private final SafetensorsFile file;
    private final Map<String, Pair> pairs;
    private final Map<String, TensorRef> saved;

    private Adapter(Path folder, AdapterConfig config, SafetensorsFile file, Map<String, Pair> pairs, Map<String, TensorRef> saved) {
        this.folder = folder;
        this.config = config;
        this.file = file;
        this.pairs = pairs;
        this.saved = saved;
    }

    /** Opens and sorts an adapter folder. Every malformed input is a one-line {@link MergeLabException}. */
    public static Adapter open(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw MergeLabException.input("adapter " + folder + " is not a folder",
                    "give a PEFT adapter folder (adapter_config.json + adapter_model.safetensors)");
        }
        AdapterConfig config = AdapterConfig.read(folder);
        Path weights = folder.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(weights)) {
            boolean bin = Files.exists(folder.resolve("adapter_model.bin"));
            throw MergeLabException.input("adapter " + folder + " has no " + WEIGHTS_FILE,
                    bin ? "only a pickle adapter_model.bin is present; convert it to safetensors (MergeLab never unpickles)"
                        : "a PEFT adapter folder holds adapter_config.json and adapter_model.safetensors");
        }
        SafetensorsFile f = SafetensorsFile.open(SafePaths.resolveInside(folder, WEIGHTS_FILE));
        try {
            return sort(folder, config, f);
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    private static Adapter sort(Path folder, AdapterConfig config, SafetensorsFile f) {
        String where = folder.resolve(WEIGHTS_FILE).toString();
        Map<String, TensorRef> as = new LinkedHashMap<>();
        Map<String, TensorRef> bs = new LinkedHashMap<>();
        Map<String, Boolean> embedding = new LinkedHashMap<>();
        Map<String, TensorRef> saved = new LinkedHashMap<>();
        java.util.Set<String> baseLayers = new java.util.HashSet<>();
        for (TensorInfo t : f.tensors()) {
            String key = t.name();
            if (!key.startsWith(PREFIX)) {
                throw MergeLabException.input(where + ": tensor '" + AdapterJson.show(key) + "' does not start with '" + PREFIX + "'",
                        "this is not a PEFT-saved LoRA adapter; re-save it with PEFT's save_pretrained");
            }
            String rest = key.substring(PREFIX.length());
            TensorRef ref = new TensorRef(f, t);
            if (rest.contains("lora_magnitude_vector")) {
                throw MergeLabException.input(where + ": tensor '" + AdapterJson.show(key) + "' is a DoRA magnitude vector",
                        "DoRA adapters are not supported; MergeLab applies plain LoRA only");
            }
            if (put(rest, ".lora_A.weight", ref, as, embedding, false, where)
                    || put(rest, ".lora_B.weight", ref, bs, embedding, false, where)
                    || put(rest, ".lora_embedding_A", ref, as, embedding, true, where)
                    || put(rest, ".lora_embedding_B", ref, bs, embedding, true, where)) {
                continue;
            }
            if (rest.contains("lora_")) {
                throw MergeLabException.input(where + ": tensor '" + AdapterJson.show(key) + "' is a LoRA tensor MergeLab does not know",
                        "supported: lora_A/lora_B .weight and lora_embedding_A/B (LoRA biases and variants are not)");
            }
            // Whole tensors: modules_to_save, or a saved embedding layer (<module>.base_layer.weight).
            String baseName = rest.replace(".base_layer.", ".");
            if (!baseName.equals(rest)) {
                baseLayers.add(baseName);
            }
            if (saved.put(baseName, new TensorRef(f, new TensorInfo(baseName, t.dtype(), t.shape(), t.begin(), t.end()))) != null) {
                throw MergeLabException.input(where + ": tensor " + AdapterJson.show(baseName) + " is saved twice", "repair the adapter");
            }
        }
        Map<String, Pair> pairs = new LinkedHashMap<>();
        for (Map.Entry<String, TensorRef> e : as.entrySet()) {
            TensorRef b = bs.remove(e.getKey());
            if (b == null) {
                throw MergeLabException.input(where + ": module " + AdapterJson.show(e.getKey()) + " has lora_A but no lora_B",
                        "the adapter file is incomplete; re-download or re-save it");
            }
            pairs.put(e.getKey(), new Pair(e.getKey(), e.getValue(), b, embedding.get(e.getKey())));
        }
        if (!bs.isEmpty()) {
            throw MergeLabException.input(where + ": module " + AdapterJson.show(bs.keySet().iterator().next()) + " has lora_B but no lora_A",
                    "the adapter file is incomplete; re-download or re-save it");
        }
        if (pairs.isEmpty() && saved.isEmpty()) {
            throw MergeLabException.input(where + ": no LoRA tensors", "this adapter changes nothing; check the file");
        }
        for (Map.Entry<String, TensorRef> e : saved.entrySet()) {
            // A saved base layer under LoRA factors is PEFT's save_embedding_layers: the base weight is
            // replaced and the LoRA delta goes on top. A modules_to_save copy cannot also carry factors.
            if (pairs.containsKey(moduleOf(e.getKey())) && !baseLayers.contains(e.getKey())) {
                throw MergeLabException.input(where + ": module " + AdapterJson.show(moduleOf(e.getKey()))
                        + " has both LoRA factors and a whole saved weight", "keep one of them");
            }
        }
        return new Adapter(folder, config, f, Collections.unmodifiableMap(pairs), Collections.unmodifiableMap(saved));
    }

    private static boolean put(String rest, String suffix, TensorRef ref, Map<String, TensorRef> into, Map<String, Boolean> embedding,
            boolean isEmbedding, String where) {
        if (!rest.endsWith(suffix)) {
            return false;
        }
        String module = rest.substring(0, rest.length() - suffix.length());
        if (module.isEmpty()) {
            throw MergeLabException.input(where + ": LoRA tensor with an empty module name", "repair the adapter");
        }
        Boolean before = embedding.put(module, isEmbedding);
        if (before != null && before != isEmbedding) {
            throw MergeLabException.input(where + ": module " + AdapterJson.show(module) + " mixes lora_A/B and lora_embedding_A/B",
                    "repair the adapter");
        }
        if (ref.shape().length != 2 || !ref.dtype().isFloating()) {
            throw MergeLabException.input(where + ": " + AdapterJson.show(ref.name()) + " is " + ref.dtype() + " " + ref.info().shapeString(),
                    "LoRA factors are 2-D floating-point matrices");
        }
        if (into.put(module, ref) != null) {
            throw MergeLabException.input(where + ": " + AdapterJson.show(ref.name()) + " appears twice", "repair the adapter");
        }
        return true;
    }

    /** The module a tensor name belongs to: the name without its last dotted part. */
    static String moduleOf(String tensorName) {
        int dot = tensorName.lastIndexOf('.');
        return dot < 0 ? tensorName : tensorName.substring(0, dot);
    }

    /** Checks this adapter against {@code base} and resolves every module's rank, alpha, scale and layout. */
    public BoundAdapter bind(dev.mergelab.model.ModelSource base, java.util.function.Consumer<String> warnings) {
        return BoundAdapter.bind(this, base, warnings);
    }

    public Path folder() {
        return folder;
    }

    public AdapterConfig config() {
        return config;
    }

    public SafetensorsFile file() {
        return file;
    }

    /** LoRA factor pairs by module name, in file order. */
    public Map<String, Pair> pairs() {
        return pairs;
    }

    /** Whole tensors by base tensor name. */
    public Map<String, TensorRef> saved() {
        return saved;
    }

    @Override
    public void close() {
        file.close();
    }
}
