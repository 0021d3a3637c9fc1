package dev.mergelab.lab.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mergelab.cli.Main;
import dev.mergelab.engine.FileHashes;
import dev.mergelab.lab.registry.ModelIdentity;
import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;

/**
 * A lab for the web view's tests, filled through the real CLI and by hand: a tiny family (base, ft1, ft2), a ties merge
 * of the three ({@code m1}), a linear merge of m1 and ft1 written to a folder whose name holds HTML markup
 * ({@code m2<i>linear}: user data the pages must escape), all five evaluated on two perplexity tasks
 * ({@code ppl_a}, {@code ppl_b}: bits per byte, lower is better); then, as {@code search} and {@code soup} will record
 * them, a two-objective search of 12 evaluations in 3 generations over in-memory children of ft1 and ft2 (candidates
 * of kind {@code virtual}), and a one-objective soup of 3 steps.
 */
final class WebLab {

    /** Each search evaluation's two objectives (ppl_a and ppl_b bits per byte, both minimised); fitness is their sum. */
    static final double[][] OBJECTIVES = {{0.9, 0.5}, {0.7, 0.7}, {0.8, 0.8}, {0.6, 0.95}, {0.5, 0.9}, {0.65, 0.6}, {0.75, 0.75}, {0.95, 0.4},
        {0.55, 0.65}, {0.85, 0.45}, {0.7, 0.72}, {0.62, 0.62}};
    /** The steps no other evaluation beats on both objectives, worked out by hand from {@link #OBJECTIVES}. */
    static final List<Integer> FRONT = List.of(4, 5, 7, 8, 9, 11);
    static final int PER_GENERATION = 4;
    static final String M2_NAME = "m2<i>linear";

    final Path lab;
    final Path fam;
    final Path m1;
    final Path m2;
    String base;
    String ft1;
    String ft2;
    String m1Id;
    String m2Id;
    final List<String> virtual = new ArrayList<>();
    final String searchId = FileHashes.sha256("web-test search".getBytes(StandardCharsets.UTF_8));
    final String soupId = FileHashes.sha256("web-test soup".getBytes(StandardCharsets.UTF_8));

    private WebLab(Path root) {
        lab = root.resolve("lab");
        fam = root.resolve("fam");
        m1 = root.resolve("m1");
        m2 = root.resolve(M2_NAME);
    }

    static WebLab build(Path root) throws Exception {
        WebLab w = new WebLab(root);
        FamilyGenerator.generate(FamilySpec.tiny(DType.F32), w.fam, 2);
        cli("lab", "init", w.lab.toString());
        Path ties = root.resolve("ties.yml");
        Files.writeString(ties, """
                merge_method: ties
                base_model: FAM/base
                models:
                  - model: FAM/ft1
                    parameters: {weight: 0.6, density: 0.5}
                  - model: FAM/ft2
                    parameters: {weight: [0.2, 0.8], density: 0.5}
                parameters: {normalize: true}
                """.replace("FAM", w.fam.toString()));
        cli("merge", ties.toString(), w.m1.toString(), "--quiet", "--lab", w.lab.toString());
        Path linear = root.resolve("linear.yml");
        Files.writeString(linear, """
                merge_method: linear
                models:
                  - model: M1
                    parameters: {weight: 0.5}
                  - model: FAM/ft1
                    parameters: {weight: 0.5}
                """.replace("FAM", w.fam.toString()).replace("M1", w.m1.toString()));
        cli("merge", linear.toString(), w.m2.toString(), "--quiet", "--lab", w.lab.toString());
        Path a = root.resolve("a.txt");
        Path b = root.resolve("b.txt");
        Files.writeString(a, "the cat sat on the mat. the dog sat on the log.\n".repeat(4));
        Files.writeString(b, "a quick brown fox jumps over the lazy dog.\n".repeat(3));
        cli("eval", w.fam.resolve("base").toString(), w.fam.resolve("ft1").toString(), w.fam.resolve("ft2").toString(), w.m1.toString(),
                w.m2.toString(), "--tasks", "ppl:" + a + ",ppl:" + b, "--lab", w.lab.toString(), "--threads", "2");
        w.base = ModelIdentity.of(w.fam.resolve("base")).id();
        w.ft1 = ModelIdentity.of(w.fam.resolve("ft1")).id();
        w.ft2 = ModelIdentity.of(w.fam.resolve("ft2")).id();
        w.m1Id = ModelIdentity.of(w.m1).id();
        w.m2Id = ModelIdentity.of(w.m2).id();
        w.recordSearches();
        return w;
    }

