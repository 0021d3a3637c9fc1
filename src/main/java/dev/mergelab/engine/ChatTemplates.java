package dev.mergelab.engine;

import dev.mergelab.MergeLabException;
import dev.mergelab.model.AuxFiles;
import dev.mergelab.model.ChatTemplateFiles;
import dev.mergelab.model.ModelSource;
import dev.mergelab.recipe.Located;
import dev.mergelab.recipe.Recipe;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The recipe's {@code chat_template}, as mergekit reads it: {@code auto} takes the template most of the parents
 * share, a built-in name takes that template, and anything else must be a Jinja template itself. The result
 * goes into the output's tokenizer_config.json ({@link MergeRun}).
 *
 * <p>Where this differs from mergekit: mergekit visits the parents in set order, so a tie between templates is
 * settled arbitrarily; here the template of the earliest parent in the recipe (base first) wins. A parent whose
 * tokenizer files cannot be read is an error here, where mergekit skips it with a warning.
 */
public final class ChatTemplates {

    /**
     * The template to write and where it came from.
     *
     * @param text      the Jinja template, written as tokenizer_config.json's {@code chat_template}
     * @param origin    what chose it, for {@code --dry-run}
     * @param notCopied the tokenizer source's template files left out of the output: transformers prefers
     *                  chat_template.jinja to the config's field, and processors read chat_template.json, so
     *                  a copy of either would contradict the template written
     */
    public record Choice(String text, String origin, List<String> notCopied) {

        public Choice {
            notCopied = List.copyOf(notCopied);
        }

        /** One line for {@code --dry-run}. */
        public String describe() {
            return "chat template: " + origin + ", written into tokenizer_config.json"
                    + (notCopied.isEmpty() ? "" : " (the tokenizer source's " + String.join(" and ", notCopied) + " not copied)");
        }
    }

    /** mergekit's own rule for telling a template from a misspelt name: at least 20 characters and a brace. */
    private static final int MIN_LITERAL_LENGTH = 20;

    /**
     * Built-in templates by name, as the model families publish them in their tokenizer_config.json, written
     * on one line each ({@code '\n'} is Jinja's newline escape).
     */
    static final Map<String, String> BUILT_IN = builtIns();

    private ChatTemplates() {
    }

    /** The built-in template called {@code name} (alpaca, chatml, exaone, llama3, mistral), if there is one. */
    public static java.util.Optional<String> builtIn(String name) {
        return java.util.Optional.ofNullable(BUILT_IN.get(name));
    }

    /** The names of the built-in templates, in a fixed order. */
    public static java.util.Set<String> builtInNames() {
        return BUILT_IN.keySet();
    }

    /**
     * The template the output gets, or null when the recipe names none, when {@code auto} finds none among
     * the parents (the output keeps the tokenizer source's files as they are, as in mergekit), or when the
     * output has no tokenizer to carry one; the last two with a warning. A name that is neither built in nor a
     * template is a one-line INPUT error with the recipe line.
     *
     * @param parents the parents in recipe order (base first), as {@link MergePlan#models()}
     * @param tokenizerSource the model whose tokenizer files the output copies (null: none)
     * @param flat    true when the output is a single weight file without tokenizer files
     */
    public static Choice resolve(Recipe recipe, List<ModelSource> parents, ModelSource tokenizerSource, boolean flat,
            Consumer<String> warnings) {
        if (recipe.chatTemplate().isEmpty()) {
            return null;
        }
        Located<String> key = recipe.chatTemplate().get();
        String where = recipe.where(key.line());
        String value = key.value();
        String text;
        String origin;
        if (value.equals("auto")) {
            Auto auto = auto(parents);
            if (auto == null) {
                warnings.accept(where + ": chat_template auto: none of the " + parents.size()
                        + " parents has a chat template; the output keeps the tokenizer source's files unchanged");
                return null;
            }
            text = auto.text();
            origin = auto.origin();
        } else if (BUILT_IN.containsKey(value)) {
            text = BUILT_IN.get(value);
            origin = "built-in '" + value + "'";
        } else if (value.codePointCount(0, value.length()) >= MIN_LITERAL_LENGTH && value.contains("{")) {
            text = value;
            origin = "the recipe's own template (" + value.length() + " characters)";
        } else {
            throw MergeLabException.input(where + ": chat_template '" + shown(value) + "' is not a built-in template name,"
                    + " nor a Jinja template (at least 20 characters with a '{')", hint(value));
        }
        if (flat || tokenizerSource == null
                || AuxFiles.presentOf(tokenizerSource.folder(), AuxFiles.TOKENIZER_FILES).isEmpty()) {
            warnings.accept(where + ": chat_template is not written: the output has no tokenizer files"
                    + (flat ? " (its parents are single weight files)" : " (" + (tokenizerSource == null ? "no tokenizer source"
                            : tokenizerSource.displayName() + " has none") + ")"));
            return null;
        }
        List<String> notCopied = new ArrayList<>();
        for (var f : AuxFiles.presentOf(tokenizerSource.folder(), List.of(ChatTemplateFiles.JINJA, ChatTemplateFiles.PROCESSOR_JSON))) {
            notCopied.add(f.getFileName().toString());
        }
        return new Choice(text, origin, notCopied);
    }

