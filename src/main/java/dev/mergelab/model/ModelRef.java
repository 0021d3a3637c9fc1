package dev.mergelab.model;

import dev.mergelab.MergeLabException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * How a recipe or command line names a model: a local path, a Hugging Face id {@code org/name}
 * (optionally {@code @revision}), or either of those plus a LoRA adapter as {@code BASE+ADAPTER}.
 *
 * <p>Rules, applied in order, so that text meaning a file on disk always means that file:
 * <ol>
 * <li>Text naming an existing file or folder is that local path, even if it contains {@code +} or
 *     {@code @}.</li>
 * <li>Otherwise text containing {@code +} is split at its <em>last</em> {@code +}: adapters never
 *     contain one (hub ids cannot), while a base path may.</li>
 * <li>Each part naming an existing path is local; one shaped like a hub id ({@code name} or
 *     {@code org/name}, letters, digits, {@code . _ -}, optional {@code @revision}) is a hub id;
 *     anything else is a local path that will fail to resolve with a clear message.</li>
 * </ol>
 * Parsing touches the file system only to test existence; resolution is {@link ModelResolver}'s job.
 *
 * @param text    the reference as written
 * @param base    the model
 * @param adapter the LoRA adapter to apply on it, or null
 */
public record ModelRef(String text, Target base, Target adapter) {

    /** One half of a reference. */
    public sealed interface Target permits Local, Hub {
        /** The half as the user wrote it. */
        String display();
    }

    /** A path on this machine: a model folder or a single {@code .safetensors} file. */
    public record Local(Path path) implements Target {
        @Override
        public String display() {
            return path.toString();
        }
    }

    /**
     * A Hugging Face repository id, looked up in the local cache only.
     *
     * @param repoId   {@code org/name} or a legacy bare {@code name}
     * @param revision branch, tag or commit hash (a unique prefix is enough); null means {@code main}
     */
    public record Hub(String repoId, String revision) implements Target {
        public String revisionOrMain() {
            return revision == null ? "main" : revision;
        }

        @Override
        public String display() {
            return revision == null ? repoId : repoId + "@" + revision;
        }
    }

    private static final String SEGMENT = "[A-Za-z0-9](?:[A-Za-z0-9._-]{0,95})";
    private static final Pattern HUB_ID = Pattern.compile("(" + SEGMENT + "(?:/" + SEGMENT + ")?)(?:@([A-Za-z0-9._/-]{1,255}))?");

    /** Parses with the real file system deciding what exists. */
    public static ModelRef parse(String text) {
        return parse(text, s -> {
            try {
                return Files.exists(Path.of(s));
            } catch (RuntimeException e) {
                return false;
            }
        });
    }

    /** Parses with {@code existsLocally} deciding which texts name existing paths (tests pass a fake). */
    public static ModelRef parse(String text, Predicate<String> existsLocally) {
        if (text == null || text.isBlank()) {
            throw MergeLabException.input("empty model reference", "name a model folder, a .safetensors file or org/name");
        }
        for (int i = 0; i < text.length(); i++) {
            if (Character.isISOControl(text.charAt(i))) {
                throw MergeLabException.input("model reference '" + printable(text) + "' contains control characters",
                        "remove them");
            }
        }
        if (existsLocally.test(text)) {
            return new ModelRef(text, new Local(Path.of(text)), null);
        }
        int plus = text.lastIndexOf('+');
        if (plus >= 0) {
            String base = text.substring(0, plus);
            String adapter = text.substring(plus + 1);
            if (base.isEmpty() || adapter.isEmpty()) {
                throw MergeLabException.input("model reference '" + text + "' has an empty side of '+'",
                        "write BASE+ADAPTER, e.g. org/base+org/lora-adapter");
            }
            return new ModelRef(text, part(base, existsLocally), part(adapter, existsLocally));
        }
        return new ModelRef(text, part(text, existsLocally), null);
    }

    public boolean hasAdapter() {
        return adapter != null;
    }

    private static Target part(String s, Predicate<String> existsLocally) {
        if (existsLocally.test(s)) {
            return new Local(Path.of(s));
        }
        var m = HUB_ID.matcher(s);
        if (m.matches() && !s.contains("..") && (m.group(2) == null || validRevision(m.group(2)))) {
            return new Hub(m.group(1), m.group(2));
        }
        return new Local(Path.of(s));
    }

    private static boolean validRevision(String rev) {
        return !rev.startsWith("/") && !rev.endsWith("/") && !rev.contains("//");
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return b.toString();
    }
}
