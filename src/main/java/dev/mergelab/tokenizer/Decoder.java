package dev.mergelab.tokenizer;

import java.util.List;

/** One step of tokenizer.json's {@code decoder}: rewrites the list of token strings (the library's decode_chain). */
interface Decoder {
    List<String> decodeChain(List<String> tokens);
}
