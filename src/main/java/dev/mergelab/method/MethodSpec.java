package dev.mergelab.method;

import java.util.List;

/**
 * What a merge method is and accepts: the facts the planner, the recipe validator, {@code --help} and
 * the model card need without running it.
 *
 * @param name        the recipe's {@code merge_method} value
 * @param description one line
 * @param paper       paper title ("" when the method has none)
 * @param paperUrl    paper URL ("" when none)
 * @param base        how the method treats {@code base_model}
 * @param params      every parameter, global and per-model
 * @param random      true when the output depends on the recipe seed
 * @param elementwise true when out[j] depends only on the inputs' element j (and on parameters), so the
 *                    engine may cut equally shaped inputs into chunks and merge each chunk on its own
 */
public record MethodSpec(String name, String description, String paper, String paperUrl,
                         BaseRequirement base, List<ParamSpec> params, boolean random, boolean elementwise) {

    public MethodSpec {
        params = List.copyOf(params);
    }

    /** The parameter called {@code name}, or null. */
    public ParamSpec param(String name) {
        for (ParamSpec p : params) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        return null;
    }
}