    static String cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        assertEquals(0, code, String.join(" ", args) + ": " + err);
        return out.toString();
    }

    /** The rows search and soup write (schema version 2), inserted with plain SQL. */
    private void recordSearches() throws Exception {
        String now = "2026-12-08T00:10:00Z";
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + lab.resolve("lab.db"))) {
            c.setAutoCommit(false);
            try (PreparedStatement cand = c.prepareStatement("INSERT INTO candidates VALUES (?, 'virtual', '', 0, 'F32', 'LlamaForCausalLM', '{}', ?, ?)");
                    PreparedStatement edge = c.prepareStatement("INSERT INTO edges VALUES (?, ?, 'merge', 'linear', ?, 0, ?)")) {
                for (int i = 0; i < OBJECTIVES.length; i++) {
                    String id = FileHashes.sha256(("virtual child " + i).getBytes(StandardCharsets.UTF_8));
                    virtual.add(id);
                    cand.setString(1, id);
                    cand.setString(2, now);
                    cand.setString(3, now);
                    cand.executeUpdate();
                    for (int p = 0; p < 2; p++) {
                        edge.setString(1, id);
                        edge.setString(2, p == 0 ? ft1 : ft2);
                        edge.setString(3, "{\"weight\":" + (p == 0 ? 0.3 + 0.04 * i : 0.7 - 0.04 * i) + "}");
                        edge.setInt(4, p);
                        edge.executeUpdate();
                    }
                }
            }
            try (PreparedStatement s = c.prepareStatement("INSERT INTO searches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                s.setString(1, searchId);
                s.setString(2, "search");
                s.setString(3, "genome:\n  models: [ft1, ft2]\n  merge_method: linear\ntasks:\n  - {name: ppl_a, weight: -1}\n  - {name: ppl_b, weight: -1}\n");
                s.setString(4, "[{\"task\":\"ppl_a\",\"metric\":\"bits_per_byte,none\",\"weight\":-1.0},"
                        + "{\"task\":\"ppl_b\",\"metric\":\"bits_per_byte,none\",\"weight\":-1.0}]");
                s.setLong(5, 7);
                s.setString(6, "/tmp/search-out");
                s.setString(7, now);
                s.setString(8, null);
                s.setString(9, virtual.get(8));
                s.executeUpdate();
                s.setString(1, soupId);
                s.setString(2, "soup");
                s.setString(3, "{\"mode\":\"greedy\"}");
                s.setString(4, "[{\"task\":\"ppl_a\",\"metric\":\"bits_per_byte,none\",\"weight\":-1.0}]");
                s.setLong(5, 0);
                s.setString(6, "/tmp/soup-out");
                s.setString(7, "2026-12-07T23:00:00Z");
                s.setString(8, "2026-12-07T23:01:00Z");
                s.setString(9, m1Id);
                s.executeUpdate();
            }
            try (PreparedStatement e = c.prepareStatement("INSERT INTO search_evals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (int i = 0; i < OBJECTIVES.length; i++) {
                    e.setString(1, searchId);
                    e.setInt(2, i);
                    e.setInt(3, i / PER_GENERATION);
                    e.setString(4, "[" + (0.3 + 0.04 * i) + "]");
                    e.setString(5, "merge_method: linear\n");
                    e.setString(6, virtual.get(i));
                    e.setString(7, "[" + OBJECTIVES[i][0] + "," + OBJECTIVES[i][1] + "]");
                    e.setDouble(8, OBJECTIVES[i][0] + OBJECTIVES[i][1]);
                    e.setDouble(9, 0.2);
                    e.setDouble(10, 0.5);
                    e.setString(11, now);
                    e.executeUpdate();
                }
                for (int i = 0; i < 3; i++) {
                    e.setString(1, soupId);
                    e.setInt(2, i);
                    e.setInt(3, i);
                    e.setString(4, "[" + i + "]");
                    e.setString(5, "merge_method: linear\n");
                    e.setString(6, i == 2 ? m1Id : null);
                    e.setString(7, "[" + (0.05 - 0.001 * i) + "]");
                    e.setDouble(8, 0.05 - 0.001 * i);
                    e.setDouble(9, 0.1);
                    e.setDouble(10, 0.3);
                    e.setString(11, now);
                    e.executeUpdate();
                }
            }
            c.commit();
        }
    }

    /** The fitness a generation's best-so-far line must reach: the running minimum of the sums. */
    static double bestSoFar(int generation) {
        double best = Double.POSITIVE_INFINITY;
        for (int i = 0; i < Math.min(OBJECTIVES.length, (generation + 1) * PER_GENERATION); i++) {
            best = Math.min(best, OBJECTIVES[i][0] + OBJECTIVES[i][1]);
        }
        return best;
    }
}
