package dev.mergelab.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.MergeLabException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a model's chat template comes from, which of several is used, and what it sees, as in transformers. */
class ChatTemplateLoadingTest {

    @TempDir
    Path dir;

    private static final List<Map<String, Object>> HI = List.of(Map.of("role", "user", "content", "hi"));

    private void config(String json) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), json);
    }

    @Test
    void noTemplateAnywhereIsEmpty() throws IOException {
        assertTrue(ChatTemplate.fromFolder(dir).isEmpty());
        config("{\"bos_token\": \"<s>\", \"chat_template\": null}");
        assertTrue(ChatTemplate.fromFolder(dir).isEmpty());
    }

    @Test
    void theJinjaFileWinsOverTheConfigField() throws IOException {
        config("{\"chat_template\": \"from config\"}");
        Files.writeString(dir.resolve("chat_template.jinja"), "from file {{ messages[0].content }}\n");
        assertEquals("from file hi", ChatTemplate.fromFolder(dir).orElseThrow().render(HI, null, false, Map.of()));
    }

    @Test
    void namedTemplatesPickToolUseWhenToolsAreGiven() throws IOException {
        config("""
                {"chat_template": [{"name": "default", "template": "D{{ tools is none }}"},
                                   {"name": "tool_use", "template": "T{{ tools | length }}"}]}""");
        ChatTemplate t = ChatTemplate.fromFolder(dir).orElseThrow();
        assertEquals("DTrue", t.render(HI, null, false, Map.of()));
        assertEquals("T0", t.render(HI, List.of(), false, Map.of()), "an empty tool list is still tools, as in transformers");
        config("{\"chat_template\": [{\"name\": \"a\", \"template\": \"A\"}, {\"name\": \"b\", \"template\": \"B\"}]}");
        MergeLabException e = assertThrows(MergeLabException.class,
                () -> ChatTemplate.fromFolder(dir).orElseThrow().render(HI, null, false, Map.of()));
        assertTrue(e.getMessage().contains("none named 'default'"), e.getMessage());
    }

    @Test
    void additionalTemplatesSitBesideTheJinjaFile() throws IOException {
        Files.writeString(dir.resolve("chat_template.jinja"), "main");
        Files.createDirectories(dir.resolve("additional_chat_templates"));
        Files.writeString(dir.resolve("additional_chat_templates/tool_use.jinja"), "tools");
        ChatTemplate t = ChatTemplate.fromFolder(dir).orElseThrow();
        assertEquals("main", t.render(HI, null, false, Map.of()));
        assertEquals("tools", t.render(HI, List.of(Map.of("name", "f")), false, Map.of()));
    }

    @Test
    void specialTokensAreTheSetOnesWithAddedTokenObjectsGivingTheirContent() throws IOException {
        config("""
                {"bos_token": {"__type": "AddedToken", "content": "<｜begin▁of▁sentence｜>", "lstrip": false},
                 "eos_token": "</s>", "unk_token": null, "pad_token": "", "additional_special_tokens": ["<a>", "<b>"],
                 "chat_template": "{{ bos_token }}|{{ eos_token }}|{{ unk_token is defined }}|{{ pad_token is defined }}|{{ additional_special_tokens | join(',') }}"}""");
        assertEquals("<｜begin▁of▁sentence｜>|</s>|False|False|<a>,<b>",
                ChatTemplate.fromFolder(dir).orElseThrow().render(HI, null, false, Map.of()));
    }

    @Test
    void aFieldOfTheWrongShapeIsOneLine() throws IOException {
        config("{\"chat_template\": 42}");
        MergeLabException e = assertThrows(MergeLabException.class, () -> ChatTemplate.fromFolder(dir));
        assertTrue(e.getMessage().contains("tokenizer_config.json chat_template must be a string or a list"), e.getMessage());
        config("{\"chat_template\": \"{% if %}\"}");
        e = assertThrows(MergeLabException.class, () -> ChatTemplate.fromFolder(dir));
        assertTrue(e.getMessage().startsWith(dir.resolve("tokenizer_config.json") + " chat_template: line 1 template error"), e.getMessage());
    }
}
