package dev.mergelab.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.MergeLabException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A folder's chat template as transformers loads it, and tokenizer_config.json with a template put in. */
class ChatTemplateFilesTest {

    @TempDir
    Path dir;

    Path config(String json) throws Exception {
        return Files.writeString(dir.resolve("tokenizer_config.json"), json);
    }

    @Test
    void noFilesNoTemplate() throws Exception {
        assertEquals(Optional.empty(), ChatTemplateFiles.read(dir));
        config("{\"eos_token\": \"</s>\"}");
        assertEquals(Optional.empty(), ChatTemplateFiles.read(dir));
        config("{\"chat_template\": null}");
        assertEquals(Optional.empty(), ChatTemplateFiles.read(dir));
    }

    @Test
    void theConfigFieldAsStringOrAsNamedListWhoseDefaultIsTheChatTemplate() throws Exception {
        config("{\"chat_template\": \"{{ x }}\"}");
        assertEquals(Optional.of("{{ x }}"), ChatTemplateFiles.read(dir));
        config("{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"}, {\"name\": \"default\", \"template\": \"D\"}]}");
        assertEquals(Optional.of("D"), ChatTemplateFiles.read(dir));
        config("{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"}]}");
        assertEquals(Optional.empty(), ChatTemplateFiles.read(dir));
    }

    @Test
    void chatTemplateJinjaWinsOverTheConfigField() throws Exception {
        config("{\"chat_template\": \"from config\"}");
        Files.writeString(dir.resolve("chat_template.jinja"), "from jinja\n");
        assertEquals(Optional.of("from jinja\n"), ChatTemplateFiles.read(dir));
    }

    @Test
    void malformedTemplatesAreOneLineInputErrorsNamingTheFile() throws Exception {
        for (String bad : new String[] {"{\"chat_template\": 3}", "{\"chat_template\": [\"x\"]}",
                "{\"chat_template\": [{\"name\": \"default\"}]}", "[1]", "{\"chat_template\": \"a\", \"chat_template\": \"b\"}"}) {
            config(bad);
            MergeLabException e = assertThrows(MergeLabException.class, () -> ChatTemplateFiles.read(dir), bad);
            assertEquals(MergeLabException.Kind.INPUT, e.kind());
            assertTrue(e.oneLine().contains(dir.resolve("tokenizer_config.json").toString()), e.oneLine());
        }
        Files.write(dir.resolve("chat_template.jinja"), new byte[] {'{', '{', (byte) 0xC0, (byte) 0x80, '}', '}'});
        MergeLabException e = assertThrows(MergeLabException.class, () -> ChatTemplateFiles.read(dir));
        assertTrue(e.getMessage().endsWith("chat_template.jinja is not valid UTF-8"), e.getMessage());
    }

    @Test
    void configWithTemplateKeepsEveryOtherKeyAndItsPlace() throws Exception {
        config("{\"b\": 1, \"chat_template\": \"old\", \"a\": {\"x\": [1.5, null, true]}, \"n\": 1000000000000000019884624838656}");
        ObjectMapper json = new ObjectMapper();
        String out = ChatTemplateFiles.configWithTemplate(dir, "new");
        assertEquals(json.readTree("{\"b\": 1, \"chat_template\": \"new\", \"a\": {\"x\": [1.5, null, true]},"
                + " \"n\": 1000000000000000019884624838656}"), json.readTree(out));
        assertEquals("[b, chat_template, a, n]", iterate(json, out));
        config("{\"b\": 1}");
        assertEquals("[b, chat_template]", iterate(json, ChatTemplateFiles.configWithTemplate(dir, "new")));
        Files.delete(dir.resolve("tokenizer_config.json"));
        assertEquals(json.readTree("{\"chat_template\": \"new\"}"), json.readTree(ChatTemplateFiles.configWithTemplate(dir, "new")));
    }

    private static String iterate(ObjectMapper json, String text) throws Exception {
        java.util.List<String> names = new java.util.ArrayList<>();
        json.readTree(text).fieldNames().forEachRemaining(names::add);
        return names.toString();
    }
}
