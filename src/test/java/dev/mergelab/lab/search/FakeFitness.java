package dev.mergelab.lab.search;

import dev.mergelab.recipe.InputSlice;
import dev.mergelab.recipe.ModelsOrSlices;
import dev.mergelab.recipe.ParamValue;
import dev.mergelab.recipe.Recipe;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A stand-in for merging and evaluating: objective values computed from the weights a linear recipe gives each
 * model, so optimiser behaviour can be tested in milliseconds. It counts calls and concurrent calls, and can "kill"
 * the search (throw) on a given call, as a killed process would stop it.
 */
final class FakeFitness implements Fitness {

    static final class Killed extends RuntimeException {
        Killed() {
            super("killed");
        }
    }

    private final Function<double[], double[]> objectives;
    private final long bytes;
    private final int killAt;
    final AtomicInteger calls = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    final AtomicInteger maxRunning = new AtomicInteger();

    /** @param killAt throw on this call (counting from 1); 0 never */
    FakeFitness(Function<double[], double[]> objectives, long bytes, int killAt) {
        this.objectives = objectives;
        this.bytes = bytes;
        this.killAt = killAt;
    }

    /** One objective: closeness of the weights of a, b, c to 0.2, 0.5, 0.8. */
    static FakeFitness single(int killAt) {
        return new FakeFitness(w -> new double[] {-(sq(w[0] - 0.2) + sq(w[1] - 0.5) + sq(w[2] - 0.8))}, 1, killAt);
    }

    /** Two conflicting objectives: a's weight near 1 with b's near 0, and the other way round. */
    static FakeFitness two(long bytes, int killAt) {
        return new FakeFitness(w -> new double[] {-(sq(w[0] - 1) + sq(w[1])), -(sq(w[1] - 1) + sq(w[0]))}, bytes, killAt);
    }

    private static double sq(double x) {
        return x * x;
    }

    /** The weight of each source of the first slice, in order. */
    static double[] weights(Recipe r) {
        List<InputSlice> sources = ((ModelsOrSlices.Slices) r.inputs().orElseThrow()).slices().getFirst().sources();
        return sources.stream().mapToDouble(s -> ((ParamValue.Scalar) s.parameters().get("weight").orElseThrow().value())
                .value().numericValue()).toArray();
    }

    @Override
    public Trial evaluate(Recipe recipe, int threads) {
        int n = calls.incrementAndGet();
        if (n == killAt) {
            throw new Killed();
        }
        int now = running.incrementAndGet();
        maxRunning.accumulateAndGet(now, Math::max);
        try {
            Thread.sleep(2); // long enough for concurrent calls to overlap
            return new Trial(objectives.apply(weights(recipe)), "fake-" + recipe.canonicalSha256().substring(0, 8), 0.001, 0.002);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            running.decrementAndGet();
        }
    }

    @Override
    public long bytesPerCandidate() {
        return bytes;
    }
}
