/**
 * Text generation on the forward pass ({@link dev.mergelab.infer.Session}): the sampling chain of Hugging Face
 * transformers' {@code generate} ({@link dev.mergelab.generate.Sampler}), incremental detokenisation with stop
 * strings ({@link dev.mergelab.generate.TextStream}), the decoding loop with its timings
 * ({@link dev.mergelab.generate.Generator}), and multi-turn chat keeping its KV cache between turns
 * ({@link dev.mergelab.generate.Conversation}).
 *
 * <p>Layering: beside {@code eval}; imports {@code infer}, {@code tokenizer}, {@code model} and below.
 */
package dev.mergelab.generate;
