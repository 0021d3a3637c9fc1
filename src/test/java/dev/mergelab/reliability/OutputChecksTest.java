package dev.mergelab.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.engine.ModelFolderCheck;
import dev.mergelab.format.SafetensorsFile;
import dev.mergelab.format.ShardIndex;
import dev.mergelab.format.TensorInfo;
import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Output checks: the merge's NaN/Inf rule (a warning naming the tensor when a parent already had them, an
 * error from finite parents), the manifest of output hashes, and {@code mergelab verify} finding every kind
 * of damage to a finished folder, one line per problem, exit 2.
 */
class OutputChecksTest {

    @TempDir
    static Path tmp;
    static Path fam;
    static Path good;
    static final String POISONED = "model.layers.1.mlp.up_proj.weight";

    @BeforeAll
    static void family() throws Exception {
        fam = tmp.resolve("fam");
        FamilyGenerator.generate(FamilySpec.tiny(DType.F32).withShardBytes(200_000), fam, 2);
        good = tmp.resolve("good");
        Cli.Run r = Cli.run("merge", recipe("lin", "linear", "FAM/ft1", "FAM/ft2", "").toString(), good.toString(), "--quiet",
                "--out-shard-size", "300kB");
        assertEquals(0, r.code(), r.err());
    }

    static Path recipe(String name, String method, String a, String b, String extra) throws Exception {
        Path p = tmp.resolve(name + ".yml");
        Files.writeString(p, ("merge_method: " + method + "\nmodels:\n  - model: " + a + "\n    parameters: {weight: 0.5}\n  - model: " + b
                + "\n    parameters: {weight: 0.5}\n" + extra).replace("FAM", fam.toString()));
        return p;
    }

