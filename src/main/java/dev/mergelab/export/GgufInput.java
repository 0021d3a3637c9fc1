package dev.mergelab.export;

import dev.mergelab.MergeLabException;
import dev.mergelab.model.ModelConfig;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.TensorRef;
import dev.mergelab.model.WeightSource;
import dev.mergelab.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a GGUF export reads: the tensors' names, dtypes and shapes known up front (the header is computed before
 * any tensor is read), their bytes from a {@link WeightSource} read one tensor at a time (a merge's virtual child
 * merges each when it is first read), the config.json, the folder of the tokenizer and generation files,
 * and the model card text. A model folder is one; a recipe read as its virtual child is another.
 *
 * @param name            the model's name when the card gives none (the converter takes the folder's name)
 * @param weights         where each tensor's bytes come from, read when the tensor is converted
 * @param tensors         every weight tensor, with the weight file that holds it (the converter reads files by name)
 * @param config          the config.json
 * @param files           the folder of tokenizer.json, tokenizer_config.json, chat templates, generation_config.json
 * @param card            the README.md text (its front matter gives {@code general.*} keys), or null for none
 * @param tokenizerConfig the tokenizer_config.json text to read instead of {@code files}' (a merge's chat template
 *                        rewrites it; then the folder's chat_template files are not read either), or null
 */
public record GgufInput(String name, WeightSource weights, List<Tensor> tensors, ModelConfig config, Path files, String card,
        String tokenizerConfig) {

    /** One input tensor as planned: name, stored dtype, shape, and the file name that orders it. */
    public record Tensor(String name, DType dtype, long[] shape, String file) {
    }

    public GgufInput {
        tensors = List.copyOf(tensors);
    }

    /** A model folder's export input: its config, weights, files and README.md; {@code source} stays the caller's to close. */
    public static GgufInput ofFolder(Path folder, ModelSource source) {
        List<Tensor> tensors = new ArrayList<>();
        for (TensorRef t : source.tensors().values()) {
            tensors.add(new Tensor(t.name(), t.dtype(), t.shape(), t.file().path().getFileName().toString()));
        }
        Path readme = folder.resolve("README.md");
        String card;
        try {
            card = Files.isRegularFile(readme) ? Files.readString(readme) : null;
        } catch (IOException e) {
            throw MergeLabException.input(readme + ": unreadable model card front matter: " + e.getMessage());
        }
        return new GgufInput(folder.toAbsolutePath().normalize().getFileName().toString(), source, tensors,
                ModelConfig.readFolder(folder), folder, card, null);
    }
}
