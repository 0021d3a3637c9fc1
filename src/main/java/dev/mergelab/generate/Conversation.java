package dev.mergelab.generate;

import dev.mergelab.tokenizer.ChatTemplate;
import dev.mergelab.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A multi-turn chat: the messages so far, rendered by the model's chat template with
 * {@code add_generation_prompt} and encoded without added special tokens (the template writes them), as
 * transformers' {@code apply_chat_template(..., tokenize=True)}; each reply is appended as an assistant
 * message. The {@link Generator} keeps the KV cache, so a turn runs only what the history does not share.
 */
public final class Conversation {

    private final ChatTemplate template;
    private final Tokenizer tokenizer;
    private final Generator generator;
    private final List<Map<String, Object>> messages = new ArrayList<>();
    private final List<?> tools;
    private final Map<String, ?> extra;

    public Conversation(ChatTemplate template, Tokenizer tokenizer, Generator generator, List<Map<String, Object>> history,
            List<?> tools, Map<String, ?> extra) {
        this.template = template;
        this.tokenizer = tokenizer;
        this.generator = generator;
        this.messages.addAll(history);
        this.tools = tools;
        this.extra = extra;
    }

    /** Adds a user message. */
    public void user(String text) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", "user");
        m.put("content", text);
        messages.add(m);
    }

    /** The prompt text the next reply continues. */
    public String prompt() {
        return template.render(messages, tools, true, extra);
    }

    /** Generates the assistant's reply to the messages so far, streaming it to {@code out}, and records it. */
    public Generator.Result reply(Generator.Options options, Consumer<String> out) {
        int[] ids = tokenizer.encode(prompt(), false);
        Generator.Result r = generator.generate(ids, options, out);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", "assistant");
        m.put("content", r.text());
        messages.add(m);
        return r;
    }

    public List<Map<String, Object>> messages() {
        return java.util.Collections.unmodifiableList(messages);
    }
}
