package dev.mergelab.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import dev.mergelab.infer.LayerWeights;
import dev.mergelab.infer.ModelWeights;
import dev.mergelab.infer.Session;
import dev.mergelab.infer.TransformerModel;
import dev.mergelab.infer.Workers;
import dev.mergelab.model.TensorRef;
import dev.mergelab.tensor.Vectorization;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code mergelab bench infer MODEL -p 512 -n 64}: forward-pass speed measured as llama-bench measures it.
 * Prompt processing (pp): a fresh sequence of P token ids run as one batch, the logits of its last token out (as
 * llama-bench's {@code llama_batch_get_one} batch asks only for the last token's output). Token generation (tg): a fresh
 * sequence decoding N tokens one at a time, each the greedy (argmax) choice after the last. Each test runs
 * {@code -r} times after one short warm-up; the best run is reported (on a shared machine the fastest run is
 * the one least disturbed) beside the median.
 */
@Command(name = "infer", mixinStandardHelpOptions = true,
        description = "Benchmark the forward pass like llama-bench: prompt processing (pp, one batch of P tokens) and "
                + "token generation (tg, N tokens one at a time, greedy), in tokens per second.")
final class BenchInferCommand implements Callable<Integer> {

    @Parameters(paramLabel = "MODEL", description = "Model folder, hub id, BASE+ADAPTER, or a recipe (.yml) read merged in memory.")
    String model;

    @Option(names = {"-p", "--prompt"}, defaultValue = "512", description = "Prompt tokens processed as one batch; 0 skips pp (default: ${DEFAULT-VALUE}).")
    int prompt;

    @Option(names = {"-n", "--generate"}, defaultValue = "64", description = "Tokens generated one at a time; 0 skips tg (default: ${DEFAULT-VALUE}).")
    int generate;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "3", description = "Timed runs of each test (default: ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = "--json", description = "Print one JSON object instead of the text summary.")
    boolean json;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (prompt < 0 || generate < 0 || prompt + generate == 0) {
            throw MergeLabException.input("-p " + prompt + " -n " + generate + ": give a positive prompt or generation length", null);
        }
        if (repetitions < 1) {
            throw MergeLabException.input("-r " + repetitions + ": at least one run", null);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int t = threads.count();
        try (InferSource source = InferSource.open(model, t, 0, w -> err.println("warning: " + w));
             Workers workers = new Workers(t)) {
            TransformerModel m = TransformerModel.load(source.weights(), workers);
            int vocab = m.description().vocab();
            int[] ids = promptIds(prompt, vocab);
            // warm-up: compile the batch and single-token paths before timing them
            if (prompt > 0) {
                m.newSession().forwardLast(Arrays.copyOf(ids, Math.min(prompt, 32)));
            }
            if (generate > 0) {
                generate(m, Math.min(generate, 4));
            }
            double[] pp = new double[prompt > 0 ? repetitions : 0];
            double[] ppCpu = new double[pp.length];
            for (int r = 0; r < pp.length; r++) {
                long t0 = System.nanoTime();
                long c0 = processCpuNanos();
                m.newSession().forwardLast(ids);   // like llama-bench: the last token's logits only
                pp[r] = (System.nanoTime() - t0) / 1e9;
                ppCpu[r] = (processCpuNanos() - c0) / 1e9;
            }
            double[] tg = new double[generate > 0 ? repetitions : 0];
            double[] tgCpu = new double[tg.length];
            for (int r = 0; r < tg.length; r++) {
                long t0 = System.nanoTime();
                long c0 = processCpuNanos();
                generate(m, generate);
                tg[r] = (System.nanoTime() - t0) / 1e9;
                tgCpu[r] = (processCpuNanos() - c0) / 1e9;
            }
            long weightBytes = matrixBytes(m.weights());
            report(out, m, t, weightBytes, pp, tg, ppCpu, tgCpu);
        }
        return 0;
    }

