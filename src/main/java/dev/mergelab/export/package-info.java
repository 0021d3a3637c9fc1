/**
 * Models written for other tools. {@link dev.mergelab.export.GgufExport}: a Hugging Face folder as one GGUF file,
 * as llama.cpp's convert_hf_to_gguf.py writes it (F32) and as llama_model_quantize makes of that (every other
 * type), with what the converter knows about each architecture kept as data
 * ({@code dev.mergelab.model.gguf.GgufArchitecture}, read from {@code src/main/resources/dev/mergelab/model/gguf/*.json}). Sits above {@code format} (GGUF writer, ggml
 * codecs), {@code model} (folders, config) and {@code tokenizer}; only {@code cli} uses it.
 */
package dev.mergelab.export;
