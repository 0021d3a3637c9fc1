package dev.mergelab.model;

import dev.mergelab.MergeLabException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HubCacheTest {

    @TempDir
    Path dir;

    FakeHubCache fake;
    HubCache cache;
    static final String MAIN = "3f1c0e9d" + "a".repeat(32);
    static final String OLD = "3f1d5577" + "b".repeat(32);
    static final String DEV = "9e7c" + "c".repeat(36);

    @BeforeEach
    void build() throws Exception {
        fake = new FakeHubCache(dir.resolve("hub"));
        fake.snapshot("meta-llama/Llama-3.2-1B", MAIN, "config.json", "{\"model_type\":\"llama\"}");
        fake.snapshot("meta-llama/Llama-3.2-1B", OLD, "config.json", "{}");
        fake.snapshot("meta-llama/Llama-3.2-1B", DEV, "config.json", "{}");
        fake.ref("meta-llama/Llama-3.2-1B", "main", MAIN);
        fake.ref("meta-llama/Llama-3.2-1B", "dev", DEV);
        fake.ref("meta-llama/Llama-3.2-1B", "pr/3", OLD);
        cache = new HubCache(fake.root);
    }

    @Test
    void cacheRootFollowsTheEnvironment() {
        assertEquals(Path.of("/c/hub"), HubCache.locate(Map.of("HF_HUB_CACHE", "/c/hub", "HF_HOME", "/h"), "/home/u"));
        assertEquals(Path.of("/h/hub"), HubCache.locate(Map.of("HF_HOME", "/h"), "/home/u"));
        assertEquals(Path.of("/home/u/hf/hub"), HubCache.locate(Map.of("HF_HOME", "~/hf"), "/home/u"));
        assertEquals(Path.of("/x/huggingface/hub"), HubCache.locate(Map.of("XDG_CACHE_HOME", "/x"), "/home/u"));
        assertEquals(Path.of("/home/u/.cache/huggingface/hub"), HubCache.locate(Map.of("HF_HOME", ""), "/home/u"));
    }

    @Test
    void refsAndHashes() {
        Path repo = fake.repo("meta-llama/Llama-3.2-1B");
        assertEquals(repo.resolve("snapshots").resolve(MAIN), cache.resolve("meta-llama/Llama-3.2-1B", null));
        assertEquals(repo.resolve("snapshots").resolve(DEV), cache.resolve("meta-llama/Llama-3.2-1B", "dev"));
        assertEquals(repo.resolve("snapshots").resolve(OLD), cache.resolve("meta-llama/Llama-3.2-1B", "pr/3"));
        assertEquals(repo.resolve("snapshots").resolve(OLD), cache.resolve("meta-llama/Llama-3.2-1B", OLD));
        assertEquals(repo.resolve("snapshots").resolve(OLD), cache.resolve("meta-llama/Llama-3.2-1B", "3f1d"));
        assertEquals(repo.resolve("snapshots").resolve(MAIN), cache.resolve("meta-llama/Llama-3.2-1B", "3f1c"));
        var tooShort = assertThrows(MergeLabException.class, () -> cache.resolve("meta-llama/Llama-3.2-1B", "3f1"));
        assertTrue(tooShort.getMessage().contains("not in the Hugging Face cache"), "3 characters are below the minimum");
    }

    @Test
    void ambiguousPrefixIsAnError() throws Exception {
        fake.snapshot("org/m", "abcd1" + "0".repeat(35), "config.json", "{}");
        fake.snapshot("org/m", "abcd2" + "0".repeat(35), "config.json", "{}");
        var e = assertThrows(MergeLabException.class, () -> cache.find("org/m", "abcd"));
        assertTrue(e.getMessage().contains("matches 2"), e.getMessage());
        assertTrue(cache.find("org/m", "abcd2").isPresent());
    }

    @Test
    void snapshotFilesResolveSafelyThroughBlobs() throws Exception {
        Path snap = cache.resolve("meta-llama/Llama-3.2-1B", "main");
        ModelConfig cfg = ModelConfig.readFolder(snap);
        assertEquals("llama", cfg.modelType().orElseThrow());
    }

    @Test
    void missingModelSaysHowToDownload() {
        var e = assertThrows(MergeLabException.class, () -> cache.resolve("org/absent", "v1.0"));
        assertTrue(e.oneLine().contains("huggingface-cli download org/absent --revision v1.0"), e.oneLine());
        assertTrue(e.oneLine().contains(fake.root.toString()));
        var rev = assertThrows(MergeLabException.class, () -> cache.resolve("meta-llama/Llama-3.2-1B", "nope"));
        assertTrue(rev.oneLine().contains("--revision nope"));
        assertTrue(new HubCache(dir.resolve("no-cache")).find("a/b", null).isEmpty());
    }

    @Test
    void brokenRefsAreReported() throws Exception {
        fake.ref("meta-llama/Llama-3.2-1B", "main", "d".repeat(40));
        var e = assertThrows(MergeLabException.class, () -> cache.resolve("meta-llama/Llama-3.2-1B", null));
        assertTrue(e.getMessage().contains("is missing"), e.getMessage());
        fake.ref("meta-llama/Llama-3.2-1B", "main", "not a hash");
        assertTrue(assertThrows(MergeLabException.class, () -> cache.find("meta-llama/Llama-3.2-1B", null))
                .getMessage().contains("commit hash"));
        assertThrows(MergeLabException.class, () -> cache.find("meta-llama/Llama-3.2-1B", "../../../etc"));
    }

    @Test
    void resolverPrefersLocalPathsAndHandlesAdapters() throws Exception {
        ModelResolver resolver = new ModelResolver(cache);
        Path local = Files.createDirectories(dir.resolve("my+model"));
        Path adapter = Files.createDirectories(dir.resolve("adapters/lora"));
        var r = resolver.resolve(ModelRef.parse(local.toString()));
        assertEquals(local, r.base());
        var withLora = resolver.resolve(ModelRef.parse(local + "+" + adapter));
        assertEquals(local, withLora.base());
        assertEquals(adapter, withLora.adapter());
        var hub = resolver.resolve(ModelRef.parse("meta-llama/Llama-3.2-1B@dev+" + adapter));
        assertEquals(DEV, hub.base().getFileName().toString());
        Path file = Files.writeString(dir.resolve("one.safetensors"), "x");
        assertTrue(resolver.resolve(ModelRef.parse(file.toString())).baseIsSingleFile());
        // A PyTorch file is a model reference (its reader checks it on open); a file of no weight format is refused here.
        Path bin = Files.writeString(dir.resolve("pytorch_model.bin"), "x");
        assertTrue(resolver.resolve(ModelRef.parse(bin.toString())).baseIsSingleFile());
        Path notes = Files.writeString(dir.resolve("notes.txt"), "x");
        assertThrows(MergeLabException.class, () -> resolver.resolve(ModelRef.parse(notes.toString())));
        var missing = assertThrows(MergeLabException.class, () -> resolver.resolve(ModelRef.parse("./nowhere")));
        assertTrue(missing.getMessage().contains("does not exist"));
        var notCached = assertThrows(MergeLabException.class, () -> resolver.resolve(ModelRef.parse("org/absent")));
        assertTrue(notCached.oneLine().contains("huggingface-cli download org/absent --revision main"));
    }
}