    /** Token ids spread over the vocabulary, the same every run (the values do not change the work). */
    static int[] promptIds(int n, int vocab) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = (int) ((1 + 7919L * i) % vocab);
        }
        return ids;
    }

    /** Decodes {@code n} tokens one at a time from token 1, each the argmax of the last logits. */
    static void generate(TransformerModel m, int n) {
        Session s = m.newSession();
        int next = 1;
        for (int i = 0; i < n; i++) {
            next = argmax(s.forward(new int[]{next}));
        }
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Bytes of the matrices one decode step reads whole: every projection and the LM head (a step reads one
     * row of the embedding, so it counts only when tied to the head). Divided by the step time, the read
     * bandwidth generation achieves; MoE layers count every expert, an over-estimate.
     */
    static long matrixBytes(ModelWeights w) {
        long b = w.lmHead().byteSize();
        for (LayerWeights l : w.layers()) {
            for (TensorRef r : new TensorRef[]{l.q(), l.k(), l.v(), l.qkv(), l.o(), l.gate(), l.up(), l.down(), l.gateUp(),
                    l.router(), l.sharedGate(), l.sharedUp(), l.sharedDown(), l.sharedExpertGate()}) {
                b += r == null ? 0 : r.byteSize();
            }
            for (TensorRef[] experts : new TensorRef[][]{l.expertGate(), l.expertUp(), l.expertDown()}) {
                for (TensorRef r : experts == null ? new TensorRef[0] : experts) {
                    b += r.byteSize();
                }
            }
        }
        return b;
    }

    /**
     * CPU time of the whole process so far (all threads, JIT and GC included), or -1 where the JVM cannot say.
     * Beside the wall time of a run it shows how much of the machine the run had: on a shared machine a
     * CPU time well under threads × wall time means other work took the cores.
     */
    static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    private void report(PrintWriter out, TransformerModel m, int t, long weightBytes, double[] pp, double[] tg,
            double[] ppCpu, double[] tgCpu) {
        double ppBest = min(pp);
        double tgBest = min(tg);
        double ppRate = pp.length == 0 ? 0 : prompt / ppBest;
        double tgRate = tg.length == 0 ? 0 : generate / tgBest;
        double tgGbPerS = tg.length == 0 ? 0 : weightBytes * (double) generate / tgBest / 1e9;
        String kernels = Vectorization.matrices().name();
        if (json) {
            ObjectNode o = new ObjectMapper().createObjectNode();
            o.put("model", model);
            o.put("dtype", m.weights().lmHead().dtype().safetensorsName());
            o.put("threads", t);
            o.put("kernels", kernels);
            o.put("prompt_tokens", prompt);
            o.put("gen_tokens", generate);
            o.put("repetitions", repetitions);
            o.put("pp_tokens_per_s", ppRate);
            o.put("tg_tokens_per_s", tgRate);
            o.put("pp_median_tokens_per_s", pp.length == 0 ? 0 : prompt / median(pp));
            o.put("tg_median_tokens_per_s", tg.length == 0 ? 0 : generate / median(tg));
            o.put("tg_weight_read_gb_per_s", tgGbPerS);
            o.put("matrix_bytes", weightBytes);
            o.putPOJO("pp_seconds", pp);
            o.putPOJO("tg_seconds", tg);
            o.putPOJO("pp_cpu_seconds", ppCpu);
            o.putPOJO("tg_cpu_seconds", tgCpu);
            out.println(o.toString());
            return;
        }
        out.printf("model %s, %d threads, kernels %s, matrices %.2f GB, best of %d%n", model, t, kernels, weightBytes / 1e9, repetitions);
        if (pp.length > 0) {
            out.printf("pp%d: %.2f tokens/s (median %.2f), process CPU %.1f s per run at best%n", prompt, ppRate,
                    prompt / median(pp), min(ppCpu));
        }
        if (tg.length > 0) {
            out.printf("tg%d: %.2f tokens/s (median %.2f), matrices read at %.2f GB/s, process CPU %.1f s per run at best%n",
                    generate, tgRate, generate / median(tg), tgGbPerS, min(tgCpu));
        }
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(0);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
