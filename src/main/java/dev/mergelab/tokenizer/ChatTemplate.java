package dev.mergelab.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mergelab.MergeLabException;
import dev.mergelab.jinja.JinjaTemplate;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A model's chat template found and rendered as Hugging Face transformers does in {@code apply_chat_template}.
 *
 * <p>Where it comes from (transformers' tokenizer loading): {@code chat_template.jinja} in the model folder, with
 * named extra templates in {@code additional_chat_templates/NAME.jinja}; else the {@code chat_template} field of
 * tokenizer_config.json, a string or a list of {@code {name, template}}. With several templates, the one used is
 * {@code tool_use} when tools are given and the model has one, else {@code default}.
 *
 * <p>What it sees: {@code messages}, {@code tools} (None without tools), {@code documents} (None),
 * {@code add_generation_prompt}, and the tokenizer's special tokens as transformers' {@code special_tokens_map}
 * gives them: {@code bos_token}, {@code eos_token}, {@code unk_token}, {@code sep_token}, {@code pad_token},
 * {@code cls_token}, {@code mask_token} and {@code additional_special_tokens}, each only when the config sets it
 * (an AddedToken object gives its {@code content}).
 */
public final class ChatTemplate {

    public static final String JINJA_FILE = "chat_template.jinja";
    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    static final String ADDITIONAL_DIR = "additional_chat_templates";
    static final long MAX_TEMPLATE_BYTES = 4L << 20;
    static final long MAX_CONFIG_BYTES = 16L << 20;
    private static final List<String> SPECIAL_ATTRIBUTES = List.of("bos_token", "eos_token", "unk_token", "sep_token",
            "pad_token", "cls_token", "mask_token", "additional_special_tokens");

    private final Map<String, JinjaTemplate> named;
    private final Map<String, Object> specialTokens;

    private ChatTemplate(Map<String, JinjaTemplate> named, Map<String, Object> specialTokens) {
        this.named = named;
        this.specialTokens = specialTokens;
    }

    /** The template of the model in {@code folder}, or empty when it has none. */
    public static Optional<ChatTemplate> fromFolder(Path folder) {
        Map<String, Object> specials = specialTokens(folder);
        Map<String, JinjaTemplate> named = new LinkedHashMap<>();
        Path jinja = folder.resolve(JINJA_FILE);
        if (Files.isRegularFile(jinja)) {
            named.put("default", JinjaTemplate.compile(readText(jinja), jinja.toString()));
        }
        Path extra = folder.resolve(ADDITIONAL_DIR);
        if (Files.isDirectory(extra)) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(extra, "*.jinja")) {
                List<Path> sorted = new ArrayList<>();
                files.forEach(sorted::add);
                sorted.sort(null);
                for (Path f : sorted) {
                    String name = f.getFileName().toString();
                    named.put(name.substring(0, name.length() - ".jinja".length()), JinjaTemplate.compile(readText(f), f.toString()));
                }
            } catch (IOException e) {
                throw MergeLabException.input("cannot list " + extra + ": " + e.getMessage(), null);
            }
        }
        if (named.isEmpty()) {
            Path config = folder.resolve(TOKENIZER_CONFIG);
            if (Files.isRegularFile(config)) {
                JsonNode field = readConfig(config).get("chat_template");
                String origin = config + " chat_template";
                if (field != null && field.isTextual()) {
                    named.put("default", JinjaTemplate.compile(field.textValue(), origin));
                } else if (field != null && field.isArray()) {
                    for (JsonNode t : field) {
                        if (!t.path("name").isTextual() || !t.path("template").isTextual()) {
                            throw MergeLabException.input(origin + " must be a string or a list of {name, template} objects", null);
                        }
                        String name = t.get("name").textValue();
                        named.put(name, JinjaTemplate.compile(t.get("template").textValue(), origin + " '" + name + "'"));
                    }
                } else if (field != null && !field.isNull()) {
                    throw MergeLabException.input(origin + " must be a string or a list of {name, template} objects", null);
                }
            }
        }
        return named.isEmpty() ? Optional.empty() : Optional.of(new ChatTemplate(named, specials));
    }

    /** {@code template} (from {@code origin}) with the special tokens of the model in {@code folder}, if any. */
    public static ChatTemplate of(String template, String origin, Path folder) {
        Map<String, JinjaTemplate> named = new LinkedHashMap<>();
        named.put("default", JinjaTemplate.compile(template, origin));
        return new ChatTemplate(named, folder == null ? Map.of() : specialTokens(folder));
    }

    /** {@code template} with the given special-token variables (tests, and callers that know them). */
    public static ChatTemplate of(String template, String origin, Map<String, Object> specialTokens) {
        Map<String, JinjaTemplate> named = new LinkedHashMap<>();
        named.put("default", JinjaTemplate.compile(template, origin));
        return new ChatTemplate(named, new LinkedHashMap<>(specialTokens));
    }

    /** The special-token variables the template sees. */
    public Map<String, Object> specialTokens() {
        return java.util.Collections.unmodifiableMap(specialTokens);
    }

    /**
     * The prompt text for {@code messages}.
     *
     * @param tools  tool definitions (JSON-like values), or null for none
     * @param extra  more variables (e.g. {@code enable_thinking}), or an empty map
     */
    public String render(List<?> messages, List<?> tools, boolean addGenerationPrompt, Map<String, ?> extra) {
        return render(messages, tools, addGenerationPrompt, extra, Clock.systemDefaultZone());
    }

    /** As {@link #render(List, List, boolean, Map)} with {@code strftime_now} reading {@code clock}. */
    public String render(List<?> messages, List<?> tools, boolean addGenerationPrompt, Map<String, ?> extra, Clock clock) {
        Map<String, Object> vars = new HashMap<>(specialTokens);
        vars.putAll(extra);
        vars.put("messages", messages);
        vars.put("tools", tools);
        vars.put("documents", null);
        vars.put("add_generation_prompt", addGenerationPrompt);
        return pick(tools).render(vars, clock);
    }

    /** transformers' choice among named templates: tool_use when tools are given and it exists, else default. */
    private JinjaTemplate pick(List<?> tools) {
        if (named.size() == 1) {
            return named.values().iterator().next();
        }
        if (tools != null && named.containsKey("tool_use")) {
            return named.get("tool_use");
        }
        JinjaTemplate t = named.get("default");
        if (t == null) {
            throw MergeLabException.input("the model has several chat templates (" + String.join(", ", named.keySet())
                    + ") and none named 'default'", "choose one with --chat-template FILE");
        }
        return t;
    }

    private static Map<String, Object> specialTokens(Path folder) {
        Map<String, Object> out = new LinkedHashMap<>();
        Path config = folder.resolve(TOKENIZER_CONFIG);
        if (!Files.isRegularFile(config)) {
            return out;
        }
        JsonNode root = readConfig(config);
        for (String attr : SPECIAL_ATTRIBUTES) {
            JsonNode v = root.get(attr);
            if (v != null && v.isObject()) {
                v = v.get("content");
            }
            if (v == null || v.isNull()) {
                continue;
            }
            if (v.isTextual() && !v.textValue().isEmpty()) {
                out.put(attr, v.textValue());
            } else if (v.isArray() && !v.isEmpty()) {
                List<Object> list = new ArrayList<>();
                for (JsonNode e : v) {
                    list.add(e.isObject() ? ChatValues.of(e.get("content")) : ChatValues.of(e));
                }
                out.put(attr, list);
            }
        }
        return out;
    }

    private static JsonNode readConfig(Path config) {
        JsonNode root = TokenizerJson.parse(readBytes(config, MAX_CONFIG_BYTES), config.toString());
        if (!root.isObject()) {
            throw MergeLabException.input(config + " must be a JSON object", "repair or re-download the file");
        }
        return root;
    }

    private static String readText(Path file) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(readBytes(file, MAX_TEMPLATE_BYTES))).toString();
        } catch (CharacterCodingException e) {
            throw MergeLabException.input(file + " is not valid UTF-8", "repair or re-download the file");
        }
    }

    private static byte[] readBytes(Path file, long max) {
        try {
            if (Files.size(file) > max) {
                throw MergeLabException.input(file + " is over " + max + " bytes", null);
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw MergeLabException.input("cannot read " + file + ": " + e.getMessage(), null);
        }
    }
}
