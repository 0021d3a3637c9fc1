package dev.mergelab.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import dev.mergelab.engine.ChatTemplates;
import dev.mergelab.generate.Conversation;
import dev.mergelab.generate.EosIds;
import dev.mergelab.generate.Generator;
import dev.mergelab.generate.Sampling;
import dev.mergelab.infer.TransformerModel;
import dev.mergelab.infer.Workers;
import dev.mergelab.tokenizer.ChatTemplate;
import dev.mergelab.tokenizer.ChatValues;
import dev.mergelab.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code mergelab generate MODEL --prompt "..."} continues a text; with {@code --chat} the prompt is a chat
 * turn rendered by the model's chat template, {@code --messages} gives a whole conversation, and without either
 * the chat reads user turns from stdin, one per line, keeping the conversation and its KV cache. Text streams to
 * stdout as it is decoded; the speeds go to stderr at the end.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Generate text with a model (or a recipe, merged in memory): greedy by default, sampled with "
                + "--temperature/--top-k/--top-p/--min-p. The logits pass through the repetition penalty, temperature, top-k, "
                + "top-p and min-p in that order, as in transformers' generate.",
            "Generation ends at an EOS id (generation_config.json's eos_token_id, else config.json's), a --stop string "
                + "(the text ends before it) or --max-tokens."})
final class GenerateCommand implements Callable<Integer> {

