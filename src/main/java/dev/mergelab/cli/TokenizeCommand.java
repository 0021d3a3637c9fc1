package dev.mergelab.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import dev.mergelab.model.ModelRef;
import dev.mergelab.model.ModelResolver;
import dev.mergelab.model.SafePaths;
import dev.mergelab.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mergelab tokenize MODEL|TOKENIZER.json "text"}: token ids and pieces, or a JSONL batch. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Encode text with a model's tokenizer.json the way Hugging Face tokenizers does (same ids).",
            "With TEXT: prints each id, its token and the text it decodes to. With --input/--output: reads JSON lines "
                + "{\"text\": \"...\", \"special\": true|false} (special = add special tokens, default true) and writes, "
                + "in the same order, {\"ids\": [...], \"decoded\": \"...\"} (decode of the ids, special tokens kept)."})
final class TokenizeCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "A model folder, a Hugging Face id in the local cache, "
            + "a GGUF model, or a tokenizer.json file.")
    String model;

    @Parameters(index = "1", arity = "0..1", paramLabel = "TEXT", description = "The text to encode.")
    String text;

    @Option(names = "--no-special", description = "With TEXT: do not add special tokens (BOS, CLS, ...).")
    boolean noSpecial;

    @Option(names = "--input", paramLabel = "IN.jsonl", description = "JSON lines to encode.")
    Path input;

    @Option(names = "--output", paramLabel = "OUT.jsonl", description = "Where the results go ('-' for stdout).")
    String output;

    @Spec
    CommandSpec spec;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public Integer call() throws IOException {
        if ((input == null) != (output == null)) {
            throw MergeLabException.input("--input and --output go together", "see 'mergelab tokenize --help'");
        }
        if ((input == null) == (text == null)) {
            throw MergeLabException.input(input == null ? "give TEXT or --input/--output"
                    : "give TEXT or --input/--output, not both", "see 'mergelab tokenize --help'");
        }
        if (input != null && noSpecial) {
            throw MergeLabException.input("--no-special is for TEXT; in --input each line says \"special\"", null);
        }
        Tokenizer tok = isGgufModel(model) ? ggufTokenizer(model) : Tokenizer.load(tokenizerFile(model));
        if (text != null) {
            show(tok, text, !noSpecial, spec.commandLine().getOut());
            return 0;
        }
        batch(tok);
        return 0;
    }

    /**
     * True when {@code model} is a GGUF file, or a folder with no tokenizer.json holding one: its tokenizer is rebuilt
     * from the metadata into the model's companion folder, which exists while the model is open.
     */
    static boolean isGgufModel(String model) {
        Path p = Path.of(model);
        if (Files.isRegularFile(p)) {
            return dev.mergelab.format.gguf.GgufFile.isGguf(p);
        }
        if (!Files.isDirectory(p) || Files.exists(p.resolve("tokenizer.json"))) {
            return false;
        }
        try (var s = Files.newDirectoryStream(p, "*.gguf")) {
            return s.iterator().hasNext();
        } catch (IOException e) {
            return false;
        }
    }

    /** The tokenizer a GGUF model's metadata rebuilds, loaded while the model is open. */
    private static Tokenizer ggufTokenizer(String model) {
        try (dev.mergelab.model.ModelSource m = Models.opener().open(model)) {
            Path file = m.folder().resolve("tokenizer.json");
            if (!Files.isRegularFile(file)) {
                throw MergeLabException.input("model " + model + " has no tokenizer in its GGUF metadata", "give a tokenizer.json file");
            }
            return Tokenizer.load(file);
        }
    }

    /** A tokenizer.json file as given, or the one in a model folder (local or from the hub cache). */
    static Path tokenizerFile(String model) {
        Path asFile = Path.of(model);
        if (Files.isRegularFile(asFile) && !model.endsWith(".safetensors") && !dev.mergelab.format.gguf.GgufFile.isGguf(asFile)) {
            return asFile;
        }
        ModelResolver.Resolved r = ModelResolver.offline().resolve(ModelRef.parse(model));
        Path folder = Files.isDirectory(r.base()) ? r.base() : r.base().toAbsolutePath().getParent();
        Path file = SafePaths.resolveInside(folder, "tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw MergeLabException.input("model " + model + " has no tokenizer.json", "give the tokenizer.json file itself");
        }
        return file;
    }

    private static void show(Tokenizer tok, String text, boolean special, PrintWriter out) {
        int[] ids = tok.encode(text, special);
        out.println(ids.length + " tokens");
        for (int id : ids) {
            String token = tok.idToToken(id);
            out.printf("%8d  %-24s %s%n", id, quote(token == null ? "" : token), quote(tok.decode(new int[] {id}, false)));
        }
    }

    private void batch(Tokenizer tok) throws IOException {
        Path in = input;
        if (!Files.isRegularFile(in)) {
            throw MergeLabException.input(in + " is missing or not a regular file", null);
        }
        boolean toStdout = output.equals("-");
        Path outPath = toStdout ? null : Path.of(output);
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try (BufferedReader reader = new BufferedReader(
                     new java.io.InputStreamReader(Files.newInputStream(in), decoder));
             Writer w = toStdout ? new NonClosing(spec.commandLine().getOut())
                     : new BufferedWriter(Files.newBufferedWriter(outPath, StandardCharsets.UTF_8))) {
            String line;
            int n = 0;
            while ((line = readLine(reader, in, n + 1)) != null) {
                n++;
                if (line.isBlank()) {
                    throw MergeLabException.input(in + " line " + n + " is blank", "one JSON object per line");
                }
                JsonNode obj = parseLine(line, in, n);
                JsonNode t = obj.get("text");
                if (t == null || !t.isTextual()) {
                    throw MergeLabException.input(in + " line " + n + " has no \"text\" string", null);
                }
                JsonNode s = obj.get("special");
                if (s != null && !s.isBoolean()) {
                    throw MergeLabException.input(in + " line " + n + ": \"special\" is not true or false", null);
                }
                int[] ids = tok.encode(t.textValue(), s == null || s.booleanValue());
                ObjectNode result = JSON.createObjectNode();
                result.putArray("ids").addAll(java.util.Arrays.stream(ids).mapToObj(JSON.getNodeFactory()::numberNode)
                        .toList());
                result.put("decoded", tok.decode(ids, false));
                w.write(JSON.writeValueAsString(result));
                w.write('\n');
            }
        }
    }

    private static String readLine(BufferedReader r, Path in, int n) throws IOException {
        try {
            return r.readLine();
        } catch (CharacterCodingException e) {
            throw MergeLabException.input(in + " line " + n + " is not valid UTF-8", null);
        }
    }

    private static JsonNode parseLine(String line, Path in, int n) {
        try {
            JsonNode node = JSON.readTree(line);
            if (node == null || !node.isObject()) {
                throw MergeLabException.input(in + " line " + n + " is not a JSON object", null);
            }
            return node;
        } catch (JsonProcessingException e) {
            String m = e.getOriginalMessage() == null ? "syntax error" : e.getOriginalMessage();
            int nl = m.indexOf('\n');
            throw MergeLabException.input(in + " line " + n + " is not valid JSON: "
                    + VerifyCommand.oneLine(nl >= 0 ? m.substring(0, nl) : m), null);
        }
    }

    /** A token or text as a JSON string literal, so spaces and control characters stay visible. */
    private static String quote(String s) {
        try {
            return VerifyCommand.oneLine(JSON.writeValueAsString(s));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** stdout must stay open after the batch. */
    private static final class NonClosing extends java.io.FilterWriter {
        NonClosing(Writer w) {
            super(w);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
