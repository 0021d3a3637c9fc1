/**
 * A pure-Java reader of Hugging Face {@code tokenizer.json} that encodes and decodes like the Rust
 * {@code tokenizers} library (the reference the tests compare against, token id for token id).
 *
 * <p>The pipeline is the library's: added tokens are split out first (non-normalized ones on the raw text,
 * normalized ones on each normalized piece), then the {@link dev.mergelab.tokenizer.Normalizer}, the
 * {@link dev.mergelab.tokenizer.PreTokenizer}s, the model ({@link dev.mergelab.tokenizer.BpeModel},
 * {@link dev.mergelab.tokenizer.UnigramModel}, {@link dev.mergelab.tokenizer.WordPieceModel},
 * {@link dev.mergelab.tokenizer.WordLevelModel}), the {@link dev.mergelab.tokenizer.PostProcessor}, and for
 * the way back the {@link dev.mergelab.tokenizer.Decoder}. Pieces carry, per character, the offset of the
 * original character they came from, because one rule (Metaspace's {@code first} prepend scheme) depends on
 * whether a piece starts at the very beginning of the input.
 *
 * <p>tokenizer.json is untrusted: it is read with size, depth and length caps, and every problem is one
 * {@link dev.mergelab.MergeLabException} line naming the file and the field ({@link dev.mergelab.tokenizer.JsonField}).
 *
 * <p>Chat templates ({@link dev.mergelab.tokenizer.ChatTemplate}) are found as transformers finds them and rendered by
 * {@link dev.mergelab.jinja.JinjaTemplate}.
 *
 * <p>Layering: imports only {@code dev.mergelab} and the bottom-layer {@code dev.mergelab.jinja}.
 */
package dev.mergelab.tokenizer;