    @Parameters(paramLabel = "MODEL", description = "Model folder, hub id in the local cache, BASE+ADAPTER, or a recipe "
            + "(.yml/.yaml) merged in memory without writing it.")
    String model;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "The text to continue, or with --chat the user's message.")
    String prompt;

    @Option(names = "--chat", description = "Render the prompt with the model's chat template (interactive on stdin "
            + "without --prompt and --messages).")
    boolean chat;

    @Option(names = "--messages", paramLabel = "FILE.json", description = "A conversation to continue (implies --chat): "
            + "a JSON list of {\"role\": ..., \"content\": ...}.")
    Path messages;

    @Option(names = "--tools", paramLabel = "FILE.json", description = "Tool definitions (a JSON list) passed to the chat template.")
    Path tools;

    @Option(names = "--chat-template", paramLabel = "NAME|FILE", description = "Use this template instead of the model's: "
            + "a built-in name (alpaca, chatml, exaone, llama3, mistral) or a Jinja file.")
    String chatTemplate;

    @Option(names = "--max-tokens", defaultValue = "256", description = "Most tokens to generate per reply (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", paramLabel = "T", description = "Sample at this temperature (0: greedy, the default; "
            + "1 when only --top-k/--top-p/--min-p ask for sampling).")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Sample among the K most likely tokens.")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Sample among the most likely tokens holding probability P.")
    Double topP;

    @Option(names = "--min-p", paramLabel = "P", description = "Sample among tokens at least P times as likely as the most likely.")
    Double minP;

    @Option(names = "--repeat-penalty", defaultValue = "1.0", paramLabel = "R", description = "Penalise tokens already in "
            + "the text (transformers' repetition_penalty; 1 is off, default ${DEFAULT-VALUE}).")
    double repeatPenalty;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the sampling (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--stop", paramLabel = "STRING", description = "End the text before this string (repeatable).")
    List<String> stops = new ArrayList<>();

    @Option(names = "--json", description = "Print one JSON result per reply instead of streaming the text.")
    boolean json;

    @Option(names = "--random-seed", defaultValue = "0", description = "Seed of a recipe's random methods, as for merge.")
    long recipeSeed;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Spec
    CommandSpec spec;

    /** Where interactive turns are read from (tests set it). */
    InputStream stdin = System.in;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public Integer call() throws IOException {
        boolean chatting = chat || messages != null || tools != null || chatTemplate != null;
        if (!chatting && prompt == null) {
            throw MergeLabException.input("give --prompt TEXT, or --chat (interactive, or with --prompt or --messages)",
                    "see 'mergelab generate --help'");
        }
        if (maxTokens < 1) {
            throw MergeLabException.input("--max-tokens must be at least 1, got " + maxTokens, null);
        }
        Sampling sampling = sampling();
        List<Map<String, Object>> history = messages == null ? List.of() : ChatValues.readMessages(messages);
        List<?> toolList = tools == null ? null : toolList(tools);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int t = threads.count();
        try (InferSource source = InferSource.open(model, t, recipeSeed, w -> err.println("warning: " + w));
             Workers workers = new Workers(t)) {
            Path folder = source.folder();
            Path tokenizerFile = folder.resolve("tokenizer.json");
            if (!Files.isRegularFile(tokenizerFile)) {
                throw MergeLabException.input(model + " has no tokenizer.json (looked in " + folder + ")", null);
            }
            Tokenizer tokenizer = Tokenizer.load(tokenizerFile);
            ChatTemplate template = chatting ? template(source, folder) : null;
            TransformerModel m = TransformerModel.load(source.weights(), workers);
            Generator generator = new Generator(m, tokenizer);
            int maxLength = source.weights().config().intValue("max_position_embeddings").orElse(0);
            Generator.Options options = new Generator.Options(maxTokens, sampling, EosIds.of(folder), stops, maxLength);
            if (!chatting) {
                report(generator.generate(tokenizer.encode(prompt, true), options, stream(out)), out, err);
                return 0;
            }
            Conversation conversation = new Conversation(template, tokenizer, generator, history, toolList, Map.of());
            if (prompt != null || messages != null) {
                if (prompt != null) {
                    conversation.user(prompt);
                }
                report(conversation.reply(options, stream(out)), out, err);
                return 0;
            }
            interactive(conversation, options, out, err);
        }
        return 0;
    }

    private Sampling sampling() {
        boolean sample = (temperature != null && temperature > 0) || topK != null || topP != null || minP != null;
        if (temperature != null && temperature < 0) {
            throw MergeLabException.input("--temperature must be 0 (greedy) or above, got " + temperature, null);
        }
        if (temperature != null && temperature == 0 && (topK != null || topP != null || minP != null)) {
            throw MergeLabException.input("--temperature 0 is greedy: --top-k, --top-p and --min-p would do nothing", null);
        }
        return new Sampling(sample, temperature == null || temperature == 0 ? 1 : temperature, topK == null ? 0 : topK,
                topP == null ? 1 : topP, minP == null ? 0 : minP, repeatPenalty, seed);
    }

    private ChatTemplate template(InferSource source, Path folder) {
        if (chatTemplate != null) {
            Optional<String> builtIn = ChatTemplates.builtIn(chatTemplate);
            if (builtIn.isPresent()) {
                return ChatTemplate.of(builtIn.get(), "built-in template '" + chatTemplate + "'", folder);
            }
            Path file = Path.of(chatTemplate);
            if (!Files.isRegularFile(file)) {
                throw MergeLabException.input("--chat-template " + chatTemplate + " is neither a built-in template ("
                        + String.join(", ", ChatTemplates.builtInNames()) + ") nor a file", null);
            }
            try {
                return ChatTemplate.of(Files.readString(file, StandardCharsets.UTF_8), file.toString(), folder);
            } catch (IOException e) {
                throw MergeLabException.input("cannot read " + file + ": " + e.getMessage(), null);
            }
        }
        if (source.plan() != null && source.plan().chatTemplate() != null) {
            return ChatTemplate.of(source.plan().chatTemplate().text(), "the recipe's chat_template ("
                    + source.plan().chatTemplate().origin() + ")", folder);
        }
        return ChatTemplate.fromFolder(folder).orElseThrow(() -> MergeLabException.input(model + " has no chat template"
                + " (no chat_template.jinja, no chat_template in tokenizer_config.json)",
                "give one with --chat-template " + String.join("|", ChatTemplates.builtInNames()) + "|FILE"));
    }

    private static List<?> toolList(Path file) {
        Object v = ChatValues.of(ChatValues.readJson(file));
        if (!(v instanceof List<?> list)) {
            throw MergeLabException.input(file + ": tools must be a JSON list of tool definitions", null);
        }
        return list;
    }

    private Consumer<String> stream(PrintWriter out) {
        if (json) {
            return s -> { };
        }
        return s -> {
            if (!s.isEmpty()) {
                out.print(s);
                out.flush();
            }
        };
    }

    private void interactive(Conversation conversation, Generator.Options options, PrintWriter out, PrintWriter err)
            throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
        err.print("> ");
        err.flush();
        String line;
        while ((line = in.readLine()) != null) {
            if (!line.isBlank()) {
                conversation.user(line);
                report(conversation.reply(options, stream(out)), out, err);
            }
            err.print("> ");
            err.flush();
        }
        err.println();
    }

    private void report(Generator.Result r, PrintWriter out, PrintWriter err) throws IOException {
        String stop = r.stopReason().name().toLowerCase(java.util.Locale.ROOT);
        if (json) {
            ObjectNode o = JSON.createObjectNode();
            o.put("text", r.text());
            o.putArray("ids").addAll(java.util.Arrays.stream(r.generated()).mapToObj(JSON.getNodeFactory()::numberNode).toList());
            o.put("stop_reason", stop);
            o.put("prompt_tokens", r.promptTokens());
            o.put("prompt_tokens_cached", r.promptTokens() - r.prefilledTokens());
            o.put("prompt_tokens_per_s", round(r.promptTokensPerSecond()));
            o.put("generated_tokens", r.generated().length);
            o.put("generated_tokens_per_s", round(r.generatedTokensPerSecond()));
            out.println(JSON.writeValueAsString(o));
        } else {
            out.println();
        }
        out.flush();
        err.printf(java.util.Locale.ROOT, "prompt: %d tokens%s, %.1f t/s; generated: %d tokens, %.1f t/s (stop: %s)%n",
                r.promptTokens(), r.prefilledTokens() < r.promptTokens() ? " (" + (r.promptTokens() - r.prefilledTokens()) + " cached)" : "",
                r.promptTokensPerSecond(), r.generated().length, r.generatedTokensPerSecond(), stop.replace('_', ' '));
        err.flush();
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
