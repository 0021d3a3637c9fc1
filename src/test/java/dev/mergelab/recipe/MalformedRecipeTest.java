package dev.mergelab.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.MergeLabException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each malformed recipe fails with one line naming recipe.yml and the right line. */
class MalformedRecipeTest {
    private static final String OK_TAIL = "merge_method: linear\nmodels:\n  - model: a\n";

    static Stream<Arguments> cases() {
        return Stream.of(
                // {yaml, expected line, expected message after "recipe.yml:LINE: "}
                Arguments.of("merge_metod: linear\nmodels:\n  - model: a\n", 1,
                        "unknown key 'merge_metod' in the recipe (did you mean 'merge_method'?)"),
                Arguments.of(OK_TAIL + "base_modle: b\n", 4, "unknown key 'base_modle' in the recipe (did you mean 'base_model'?)"),
                Arguments.of(OK_TAIL + "slices:\n  - sources:\n      - model: a\n        layer_range: [0, 2]\n", 5,
                        "use only one of models:, slices: or modules:"),
                Arguments.of("merge_method: linear\nparameters:\n  weight: 1\n", 1, "the recipe has neither models: nor slices:"),
                Arguments.of("merge_method: linear\nmodels: org/a\n", 2, "models must be a list, got text 'org/a'"),
                Arguments.of("merge_method: linear\nmodels: []\n", 2, "models is an empty list"),
                Arguments.of("models:\n  - model: a\n", 1, "missing merge_method"),
                Arguments.of("merge_method: 3\nmodels:\n  - model: a\n", 1, "merge_method must be a string, got the number 3"),
                Arguments.of("merge_method: linear\nmodels:\n  - parameters: {weight: 1}\n", 3, "models[0] has no 'model'"),
                Arguments.of("merge_method: linear\nmodels:\n  - model: {path: a}\n", 3,
                        "models[0].model must be a model reference string, got a mapping"),
                Arguments.of("merge_method: linear\nmodels:\n  - model: a\n    layer_range: [0, 2]\n", 4,
                        "unknown key 'layer_range' in models[0]"),
                Arguments.of(slices("[4, 2]"), 5, "slices[0].sources[0].layer_range [4, 2] is empty: start must be below end"),
                Arguments.of(slices("[3, 3]"), 5, "slices[0].sources[0].layer_range [3, 3] is empty: start must be below end"),
                Arguments.of(slices("[0]"), 5, "slices[0].sources[0].layer_range must be two integers [start, end], got 1 items"),
                Arguments.of(slices("[-1, 3]"), 5, "slices[0].sources[0].layer_range [-1, 3] has a negative layer index"),
                Arguments.of(slices("[0, 1.5]"), 5, "slices[0].sources[0].layer_range[1] must be an integer, got the number 1.5"),
                Arguments.of(slices("[true, 2]"), 5, "slices[0].sources[0].layer_range[0] must be an integer, got the boolean true"),
                Arguments.of(slices("0-4"), 5, "slices[0].sources[0].layer_range must be a list, got text '0-4'"),
                Arguments.of("merge_method: passthrough\nslices:\n  - sources:\n      - model: a\n", 4,
                        "slices[0].sources[0] has no 'layer_range'"),
                Arguments.of("merge_method: slerp\nslices:\n  - sources:\n      - model: a\n        layer_range: [0, 4]\n"
                        + "      - model: b\n        layer_range: [0, 3]\n", 6,
                        "slices[0].sources[1] has 3 layers but sources[0] has 4"),
                Arguments.of("merge_method: slerp\nslices:\n  - sources: []\n", 3, "slices[0].sources is an empty list"),
                Arguments.of(OK_TAIL + "dtype: bfloat61\n", 4, "unknown dtype 'bfloat61' (did you mean 'bfloat16'?)"),
                Arguments.of(OK_TAIL + "out_dtype: int8\n", 4, "unknown out_dtype 'int8'"),
                Arguments.of(OK_TAIL + "tokenizer_source: union\n", 4,
                        "tokenizer_source: union (a merged vocabulary) is not supported yet"),
                Arguments.of(OK_TAIL + "tokenizer:\n  source: union\n", 5,
                        "tokenizer.source: union (a merged vocabulary) is not supported yet"),
                Arguments.of(OK_TAIL + "tokenizer:\n  pad_to_multiple_of: 8\n", 5,
                        "tokenizer has no source (upstream defaults to union, which is not supported yet)"),
                Arguments.of(OK_TAIL + "tokenizer_source: base\ntokenizer:\n  source: base\n", 5,
                        "use either tokenizer_source: or tokenizer:, not both"),
                Arguments.of(OK_TAIL + "tokenizer:\n  source: base\n  tokens:\n    <x>: {source: a}\n", 6,
                        "tokenizer.tokens is not supported yet"),
                Arguments.of(OK_TAIL + "merge_method: ties\n", 4, "duplicate key 'merge_method' in the recipe"),
                Arguments.of(OK_TAIL + "parameters:\n  weight: 1\n  weight: 2\n", 6, "duplicate parameter 'weight' in parameters"),
                Arguments.of(OK_TAIL + "parameters:\n  weight:\n", 5, "parameters.weight has no value"),
                Arguments.of(OK_TAIL + "parameters:\n  weight: .nan\n", 5, "parameters.weight must be a finite number, got .nan"),
                Arguments.of(OK_TAIL + "parameters:\n  weight: []\n", 5, "parameters.weight is an empty list"),
                Arguments.of(OK_TAIL + "parameters:\n  weight: [1, [2]]\n", 5,
                        "parameters.weight[1] is a nested list; a gradient is a flat list of values"),
                Arguments.of(OK_TAIL + "parameters:\n  weight:\n    filter: mlp\n    value: 1\n", 6,
                        "parameters.weight: a {filter, value} entry must be inside a list"),
                Arguments.of(OK_TAIL + "parameters:\n  weight:\n    - 1\n    - filter: mlp\n      value: 2\n", 6,
                        "parameters.weight mixes plain values with {filter, value} entries"),
                Arguments.of(OK_TAIL + "parameters:\n  weight:\n    - filter: mlp\n", 6, "parameters.weight[0] has no 'value'"),
                Arguments.of(OK_TAIL + "parameters:\n  weight:\n    - filtr: mlp\n      value: 1\n", 6,
                        "unknown key 'filtr' in parameters.weight[0] (did you mean 'filter'?)"),
                Arguments.of(OK_TAIL + "parameters:\n  weight:\n    - filter: mlp\n      value:\n        - filter: x\n          value: 1\n", 8,
                        "parameters.weight[0].value: filter entries cannot be nested inside a filter value"),
                Arguments.of(OK_TAIL + "parameters:\n  weight: 2024-01-01\n", 5,
                        "parameters.weight has an unsupported value a date 2024-01-01"),
                Arguments.of(OK_TAIL + "parameters:\n  weight: !!python/object:os.system {}\n", 5,
                        "unsupported YAML tag: tag:yaml.org,2002:python/object:os.system"),
                Arguments.of(OK_TAIL + "parameters:\n  weight: !!python/name:os.system ''\n", 5,
                        "unsupported YAML tag: tag:yaml.org,2002:python/name:os.system"),
                Arguments.of(OK_TAIL + "name: !custom x\n", 4, "unsupported YAML tag !custom in name"),
                Arguments.of("<<: {merge_method: linear}\nmodels:\n  - model: a\n", 1, "YAML merge keys ('<<') are not supported in the recipe"),
                Arguments.of(OK_TAIL + "parameters:\n  <<: {weight: 1}\n", 5, "YAML merge keys ('<<') are not supported in parameters"),
                Arguments.of(OK_TAIL + "parameters:\n  1: 2\n", 5, "keys of parameters must be plain names, got the number 1"),
                Arguments.of("- merge_method: linear\n", 1, "a recipe must be a mapping with merge_method and models: or slices:, got a list"),
                Arguments.of("merge_method: linear\nmodules:\n  text:\n    parameters: {}\n", 4,
                        "modules.text needs exactly one of models: or slices:"),
                Arguments.of("merge_method: linear\nmodels:\n  - model: a\n    parameters: [1]\n", 4,
                        "models[0].parameters must be a mapping of name: value, got a list"),
                Arguments.of("merge_method: linear\nmodels:\n  - model: a\n  model: b\n", 4, "YAML syntax error: while parsing a block collection, expected <block end>, but found '?'"),
                Arguments.of("merge_method: linear\nmodels:\n  - model: [a\n", 4, "YAML syntax error: while parsing a flow sequence, expected ',' or ']', but got <stream end>"),
                Arguments.of("merge_method: linear\n\tmodels: x\n", 2, "YAML syntax error: while scanning for the next token, found character '\\t(TAB)' that cannot start any token"),
                Arguments.of("merge_method: linear\n---\nmerge_method: ties\n", 2, "YAML syntax error: expected a single document in the stream, but found another document"),
                Arguments.of("", 1, "the recipe is empty"),
                Arguments.of("# only a comment\n", 1, "the recipe is empty"));
    }

