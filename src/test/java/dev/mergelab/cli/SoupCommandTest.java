package dev.mergelab.cli;

import static dev.mergelab.cli.InProcessCli.cli;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.format.SafetensorsWriter;
import dev.mergelab.lab.registry.Candidate;
import dev.mergelab.lab.registry.ModelIdentity;
import dev.mergelab.lab.registry.Registry;
import dev.mergelab.lab.registry.SearchLog;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.TensorRef;
import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.DType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mergelab soup} on the tiny synthetic family: uniform = merge of its linear recipe, greedy follows Algorithm 1, all recorded. */
class SoupCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path fam;

    @TempDir
    Path dir;

    static Path text;

    @BeforeAll
    static void family() throws IOException {
        FamilyGenerator.generate(FamilySpec.tiny(DType.BF16), fam, 2);
        text = fam.resolve("held.txt");
        StringBuilder sb = new StringBuilder();
        java.util.SplittableRandom r = new java.util.SplittableRandom(7);
        for (int i = 0; i < 200; i++) { // words of the synthetic vocabulary, so the text is many different ids
            sb.append("tok").append(3 + r.nextInt(40)).append(i % 17 == 16 ? "\n" : " ");
        }
        Files.writeString(text, sb);
        hurt(fam.resolve("ft2"), fam.resolve("hurt"));
    }

    /**
     * A copy of {@code from} whose output head is 16 times larger: its random predictions become confident and
     * wrong (cross-entropy far above the others'), and in a soup it inflates the head.
     */
    static void hurt(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.toList()) {
                if (!p.getFileName().toString().endsWith(".safetensors") && !p.getFileName().toString().endsWith(".index.json")) {
                    Files.copy(p, to.resolve(p.getFileName()));
                }
            }
        }
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        List<byte[]> bytes = new ArrayList<>();
        try (ModelSource src = ModelSource.open(from, "src")) {
            for (Map.Entry<String, TensorRef> e : src.tensors().entrySet()) {
                entries.add(new SafetensorsWriter.Entry(e.getKey(), e.getValue().dtype(), e.getValue().shape()));
                byte[] b = e.getValue().data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                if (e.getKey().equals("lm_head.weight")) {
                    ByteBuffer bf = ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    for (int i = 0; i < b.length; i += 2) {
                        bf.putShort(i, Codecs.floatToBf16(16 * Codecs.bf16ToFloat(bf.getShort(i))));
                    }
                }
                bytes.add(b);
            }
        }
        try (SafetensorsWriter w = SafetensorsWriter.create(to.resolve("model.safetensors"), entries, Map.of("format", "pt"))) {
            for (int i = 0; i < entries.size(); i++) {
                w.write(entries.get(i).name(), 0, ByteBuffer.wrap(bytes.get(i)));
            }
            w.finish(false);
        }
    }

    private static String m(String name) {
        return fam.resolve(name).toString();
    }

    @Test
    void uniformSoupIsTheMergeOfItsLinearRecipe() throws IOException {
        Path out = dir.resolve("soup");
        InProcessCli.Run r = cli("soup", "--models", m("ft1") + "," + m("ft2"), "--models", m("ft3"), "--base", m("base"),
                "--mode", "uniform", "--tasks", "ppl:" + text, "--threads", "2", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("the soup"), r.out());
        assertTrue(r.out().contains("timing: 1 soup candidate merged in memory: merge"), r.out());
        assertEquals(Files.readString(out.resolve("soup.yml")), Files.readString(out.resolve("mergelab_recipe.yml")));
        assertTrue(Files.readString(out.resolve("README.md")).contains(m("base") + " (base)"), "the card names the base");

        // merging soup.yml again gives the same files, byte for byte, and the same content id
        Path again = dir.resolve("again");
        InProcessCli.Run merge = cli("merge", out.resolve("soup.yml").toString(), again.toString(), "--threads", "2", "--quiet");
        assertEquals(0, merge.code(), merge.err());
        assertArrayEquals(Files.readAllBytes(out.resolve("model.safetensors")), Files.readAllBytes(again.resolve("model.safetensors")));
        assertEquals(ModelIdentity.of(out).id(), ModelIdentity.of(again).id());

        // and a linear recipe written by hand with equal weights gives the same tensors
        Path recipe = dir.resolve("hand.yml");
        Files.writeString(recipe, "merge_method: linear\nmodels:\n" + Stream.of("ft1", "ft2", "ft3")
                .map(n -> "  - model: " + m(n) + "\n    parameters:\n      weight: 1\n").reduce("", String::concat));
        Path hand = dir.resolve("hand");
        assertEquals(0, cli("merge", recipe.toString(), hand.toString(), "--threads", "1", "--quiet").code());
        try (ModelSource a = ModelSource.open(out, "soup"); ModelSource b = ModelSource.open(hand, "hand")) {
            assertEquals(a.tensors().keySet(), b.tensors().keySet());
            for (String name : a.tensors().keySet()) {
                MemorySegment x = a.tensors().get(name).data();
                MemorySegment y = b.tensors().get(name).data();
                assertEquals(-1, x.mismatch(y), name);
            }
        }
    }

    @Test
    void greedySoupFollowsAlgorithmOneAndLeavesOutTheIngredientThatHurts() throws IOException {
        Path lab = dir.resolve("lab");
        assertEquals(0, cli("lab", "init", lab.toString()).code());
        Path out = dir.resolve("greedy");
        String[] args = {"soup", "--models", m("hurt"), m("ft1"), m("ft2"), "--tasks", "ppl:" + text, "--json", "--threads", "2",
            "--lab", lab.toString(), out.toString()};
        InProcessCli.Run r = cli(args);
        assertEquals(0, r.code(), r.err());
        JsonNode summary = JSON.readTree(r.out());
        JsonNode steps = summary.get("steps");
        assertEquals(5, steps.size(), "3 ingredients alone, then 2 additions");
        double[] alone = new double[3];
        for (int i = 0; i < 3; i++) {
            JsonNode s = steps.get(i);
            assertTrue(s.get("alone").asBoolean());
            assertEquals(1, s.get("genotype").get(i).asInt());
            alone[i] = s.get("fitness").asDouble();
            // an ingredient's score is eval's
            assertEquals(-evalBitsPerByte(m(List.of("hurt", "ft1", "ft2").get(i))), alone[i], 0);
        }
        assertTrue(alone[0] < alone[1] && alone[0] < alone[2], "the inflated-head copy scores worst alone: " + Arrays.toString(alone));
        Integer[] rank = {0, 1, 2};
        Arrays.sort(rank, (a, b) -> Double.compare(alone[b], alone[a]));
        boolean[] soup = new boolean[3];
        soup[rank[0]] = true;
        double best = alone[rank[0]];
        for (int j = 1; j < 3; j++) {
            JsonNode s = steps.get(2 + j);
            assertEquals(j, s.get("generation").asInt());
            boolean[] candidate = soup.clone();
            candidate[rank[j]] = true;
            for (int i = 0; i < 3; i++) {
                assertEquals(candidate[i] ? 1 : 0, s.get("genotype").get(i).asInt(), "step " + j + " adds the next ingredient by rank");
            }
            double f = s.get("fitness").asDouble();
            boolean keep = f >= best;
            assertEquals(keep, s.get("kept").asBoolean(), "step " + j);
            if (keep) {
                soup = candidate;
                best = f;
            }
        }
        assertEquals(0, steps.get(4).get("genotype").get(0).asInt() + steps.get(3).get("genotype").get(0).asInt() - 1,
                "the inflated-head copy is tried last");
        assertFalse(steps.get(4).get("kept").asBoolean(), "adding the inflated-head copy hurts: left out");
        for (int i = 0; i < 3; i++) {
            assertEquals(soup[i] ? 1 : 0, summary.get("soup").get("genotype").get(i).asInt());
        }
        assertEquals(best, summary.get("soup").get("fitness").asDouble());
        assertEquals(-best, summary.get("soup").get("results").get("ppl_held").get("bits_per_byte,none").asDouble());
        // the written soup scores as the soup did in memory
        assertEquals(-best, -(-evalBitsPerByte(out.toString())), 0);

        try (Registry reg = Registry.open(lab, 1000)) {
            List<SearchLog.Search> searches = reg.searchLog().all();
            assertEquals(1, searches.size());
            SearchLog.Search s = searches.getFirst();
            assertEquals("soup", s.kind());
            assertNotNull(s.finishedAt());
            assertEquals(ModelIdentity.of(out).id(), s.best());
            assertEquals(3, s.objectives().get(0).size());
            List<SearchLog.Eval> evals = reg.searchLog().evals(s.id());
            assertEquals(List.of(0, 1, 2, 3, 4), evals.stream().map(SearchLog.Eval::step).toList());
            for (int i = 0; i < 5; i++) {
                assertEquals(-steps.get(i).get("fitness").asDouble(), evals.get(i).fitness(), "the lab holds the minimised fitness");
                assertEquals(steps.get(i).get("genotype"), evals.get(i).genotype());
            }
            assertEquals(ModelIdentity.of(Path.of(m("hurt"))).id(), evals.getFirst().candidate(), "an ingredient alone is itself");
            List<Candidate> virtual = reg.candidates().stream().filter(Candidate::isVirtual).toList();
            assertEquals(2, virtual.size());
            assertTrue(reg.scores(evals.get(3).candidate()).stream().anyMatch(x -> x.score().metric().equals("bits_per_byte,none")));
        }
        InProcessCli.Run list = cli("lab", "list", "--lab", lab.toString());
        assertTrue(list.out().lines().filter(l -> l.contains("virtual") && l.contains("(in memory)")).count() == 2, list.out());
        assertFalse(list.out().contains("(missing)"), list.out());
        String virtualId;
        try (Registry reg = Registry.open(lab, 1000)) {
            virtualId = reg.candidates().stream().filter(Candidate::isVirtual).findFirst().orElseThrow().id();
        }
        InProcessCli.Run show = cli("lab", "show", virtualId.substring(0, 12), "--lab", lab.toString());
        assertEquals(0, show.code(), show.err());
        assertTrue(show.out().contains("path         (in memory)\n"), show.out());
        assertTrue(show.out().contains("#1 soup (linear)"), show.out());
        InProcessCli.Run lineage = cli("lab", "lineage", out.toString(), "--json", "--lab", lab.toString());
        assertEquals(0, lineage.code(), lineage.err());
        JsonNode nodes = JSON.readTree(lineage.out()).get("nodes");
        assertEquals(soupSize(soup) + 1, nodes.size(), "the written soup and its ingredients");
        InProcessCli.Run gc = cli("lab", "gc", "--lab", lab.toString());
        assertEquals(0, gc.code(), gc.err());
        try (Registry reg = Registry.open(lab, 1000)) {
            assertEquals(2, reg.candidates().stream().filter(Candidate::isVirtual).count(), "gc keeps what was never on disk");
        }

        // the same soup again: found in the lab, nothing recorded twice
        Path out2 = dir.resolve("greedy2");
        args[args.length - 1] = out2.toString();
        assertEquals(0, cli(args).code());
        try (Registry reg = Registry.open(lab, 1000)) {
            List<SearchLog.Search> searches = reg.searchLog().all();
            assertEquals(1, searches.size(), "the same configuration and ingredients are the same soup, wherever it is written");
            assertEquals(5, reg.searchLog().evals(searches.getFirst().id()).size(), "its steps are not recorded twice");
            assertEquals(2, reg.candidates().stream().filter(Candidate::isVirtual).count(), "the same recipes are the same virtual candidates");
        }
    }

    private static int soupSize(boolean[] soup) {
        int n = 0;
        for (boolean b : soup) {
            n += b ? 1 : 0;
        }
        return n;
    }

    private static double evalBitsPerByte(String model) throws IOException {
        InProcessCli.Run e = cli("eval", model, "--tasks", "ppl:" + text, "--json", "--threads", "2");
        assertEquals(0, e.code(), e.err());
        return JSON.readTree(e.out()).get("models").get(0).get("results").get("ppl_held").get("bits_per_byte,none").asDouble();
    }

    @Test
    void badInputIsOneLine() throws IOException {
        String ppl = "ppl:" + text;
        Path out = dir.resolve("x");
        assertBad(cli("soup", "--models", m("ft1"), "--tasks", ppl, out.toString()), "at least 2 ingredients");
        assertBad(cli("soup", "--models", m("ft1"), m("ft1"), "--tasks", ppl, out.toString()), "names " + m("ft1") + " twice");
        assertBad(cli("soup", "--models", m("ft1"), m("nope"), "--tasks", ppl, out.toString()), "nope");
        assertBad(cli("soup", "--models", m("ft1"), m("ft2"), "--tasks", ppl, "--mode", "best", out.toString()), "give uniform or greedy");
        assertBad(cli("soup", "--models", m("ft1"), m("ft2"), "--tasks", ppl, "--metric", "acc,none", out.toString()), "has no metric acc,none");
        assertBad(cli("soup", "--models", m("ft1"), m("ft2"), "--tasks", ppl + ",arc_easy", "--metric", "acc", out.toString()), "name the task");
        assertBad(cli("soup", "--models", m("ft1"), m("ft2"), "--tasks", ppl, "--weight", "x=1", out.toString()), "no task x in --tasks");
        Path other = dir.resolve("other");
        FamilyGenerator.generate(new FamilySpec(2, 32, 64, 2, 1, 256, DType.BF16, 1, 1L << 30, false, 3), other, 1);
        InProcessCli.Run mixed = cli("soup", "--models", m("ft1"), other.resolve("ft1").toString(), "--tasks", ppl, out.toString());
        assertTrue(mixed.code() == 2 || mixed.code() == 3, mixed.err());
        assertEquals(1, mixed.err().strip().lines().count(), mixed.err());
        assertFalse(Files.exists(out));
    }

    private static void assertBad(InProcessCli.Run r, String fragment) {
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains(fragment), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
