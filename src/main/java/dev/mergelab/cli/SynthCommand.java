package dev.mergelab.cli;

import dev.mergelab.MergeLabException;
import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Writes a deterministic synthetic Llama family (base + fine-tunes) for demos, tests and benchmarks. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Write a synthetic Llama-format model family (base, ft1..ftN) into DIR.")
final class SynthCommand implements Callable<Integer> {

    @Parameters(paramLabel = "DIR", description = "Folder to create.")
    Path dir;

    @Option(names = "--size", defaultValue = "tiny", description = "tiny, 1b, 3b or 7b (default: ${DEFAULT-VALUE}).")
    String size;

    @Option(names = "--dtype", defaultValue = "bfloat16", description = "bfloat16, float16 or float32 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--fine-tunes", defaultValue = "3", description = "Number of fine-tunes (default: ${DEFAULT-VALUE}).")
    int fineTunes;

    @Option(names = "--shard-size", description = "Shard size, e.g. 500MB or 2GB (default: 2GB; 5GB for 7b).")
    String shardSize;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Override
    public Integer call() throws Exception {
        DType dt = DType.fromUserName(dtype);
        if (dt == null || !dt.isFloating()) {
            throw MergeLabException.input("--dtype '" + dtype + "' is not a floating dtype", "use bfloat16, float16 or float32");
        }
        FamilySpec spec = Sizes.family(size, dt).withFineTunes(fineTunes);
        if (shardSize != null) {
            spec = spec.withShardBytes(Sizes.parseBytes(shardSize, "--shard-size"));
        }
        if (Files.exists(dir)) {
            throw MergeLabException.input(dir + " already exists", "choose a new folder");
        }
        long t0 = System.nanoTime();
        FamilyGenerator.generate(spec, dir, threads.count());
        System.out.printf("wrote %s: base + %d fine-tunes, %,d parameters each, %s, in %.1f s%n", dir, spec.fineTunes(),
                spec.parameterCount(), dt.torchName(), (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
