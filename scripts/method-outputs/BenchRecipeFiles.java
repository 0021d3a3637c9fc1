import dev.mergelab.bench.BenchRecipes;
import java.nio.file.*;
/** Writes every bench recipe (BenchRecipes) for FAMILY into DIR as METHOD.yml. */
public class BenchRecipeFiles {
    public static void main(String[] a) throws Exception {
        for (var e : BenchRecipes.all().entrySet()) {
            Files.writeString(Path.of(a[1], e.getKey() + ".yml"), BenchRecipes.render(e.getKey(), e.getValue(), a[0]));
        }
    }
}
