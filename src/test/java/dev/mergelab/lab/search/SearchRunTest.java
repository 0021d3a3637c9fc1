package dev.mergelab.lab.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.MergeLabException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The search loop over a fake fitness: determinism for a seed (CMA-ES and NSGA-II), independence from the thread
 * count and from running candidates concurrently, budgets, resumption after a kill, the Pareto front.
 */
class SearchRunTest {

    private static SearchConfig config(String tasks, String optimizer) {
        return SearchConfigParser.parse("genome:\n  models: [a, b, c]\n  merge_method: linear\n  normalize: false\n"
                + "tasks:\n" + tasks + "optimizer:\n" + optimizer, "s.yml");
    }

    private static final String ONE = "  - t1\n";
    private static final String TWO = "  - t1\n  - t2\n";

    private static Genome genome(SearchConfig c) {
        return new MergeGenome((SearchConfig.MergeGenomeSpec) c.genome(), 4, "s.yml");
    }

    private static SearchRun.Result run(SearchConfig c, Fitness f, EvalLog log, int threads, List<SearchProgress> progress) {
        return SearchRun.run(c, genome(c), f, log, new SearchRun.Options(threads, 1L << 40, System::nanoTime), progress::add);
    }

    private static SearchRun.Result run(SearchConfig c, Fitness f, EvalLog log, int threads) {
        return run(c, f, log, threads, new ArrayList<>());
    }

    private static List<String> genotypes(SearchRun.Result r) {
        return r.records().stream().map(e -> Arrays.toString(e.genotype())).toList();
    }

    @Test
    void cmaEsIsDeterministicForASeedAndImproves() {
        SearchConfig c = config(ONE, "  seed: 3\n  max_evals: 60\n");
        List<SearchProgress> progress = new ArrayList<>();
        SearchRun.Result a = run(c, FakeFitness.single(0), EvalLog.inMemory(), 2, progress);
        SearchRun.Result b = run(c, FakeFitness.single(0), EvalLog.inMemory(), 1);
        assertEquals(60, a.records().size());
        assertEquals(a.records(), b.records());
        assertEquals("evaluation budget of 60 spent", a.stopped());
        // 3 genes: population 4 + floor(3 ln 3) = 7; step 0 is the starting point (mergekit's weights 1/3)
        assertEquals(7, a.populationSize());
        assertTrue(Arrays.equals(new double[] {1.0 / 3, 1.0 / 3, 1.0 / 3}, a.records().getFirst().genotype()));
        assertEquals(List.of(0, 1, 1, 1, 1, 1, 1, 1, 2), a.records().subList(0, 9).stream().map(EvalRecord::generation).toList());
        assertTrue(a.best().score() > a.records().getFirst().score() + 0.05, a.best() + " vs " + a.records().getFirst());
        SearchRun.Result other = run(config(ONE, "  seed: 4\n  max_evals: 60\n"), FakeFitness.single(0), EvalLog.inMemory(), 2);
        assertNotEquals(genotypes(a).get(1), genotypes(other).get(1));
        // one progress line per generation: 0, then 9 full generations of 7 and the last one cut at 60
        assertEquals(10, progress.size());
        assertEquals(new SearchProgress(0, a.records().getFirst().score(), a.records().getFirst().score(), 1, 60, 0,
                progress.getFirst().seconds()), progress.getFirst());
        assertEquals(60, progress.getLast().evaluations());
        assertEquals(a.best().score(), progress.getLast().best());
    }

    @Test
    void nsga2IsDeterministicWhateverTheThreadsAndConcurrency() {
        SearchConfig c = config(TWO, "  seed: 11\n  max_evals: 50\n  population_size: 10\n");
        FakeFitness parallel = FakeFitness.two(1, 0);
        SearchRun.Result a = run(c, parallel, EvalLog.inMemory(), 4);
        FakeFitness serial = FakeFitness.two(Long.MAX_VALUE, 0); // memory holds one candidate at a time
        SearchRun.Result b = run(c, serial, EvalLog.inMemory(), 1);
        assertEquals(50, a.records().size());
        assertEquals(a.records(), b.records());
        assertTrue(parallel.maxRunning.get() > 1, "candidates of a generation ran concurrently");
        assertEquals(1, serial.maxRunning.get());
        // the initial population starts with mergekit's genotype; generation 0 is the whole initial population
        assertTrue(Arrays.equals(new double[] {1.0 / 3, 1.0 / 3, 1.0 / 3}, a.records().getFirst().genotype()));
        assertEquals(10, a.records().stream().filter(r -> r.generation() == 0).count());
        SearchRun.Result other = run(config(TWO, "  seed: 12\n  max_evals: 50\n  population_size: 10\n"), FakeFitness.two(1, 0),
                EvalLog.inMemory(), 4);
        assertNotEquals(genotypes(a).get(1), genotypes(other).get(1));
    }

    @Test
    void multiObjectiveSearchGivesANonDominatedFront() {
        SearchConfig c = config(TWO, "  seed: 1\n  max_evals: 120\n  population_size: 12\n");
        SearchRun.Result r = run(c, FakeFitness.two(1, 0), EvalLog.inMemory(), 2);
        double[] w = {1, 1};
        assertTrue(r.pareto().size() >= 3, "front of " + r.pareto().size());
        for (EvalRecord p : r.pareto()) {
            for (EvalRecord q : r.records()) {
                assertFalse(ParetoFront.dominates(ParetoFront.objectives(q, w), ParetoFront.objectives(p, w)), q + " dominates " + p);
            }
        }
        // every evaluation off the front is dominated by one on it
        for (EvalRecord q : r.records()) {
            if (!r.pareto().stream().map(EvalRecord::recipe).toList().contains(q.recipe())) {
                assertTrue(r.pareto().stream().anyMatch(p -> ParetoFront.dominates(ParetoFront.objectives(p, w), ParetoFront.objectives(q, w))));
            }
        }
        // the best is the highest sum, and it lies on the front
        assertTrue(r.pareto().stream().anyMatch(p -> p.recipe().equals(r.best().recipe())));
    }