    private record Auto(String text, String origin) {
    }

    /**
     * The template most parents share, compared and written without surrounding whitespace (as mergekit
     * does); on a tie the earliest parent's. Null when no parent has one.
     */
    private static Auto auto(List<ModelSource> parents) {
        Map<String, List<String>> holders = new LinkedHashMap<>();
        for (ModelSource p : parents) {
            if (p.isSingleFile()) {
                continue;   // a lone weight file has no tokenizer; the files beside it belong to no parent in particular
            }
            ChatTemplateFiles.read(p.folder()).map(String::strip).filter(t -> !t.isEmpty())
                    .ifPresent(t -> holders.computeIfAbsent(t, k -> new ArrayList<>()).add(p.displayName()));
        }
        Map.Entry<String, List<String>> best = null;
        int ties = 0;
        for (Map.Entry<String, List<String>> e : holders.entrySet()) {
            if (best == null || e.getValue().size() > best.getValue().size()) {
                best = e;
                ties = 0;
            } else if (e.getValue().size() == best.getValue().size()) {
                ties++;
            }
        }
        if (best == null) {
            return null;
        }
        String origin = "auto, the template of " + String.join(" and ", best.getValue()) + " (" + best.getValue().size()
                + " of " + parents.size() + " parents; " + holders.size() + " distinct"
                + (ties > 0 ? ", a tie settled by recipe order" : "") + ")";
        return new Auto(best.getKey(), origin);
    }

    private static String hint(String value) {
        for (String name : BUILT_IN.keySet()) {
            if (name.equalsIgnoreCase(value.strip())) {
                return "did you mean '" + name + "'? names are case-sensitive";
            }
        }
        return "use auto, a Jinja template, or one of " + String.join(", ", BUILT_IN.keySet());
    }

    /** The value as the error shows it: one line, clipped. */
    private static String shown(String value) {
        String oneLine = value.replace("\n", "\\n").replace("\r", "\\r");
        return oneLine.length() > 60 ? oneLine.substring(0, 60) + "..." : oneLine;
    }

    private static Map<String, String> builtIns() {
        Map<String, String> m = new LinkedHashMap<>();
        // Stanford Alpaca's prompt: its preamble unless the conversation opens with a system message.
        m.put("alpaca", """
                {% if messages[0]['role'] == 'system' %}{{ messages[0]['content'] | trim + '\\n\\n' }}\
                {% set loop_messages = messages[1:] %}{% else %}{{ 'Below is an instruction that describes a task. \
                Write a response that appropriately completes the request.\\n\\n' }}{% set loop_messages = messages %}\
                {% endif %}{% for message in loop_messages %}{% if message['role'] == 'user' %}\
                {{ '### Instruction:\\n' + message['content'] | trim + '\\n\\n' }}\
                {% elif message['role'] == 'assistant' %}{{ '### Response:\\n' + message['content'] | trim + eos_token + '\\n\\n' }}\
                {% else %}{{ raise_exception('alpaca takes user and assistant messages after an optional system message') }}\
                {% endif %}{% endfor %}{% if add_generation_prompt %}{{ '### Response:\\n' }}{% endif %}""");
        // ChatML, as OpenHermes and Qwen publish it.
        m.put("chatml", """
                {% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}\
                {% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}""");
        // EXAONE 3.x Instruct.
        m.put("exaone", """
                {% for message in messages %}{% if loop.first and message['role'] != 'system' %}{{ '[|system|][|endofturn|]\\n' }}\
                {% endif %}{{ '[|' + message['role'] + '|]' + message['content'] }}{% if message['role'] == 'user' %}{{ '\\n' }}\
                {% else %}{{ '[|endofturn|]\\n' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '[|assistant|]' }}{% endif %}""");
        // Meta Llama 3 Instruct.
        m.put("llama3", """
                {% for message in messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' \
                + message['content'] | trim + '<|eot_id|>' %}{% if loop.first %}{% set content = bos_token + content %}{% endif %}\
                {{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}\
                {% endif %}""");
        // Mistral 7B Instruct: [INST] turns, a leading system message folded into the first one.
        m.put("mistral", """
                {% if messages[0]['role'] == 'system' %}{% set system_message = messages[0]['content'] %}\
                {% set loop_messages = messages[1:] %}{% else %}{% set loop_messages = messages %}{% endif %}{{ bos_token }}\
                {% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}\
                {{ raise_exception('mistral needs user and assistant turns alternating after an optional system message') }}\
                {% endif %}{% if message['role'] == 'user' %}{% if loop.first and system_message is defined %}\
                {{ ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}{% else %}\
                {{ ' [INST] ' + message['content'] + ' [/INST]' }}{% endif %}{% elif message['role'] == 'assistant' %}\
                {{ ' ' + message['content'] + eos_token }}{% else %}\
                {{ raise_exception('mistral takes user and assistant messages after an optional system message') }}\
                {% endif %}{% endfor %}""");
        return java.util.Collections.unmodifiableMap(m);
    }
}
