package dev.mergelab.lab.search;

import io.jenetics.DoubleChromosome;
import io.jenetics.DoubleGene;
import io.jenetics.GaussianMutator;
import io.jenetics.Genotype;
import io.jenetics.Phenotype;
import io.jenetics.engine.Engine;
import io.jenetics.engine.Evaluator;
import io.jenetics.ext.SimulatedBinaryCrossover;
import io.jenetics.ext.moea.NSGA2Selector;
import io.jenetics.ext.moea.UFTournamentSelector;
import io.jenetics.ext.moea.Vec;
import io.jenetics.util.ISeq;
import io.jenetics.util.RandomRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Multi-objective search with NSGA-II: Jenetics' engine with its MOEA extension ({@code NSGA2Selector} for
 * survivors: non-dominated rank then crowding distance; {@code UFTournamentSelector} for parents), simulated binary
 * crossover and Gaussian mutation on real genes bounded by the genome's ranges. The starting genotype (mergekit's
 * equal weights) is the first individual of the initial population; the rest are drawn uniformly in the ranges.
 *
 * <p>Library choice: Jenetics 8.3 (actively maintained, no dependencies, Java 21+). It evaluates a whole population
 * through one {@link Evaluator} call, so a generation's candidates can run concurrently; every random draw comes
 * from the generator given to {@link RandomRegistry#with}, and the engine runs on the calling thread
 * ({@code executor(Runnable::run)}), so a seed gives one sequence of candidates whatever the thread count.
 */
final class Nsga2 implements Optimiser {

    private final double[] x0;
    private final double[] lower;
    private final double[] upper;
    private final int populationSize;
    private final long seed;

    Nsga2(double[] x0, double[] lower, double[] upper, int populationSize, long seed) {
        this.x0 = x0.clone();
        this.lower = lower.clone();
        this.upper = upper.clone();
        this.populationSize = populationSize;
        this.seed = seed;
    }

    /** At least 8 and even, so that parents pair up; 4 + floor(3 ln n) otherwise, as CMA-ES. */
    static int defaultPopulation(int n) {
        int p = Math.max(8, CmaEs.defaultPopulation(n));
        return p + (p % 2);
    }

    @Override
    public void run(Problem problem) {
        RandomRegistry.with(new Random(seed), r -> {
            runSeeded(problem);
            return null;
        });
    }

    private Genotype<DoubleGene> genotype(double[] x) {
        List<DoubleChromosome> chromosomes = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            double v = Math.max(lower[i], Math.min(Math.nextDown(upper[i]), x[i]));
            chromosomes.add(DoubleChromosome.of(DoubleGene.of(v, lower[i], upper[i])));
        }
        return Genotype.of(chromosomes);
    }

    private static double[] vector(Genotype<DoubleGene> g) {
        double[] x = new double[g.length()];
        for (int i = 0; i < x.length; i++) {
            x[i] = g.get(i).gene().doubleValue();
        }
        return x;
    }

    private void runSeeded(Problem problem) {
        List<DoubleChromosome> factory = new ArrayList<>();
        for (int i = 0; i < x0.length; i++) {
            factory.add(DoubleChromosome.of(lower[i], upper[i]));
        }
        int[] generation = {0};
        Evaluator<DoubleGene, Vec<double[]>> evaluator = population -> {
            List<Integer> fresh = new ArrayList<>();
            List<double[]> batch = new ArrayList<>();
            for (int i = 0; i < population.size(); i++) {
                if (!population.get(i).isEvaluated()) {
                    fresh.add(i);
                    batch.add(vector(population.get(i).genotype()));
                }
            }
            List<Outcome> outcomes = batch.isEmpty() ? List.of() : problem.evaluate(batch, generation[0]++);
            List<Phenotype<DoubleGene, Vec<double[]>>> out = new ArrayList<>(population.asList());
            for (int k = 0; k < fresh.size(); k++) {
                int i = fresh.get(k);
                out.set(i, out.get(i).withFitness(Vec.of(outcomes.get(k).objectives())));
            }
            return ISeq.of(out);
        };
        Engine<DoubleGene, Vec<double[]>> engine = new Engine.Builder<>(evaluator, Genotype.of(factory))
                .populationSize(populationSize)
                .executor((Runnable r) -> r.run())
                .offspringSelector(UFTournamentSelector.ofVec())
                .survivorsSelector(NSGA2Selector.ofVec())
                .alterers(new SimulatedBinaryCrossover<>(0.9), new GaussianMutator<>(1.0 / Math.max(1, x0.length)))
                .build();
        List<Genotype<DoubleGene>> start = List.of(genotype(x0));
        // the engine ends only when the problem's budget throws; a converged population keeps exploring by mutation
        engine.stream(start).forEach(result -> {
        });
    }
}