    @Test
    void paretoFrontOfHandMadePoints() {
        List<EvalRecord> rs = new ArrayList<>();
        double[][] values = {{1, 1}, {2, 0}, {0, 2}, {1, 0.5}, {2, 0}, {0.5, 0.5}};
        for (int i = 0; i < values.length; i++) {
            rs.add(new EvalRecord(i, 0, new double[] {i}, "recipe " + (i == 4 ? 1 : i), null, values[i], 0, 0, 0));
        }
        // step 4 repeats step 1's recipe; minimising the second objective, (2, 0) dominates every other point
        assertEquals(List.of(0, 1, 2), ParetoFront.of(rs, new double[] {1, 1}).stream().map(EvalRecord::step).toList());
        assertEquals(List.of(1), ParetoFront.of(rs, new double[] {1, -1}).stream().map(EvalRecord::step).toList());
    }

    /** A search killed after k evaluations and started again continues exactly as if it had never stopped. */
    @Test
    void resumedSearchEqualsAnUninterruptedOne() {
        for (String optimizer : List.of("  seed: 5\n  max_evals: 30\n", "  algorithm: nsga2\n  seed: 5\n  max_evals: 30\n  population_size: 8\n")) {
            SearchConfig c = config(ONE, optimizer);
            SearchRun.Result whole = run(c, FakeFitness.single(0), EvalLog.inMemory(), 2);

            EvalLog log = EvalLog.inMemory();
            assertThrows(FakeFitness.Killed.class, () -> run(c, FakeFitness.single(12), log, 2));
            assertEquals(11, log.recorded().size());
            assertEquals(whole.records().subList(0, 11), log.recorded());

            FakeFitness second = FakeFitness.single(0);
            SearchRun.Result resumed = run(c, second, log, 2);
            assertEquals(whole.records(), resumed.records(), optimizer);
            assertEquals(whole.best(), resumed.best());
            assertEquals(11, resumed.replayed());
            assertEquals(19, second.calls.get());
            assertEquals(30, log.recorded().size());

            // a third start answers everything from the log
            FakeFitness third = FakeFitness.single(0);
            assertEquals(whole.records(), run(c, third, log, 2).records());
            assertEquals(0, third.calls.get());
        }
    }

    @Test
    void largerBudgetContinuesARecordedSearch() {
        EvalLog log = EvalLog.inMemory();
        run(config(ONE, "  seed: 2\n  max_evals: 10\n"), FakeFitness.single(0), log, 1);
        SearchRun.Result longer = run(config(ONE, "  seed: 2\n  max_evals: 25\n"), FakeFitness.single(0), log, 1);
        assertEquals(run(config(ONE, "  seed: 2\n  max_evals: 25\n"), FakeFitness.single(0), EvalLog.inMemory(), 1).records(),
                longer.records());
        assertEquals(10, longer.replayed());
    }

    @Test
    void aRecordThatDivergesIsRefused() {
        EvalLog log = EvalLog.inMemory();
        run(config(ONE, "  seed: 2\n  max_evals: 10\n"), FakeFitness.single(0), log, 1);
        MergeLabException e = assertThrows(MergeLabException.class,
                () -> run(config(ONE, "  seed: 3\n  max_evals: 12\n"), FakeFitness.single(0), log, 1));
        assertTrue(e.getMessage().startsWith("the lab's record of this search diverges from the optimiser at step 1"), e.getMessage());
    }

    /** A flat fitness (every candidate scores alike, as accuracy on a few documents can) ends CMA-ES before its budget. */
    @Test
    void flatFitnessConvergesEarlyOnOneGene() {
        SearchConfig c = SearchConfigParser.parse("genome:\n  models: [a]\n  merge_method: linear\ntasks: [t]\noptimizer:\n"
                + "  max_evals: 100\n", "s.yml");
        FakeFitness flat = new FakeFitness(w -> new double[] {0.5}, 1, 0);
        SearchRun.Result r = run(c, flat, EvalLog.inMemory(), 1);
        assertEquals(4, r.populationSize()); // 4 + floor(3 ln 1)
        assertEquals("the optimiser converged", r.stopped());
        assertTrue(r.records().size() < 100 && r.records().size() > 1, "" + r.records().size());
        assertEquals(0, r.best().step()); // all equal: the earliest
    }

    @Test
    void timeBudgetStopsBeforeTheNextNewEvaluation() {
        AtomicLong now = new AtomicLong();
        FakeFitness f = new FakeFitness(w -> {
            now.addAndGet(1_000_000_000L); // each evaluation takes a second
            return new double[] {-w[0]};
        }, 1, 0);
        SearchConfig c = config(ONE, "  max_evals: 100\n  max_time: 5\n");
        SearchRun.Result r = SearchRun.run(c, genome(c), f, EvalLog.inMemory(), new SearchRun.Options(1, 1L << 40, now::get), p -> { });
        assertEquals("time budget spent", r.stopped());
        assertEquals(6, r.records().size()); // at 5 s the budget is not yet over; at 6 s it is
    }
}
