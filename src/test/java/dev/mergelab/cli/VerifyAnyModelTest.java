package dev.mergelab.cli;

import static dev.mergelab.cli.InProcessCli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.cli.InProcessCli.Run;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code verify} checks any model, not only MergeLab's outputs (issue 11: it refused every folder without
 * mergelab_manifest.json): shards parse, the index covers every tensor, values are finite, JSON files parse.
 */
class VerifyAnyModelTest {

    @TempDir
    static Path tmp;
    static Path fam;


    @BeforeAll
    static void family() throws Exception {
        fam = tmp.resolve("fam");
        FamilyGenerator.generate(FamilySpec.tiny(DType.F32).withShardBytes(200_000), fam, 2);
    }

    static Path copy(String name) throws Exception {
        Path dst = Files.createDirectories(tmp.resolve(name));
        try (Stream<Path> s = Files.list(fam.resolve("ft1"))) {
            for (Path f : s.toList()) {
                Files.copy(f, dst.resolve(f.getFileName()));
            }
        }
        return dst;
    }

    static void fails(Path model, String fragment) {
        Run r = cli("verify", model.toString());
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().lines().anyMatch(l -> l.startsWith("mergelab: ") && l.contains(fragment)), r.err());
    }

    @Test
    void aModelMergeLabDidNotWriteVerifies() throws Exception {
        Path model = fam.resolve("ft1");
        assertTrue(Files.exists(model.resolve(ShardIndex.FILE_NAME)), "the fixture should be sharded");
        Run r = cli("verify", model.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("ok: " + model) && r.out().contains("hashes were not checked"), r.out());
        Path links = Files.createDirectories(tmp.resolve("snapshot-of-links"));
        try (Stream<Path> s = Files.list(model)) {
            for (Path f : s.toList()) {
                Files.createSymbolicLink(links.resolve(f.getFileName()), f); // as in the Hugging Face cache
            }
        }
        assertEquals(0, cli("verify", links.toString()).code());
    }

    @Test
    void aSingleSafetensorsFileVerifies() throws Exception {
        Path shard;
        try (Stream<Path> s = Files.list(fam.resolve("base"))) {
            shard = s.filter(p -> p.toString().endsWith(".safetensors")).sorted().findFirst().orElseThrow();
        }
        Run r = cli("verify", shard.toString());
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void damageIsFoundWithoutAManifest() throws Exception {
        Path nan = copy("nan");
        poke(nan, "model.norm.weight", Float.POSITIVE_INFINITY);
        fails(nan, "tensor model.norm.weight has 1 NaN/Inf values");

        Path config = copy("bad-config");
        Files.writeString(config.resolve("config.json"), "{\"model_type\": \"llama\",");
        fails(config, "config.json");

        Path tokenizer = copy("bad-tokenizer");
        Files.writeString(tokenizer.resolve("tokenizer.json"), "{\"model\": [1, 2}");
        fails(tokenizer, "tokenizer.json: not valid JSON");

        Path index = copy("index-missing-tensor");
        Files.writeString(index.resolve(ShardIndex.FILE_NAME),
                Files.readString(index.resolve(ShardIndex.FILE_NAME)).replaceFirst("\"model\\.norm\\.weight\"\\s*:\\s*\"[^\"]*\",?", ""));
        fails(index, "model.norm.weight");
    }

    /** Overwrites the first element of an F32 tensor wherever it is stored in the folder. */
    static void poke(Path dir, String tensor, float value) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path shard : s.filter(p -> p.toString().endsWith(".safetensors")).toList()) {
                long at;
                try (SafetensorsFile f = SafetensorsFile.open(shard)) {
                    TensorInfo t = f.tensor(tensor);
                    if (t == null) {
                        continue;
                    }
                    at = f.dataStart() + t.begin();
                }
                try (FileChannel ch = FileChannel.open(shard, StandardOpenOption.WRITE)) {
                    ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, value), at);
                }
                return;
            }
        }
        throw new AssertionError("no tensor " + tensor + " in " + dir);
    }

    /** Issue 13: PyTorch-only folders are models everywhere, verify included (it said "no .safetensors files"). */
    @Test
    void pytorchBinFoldersSingleAndShardedVerify() throws Exception {
        Path valid = Path.of("src/test/resources/pickle/valid");
        for (String name : new String[] {"tiny-llama-bin", "tiny-llama-bin-sharded"}) {
            Run r = cli("verify", valid.resolve(name).toString());
            assertEquals(0, r.code(), name + ": " + r.err());
            assertTrue(r.out().startsWith("ok: "), r.out());
        }
        Run single = cli("verify", valid.resolve("tiny-llama-bin/pytorch_model.bin").toString());
        assertEquals(0, single.code(), single.err());
    }

    @Test
    void aBinShardMissingFromItsIndexIsNamed() throws Exception {
        Path dst = Files.createDirectories(tmp.resolve("bin-sharded-broken"));
        try (Stream<Path> s = Files.list(Path.of("src/test/resources/pickle/valid/tiny-llama-bin-sharded"))) {
            for (Path f : s.toList()) {
                Files.copy(f, dst.resolve(f.getFileName()));
            }
        }
        Files.delete(dst.resolve("pytorch_model-00002-of-00002.bin"));
        fails(dst, "pytorch_model.bin.index.json: tensor ");
        Path empty = Files.createDirectories(tmp.resolve("no-weights"));
        Files.writeString(empty.resolve("config.json"), "{}");
        fails(empty, "no weight files (.safetensors, or pytorch_model*.bin)");
    }
}
