/**
 * Merge recipes: mergekit's YAML schema as immutable records that remember their source lines, a strict
 * parser for untrusted input, and the parameter resolution rules of METHODS.md §5.
 *
 * <p>How the engine uses it:
 * <ol>
 *   <li>{@link dev.mergelab.recipe.Recipe#parse(java.nio.file.Path)} reads and validates the file;
 *   <li>{@link dev.mergelab.recipe.RecipeChecks} checks the method name, parameter names and base model
 *       against what the method registry knows;
 *   <li>{@link dev.mergelab.recipe.Recipe#layout()} gives modules of slices of sources (the
 *       {@code models:} form as one all-layers slice, the base model appended);
 *   <li>for each output tensor the planner builds a {@link dev.mergelab.recipe.Site} (layer sites via
 *       {@link dev.mergelab.recipe.ModuleLayout#layerSite}, embeddings and heads via
 *       {@code preWeightSite}/{@code postWeightSite}) and asks a
 *       {@link dev.mergelab.recipe.ParameterResolver} for each parameter;
 *   <li>{@link dev.mergelab.recipe.Recipe#toYaml()} and the hashes record the recipe with the output.
 * </ol>
 *
 * <p>Model references stay raw strings here; resolving them to files is the model layer's job.
 */
package dev.mergelab.recipe;
