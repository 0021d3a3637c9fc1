/**
 * GGUF's side of each architecture, shared by export (Hugging Face → GGUF) and import (GGUF as a model
 * reference): {@link dev.mergelab.model.gguf.GgufArchitecture} reads what llama.cpp's converter writes for an
 * architecture from data ({@code src/main/resources/dev/mergelab/model/gguf/*.json}). Sits in the {@code model}
 * layer, above {@code format} (the GGUF reader and writer).
 */
package dev.mergelab.model.gguf;