    private static String slices(String range) {
        return "merge_method: passthrough\nslices:\n  - sources:\n      - model: a\n        layer_range: " + range + "\n";
    }

    @ParameterizedTest
    @MethodSource("cases")
    void oneClearLine(String yaml, int line, String message) {
        MergeLabException e = assertThrows(MergeLabException.class, () -> Recipes.parse(yaml));
        assertEquals(MergeLabException.Kind.INPUT, e.kind());
        String prefix = "recipe.yml:" + line + ": ";
        assertTrue(e.getMessage().startsWith(prefix), () -> "wrong line: " + e.getMessage());
        assertTrue(e.getMessage().substring(prefix.length()).startsWith(message), () -> "wrong message: " + e.getMessage());
        assertFalse(e.oneLine().contains("\n"));
    }

    @Test
    void aliasBombIsCut() {
        StringBuilder y = new StringBuilder(OK_TAIL).append("parameters:\n  a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n");
        y.append("  nested: &n0 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]\n");
        for (int i = 1; i < 10; i++) {
            y.append("  n").append(i).append(": &n").append(i).append(" [");
            for (int j = 0; j < 10; j++) {
                y.append(j == 0 ? "" : ", ").append("*n").append(i - 1);
            }
            y.append("]\n");
        }
        MergeLabException e = assertThrows(MergeLabException.class, () -> Recipes.parse(y.toString()));
        assertTrue(e.getMessage().startsWith("recipe.yml: cannot read YAML: Number of aliases for non-scalar nodes exceeds"),
                e.getMessage());
    }

