package dev.mergelab.model;

import dev.mergelab.MergeLabException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelRefTest {

    private static ModelRef parse(String text, String... existing) {
        Set<String> onDisk = Set.of(existing);
        return ModelRef.parse(text, onDisk::contains);
    }

    @Test
    void hubIds() {
        ModelRef r = parse("mistralai/Mistral-7B-v0.1");
        assertEquals(new ModelRef.Hub("mistralai/Mistral-7B-v0.1", null), r.base());
        assertEquals("main", ((ModelRef.Hub) r.base()).revisionOrMain());
        assertFalse(r.hasAdapter());
        assertEquals(new ModelRef.Hub("org/name", "v1.2"), parse("org/name@v1.2").base());
        assertEquals(new ModelRef.Hub("org/name", "refs/pr/3"), parse("org/name@refs/pr/3").base());
        assertEquals(new ModelRef.Hub("gpt2", null), parse("gpt2").base());
    }

    @Test
    void localPathsWin() {
        assertEquals(new ModelRef.Local(Path.of("org/name")), parse("org/name", "org/name").base());
        assertEquals(new ModelRef.Local(Path.of("/m/a+b")), parse("/m/a+b", "/m/a+b").base());
        assertNull(parse("/m/a+b", "/m/a+b").adapter());
        assertEquals(new ModelRef.Local(Path.of("/m/x@2")), parse("/m/x@2", "/m/x@2").base());
        assertEquals(new ModelRef.Local(Path.of("./nowhere")), parse("./nowhere").base(), "not hub-shaped");
        assertEquals(new ModelRef.Local(Path.of("/abs/x")), parse("/abs/x").base());
        assertEquals(new ModelRef.Local(Path.of("a/../b")), parse("a/../b").base());
    }

    @Test
    void adapterSplitsAtTheLastPlus() {
        ModelRef r = parse("org/base@main+org/lora");
        assertEquals(new ModelRef.Hub("org/base", "main"), r.base());
        assertEquals(new ModelRef.Hub("org/lora", null), r.adapter());
        ModelRef p = parse("/m/a+b+/adapters/x", "/m/a+b", "/adapters/x");
        assertEquals(new ModelRef.Local(Path.of("/m/a+b")), p.base());
        assertEquals(new ModelRef.Local(Path.of("/adapters/x")), p.adapter());
        assertTrue(p.hasAdapter());
        assertEquals("org/base@main+org/lora", r.text());
    }

    @Test
    void badReferences() {
        assertThrows(MergeLabException.class, () -> parse(""));
        assertThrows(MergeLabException.class, () -> parse("org/base+"));
        assertThrows(MergeLabException.class, () -> parse("+org/lora"));
        var e = assertThrows(MergeLabException.class, () -> parse("org/a\nb"));
        assertFalse(e.oneLine().contains("\n"));
    }
}
