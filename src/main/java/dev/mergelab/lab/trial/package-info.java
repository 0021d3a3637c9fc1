/**
 * Trials: a merge recipe built in memory, merged as a virtual child over parents opened once, scored on tasks
 * prepared once, and reduced to objectives and a fitness; recorded in the lab as a virtual candidate. What soups and
 * searches stand on. Sits above engine and eval, below cli.
 */
package dev.mergelab.lab.trial;