    @Test
    void deepNestingIsCut() {
        String deep = "[".repeat(200) + "1" + "]".repeat(200);
        MergeLabException e = assertThrows(MergeLabException.class, () -> Recipes.parse(OK_TAIL + "parameters:\n  w: " + deep + "\n"));
        assertTrue(e.getMessage().startsWith("recipe.yml: cannot read YAML: Nesting Depth exceeded"), e.getMessage());
    }

    @Test
    void aliasesWithinLimitsAreFine() {
        Recipe r = Recipes.parse("""
                merge_method: linear
                models:
                  - model: a
                    parameters: &p
                      weight: [0, 1]
                  - model: b
                    parameters: *p
                """);
        var models = ((ModelsOrSlices.Models) r.inputs().orElseThrow()).models();
        assertEquals(models.get(0).parameters(), models.get(1).parameters());
    }

    @Test
    void oversizeTextIsRefusedBeforeParsing() {
        String big = OK_TAIL + "#" + "x".repeat(YamlLoader.MAX_BYTES) + "\n";
        MergeLabException e = assertThrows(MergeLabException.class, () -> Recipes.parse(big));
        assertTrue(e.getMessage().startsWith("recipe.yml: the recipe is "), e.getMessage());
    }

    @Test
    void fileErrors(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("nope.yml");
        assertEquals(missing + ": recipe file not found",
                assertThrows(MergeLabException.class, () -> Recipe.parse(missing)).getMessage());
        Path bad = dir.resolve("bad.yml");
        Files.write(bad, new byte[] {'a', ':', ' ', (byte) 0xC3, (byte) 0x28, '\n'});
        assertEquals(bad + ": the recipe is not valid UTF-8 text",
                assertThrows(MergeLabException.class, () -> Recipe.parse(bad)).getMessage());
        Path big = dir.resolve("big.yml");
        Files.writeString(big, "#".repeat(YamlLoader.MAX_BYTES + 1));
        assertTrue(assertThrows(MergeLabException.class, () -> Recipe.parse(big)).getMessage()
                .startsWith(big + ": the recipe is " + (YamlLoader.MAX_BYTES + 1) + " bytes"));
        Path good = dir.resolve("recipe.yml");
        Files.writeString(good, OK_TAIL);
        assertEquals("linear", Recipe.parse(good).mergeMethod().value());
    }
}
