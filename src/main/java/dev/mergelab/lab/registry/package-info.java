/**
 * The lab's registry: an embedded SQLite database in a lab folder ({@code .mergelab/lab.db}) that records every
 * candidate a command writes (by content id), its parents with the relation and resolved parameters of each edge,
 * the runs that produced it and the scores it got. It sits beside {@code dev.mergelab.lab}, above {@code engine}
 * and {@code lora}; the CLI only calls it. Nothing in it is needed to use a model: every row can be rebuilt by
 * re-running the recorded commands, and a missing or broken lab never stops a merge.
 */
package dev.mergelab.lab.registry;
