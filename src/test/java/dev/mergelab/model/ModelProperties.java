package dev.mergelab.model;

import dev.mergelab.MergeLabException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Properties over all built-in definitions and over arbitrary file names. */
class ModelProperties {

    private static final Path FOLDER = emptyTempFolder();

    @Property(tries = 300)
    void renamingALayerIsReversibleAndClassifiesBack(@ForAll("definitions") ArchitectureDefinition def,
                                                     @ForAll @IntRange(min = 0, max = 3) int from,
                                                     @ForAll @IntRange(min = 0, max = 1_000_000) int to) {
        Architecture arch = Architecture.of(def);
        int experts = def.expertCountKey() == null ? 0 : 3;
        for (WeightInfo w : arch.expectedWeights(4, experts)) {
            WeightInfo back = arch.classify(w.name()).orElseThrow();
            assertEquals(w, back);
            if (w.section() != Section.LAYER || w.layerIndex() != from) {
                continue;
            }
            String moved = arch.renameToLayer(w.name(), to);
            WeightInfo m = arch.classify(moved).orElseThrow();
            assertEquals(to, m.layerIndex());
            assertEquals(w.expertIndex(), m.expertIndex());
            assertEquals(w.template(), m.template());
            assertEquals(w.name(), arch.renameToLayer(moved, from));
        }
    }

    @Property(tries = 2000)
    void resolvedNamesNeverLeaveTheFolder(@ForAll("fileNames") String name) {
        try {
            Path p = SafePaths.resolveInside(FOLDER, name);
            assertTrue(p.startsWith(FOLDER.toAbsolutePath().normalize()) && !p.equals(FOLDER), p.toString());
        } catch (MergeLabException expected) {
            assertTrue(expected.getMessage().startsWith("refusing file name"));
        }
    }

    @Provide
    Arbitrary<ArchitectureDefinition> definitions() {
        List<ArchitectureDefinition> all = Architectures.builtIn().definitions();
        return Arbitraries.of(all);
    }

    @Provide
    Arbitrary<String> fileNames() {
        Arbitrary<String> part = Arbitraries.oneOf(
                Arbitraries.of("..", ".", "", "a", "b.json", "~", "C:", "\u0000", "\\", "..\\x", "/"),
                Arbitraries.strings().withChars("./\\a:\u0000~").ofMaxLength(6));
        return part.list().ofMinSize(1).ofMaxSize(5).map(l -> String.join("/", l));
    }

    private static Path emptyTempFolder() {
        try {
            Path p = Files.createTempDirectory("mergelab-safepaths");
            p.toFile().deleteOnExit();
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
