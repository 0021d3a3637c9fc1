package dev.mergelab.cli;

import dev.mergelab.MergeLabException;
import dev.mergelab.engine.MergePlan;
import dev.mergelab.engine.MergeRun;
import dev.mergelab.engine.MergeSession;
import dev.mergelab.engine.ProgressListener;
import dev.mergelab.format.SafetensorsFile;
import dev.mergelab.format.TensorInfo;
import dev.mergelab.recipe.Recipe;
import dev.mergelab.tensor.Codecs;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;

/**
 * Child-JVM program for {@code FaultInjectionTest}: plans a merge (which maps the parents), warms the
 * decoders up until the JIT has compiled them, then truncates or rewrites a parent file (MODE truncate |
 * rewrite) and runs the merge. Prints one line and exits with the CLI's code; a JVM crash (SIGBUS in compiled
 * code) shows up as exit 134 and an hs_err file. Usage: RECIPE OUT_DIR VICTIM MODE.
 */
public final class TruncationProbe {

    public static void main(String[] args) throws Exception {
        Path recipePath = Path.of(args[0]);
        Path out = Path.of(args[1]);
        Path victim = Path.of(args[2]);
        String mode = args[3];
        int code;
        try (MergeSession session = MergeSession.open(Recipe.parse(recipePath), Models.opener(), w -> { })) {
            Recipe recipe = session.recipe();
            MergePlan plan = session.plan();
            // Warm-up: decode the victim's tensors from its mapping until C2 has compiled the codecs.
            try (SafetensorsFile f = SafetensorsFile.open(victim)) {
                float[] buf = new float[1 << 16];
                for (int round = 0; round < 200; round++) {
                    for (TensorInfo t : f.tensors()) {
                        int n = (int) Math.min(buf.length, t.numel());
                        Codecs.decode(t.dtype(), f.data(t), 0, buf, 0, n);
                    }
                }
            }
            long size = Files.size(victim);
            try (FileChannel ch = FileChannel.open(victim, StandardOpenOption.WRITE)) {
                if (mode.equals("truncate")) {
                    ch.truncate(size / 3);
                } else {
                    // Same size, other bytes in the data section, as an in-place re-download would leave it.
                    ch.write(ByteBuffer.wrap(new byte[4096]), size - 4096);
                }
            }
            Files.setLastModifiedTime(victim, FileTime.fromMillis(System.currentTimeMillis() + 5000));
            MergeRun.execute(recipe, plan, out, new MergeRun.Options(2, 64L << 20, 1L << 30, 0, false, false), ProgressListener.NONE);
            System.out.println("OK merged");
            code = 0;
        } catch (MergeLabException e) {
            System.out.println("ERR " + e.oneLine());
            code = e.kind().exitCode;
        } catch (Throwable t) {
            System.out.println("INTERNAL " + t);
            t.printStackTrace(System.out);
            code = 1;
        }
        System.out.flush();
        System.exit(code);
    }
}
