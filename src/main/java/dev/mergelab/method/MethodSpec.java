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
 * @param identity    true when a single input merged with no parameter set is returned unchanged, so the
 *                    engine copies its stored bytes instead of decoding and encoding them (passthrough)
 */
public record MethodSpec(String name, String description, String paper, String paperUrl,
                         BaseRequirement base, List<ParamSpec> params, boolean random, boolean elementwise,
                         boolean identity) {

    public MethodSpec {
        params = List.copyOf(params);
    }

    /** A method that is not the {@code identity} of a lone input without parameters. */
    public MethodSpec(String name, String description, String paper, String paperUrl,
                      BaseRequirement base, List<ParamSpec> params, boolean random, boolean elementwise) {
        this(name, description, paper, paperUrl, base, params, random, elementwise, false);
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
