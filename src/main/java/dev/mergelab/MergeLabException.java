package dev.mergelab;

/**
 * The one exception family for problems the user can fix: bad input, incompatible models, unsafe files.
 * It carries a one-line message (naming the file, tensor or recipe line) and a hint saying what to do.
 * The CLI maps {@link Kind} to an exit code and prints no stack trace. Internal bugs stay ordinary
 * exceptions so they are never mistaken for user errors.
 */
public class MergeLabException extends RuntimeException {

    /** What went wrong, which decides the exit code. */
    public enum Kind {
        /** Bad input, usage, recipe or file: exit 2. */
        INPUT(2),
        /** Models that cannot be merged by parameter mixing: exit 3. */
        INCOMPATIBLE(3);

        public final int exitCode;

        Kind(int exitCode) {
            this.exitCode = exitCode;
        }
    }

    private final Kind kind;
    private final String hint;

    public MergeLabException(Kind kind, String message, String hint) {
        super(message);
        this.kind = kind;
        this.hint = hint;
    }

    public MergeLabException(Kind kind, String message, String hint, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.hint = hint;
    }

    /** Bad input with a hint. */
    public static MergeLabException input(String message, String hint) {
        return new MergeLabException(Kind.INPUT, message, hint);
    }

    /** Bad input without a hint. */
    public static MergeLabException input(String message) {
        return new MergeLabException(Kind.INPUT, message, null);
    }

    public Kind kind() {
        return kind;
    }

    /** What the user should do, or null. */
    public String hint() {
        return hint;
    }

    /** The single line the CLI prints: message, then the hint after a separator. */
    public String oneLine() {
        String line = getMessage() == null ? "error" : getMessage();
        if (hint != null && !hint.isBlank()) {
            line = line + " (" + hint + ")";
        }
        return line.replace('\n', ' ').replace('\r', ' ');
    }
}