    /** Overwrites element {@code index} of an F32 tensor in the model folder {@code dir}. */
    static void poke(Path dir, String tensor, long index, float value) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path shard : s.filter(p -> p.toString().endsWith(".safetensors")).toList()) {
                long at;
                try (SafetensorsFile f = SafetensorsFile.open(shard)) {
                    TensorInfo t = f.tensor(tensor);
                    if (t == null) {
                        continue;
                    }
                    at = f.dataStart() + t.begin() + 4 * index;
                }
                try (FileChannel ch = FileChannel.open(shard, StandardOpenOption.WRITE)) {
                    ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, value), at);
                }
                return;
            }
        }
        throw new AssertionError("no tensor " + tensor + " in " + dir);
    }

    static Path copy(Path src, String name) throws Exception {
        Path dst = tmp.resolve(name);
        Files.createDirectories(dst);
        try (Stream<Path> s = Files.list(src)) {
            for (Path f : s.toList()) {
                Files.copy(f, dst.resolve(f.getFileName()));
            }
        }
        return dst;
    }

    static List<String> verifyFails(Path dir) {
        Cli.Run r = Cli.run("verify", dir.toString());
        assertEquals(2, r.code(), r.out() + r.err());
        List<String> lines = r.err().lines().toList();
        assertFalse(lines.isEmpty());
        lines.forEach(l -> assertTrue(l.startsWith("mergelab: "), l));
        return lines;
    }

    static void assertAny(List<String> lines, String fragment) {
        assertTrue(lines.stream().anyMatch(l -> l.contains(fragment)), () -> "no line with '" + fragment + "' in " + lines);
    }

    @Test
    void freshMergeVerifiesAndRecordsEveryOutputFile() throws Exception {
        Cli.Run r = Cli.run("verify", good.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().isEmpty(), r.err());
        String manifest = Files.readString(good.resolve(ModelFolderCheck.MANIFEST));
        try (Stream<Path> s = Files.list(good)) {
            for (Path f : s.toList()) {
                String n = f.getFileName().toString();
                if (!n.equals(ModelFolderCheck.MANIFEST)) {
                    assertTrue(manifest.contains("\"" + n + "\""), n + " missing from the manifest");
                }
            }
        }
        assertTrue(Files.exists(good.resolve(ShardIndex.FILE_NAME)), "the fixture should be sharded");
    }

    @Test
    void verifyReportsEachKindOfDamage() throws Exception {
        record Damage(String name, Consumer<Path> damage, String expect) {
        }
        String shard = "model-00001-of-00003.safetensors";
        List<Damage> cases = List.of(
                new Damage("flipped-byte", d -> unchecked(() -> {
                    try (FileChannel ch = FileChannel.open(d.resolve(shard), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                        ByteBuffer b = ByteBuffer.allocate(1);
                        long at = ch.size() - 3;
                        ch.read(b, at);
                        b.put(0, (byte) (b.get(0) ^ 0x01));
                        ch.write(b.rewind(), at);
                    }
                }), shard + ": SHA-256 differs from the manifest"),
                new Damage("missing-shard", d -> unchecked(() -> Files.delete(d.resolve(shard))), "is in no shard"),
                new Damage("index-total", d -> unchecked(() -> Files.writeString(d.resolve(ShardIndex.FILE_NAME),
                        Files.readString(d.resolve(ShardIndex.FILE_NAME)).replaceFirst("\"total_size\" : \\d+", "\"total_size\" : 12"))),
                        "total_size is 12 but the shards hold"),
                new Damage("extra-file", d -> unchecked(() -> Files.writeString(d.resolve("notes.txt"), "hi")),
                        "notes.txt: not listed in " + ModelFolderCheck.MANIFEST),
                // (a folder without the manifest is checked like any model: VerifyAnyModelTest)
                new Damage("truncated-shard", d -> unchecked(() -> {
                    try (FileChannel ch = FileChannel.open(d.resolve(shard), StandardOpenOption.WRITE)) {
                        ch.truncate(ch.size() / 2);
                    }
                }), "file truncated?"),
                new Damage("nan-value", d -> unchecked(() -> {
                    poke(d, "model.norm.weight", 3, Float.NaN);
                    Files.delete(d.resolve(ModelFolderCheck.MANIFEST));
                    ModelFolderCheck.writeManifest(d, "test", 1); // only the NaN is left to find
                }), "tensor model.norm.weight has 1 NaN/Inf values"));
        for (Damage c : cases) {
            Path d = copy(good, "damaged-" + c.name());
            c.damage().accept(d);
            assertAny(verifyFails(d), c.expect());
        }
    }

    @Test
    void nanInAParentIsAWarningNamingTheTensorAndVerifyFlagsIt() throws Exception {
        Path poisoned = copy(fam.resolve("ft1"), "ft1-nan");
        poke(poisoned, POISONED, 5, Float.NaN);
        Path out = tmp.resolve("out-nan");
        Cli.Run r = Cli.run("merge", recipe("nan", "linear", poisoned.toString(), "FAM/ft2", "").toString(), out.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("warning: " + POISONED + ": output has NaN/Inf values because a parent already has them"), r.err());
        assertAny(verifyFails(out), "tensor " + POISONED + " has 1 NaN/Inf values");
    }

    @Test
    void infFromFiniteParentsIsAnErrorAndLeavesNothing() throws Exception {
        Path out = tmp.resolve("out-inf");
        Path r = tmp.resolve("inf.yml");
        Files.writeString(r, ("merge_method: linear\nmodels:\n  - model: FAM/ft1\n    parameters: {weight: 3.0e38}\n"
                + "  - model: FAM/ft2\n    parameters: {weight: 3.0e38}\nparameters: {normalize: false}\n").replace("FAM", fam.toString()));
        Cli.Run run = Cli.run("merge", r.toString(), out.toString(), "--quiet");
        assertEquals(2, run.code(), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertTrue(run.err().contains("produced NaN/Inf in"), run.err());
        assertFalse(Files.exists(out));
        assertEquals(List.of(), Cli.leftovers(tmp));
    }

    interface IoAction {
        void run() throws Exception;
    }

    static void unchecked(IoAction a) {
        try {
            a.run();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void deleteTree(Path p) throws Exception {
        try (Stream<Path> w = Files.walk(p)) {
            for (Path x : w.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
