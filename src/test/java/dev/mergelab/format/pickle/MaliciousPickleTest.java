package dev.mergelab.format.pickle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.MergeLabException;
import dev.mergelab.format.WeightFiles;
import dev.mergelab.fuzz.FuzzProperty;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The malicious corpus ({@code src/test/resources/pickle/malicious/}, made by {@code scripts/pickle-ref}): every
 * file is refused with a one-line INPUT error that starts with the file's path and names the forbidden global,
 * opcode or limit. For the cases whose payload runs a command under Python's unpickler (the script proved each
 * one live by loading it with {@code torch.load(weights_only=False)}), the command would create a marker file:
 * it must not exist after MergeLab has read the file.
 */
class MaliciousPickleTest {

    static final Path DIR = Path.of("src/test/resources/pickle/malicious");

    record Case(String file, String name, String marker, String forbidden) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Case> cases() throws Exception {
        List<Case> out = new ArrayList<>();
        for (JsonNode c : new ObjectMapper().readTree(DIR.resolve("cases.json").toFile())) {
            out.add(new Case(c.get("file").asText(), c.get("case").asText(), c.get("marker").isNull() ? null : c.get("marker").asText(),
                    c.get("forbidden").asText()));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusedInOneLineAndThePayloadNeverRuns(Case c) throws Exception {
        Path file = DIR.resolve(c.file());
        if (c.marker() != null) {
            Files.deleteIfExists(Path.of(c.marker()));
        }
        // Within the fuzzers' bounds: under 10 s, allocating at most 64 MB + 64 x the file's size.
        assertFalse(FuzzProperty.acceptedOrInputError(c.name(), Files.size(file), () -> WeightFiles.open(file).close()));
        MergeLabException e = assertThrows(MergeLabException.class, () -> WeightFiles.open(file).close());
        assertEquals(MergeLabException.Kind.INPUT, e.kind());
        String line = e.oneLine();
        assertFalse(line.contains("\n") || line.contains("\r"), line);
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(c.forbidden()), c.name() + ": " + e.getMessage());
        if (c.marker() != null) {
            Thread.sleep(50); // a subprocess payload would have had time to run
            assertFalse(Files.exists(Path.of(c.marker())), "payload ran: " + c.marker());
        }
    }

    @Test
    void theCorpusCoversEveryAttackTheIssueNames() throws Exception {
        List<String> names = cases().stream().map(Case::name).toList();
        for (String needed : List.of("os-system", "builtins-eval", "builtins-exec", "subprocess-popen", "stack-global-posix-system",
                "reduce-after-tensor", "build-setstate", "nested-pickle", "memo-unset", "memo-flood", "mark-bomb", "list-bomb",
                "huge-long4", "huge-binunicode", "huge-binunicode8", "huge-tensor-view", "huge-storage", "truncated-zip",
                "truncated-pickle", "legacy-magic", "legacy-main")) {
            assertTrue(names.contains(needed), needed);
        }
        long live = cases().stream().filter(c -> c.marker() != null).count();
        assertTrue(live >= 12, "code-running cases: " + live);
        try (Stream<Path> files = Files.list(DIR)) {
            assertEquals(cases().size() + 1, files.count(), "every file in the corpus is a case (plus cases.json)");
        }
    }

    @Test
    void forbiddenGlobalMessagesNameTheFileAndTheGlobal() {
        Path file = DIR.resolve("os-system.bin");
        MergeLabException e = assertThrows(MergeLabException.class, () -> TorchCheckpoint.open(file));
        assertTrue(e.getMessage().startsWith(file + " (archive/data.pkl): forbidden global 'posix.system' at byte "), e.getMessage());
        assertTrue(e.oneLine().contains("never runs code"), e.oneLine());
    }
}
