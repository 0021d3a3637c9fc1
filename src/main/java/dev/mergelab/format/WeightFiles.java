package dev.mergelab.format;

import dev.mergelab.MergeLabException;
import dev.mergelab.format.pickle.TorchCheckpoint;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The one place that decides which {@link WeightFile} implementation reads a path, by its file name, or
 * for a name that says nothing by its first bytes: safetensors, and PyTorch checkpoints through the restricted
 * unpickler of {@code format.pickle}, and GGUF ({@code format.gguf}; the model layer maps its names back to
 * Transformers'). (Safetensors has no magic number, so only its name identifies it.)
 */
public final class WeightFiles {

    private WeightFiles() {
    }

    /** The weight formats MergeLab recognises by file name, readable or not yet. */
    public enum Format {
        SAFETENSORS("safetensors"),
        GGUF("GGUF"),
        PYTORCH("PyTorch pickle (.bin/.pt/.pth)");

        private final String label;

        Format(String label) {
            this.label = label;
        }

        /** How messages name the format. */
        public String label() {
            return label;
        }
    }

    /** The format a file name says the file holds, or null when it names no weight format. */
    static Format formatOf(Path file) {
        Path name = file.getFileName();
        if (name == null) {
            return null;
        }
        String n = name.toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".safetensors")) {
            return Format.SAFETENSORS;
        }
        if (n.endsWith(".gguf")) {
            return Format.GGUF;
        }
        if (n.endsWith(".bin") || n.endsWith(".pt") || n.endsWith(".pth")) {
            return Format.PYTORCH;
        }
        return null;
    }

    /**
     * The format of a file whose name names none, from its magic number: GGUF files start with
     * {@code GGUF}, torch.save archives are zip files ({@code PK\3\4}), legacy torch pickles start with the
     * pickle protocol opcode. Null when unreadable, not a regular file (a FIFO must not be opened) or unknown.
     */
    static Format sniff(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        byte[] head = new byte[4];
        try (InputStream in = Files.newInputStream(file)) {
            if (in.readNBytes(head, 0, 4) < 4) {
                return null;
            }
        } catch (IOException e) {
            return null; // the error opening it for real says why
        }
        if (head[0] == 'G' && head[1] == 'G' && head[2] == 'U' && head[3] == 'F') {
            return Format.GGUF;
        }
        if ((head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) || ((head[0] & 0xFF) == 0x80 && head[1] >= 2 && head[1] <= 5)) {
            return Format.PYTORCH;
        }
        return null;
    }

    /**
     * Opens and validates the weight file at {@code file}. A one-line INPUT error for a file that is no weight
     * format, or (from the reader) a malformed file.
     */
    public static WeightFile open(Path file) {
        Format format = readableFormat(file);
        return switch (format) {
            case SAFETENSORS -> SafetensorsFile.open(file);
            case PYTORCH -> TorchCheckpoint.open(file); // a restricted unpickler: see format.pickle
            case GGUF -> dev.mergelab.format.gguf.GgufFile.open(file); // llama.cpp's names; model.gguf maps them
        };
    }

    /**
     * The format {@link #open} will read {@code file} as, checked before anything is opened (model
     * references are checked this way when they are resolved): a one-line INPUT error when the file is no
     * weight format. Reads at most the first four bytes.
     */
    public static Format readableFormat(Path file) {
        Format format = formatOf(file);
        if (format == null) {
            format = sniff(file);
        }
        if (format == null) {
            throw MergeLabException.input(Untrusted.path(file) + ": not a weight file MergeLab reads (.safetensors)",
                    "give a Hugging Face model folder or a .safetensors file");
        }
        return format;
    }
}
