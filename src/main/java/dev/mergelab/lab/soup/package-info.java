/**
 * Model soups (Wortsman et al. 2022, "Model soups: averaging weights of multiple fine-tuned models improves accuracy
 * without increasing inference time"): the uniform soup and the greedy soup of fine-tunes of one base, each candidate
 * evaluated in memory as a trial.
 */
package dev.mergelab.lab.soup;
